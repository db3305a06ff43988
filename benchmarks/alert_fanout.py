"""Alert fan-out: an issued alert → one notification row per subscriber of its
wards (100,000 by default), timed from the moment the ``Issued`` event is in
the log until the outbox projection has committed every row (deciding who
hears it as of that event, loading each subscriber's settings, writing the
rows and its position in one transaction), on SQLite and on PostgreSQL. The
ceiling is a raw ``INSERT`` of the very same rows, in one transaction, into
a table of the outbox's schema on the same database: what writing the rows
alone costs.

The subscribers are written straight into the outbox's recipient tables —
the state 100,000 people's verified channel and chosen ward would leave
there — because making 100,000 people through commands would take the run
many minutes; the alert itself is drafted, approved and issued through the
application. Each subscriber has one verified channel (SMS), half chose Hoàn
Kiếm and half Ba Đình, and the alert covers both.

Run alone: ``.venv/bin/python -m benchmarks.alert_fanout`` (set
``IHANOI_BENCH_ALERT_SUBSCRIBERS`` for another count; PostgreSQL is skipped
when ``IHANOI_BENCH_POSTGRES_URL`` cannot be reached).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import psycopg

from benchmarks.common import Figure, postgres_database, print_figures, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.alerts import ApproveAlert, AreaIn, DraftAlert, IssueAlert
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.base import ProjectionContext
from ihanoi_projections.engine.database import ViewDatabase, open_view_database
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.notifications.alert_notices import ALERT_WARDS
from ihanoi_projections.notifications.notices import INSERT_NOTICE, OUTBOX, UPSERT_RECIPIENT, Recipient
from ihanoi_projections.notifications.outbox import OutboxModel

SUBSCRIBERS = int(os.environ.get("IHANOI_BENCH_ALERT_SUBSCRIBERS", "100000"))
WARDS = ("HOAN_KIEM", "BA_DINH")
OFFICER = Principal("officer-bench", Role.OFFICER, "SXD")
LEADER = Principal("leader-bench", Role.LEADER, "SXD")
ROW_COLUMNS = (
    "notification_id", "position", "recipient", "channel", "kind", "template", "params", "urgent", "case_id",
    "created_at", "next_attempt_at",
)  # fmt: skip
CHUNK = 10_000


def seed_subscribers(views: ViewDatabase, count: int) -> None:
    """``count`` people with a verified SMS channel, half of them in each of ``WARDS``."""
    for start in range(0, count, CHUNK):
        keys = [
            (f"bench-subject-{number:07d}", str(uuid.uuid4())) for number in range(start, min(count, start + CHUNK))
        ]
        with views.transaction() as cursor:
            sms_only = [Recipient(contactability=contact, channels=("sms",)).row(key) for key, contact in keys]
            cursor.executemany(UPSERT_RECIPIENT, sms_only)
            cursor.executemany(
                f"INSERT INTO {ALERT_WARDS} (ward, subject_key) VALUES (?, ?)",
                [(WARDS[number % 2], key) for number, (key, _) in enumerate(keys)],
            )


def fanout(database_url: str) -> tuple[float, int, float]:
    """Seconds from the issued alert to its committed rows, the rows, and the raw INSERT's rows/s."""
    settings = Settings(database_url=database_url, env="test")
    app = Ihanoi(settings)
    views = open_view_database(settings)
    try:
        outbox = OutboxModel(views, ProjectionContext(app.directory, app.calendar, b"bench-key"))
        projector = Projector(app, views, [outbox])
        projector.catch_up()  # the tables, empty
        seed_subscribers(views, SUBSCRIBERS)
        if database_url.startswith("postgresql"):
            # Fresh statistics, as autovacuum keeps them on a live database: planned from the empty tables'
            # statistics, the fan-out's IN-list lookups scan whole tables (measured: 17-19 s instead of 10 s).
            with views.transaction() as cursor:
                cursor.execute(f"ANALYZE {ALERT_WARDS}")
                cursor.execute("ANALYZE view_notification_recipients")
        drafted = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(AreaIn(wards=WARDS),)))
        app.handle(LEADER, ApproveAlert(case=drafted.case_id))
        projector.catch_up()  # drafting and approving make no notice
        app.handle(OFFICER, IssueAlert(case=drafted.case_id))
        started = time.perf_counter()
        projector.catch_up()
        seconds = time.perf_counter() - started
        rows = views.query(f"SELECT {', '.join(ROW_COLUMNS)} FROM {OUTBOX} WHERE kind = 'alert'")
        assert len(rows) == SUBSCRIBERS, (len(rows), SUBSCRIBERS)
        copy = "bench_outbox_copy"
        schema = next(
            statement for statement in outbox.schema() if statement.startswith(f"CREATE TABLE IF NOT EXISTS {OUTBOX} (")
        )
        with views.transaction() as cursor:
            cursor.execute(schema.replace(OUTBOX, copy, 1))
        values = [tuple(row[name] for name in ROW_COLUMNS) for row in rows]
        started = time.perf_counter()
        with views.transaction() as cursor:
            cursor.executemany(INSERT_NOTICE.replace(OUTBOX, copy, 1), values)
        raw = len(values) / (time.perf_counter() - started)
        return seconds, len(rows), raw
    finally:
        views.close()
        app.close()


@contextmanager
def sqlite_url() -> Iterator[str]:
    with sqlite_file() as path:
        yield f"sqlite:///{path}"


def stores() -> list[tuple[str, Callable[[], AbstractContextManager[str]]]]:
    found: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = [("SQLite", sqlite_url)]
    try:
        psycopg.connect(os.environ.get("IHANOI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
                        connect_timeout=3).close()  # fmt: skip
        found.append(("PostgreSQL", postgres_database))
    except psycopg.OperationalError:
        print("PostgreSQL unreachable: its figure is skipped.")
    return found


def run() -> list[Figure]:
    figures = []
    for name, store in stores():
        with store() as url:
            seconds, rows, raw = fanout(url)
        figures.append(
            Figure(
                f"{name} alert → {rows:,} subscriber rows ({seconds:.2f} s)",
                rows / seconds,
                "rows/s",
                "raw INSERT of the same rows",
                raw,
            )
        )
    print_figures("Alert fan-out to subscribers (outbox)", figures)
    return figures


if __name__ == "__main__":
    run()
