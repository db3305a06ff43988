"""The old topics of classes that moved, so events stored under them still load.

A stored event names its class by topic, ``module:Class.Event``; an event a
base class's method triggers carries the base's topic (a complaint's
acceptance is ``…:Grievance.Accepted``), and a creation event also carries its
aggregate's topic as ``originator_topic``. Moving a class changes the topics
new events get, never those already stored, so each moved aggregate class is
registered here under its old topic. ``resolve_topic`` looks a nested topic up
by its ``module:Class`` prefix before the event's name, so one entry covers the
class and every event nested on it.

The event-store factories that ``PERSISTENCE_MODULE`` names by topic moved
too (``eventstore/settings_env.py``). ihanoi computes that string rather than
storing it, but a caller's ``env`` may still carry one written before the
event-store layer became a package. Those old topics are kept as strings and
rewritten to the new ones before the library reads them (``current_topic``),
not registered: registering needs the class, and importing the PostgreSQL
factory imports psycopg (~90 ms) into every process, SQLite ones included.

The application registers these when it is imported: every reader of the
store (commands, the projector, the audit tools) goes through it.
"""

from __future__ import annotations

from collections.abc import Mapping

from eventsourcing.utils import register_topic

from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_core.domain.grievance import Grievance

MOVED_TOPICS: Mapping[str, type] = {
    # Split out of the complaint module, which kept Complaint itself.
    "ihanoi_core.domain.complaint:Grievance": Grievance,
    "ihanoi_core.domain.complaint:Denunciation": Denunciation,
}

# The event-store factories, before they moved into ``ihanoi_core.eventstore``.
MOVED_FACTORY_TOPICS: Mapping[str, str] = {
    "ihanoi_core.postgres_store:IhanoiPostgresFactory": "ihanoi_core.eventstore.postgres:IhanoiPostgresFactory",
    "ihanoi_core.persistence:IhanoiSQLiteFactory": "ihanoi_core.eventstore.sqlite:IhanoiSQLiteFactory",
}


def register_moved_topics() -> None:
    """Make every old topic resolve to its class (calling it again is harmless)."""
    for topic, moved in MOVED_TOPICS.items():
        register_topic(topic, moved)


def current_topic(topic: str) -> str:
    """The topic a factory has now, for one it had before it moved; any other unchanged."""
    return MOVED_FACTORY_TOPICS.get(topic, topic)
