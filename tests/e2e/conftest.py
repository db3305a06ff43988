"""The real server, started as its own process on a free port, and the
dashboard scenario some tests seed its store with.

``live_server`` runs ``ihanoi serve`` under uvicorn against a fresh SQLite file
or a fresh PostgreSQL schema and yields a ``LiveServer`` with its base URL and
a way to mint tokens with the server's key. Tests talk to it over real HTTP.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    RateReport,
    ResolveReport,
    StartReport,
    SubmitReport,
)
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.settings import Settings
from ihanoi_server.auth.tokens import issue_token
from tests.conftest import LOOPBACK_TLS, FakeClock

SECRET = "e2e-test-secret-key-that-is-long-enough-for-hs256"


class ServerProcess:
    """A server forked by the zygote (``tests/e2e/server_zygote.py``), handled
    like the ``subprocess.Popen`` of ``python -m ihanoi_server.cli serve``:
    its exit code comes from the zygote, its parent."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self._zygote = zygote
        self.pid = pid

    @property
    def returncode(self) -> int | None:
        return self._zygote.exit_code(self.pid)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        return self._zygote.wait(self.pid, timeout)

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:  # else the pid may be another process's by now
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """This test process's zygote of servers, started on the first ``fork``:
    it has imported the server once and forks a fresh server process per
    request (``python -m ihanoi_server.cli`` would import it again, ~1.5 s of
    CPU each time). A thread reads its ``forked``/``exited`` lines."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._process: subprocess.Popen[bytes] | None = None
        self._forked: queue.Queue[int] = queue.Queue()
        self._exited: dict[int, int] = {}
        self._gone = False
        self._reader: threading.Thread | None = None

    def fork(self, argv: list[str], env: dict[str, str], log_path: Path) -> ServerProcess:
        request = {"argv": argv, "env": env, "cwd": os.getcwd(), "log": str(log_path)}
        with self._lock:
            process = self._start()
            assert process.stdin is not None
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            return ServerProcess(self, self._forked.get(timeout=30))

    def exit_code(self, pid: int) -> int | None:
        with self._changed:
            if pid not in self._exited and self._gone and not Path(f"/proc/{pid}").exists():
                return -signal.SIGKILL  # the zygote's end killed it
            return self._exited.get(pid)

    def wait(self, pid: int, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while (code := self.exit_code(pid)) is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(f"server {pid}", timeout or 0)
                self._changed.wait(0.1 if left is None else min(left, 0.1))
            return code

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                assert self._process.stdin is not None
                self._process.stdin.close()
                self._process.wait(10)
            if self._reader is not None:
                self._reader.join(10)  # it closes the zygote's stdout

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.server_zygote"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            self._reader = threading.Thread(target=self._read, args=(self._process,), daemon=True)
            self._reader.start()
            atexit.register(self.close)
        return self._process

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                what, pid, *code = line.decode().split()
                if what == "forked":
                    self._forked.put(int(pid))
                else:
                    with self._changed:
                        self._exited[int(pid)] = int(code[0])
                        self._changed.notify_all()
        with self._changed:
            self._gone = True
            self._changed.notify_all()


ZYGOTE = Zygote()


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    process: ServerProcess
    log_path: Path

    def token(self, role: Role, subject: str, agency: str | None = None, ttl: int = 3600) -> str:
        return issue_token(SECRET, Principal(subject, role, agency), ttl)

    def client(
        self, role: Role | None = None, subject: str = "vneid:001099012345", agency: str | None = None
    ) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(role, subject, agency)}"} if role else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10, verify=LOOPBACK_TLS)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds the listening TCP socket of ``port`` (Linux ``/proc``)."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    sockets = set()
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            sockets.add(target[len("socket:[") : -1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port and inode in sockets:  # 0A: LISTEN
                return True
    return False


def start_server(
    database_url: str, log_path: Path, extra_env: dict[str, str] | None = None, port: int | None = None
) -> LiveServer:
    """``ihanoi serve`` on ``port`` (by default a free one), once it answers.

    A free port is only free when it is picked: another test's server may take
    it first. Only an answer from a port this very process listens on counts
    (else the test would talk to the other server's store), and a server that
    could not bind its picked port is started again on another."""
    for _ in range(3):
        server = _start_server(database_url, log_path, extra_env, port or free_port())
        if server is not None:
            return server
        if port is not None:
            break
    raise RuntimeError(f"server could not listen:\n{log_path.read_text(errors='replace')}")


def _start_server(database_url: str, log_path: Path, extra_env: dict[str, str] | None, port: int) -> LiveServer | None:
    env = {
        **os.environ,
        "IHANOI_DATABASE_URL": database_url,
        "IHANOI_ENV": "test",
        "IHANOI_SECRET_KEY": SECRET,
        "IHANOI_OPEN311_API_KEYS": "partner-key-1",
        "IHANOI_LOG_LEVEL": "INFO",
        # Photos in the test's own directory (on PostgreSQL the default would be ./ihanoi-media).
        "IHANOI_MEDIA_DIR": str(log_path.parent / "media"),
        # The events' pool opens all of its connections at start: at the default 8 a
        # server held 15 sessions idle, and four test workers' servers and apps came
        # within a few of PostgreSQL's 100 (89 sampled; "too many clients" seen once).
        "IHANOI_POSTGRES_POOL_SIZE": "4",
        **(extra_env or {}),
    }
    log_path.write_bytes(b"")
    process = ZYGOTE.fork(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log_path)
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if "address already in use" in server.log():
                return None
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            answered = httpx.get(f"{server.base_url}/healthz", timeout=1, verify=LOOPBACK_TLS).status_code == 200
        except httpx.TransportError:
            answered = False
        # Then whose answer it was (reading /proc/net/tcp at every poll took 2 % of the suite's CPU).
        if answered and listens_on(process.pid, port):
            return server
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


@pytest.fixture(params=["sqlite", "postgres"])
def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A server of the test's own, on a fresh store."""
    yield from serve_store(request, tmp_path, "postgres_url")


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server on SQLite for a module whose subject does not depend on the
    store (the OpenAPI document, the API explorer, Open311's wire format)."""
    folder = tmp_path_factory.mktemp("sqlite-server")
    server = start_server(f"sqlite:///{folder / 'ihanoi.db'}", folder / "server.log")
    yield server
    stop_server(server)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the tests of a module that neither stop it nor need an
    empty store (each follows data of its own)."""
    yield from serve_store(request, tmp_path_factory.mktemp("server"), "module_postgres_url")


def serve_store(request: pytest.FixtureRequest, folder: Path, postgres_fixture: str) -> Iterator[LiveServer]:
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'ihanoi.db'}"
    else:
        url = request.getfixturevalue(postgres_fixture)
    server = start_server(url, folder / "server.log")
    yield server
    stop_server(server)


# -- the dashboard scenario ---------------------------------------------------------------------
# The server runs on the real clock and no route takes a "now", so a case
# overdue *in real time* must have been received long enough ago. Before the
# server starts, ``seed_last_weeks_cases`` writes four reports into its store
# through the embedded library — the ``Ihanoi`` application with its ``clock``
# set to a working day D at least eight days ago, exactly as ``ihanoi demo``
# writes simulated weeks:
#
#     A  normal  received D 09:00, acknowledged 09:30, resolved 11:00, rated 4   on time, 2 working hours
#     D  urgent  received D 09:00, acknowledged 09:00 (due 14:00),
#                resolved D+1 15:00                                          late, 13 working hours
#     B  urgent  received D 09:00, acknowledged 10:00 (due 15:00)            overdue since D 15:00
#     C  normal  received D 09:00, never acknowledged (due D+1 09:00)        overdue since D+1 09:00
#
# (D and D+1 are working days; offices are open 08:00-12:00 and 13:00-17:00.)
# test_dashboard_api and test_dashboard_page read them back.

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CITIZEN = "vneid:001099012345"
OFFICER = "officer-hk"
WARD = "HOAN_KIEM"


@dataclass(frozen=True)
class Seeded:
    """What ``seed_last_weeks_cases`` wrote (see the scenario above)."""

    agency: str
    day: date
    on_time: UUID
    late: UUID
    overdue_urgent: UUID
    unacknowledged: UUID
    codes: dict[UUID, str]
    position: int


def working_day_with_next(app: Ihanoi, today: date) -> date:
    """The latest working day D, at least 8 days before ``today``, whose next day also is one."""
    day = today - timedelta(days=8)
    while not (app.calendar.is_working_day(day) and app.calendar.is_working_day(day + timedelta(days=1))):
        day -= timedelta(days=1)
    return day


def seed_last_weeks_cases(database_url: str) -> Seeded:
    """Write reports A, B, C and D of the scenario above into the store at ``database_url``."""
    clock = FakeClock(datetime.now(UTC))
    app = Ihanoi(Settings(database_url=database_url, env="test", postgres_pool_size=2), clock=clock)
    try:
        day = working_day_with_next(app, datetime.now(HANOI).date())

        def at(hour: int, minute: int = 0, next_day: bool = False) -> None:
            clock.set(datetime.combine(day + timedelta(days=int(next_day)), time_of_day(hour, minute), tzinfo=HANOI))

        agency = app.directory.route("pothole", WARD).code
        citizen = Principal(CITIZEN, Role.CITIZEN)
        officer = Principal(OFFICER, Role.OFFICER, agency)

        def file(priority: Priority) -> UUID:
            return app.handle(
                citizen,
                SubmitReport(
                    category="pothole",
                    description="Ổ gà sâu trước số 12 Hàng Bài",
                    location=LocationIn(ward=WARD),
                    priority=priority,
                ),
            ).case_id

        def take_on(case_id: UUID) -> None:
            app.handle(officer, AcknowledgeReport(case=case_id))
            app.handle(officer, AssignReport(case=case_id, assignee=OFFICER))
            app.handle(officer, StartReport(case=case_id))

        # Step: four reports arrive at 09:00 on day D.
        at(9)
        on_time, late = file(Priority.NORMAL), file(Priority.URGENT)
        overdue_urgent, unacknowledged = file(Priority.URGENT), file(Priority.NORMAL)
        # Step: the officer takes the urgent one at once, the normal one at 09:30,
        # and acknowledges the second urgent one at 10:00 but does nothing more.
        take_on(late)
        at(9, 30)
        take_on(on_time)
        at(10)
        app.handle(officer, AcknowledgeReport(case=overdue_urgent))
        # Step: the normal one is resolved at 11:00 and rated 4; the urgent one the next afternoon.
        at(11)
        app.handle(officer, ResolveReport(case=on_time, answer="Đã vá ổ gà."))
        at(11, 30)
        app.handle(citizen, RateReport(case=on_time, stars=4))
        at(15, next_day=True)
        # Late: resolving it needs a late explanation (giải trình, issue #16).
        last = app.handle(officer, ResolveReport(case=late, answer="Đã xử lý.", late_explanation="Chờ vật tư."))
        codes = {case: app.get_case(officer, case)["code"] for case in (on_time, late, overdue_urgent, unacknowledged)}
        return Seeded(agency, day, on_time, late, overdue_urgent, unacknowledged, codes, last.position)
    finally:
        app.close()
