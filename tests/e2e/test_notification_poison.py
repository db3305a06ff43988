"""A notice that kills the dispatcher each time it is sent, on SQLite and
PostgreSQL, with real dispatcher processes (forked by the zygote of
``tests/e2e/test_notification_crash.py``) and the HTTP gateway on loopback:
the gateway SIGKILLs the active dispatcher whenever that one notice arrives.
It is dead after ``IHANOI_NOTIFY_MAX_ATTEMPTS`` (3 here) arrivals and not sent
again; every other notice is delivered once, on its first attempt, however
often it shared a batch with it."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ihanoi_projections.notifications.notices import ATTEMPTS, OUTBOX
from tests.e2e.test_notification_crash import Zygote, crash_store, dossiers_received, end, settled
from tests.notification_servers import Gateway, gateway_server

CITIZENS = 8
FINAL = frozenset({"sent", "cancelled", "dead"})  # a poison ends dead
MAX_ATTEMPTS = 3


@dataclass
class PoisonedGateway(Gateway):
    """The gateway, but the arrival of the notice ``poison`` SIGKILLs the
    dispatcher that sent it (the active one, as the zygote last told) and
    starts the next standby; ``arrivals`` counts them."""

    poison: str = ""
    zygote: Zygote | None = None
    active: int = 0
    arrivals: int = 0

    def app(self) -> Starlette:
        app = super().app()
        app.add_middleware(KillOnPoison, gateway=self)
        return app

    def kill_sender(self) -> None:
        assert self.zygote is not None
        self.arrivals += 1
        # The sender is the latest dispatcher to become active (wait for its word if need be).
        while not self.zygote.activated.empty() or not alive(self.active):
            self.active = self.zygote.activated.get(timeout=10)
        end(self.active, signal.SIGKILL)
        self.zygote.fork()  # the next standby


class KillOnPoison:
    def __init__(self, app: ASGIApp, gateway: PoisonedGateway) -> None:
        self.app, self.gateway = app, gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ()))
        if scope["type"] == "http" and headers.get(b"idempotency-key") == self.gateway.poison.encode():
            self.gateway.kill_sender()
            await JSONResponse({"error": "the sender is gone"}, status_code=503)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_notice_that_kills_the_dispatcher_is_dead_after_the_last_attempt_and_the_others_go_once(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with crash_store(store, tmp_path, request) as (settings, app, read_side):
        # Step: citizens with a verified phone each; their dossiers are received.
        notices = dossiers_received(app, read_side, CITIZENS, "0794")
        poison, others = notices[0], set(notices[1:])

        # Step: dispatchers deliver them; the poison's arrival kills the one that sent it, each time.
        gateway = PoisonedGateway(poison=poison)
        with gateway_server(gateway) as (gateway_url, _):
            extra = {"IHANOI_NOTIFY_MAX_ATTEMPTS": str(MAX_ATTEMPTS)}
            gateway.zygote = zygote = Zygote(settings, gateway_url, tmp_path / "dispatcher.log", extra)
            try:
                zygote.fork()
                zygote.fork()  # the standby
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not settled(read_side.database, FINAL):
                    time.sleep(0.1)
            finally:
                zygote.close()

        # Step: the poison arrived MAX_ATTEMPTS times and is dead; the others went once each, first time.
        assert gateway.arrivals == MAX_ATTEMPTS
        (dead,) = read_side.database.query(f"SELECT * FROM {OUTBOX} WHERE state = 'dead'")
        assert (dead["notification_id"], dead["attempts"]) == (poison, MAX_ATTEMPTS)
        assert dead["last_error"] == f"the dispatcher died while sending it, on its last attempt ({MAX_ATTEMPTS})"
        assert set(gateway.delivered) == others
        assert set(gateway.deliveries.values()) == {1}
        tried = read_side.database.query(
            f"SELECT notification_id, attempt, outcome FROM {ATTEMPTS} ORDER BY notification_id, started_at"
        )
        assert {(row["attempt"], row["outcome"]) for row in tried if row["notification_id"] in others} == {(1, "sent")}
        # Each death with the poison in hand is an attempt on record, then the dead letter.
        crashes = [(attempt, "crashed") for attempt in range(1, MAX_ATTEMPTS + 1)]
        assert [(row["attempt"], row["outcome"]) for row in tried if row["notification_id"] == poison] == [
            *crashes,
            (MAX_ATTEMPTS, "dead"),
        ]
