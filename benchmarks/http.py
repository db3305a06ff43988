"""HTTP figures with a load generator (wrk) on loopback, beside the ceiling of
the same server answering its cheapest route (/healthz) in the same run.

- read: ``GET /api/v1/reports/{code}`` as the reporting citizen, 32 connections;
- create: ``POST /api/v1/reports``, 32 connections;
- SSE: ``/api/v1/me/stream`` delivery latency, from sending a command to
  receiving its change on the citizen's stream (an upper bound on
  commit → delivery, since it includes the command itself).

The server is the real one (``ihanoi serve``, one uvicorn process) on a fresh
SQLite store, then the same read and create on a fresh PostgreSQL database.
Everything targets 127.0.0.1, is bounded in time and stops by itself.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.common import Figure, WalHighWater, postgres_database, print_figures
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_core.settings import Settings
from ihanoi_server.auth.tokens import issue_token

SECRET = "benchmark-secret-key-benchmark-secret-key"
CONNECTIONS = 32
DURATION = os.environ.get("IHANOI_BENCH_HTTP_DURATION", "8s")
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
SSE_SAMPLES = 200

CREATE_LUA = """
wrk.method = "POST"
wrk.body = '{"category":"pothole","description":"Ổ gà trước số 12 Hàng Bài","location":{"ward":"HOAN_KIEM"}}'
wrk.headers["Content-Type"] = "application/json"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk(
    url: str, token: str | None, script: Path | None = None, headers: tuple[str, ...] = ()
) -> tuple[float, float, float]:
    """requests/s, p50 ms, p99 ms."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    for header in headers:
        command[1:1] = ["-H", header]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses\n{output}")
    return rate, percentile(output, "50%"), percentile(output, "99%")


def percentile(output: str, label: str) -> float:
    value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def start_server(database_url: str, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IHANOI_DATABASE_URL": database_url,
        "IHANOI_ENV": "test",
        "IHANOI_SECRET_KEY": SECRET,
        "IHANOI_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "ihanoi_server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def wait_ready(base: str, seconds: float = 300) -> None:
    """Until ``/readyz`` says the server's read models have caught up with the
    log (a seeded store's events): measured before then, every figure would
    share the processor with the catch-up."""
    deadline = time.monotonic() + seconds
    while httpx.get(f"{base}/readyz", timeout=10).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the read models did not catch up in {seconds:.0f} s")
        time.sleep(0.2)


def sse_latencies(base: str, citizen_token: str, officer_token: str, case_ids: list[str]) -> list[float]:
    """Milliseconds from sending a command to receiving its change on the stream."""
    received: dict[str, float] = {}
    ready = threading.Event()
    stop = threading.Event()

    def listen() -> None:
        headers = {"Authorization": f"Bearer {citizen_token}", "Accept": "text/event-stream"}
        with (
            httpx.Client(timeout=None) as client,
            client.stream("GET", f"{base}/api/v1/me/stream", headers=headers) as stream,
        ):
            ready.set()
            for line in stream.iter_lines():
                if line.startswith("data:") and '"Commented"' in line:
                    note = re.search(r'"public_note":"(sse-\d+)"', line)
                    if note:
                        received[note.group(1)] = time.perf_counter()
                if stop.is_set():
                    return

    threading.Thread(target=listen, daemon=True).start()
    ready.wait(10)
    time.sleep(0.3)
    sent: dict[str, float] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {officer_token}"}) as officer:
        for n in range(SSE_SAMPLES):
            note = f"sse-{n}"
            sent[note] = time.perf_counter()
            officer.post(
                f"/api/v1/reports/{case_ids[n % len(case_ids)]}/comment", json={"note": note}
            ).raise_for_status()
            time.sleep(0.01)
    deadline = time.monotonic() + 10
    while len(received) < SSE_SAMPLES and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    return [(received[n] - sent[n]) * 1000 for n in sent if n in received]


def seed(settings: Settings) -> tuple[list[CommandResult], Principal]:
    """Fifty acknowledged and assigned reports to read, and their officer."""
    app = Ihanoi(settings)
    try:
        agency = app.directory.route("pothole", "HOAN_KIEM").code
        officer = Principal("officer-bench", Role.OFFICER, agency)
        cases = []
        for n in range(50):
            filed = app.handle(
                CITIZEN, SubmitReport(category="pothole", description=f"Ổ gà {n}", location=LocationIn("HOAN_KIEM"))
            )
            app.handle(officer, AcknowledgeReport(case=filed.case_id))
            app.handle(officer, AssignReport(case=filed.case_id, assignee="officer-bench"))
            cases.append(filed)
        return cases, officer
    finally:
        app.close()


def run() -> list[Figure]:
    if shutil.which("wrk") is None:
        print("\n## HTTP\n(skipped: wrk is not installed; `make bench` installs it)")
        return []
    return run_sqlite() + run_postgres()


def run_sqlite() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="ihanoi-http-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    cases, officer = seed(Settings(database_url=url, env="test", secret_key=SECRET))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port)
    citizen_token = issue_token(SECRET, CITIZEN)
    officer_token = issue_token(SECRET, officer)
    script = folder / "create.lua"
    script.write_text(CREATE_LUA, encoding="utf-8")
    try:
        with WalHighWater(folder / "bench.db", folder / "bench.views.db") as wal:
            ceiling, ceiling_p50, ceiling_p99 = wrk(f"{base}/healthz", None)
            read, read_p50, read_p99 = wrk(f"{base}/api/v1/reports/{cases[0].code}", citizen_token)
            create, create_p50, create_p99 = wrk(f"{base}/api/v1/reports", citizen_token, script)
            latencies = sse_latencies(base, citizen_token, officer_token, [str(c.case_id) for c in cases])
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
    figures = [
        Figure(f"HTTP read req/s ({CONNECTIONS} conns)", read, "req/s", "GET /healthz req/s", ceiling, 2000),
        Figure("HTTP read p50 ms", read_p50, "ms", "GET /healthz p50 ms", ceiling_p50),
        Figure("HTTP read p99 ms", read_p99, "ms", "GET /healthz p99 ms", ceiling_p99, most=30),
        Figure(f"HTTP create req/s ({CONNECTIONS} conns)", create, "req/s", "GET /healthz req/s", ceiling, 600),
        Figure("HTTP create p50 ms", create_p50, "ms", "GET /healthz p50 ms", ceiling_p50),
        Figure("HTTP create p99 ms", create_p99, "ms", "GET /healthz p99 ms", ceiling_p99, most=80),
        wal.figure("HTTP server (event store, views)"),
    ]
    if latencies:
        latencies.sort()
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        figures.append(Figure(f"SSE command→event p99 ms (n={len(latencies)})", p99, "ms", "its p50 ms", p50, most=150))
    print_figures("HTTP (one uvicorn process, SQLite)", figures)
    return figures


def run_postgres() -> list[Figure]:
    """The same server on PostgreSQL, the production store (no targets: the
    SQLite figures carry them)."""
    folder = Path(tempfile.mkdtemp(prefix="ihanoi-http-bench-"))
    script = folder / "create.lua"
    script.write_text(CREATE_LUA, encoding="utf-8")
    try:
        with postgres_database() as url:
            cases, _ = seed(Settings(database_url=url, env="test", secret_key=SECRET))
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(url, port)
            citizen_token = issue_token(SECRET, CITIZEN)
            try:
                ceiling, ceiling_p50, ceiling_p99 = wrk(f"{base}/healthz", None)
                read, read_p50, read_p99 = wrk(f"{base}/api/v1/reports/{cases[0].code}", citizen_token)
                create, create_p50, create_p99 = wrk(f"{base}/api/v1/reports", citizen_token, script)
            finally:
                server.terminate()
                server.wait(20)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    figures = [
        Figure(f"HTTP read req/s ({CONNECTIONS} conns)", read, "req/s", "GET /healthz req/s", ceiling),
        Figure("HTTP read p50 ms", read_p50, "ms", "GET /healthz p50 ms", ceiling_p50),
        Figure("HTTP read p99 ms", read_p99, "ms", "GET /healthz p99 ms", ceiling_p99),
        Figure(f"HTTP create req/s ({CONNECTIONS} conns)", create, "req/s", "GET /healthz req/s", ceiling),
        Figure("HTTP create p50 ms", create_p50, "ms", "GET /healthz p50 ms", ceiling_p50),
        Figure("HTTP create p99 ms", create_p99, "ms", "GET /healthz p99 ms", ceiling_p99),
    ]
    print_figures("HTTP (one uvicorn process, PostgreSQL)", figures)
    return figures
