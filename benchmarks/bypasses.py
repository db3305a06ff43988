"""What each speed bypass of eventsourcing's public API pays, on SQLite.

The event-store layer (``ihanoi_core.eventstore``) leaves the library's path in
a few places, each marked ``# Bypass`` where it does. Each figure here runs our
path and the library's own on the same data in the same process, interleaved
(A, B, A, B), so the ratio is the pay-off; a bypass whose ratio is not
clearly above 1 has no reason to stay:

- ``select_events``: a case's events by one SELECT on this thread's own
  connection, against the library's method (a pooled connection, BEGIN …
  ROLLBACK), called on the same recorder;
- ``select_notifications``: a page of the log the same way; what projections,
  streams and ``audit verify`` read with;
- ``Notification`` rows built without the frozen dataclass's ``__init__``,
  against ``Notification(...)``, from the same fetched rows;
- ``insert_events``: one BEGIN … COMMIT on the recorder's own writer, against
  the library's method;
- ``to_domain_event``: our mapper, which must override the library's to open
  sealed personal fields before upcasting, against the library's on the same
  stored events, both without opening them (``privacy`` prices that): what its
  per-topic lookups (class, version, id converter, declared fields) save.

``Application.save`` against ``CommandBus._store`` is in ``write_side``. A plan
per event class for applying ``@event`` methods (``decorated_funcs``) measured
no faster than ``event.mutate`` and is gone (``eventstore/mutate.py``).
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from eventsourcing.persistence import Mapper, Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from benchmarks.common import Figure, interleaved_rates, print_figures, sqlite_file
from benchmarks.read_side import populate
from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.mapper import IhanoiMapper
from ihanoi_core.eventstore.sqlite import IhanoiSQLiteApplicationRecorder, _notification
from ihanoi_core.settings import Settings

DAYS = 10
PAGE = 2000
INSERTS = 20


def run() -> list[Figure]:
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        events = populate(settings, days=DAYS)
        app = Ihanoi(settings)
        try:
            figures = _figures(app)
        finally:
            app.close()
    print_figures(f"Bypasses of the library's API, ours / the library's (SQLite, {events:,} events)", figures)
    return figures


def _figures(app: Ihanoi) -> list[Figure]:
    recorder = app.recorder
    assert isinstance(recorder, IhanoiSQLiteApplicationRecorder)
    library = SQLiteApplicationRecorder
    notifications = _whole_log(recorder)
    case_ids = sorted({notification.originator_id for notification in notifications}, key=str)
    sample = random.Random(7).choices(case_ids, k=200)

    def load_cases(select: Any) -> int:
        for case_id in sample:
            select(recorder, case_id)
        return len(sample)

    def read_log(select: Any) -> int:
        last = count = 0
        while page := select(recorder, last, PAGE, inclusive_of_start=False):
            count += len(page)
            last = page[-1].id
        return count

    loads = interleaved_rates(
        lambda: load_cases(IhanoiSQLiteApplicationRecorder.select_events),
        lambda: load_cases(library.select_events),
    )
    pages = interleaved_rates(
        lambda: read_log(IhanoiSQLiteApplicationRecorder.select_notifications),
        lambda: read_log(library.select_notifications),
    )
    rows = [
        ((n.id, str(n.originator_id), n.originator_version, n.topic, n.state), n.originator_id) for n in notifications
    ]

    def build(make: Any) -> int:
        for row, originator_id in rows:
            make(row, originator_id)
        return len(rows)

    def constructed(row: tuple[Any, ...], originator_id: uuid.UUID | str) -> Notification:
        return Notification(
            id=row[0], originator_id=originator_id, originator_version=row[2], topic=row[3], state=row[4]
        )

    built = interleaved_rates(lambda: build(_notification), lambda: build(constructed))

    def insert(method: Any) -> int:
        for _ in range(INSERTS):
            method(recorder, [StoredEvent(uuid.uuid4(), 1, "bench:Event", b"{}")])
        return INSERTS

    inserts = interleaved_rates(
        lambda: insert(IhanoiSQLiteApplicationRecorder.insert_events),
        lambda: insert(library.insert_events),
    )
    mapper = app.mapper
    assert isinstance(mapper, IhanoiMapper)

    def decode(to_domain_event: Any) -> int:
        for notification in notifications:
            to_domain_event(mapper, notification)
        return len(notifications)

    # Both without opening sealed personal fields, which only ours does (``privacy`` prices that).
    sealer, mapper.sealer = mapper.sealer, None
    try:
        decoded = interleaved_rates(
            lambda: decode(IhanoiMapper.to_domain_event), lambda: decode(Mapper.to_domain_event)
        )
    finally:
        mapper.sealer = sealer
    return [
        Figure("select_events: case loads/s", loads[0], "loads/s", "the library's select_events", loads[1]),
        Figure("select_notifications: log rows/s", pages[0], "rows/s", "the library's select_notifications", pages[1]),
        Figure("Notifications built/s (no __init__)", built[0], "rows/s", "Notification(...)", built[1]),
        Figure(
            "insert_events: one-event inserts/s", inserts[0], "inserts/s", "the library's insert_events", inserts[1]
        ),
        Figure(
            "to_domain_event: events decoded/s", decoded[0], "events/s", "the library's to_domain_event", decoded[1]
        ),
    ]


def _whole_log(recorder: IhanoiSQLiteApplicationRecorder) -> list[Notification]:
    found: list[Notification] = []
    while page := recorder.select_notifications(found[-1].id if found else 0, PAGE, inclusive_of_start=False):
        found.extend(page)
    return found
