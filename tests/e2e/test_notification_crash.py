"""Kill -9 of the dispatcher mid-batch, again and again, on SQLite and
PostgreSQL: every notice is delivered, none twice to the idempotent gateway,
none lost. Claims are committed before sending and leases run out (1 s
here), so a killed dispatcher's notices are claimed again and re-sent with
the same idempotency key; the gateway delivers each key once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, VerifyChannel
from ihanoi_core.commands.service_requests import ReceiveDossier
from ihanoi_core.domain.contactability import contactability_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.codes import code_for
from ihanoi_core.settings import Settings
from ihanoi_projections.notifications.outbox import OUTBOX
from ihanoi_projections.read_side import ReadSide
from tests.e2e.conftest import SECRET
from tests.integration.test_service_request_lifecycle import procedure_staff, submit
from tests.notification_servers import GATEWAY_TOKEN, Gateway, gateway_server

CITIZENS = 30
KILLS = 8


def enrol(app: Ihanoi, citizen: Principal, phone: str) -> None:
    app.change_notification_settings(citizen, AddChannel(channel="sms", address=phone))
    stream = contactability_id(citizen.subject, app.personal_keys.subject_key_id(citizen.subject))
    contact = app.contact(stream)
    assert contact is not None
    code = code_for(app.code_key, stream, "sms", contact.pending["sms"].challenge)
    app.change_notification_settings(citizen, VerifyChannel(channel="sms", code=code))
    app.give_consent(citizen, "notifications", notice_version="2026-01")


def start_dispatcher(settings: Settings, gateway_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IHANOI_DATABASE_URL": settings.database_url,
        "IHANOI_ENV": "test",
        "IHANOI_SECRET_KEY": SECRET,
        "IHANOI_NOTIFY_GATEWAY_URL": gateway_url,
        "IHANOI_NOTIFY_GATEWAY_TOKEN": GATEWAY_TOKEN,
        "IHANOI_NOTIFY_LEASE_SECONDS": "1",
        "IHANOI_NOTIFY_BATCH_SIZE": "5",
        "IHANOI_NOTIFY_BACKOFF_SECONDS": "0.2",
        "IHANOI_NOTIFY_RATE_PER_SECOND": "1000",
    }
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "ihanoi_server.cli", "notifications", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=output,
        )


def end(process: subprocess.Popen[bytes], how: signal.Signals) -> None:
    process.send_signal(how)
    process.wait(10)
    assert process.stdout is not None
    process.stdout.close()


def wait_active(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == b"active", line


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_killing_the_dispatcher_mid_batch_loses_nothing_and_sends_nothing_twice(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(database_url=url, env="test", secret_key=SECRET, postgres_pool_size=2)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    try:
        # Step: 30 citizens with a verified phone each; their dossiers are received.
        officer = procedure_staff(app, Role.OFFICER)
        for number in range(CITIZENS):
            citizen = Principal(f"vneid:0793{number:08d}", Role.CITIZEN)
            enrol(app, citizen, f"09{number:08d}")
            app.handle(officer, ReceiveDossier(case=submit(app, citizen).case_id))
        read_side.catch_up()
        rows = read_side.database.query(f"SELECT notification_id, kind FROM {OUTBOX}")
        expected = {row["notification_id"] for row in rows if row["kind"] == "case_status"}
        assert len(expected) == CITIZENS

        with gateway_server(Gateway(delay=0.03)) as (gateway_url, gateway):
            # Step: start the dispatcher and kill it -9 at a random moment, again and again.
            rng = random.Random(14)
            log = tmp_path / "dispatcher.log"
            kills = 0
            while kills < KILLS:
                process = start_dispatcher(settings, gateway_url, log)
                wait_active(process)
                time.sleep(rng.uniform(0.1, 0.5))
                end(process, signal.SIGKILL)
                kills += 1
            # Step: a last dispatcher finishes the work.
            process = start_dispatcher(settings, gateway_url, log)
            wait_active(process)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                states = {row["state"] for row in read_side.database.query(f"SELECT state FROM {OUTBOX}")}
                if states <= {"sent", "cancelled"}:
                    break
                time.sleep(0.1)
            end(process, signal.SIGTERM)

        assert kills == KILLS
        final = read_side.database.query(f"SELECT notification_id, kind, state FROM {OUTBOX}")
        assert {row["notification_id"] for row in final if row["state"] == "sent"} >= expected
        # The one-time codes were verified before they could be sent: cancelled, not sent.
        assert {row["state"] for row in final if row["kind"] == "channel_verification"} == {"cancelled"}
        assert set(gateway.delivered) == expected
        assert set(gateway.deliveries.values()) == {1}
        assert gateway.unauthorised == 0
    finally:
        read_side.close()
        app.close()
