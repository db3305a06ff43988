"""The real server, started as its own process on a free port.

``live_server`` runs ``ihanoi serve`` under uvicorn against a fresh SQLite file
or a fresh PostgreSQL schema and yields a ``LiveServer`` with its base URL and
a way to mint tokens with the server's key. Tests talk to it over real HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ihanoi_core.domain.values import Principal, Role
from ihanoi_server.auth import issue_token

SECRET = "e2e-test-secret-key-that-is-long-enough-for-hs256"


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def token(self, role: Role, subject: str, agency: str | None = None, ttl: int = 3600) -> str:
        return issue_token(SECRET, Principal(subject, role, agency), ttl)

    def client(
        self, role: Role | None = None, subject: str = "vneid:001099012345", agency: str | None = None
    ) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(role, subject, agency)}"} if role else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, log_path: Path, extra_env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    env = {
        **os.environ,
        "IHANOI_DATABASE_URL": database_url,
        "IHANOI_ENV": "test",
        "IHANOI_SECRET_KEY": SECRET,
        "IHANOI_OPEN311_API_KEYS": "partner-key-1",
        "IHANOI_LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    with open(log_path, "wb") as log_file:  # the child keeps its own handle
        process = subprocess.Popen(
            [sys.executable, "-m", "ihanoi_server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
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
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ihanoi.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    server = start_server(url, tmp_path / "server.log")
    yield server
    stop_server(server)
