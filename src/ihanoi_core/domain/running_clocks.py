"""The running clocks of a case, as the deadline watcher sees them (issue #16).

A case has up to three kinds of running deadline, each with its own key so
the watcher's marks (``{key}#{threshold}``) stay apart:

- ``main``: the case's own deadline (``clock`` → ``due_at``), held by the
  responsible agency and its assignee. Key ``{start}/{due}``: an extension or
  a resume gives a new key and fresh thresholds; a paused clock has none.
- ``escalated``: the own deadline of an agency the case was escalated to for
  being overdue (a co-owner). It belongs to the main clock it escalated
  from and runs only while that one runs, so it never fires while the case is
  paused, and stops when the case gets a new deadline (extension, resume).
  Key ``{main key}|escalated|{agency}|{start}|{due}``, kept in the case's
  ``coowner_clocks`` (strings, so snapshots need nothing new).
- ``forwarded``: a dossier's inter-agency sub-deadline (liên thông), held by
  the partner agency while the dossier is with it. Key
  ``forwarded|{agency}|{start}/{due}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple, TypedDict

Track = Literal["main", "escalated", "forwarded"]


class RunningClock(NamedTuple):
    """One running deadline of a case: who holds it, from when to when."""

    key: str
    track: Track
    agency: str
    assignee: str | None
    started_at: datetime
    due_at: datetime

    def mark(self, threshold: str) -> Mark:
        """The watcher's mark of ``threshold`` on this clock, with who held it."""
        return Mark(mark=f"{self.key}#{threshold}", due_at=self.due_at, agency=self.agency, assignee=self.assignee)


class Mark(TypedDict):
    """A threshold the watcher records on a running clock (``{key}#{threshold}``)
    and who held the clock: the fields its reminder and missed-deadline events share."""

    mark: str
    due_at: datetime | None
    agency: str | None
    assignee: str | None


def main_key(started_at: datetime, due_at: datetime) -> str:
    return f"{started_at.isoformat()}/{due_at.isoformat()}"


def coowner_key(main: str, agency: str, started_at: datetime, due_at: datetime) -> str:
    return f"{main}|escalated|{agency}|{started_at.isoformat()}|{due_at.isoformat()}"


def forwarded_key(agency: str, started_at: datetime, due_at: datetime) -> str:
    return f"forwarded|{agency}|{started_at.isoformat()}/{due_at.isoformat()}"


def key_of_mark(mark: str) -> str:
    """The clock key of a threshold mark ``{key}#{threshold}``."""
    return mark.rsplit("#", 1)[0]


def coowner_clock(key: str) -> RunningClock:
    """The co-owner's clock a key of ``coowner_key`` names."""
    _main, _track, agency, started, due = key.split("|")
    return RunningClock(key, "escalated", agency, None, datetime.fromisoformat(started), datetime.fromisoformat(due))


def main_of(key: str) -> str:
    """The main clock a co-owner's clock belongs to (a main key is itself)."""
    return key.split("|", 1)[0]
