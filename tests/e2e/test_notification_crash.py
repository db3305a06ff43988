"""Kill -9 of the dispatcher mid-batch, 20 times (as issue #14 asks), on
SQLite and PostgreSQL: every notice is delivered, none twice to the
idempotent gateway, none lost. Claims are committed before sending and
leases run out (1 s here), so a killed dispatcher's notices are claimed
again and re-sent with the same idempotency key; the gateway delivers each
key once.

Each kill lands mid-batch: the dispatcher is killed just after the gateway
sees its first call, while the rest of its claimed batch is unsent (checked:
rows are left ``sending``). Twenty kills fit in seconds because dispatchers
are forked from a zygote that has imported everything
(``tests/e2e/dispatcher_zygote.py``), and the next one is forked while the
current one works: it waits as the hot standby on the dispatcher lock and
takes over when the lock's holder dies."""

from __future__ import annotations

import contextlib
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, VerifyChannel
from ihanoi_core.commands.service_requests import ReceiveDossier
from ihanoi_core.domain.contactability import contactability_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.codes import code_for
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.notifications.notices import OUTBOX
from ihanoi_projections.read_side import ReadSide
from tests.dossiers import procedure_staff, submit
from tests.e2e.conftest import SECRET
from tests.notification_servers import GATEWAY_TOKEN, Gateway, gateway_server

CITIZENS = 30
KILLS = 20


def enrol(app: Ihanoi, citizen: Principal, phone: str) -> None:
    app.change_notification_settings(citizen, AddChannel(channel="sms", address=phone))
    stream = contactability_id(citizen.subject, app.personal_keys.subject_key_id(citizen.subject))
    contact = app.contact(stream)
    assert contact is not None
    code = code_for(app.code_key, stream, "sms", contact.pending["sms"].challenge)
    app.change_notification_settings(citizen, VerifyChannel(channel="sms", code=code))
    app.give_consent(citizen, "notifications", notice_version="2026-01")


class Zygote:
    """Forks dispatchers on request (``tests/e2e/dispatcher_zygote.py``) and
    tells which became active, in order (the standby that takes over is
    whichever first finds the lock free)."""

    def __init__(
        self, settings: Settings, gateway_url: str, log: Path, extra_env: dict[str, str] | None = None
    ) -> None:
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
            **(extra_env or {}),
        }
        # The zygote and its dispatchers report on a pipe of their own. On stdout, with
        # PYTHONUNBUFFERED set, a log line is two writes (text, newline), and another
        # dispatcher's "active PID" landed between them: the test never saw that activation
        # and failed waiting for it (three times in full runs on PostgreSQL).
        reports, writer = os.pipe()
        self.log = log
        try:
            with open(log, "ab") as output:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "tests.e2e.dispatcher_zygote", str(writer)],
                    env=env, stdin=subprocess.PIPE, stdout=output, stderr=output, pass_fds=(writer,),
                )  # fmt: skip
        except BaseException:
            os.close(reports)
            raise
        finally:
            os.close(writer)
        self.forked: queue.Queue[int] = queue.Queue()
        self.activated: queue.Queue[int] = queue.Queue()
        self.children: list[int] = []
        self.reader = threading.Thread(target=self._read, args=(reports,), daemon=True)
        self.reader.start()

    def _read(self, reports: int) -> None:
        queues = {"forked": self.forked, "active": self.activated}
        with open(reports, "rb") as lines:
            for line in lines:
                what, _, pid = line.decode().strip().partition(" ")
                queues[what].put(int(pid))

    def fork(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(b"fork\n")
        self.process.stdin.flush()
        pid = self.forked.get(timeout=30)
        self.children.append(pid)
        return pid

    def next_active(self) -> int:
        """The next dispatcher to become active."""
        try:
            return self.activated.get(timeout=30)
        except queue.Empty:
            said = "\n".join(self.log.read_text(errors="replace").splitlines()[-60:])
            raise AssertionError(
                f"no dispatcher became active within 30 s; the last lines they logged:\n{said}"
            ) from None

    def close(self) -> None:
        """Kill every dispatcher still alive, then the zygote."""
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)
        self.reader.join(10)  # it closes its end of the pipe once every writer has gone


def end(pid: int, how: signal.Signals) -> None:
    """Signal a dispatcher and wait until it is gone (the zygote reaps it)."""
    os.kill(pid, how)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)
    raise AssertionError(f"dispatcher {pid} did not end")


@contextlib.contextmanager
def crash_store(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Settings, Ihanoi, ReadSide]]:
    """The store of a crash test (a SQLite file or this test's PostgreSQL database, small pools), its
    application and its read side driven by hand; both closed afterwards."""
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(database_url=url, env="test", secret_key=SECRET, postgres_pool_size=2)
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    try:
        yield settings, app, read_side
    finally:
        read_side.close()
        app.close()


def kill_mid_batch(zygote: Zygote, calls: Callable[[], int], database: ViewDatabase, kills: int, seed: int) -> int:
    """Kill -9 the active dispatcher ``kills`` times, each just after the
    receiving server saw the first call of its batch (``calls`` counts them;
    at once when nothing is left to send), a standby taking over each time;
    then let the last one finish until no notice is pending or sending.
    Returns how many kills left claimed notices unsent."""
    rng = random.Random(seed)
    mid_batch = 0
    zygote.fork()
    for _ in range(kills):
        zygote.fork()  # the standby that will take over
        process = zygote.next_active()
        before = calls()
        # Nothing left to send: no call can come (waiting would only run out the 10 s).
        deadline = time.monotonic() + (0 if settled(database) else 10)
        while calls() == before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.04))
        end(process, signal.SIGKILL)
        sending = database.query(f"SELECT COUNT(*) AS n FROM {OUTBOX} WHERE state = 'sending'")
        mid_batch += sending[0]["n"] > 0
    # Step: the last standby finishes the work.
    process = zygote.next_active()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not settled(database):
        time.sleep(0.1)
    end(process, signal.SIGTERM)
    return mid_batch


def settled(database: ViewDatabase, final: frozenset[str] = frozenset({"sent", "cancelled"})) -> bool:
    """Whether every notice of the outbox is in one of the ``final`` states."""
    return {row["state"] for row in database.query(f"SELECT state FROM {OUTBOX}")} <= final


def dossiers_received(app: Ihanoi, read_side: ReadSide, citizens: int, series: str) -> list[str]:
    """``citizens`` citizens (ids ``vneid:<series>…``) with a verified phone each,
    their dossiers received: the ids of the status notices due, in log order."""
    officer = procedure_staff(app, Role.OFFICER)
    for number in range(citizens):
        citizen = Principal(f"vneid:{series}{number:08d}", Role.CITIZEN)
        enrol(app, citizen, f"09{number:08d}")
        app.handle(officer, ReceiveDossier(case=submit(app, citizen).case_id))
    read_side.catch_up()
    rows = read_side.database.query(f"SELECT notification_id, kind FROM {OUTBOX} ORDER BY position")
    return [row["notification_id"] for row in rows if row["kind"] == "case_status"]


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_killing_the_dispatcher_mid_batch_loses_nothing_and_sends_nothing_twice(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with crash_store(store, tmp_path, request) as (settings, app, read_side):
        # Step: 30 citizens with a verified phone each; their dossiers are received.
        expected = set(dossiers_received(app, read_side, CITIZENS, "0793"))
        assert len(expected) == CITIZENS

        with gateway_server(Gateway(delay=0.05)) as (gateway_url, gateway):
            # Step: kill -9 the active dispatcher mid-batch, twenty times; a standby takes over each time.
            zygote = Zygote(settings, gateway_url, tmp_path / "dispatcher.log")
            try:
                mid_batch = kill_mid_batch(zygote, lambda: gateway.calls, read_side.database, KILLS, seed=14)
            finally:
                zygote.close()

        assert mid_batch == KILLS  # each kill left claimed notices unsent
        final = read_side.database.query(f"SELECT notification_id, kind, state FROM {OUTBOX}")
        assert {row["notification_id"] for row in final if row["state"] == "sent"} >= expected
        # The one-time codes were verified before they could be sent: cancelled, not sent.
        assert {row["state"] for row in final if row["kind"] == "channel_verification"} == {"cancelled"}
        assert set(gateway.delivered) == expected
        assert set(gateway.deliveries.values()) == {1}
        assert gateway.unauthorised == 0
