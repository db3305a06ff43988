"""Notification figures, each beside a ceiling measured in the same run:

- **Fan-out**: one event (a public alert issued for a ward) to 100,000
  subscribers — the outbox projection's catch-up over that event, in outbox
  rows written per second — beside a raw ``INSERT`` of the same 100,000 rows
  into a table of the same shape on the same database, in one transaction.
  The difference is the outbox's deciding: reading the subscribers of the
  ward and their settings, deriving each row's id, serialising. The
  subscribers are seeded straight into the outbox's derived tables
  (``view_notification_recipients``, ``view_notification_alert_wards``), as a
  hundred thousand people's settings events would leave them: the figure is
  the fan-out, not the seeding. SQLite store.
- **Dispatch**: notices delivered per second by the dispatcher to a local
  HTTP gateway (a real server on loopback that honours idempotency keys),
  beside the same number of bare POSTs to that gateway with the same client.
  The difference is the outbox's cost: claiming with a lease, reading the
  recipient's settings from the event store, rendering the template,
  recording the attempt and the state. 20 recipients, 600 notices.

Run alone: ``.venv/bin/python -m benchmarks.notifications``.
"""

from __future__ import annotations

import time
import uuid

import httpx
import orjson

from benchmarks.common import Figure, print_figures, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.alerts import ApproveAlert, AreaIn, DraftAlert, IssueAlert
from ihanoi_core.commands.notifications import AddChannel, VerifyChannel
from ihanoi_core.domain.contactability import contactability_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.codes import code_for
from ihanoi_core.notifications.gateway import HttpGatewaySender
from ihanoi_core.settings import Settings
from ihanoi_projections.notifications.alert_notices import ALERT_WARDS
from ihanoi_projections.notifications.dispatcher import Dispatcher
from ihanoi_projections.notifications.notices import INSERT_NOTICE, OUTBOX
from ihanoi_projections.notifications.notices import RECIPIENTS as RECIPIENTS_TABLE
from ihanoi_projections.notifications.outbox import OutboxModel
from ihanoi_projections.read_side import ReadSide
from tests.notification_servers import GATEWAY_TOKEN, gateway_server

RECIPIENTS = 20
NOTICES = 600
SUBSCRIBERS = 100_000
WARD = "HOAN_KIEM"
OFFICER = Principal("officer-bench", Role.OFFICER, "SXD")
LEADER = Principal("leader-bench", Role.LEADER, "SXD")


def fan_out() -> tuple[float, float]:
    """(outbox rows/s for one alert to SUBSCRIBERS people, raw INSERT rows/s of the same rows)."""
    with sqlite_file() as path:
        settings = Settings(database_url=f"sqlite:///{path}", env="test")
        app = Ihanoi(settings)
        read_side = ReadSide(app, settings, names=[OutboxModel.name], start=False)
        try:
            read_side.catch_up()
            # Step: 100,000 people with a verified e-mail who chose the ward (their derived state).
            with read_side.database.transaction() as cursor:
                cursor.executemany(
                    f"INSERT INTO {RECIPIENTS_TABLE} (subject_key, contactability, channels, opted_out, consent)"
                    " VALUES (?, ?, 'email', '', 0)",
                    [(f"bench{n:06d}", str(uuid.UUID(int=n + 1))) for n in range(SUBSCRIBERS)],
                )
                cursor.executemany(
                    f"INSERT INTO {ALERT_WARDS} (ward, subject_key) VALUES (?, ?)",
                    [(WARD, f"bench{n:06d}") for n in range(SUBSCRIBERS)],
                )
            # Step: one alert for the ward; time the outbox's catch-up over it.
            drafted = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(AreaIn(wards=(WARD,)),)))
            app.handle(LEADER, ApproveAlert(case=drafted.case_id))
            app.handle(OFFICER, IssueAlert(case=drafted.case_id))
            started = time.perf_counter()
            read_side.catch_up()
            elapsed = time.perf_counter() - started
            rows = read_side.database.query(f"SELECT notification_id, position, recipient, channel, kind, template,"
                                            f" params, urgent, case_id, created_at, next_attempt_at FROM {OUTBOX}"
                                            " WHERE kind = 'alert'")  # fmt: skip
            assert len(rows) == SUBSCRIBERS, len(rows)
            fanned = len(rows) / elapsed
            # Step: the ceiling: the same rows, inserted raw into a table of the same shape.
            with read_side.database.transaction() as cursor:
                # The outbox's own table, keys and indexes, under another name.
                for statement in read_side.model(OutboxModel).schema():
                    if f"{OUTBOX} " in statement or f"{OUTBOX}_" in statement:
                        database_statement = statement.replace(OUTBOX, "bench_outbox")
                        if "ADD COLUMN" in database_statement:
                            database_statement = database_statement.replace(" IF NOT EXISTS", "")
                        cursor.execute(database_statement)
            values = [tuple(row.values()) for row in rows]
            started = time.perf_counter()
            with read_side.database.transaction() as cursor:
                cursor.executemany(INSERT_NOTICE.replace(OUTBOX, "bench_outbox").split(" ON CONFLICT")[0], values)
            ceiling = len(values) / (time.perf_counter() - started)
        finally:
            read_side.close()
            app.close()
    return fanned, ceiling


def seed(app: Ihanoi, read_side: ReadSide) -> None:
    streams = []
    for number in range(RECIPIENTS):
        citizen = Principal(f"vneid:bench-{number}", Role.CITIZEN)
        app.change_notification_settings(citizen, AddChannel(channel="sms", address=f"09{number:08d}"))
        stream = contactability_id(citizen.subject, app.personal_keys.subject_key_id(citizen.subject))
        contact = app.contact(stream)
        assert contact is not None
        code = code_for(app.code_key, stream, "sms", contact.pending["sms"].challenge)
        app.change_notification_settings(citizen, VerifyChannel(channel="sms", code=code))
        streams.append(str(stream))
    read_side.catch_up()
    params = orjson.dumps({"code": "PA-261206-000001", "case_kind": "report", "status": "resolved", "due_at": None})
    now = int(time.time() * 1_000_000)
    rows = [
        (str(uuid.uuid4()), i, streams[i % RECIPIENTS], "sms", "case_status", "case_status", params.decode(), 0,
         None, now, now)
        for i in range(NOTICES)
    ]  # fmt: skip
    with read_side.database.transaction() as cursor:
        cursor.executemany(INSERT_NOTICE, rows)


def run() -> None:
    fanned, raw = fan_out()
    print_figures(
        "Notifications: fan-out of one alert to 100,000 subscribers (SQLite)",
        [Figure("outbox rows from one event", fanned, "rows/s", "raw INSERT of the same rows", raw)],
    )
    dispatch()


def dispatch() -> None:
    with sqlite_file() as path, gateway_server() as (url, _gateway):
        settings = Settings(
            database_url=f"sqlite:///{path}", env="test", notify_rate_per_second=1e6, notify_batch_size=100
        )
        app = Ihanoi(settings)
        read_side = ReadSide(app, settings, start=False)
        try:
            seed(app, read_side)
            sender = HttpGatewaySender(url, GATEWAY_TOKEN, {})
            dispatcher = Dispatcher(app, read_side.database, {"sms": sender}, settings)
            started = time.perf_counter()
            delivered = dispatcher.drain(timeout=300)
            dispatch = delivered / (time.perf_counter() - started)
            body: dict[str, object] = {
                "channel": "sms",
                "to": "+84900000000",
                "template_id": None,
                "params": {},
                "text": "x",
            }
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {GATEWAY_TOKEN}"}) as client:
                started = time.perf_counter()
                for _ in range(NOTICES):
                    client.post("/messages", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
                ceiling = NOTICES / (time.perf_counter() - started)
            sender.close()
        finally:
            read_side.close()
            app.close()
    print_figures(
        "Notifications (SQLite, local HTTP gateway)",
        [Figure("dispatch to the gateway", dispatch, "notices/s", "bare POSTs to the same gateway", ceiling)],
    )


if __name__ == "__main__":
    run()
