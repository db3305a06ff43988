"""Browser sessions: what reading with the session cookie costs beside reading
with a bearer token, on the same server in the same run (``docs/sessions.md``).

A bearer request is verified once and then found in the token cache; a
cookie-authenticated one verifies the cookie's HS256 signature every time and
reads one row of ``spent_credentials`` (was the session logged out?). Both read
``GET /api/v1/reports/{code}`` as the reporting citizen with wrk, 32
connections, on one uvicorn process and a fresh SQLite store.
"""

from __future__ import annotations

import shutil
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

from benchmarks.common import Figure, print_figures
from benchmarks.http import CITIZEN, CONNECTIONS, SECRET, free_port, start_server, wrk
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.settings import Settings
from ihanoi_server.auth.tokens import issue_token

ROUNDS = 3


def run() -> list[Figure]:
    if shutil.which("wrk") is None:
        print("\n## Sessions\n(skipped: wrk is not installed; `make bench` installs it)")
        return []
    folder = Path(tempfile.mkdtemp(prefix="ihanoi-session-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    app = Ihanoi(Settings(database_url=url, env="test", secret_key=SECRET))
    filed = app.handle(CITIZEN, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM")))
    app.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port)
    token = issue_token(SECRET, CITIZEN)
    try:
        answer = httpx.post(f"{base}/api/v1/session", headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        cookie = SimpleCookie(answer.headers["set-cookie"])
        name, morsel = next(iter(cookie.items()))
        read = f"{base}/api/v1/reports/{filed.code}"
        cookie_header = (f"Cookie: {name}={morsel.value}",)
        # Alternating rounds, the best of each: on a shared machine the load
        # changes between two runs more than the cookie costs.
        bearer_runs, session_runs = [], []
        for _ in range(ROUNDS):
            bearer_runs.append(wrk(read, token))
            session_runs.append(wrk(read, None, headers=cookie_header))
        bearer, bearer_p50, bearer_p99 = max(bearer_runs)
        session, session_p50, session_p99 = max(session_runs)
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
    figures = [
        Figure(
            f"HTTP read req/s, session cookie ({CONNECTIONS} conns)",
            session,
            "req/s",
            "same read, bearer token req/s",
            bearer,
        ),
        Figure("HTTP read p50 / p99 ms, session cookie", session_p50, "ms p50", "p99 ms", session_p99),
        Figure("HTTP read p50 / p99 ms, bearer token", bearer_p50, "ms p50", "p99 ms", bearer_p99),
    ]
    print_figures("Browser sessions (one uvicorn process, SQLite)", figures)
    return figures


if __name__ == "__main__":
    run()
