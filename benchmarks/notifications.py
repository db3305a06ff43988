"""Dispatch throughput: notices delivered per second by the dispatcher to a
local HTTP gateway (a real server on loopback that honours idempotency keys),
beside the ceiling of the same number of bare POSTs to that gateway with the
same client, measured in the same run, as a ratio. The difference is the
outbox's cost: claiming with a lease, reading the recipient's settings from
the event store, rendering the template, recording the attempt and the state.
SQLite store; 20 recipients with a verified phone, 600 notices.
"""

from __future__ import annotations

import time
import uuid

import httpx
import orjson

from benchmarks.common import Figure, print_figures, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, VerifyChannel
from ihanoi_core.domain.contactability import contactability_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.codes import code_for
from ihanoi_core.notifications.gateway import HttpGatewaySender
from ihanoi_core.settings import Settings
from ihanoi_projections.notifications.dispatcher import Dispatcher
from ihanoi_projections.notifications.outbox import INSERT_NOTICE
from ihanoi_projections.read_side import ReadSide
from tests.notification_servers import GATEWAY_TOKEN, gateway_server

RECIPIENTS = 20
NOTICES = 600


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
