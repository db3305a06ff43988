"""A wrong ``IHANOI_DATABASE_URL`` fails fast and says where, as an operator sees it.

Each test runs ``ihanoi`` as a real process with only the environment variables
it sets, and asserts what a person at a terminal would check: a non-zero exit
within a few seconds, exactly one line on stderr naming the host, port and
database (never the password) or the SQLite path, and no traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ihanoi_core.eventstore.probe import CONNECT_TIMEOUT
from tests.e2e.conftest import free_port

# A process start (imports) takes one to three seconds on an idle machine and far more on a busy one, so
# "fails fast" is measured against the same command refused at once for its URL's scheme, in the same run:
# at most twice that and two seconds more (a retry loop would take thirty).
UNKNOWN_SCHEME = "mysql://root@localhost/cases"

STORE_COMMANDS = [
    ("serve", "--port", "0"),
    ("demo", "--days", "1"),
    ("projections", "status"),
    ("projections", "run", "case_status"),
    ("audit", "verify"),
]


def ihanoi(tmp_path: Path, database_url: str, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``ihanoi ARGS`` with ``IHANOI_DATABASE_URL`` and nothing else of ours set."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")}
    env.update(IHANOI_DATABASE_URL=database_url, IHANOI_ENV="development")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", *args],
        env=env,
        cwd=tmp_path,  # no .env file here
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, time.monotonic() - started


def assert_one_clear_line(done: subprocess.CompletedProcess[str], elapsed: float, *names: str) -> str:
    assert done.returncode == 1, done
    with tempfile.TemporaryDirectory() as empty:
        refused, start_up = ihanoi(Path(empty), UNKNOWN_SCHEME, *done.args[3:])  # after "python -m ihanoi_server.cli"
    assert refused.returncode == 1, refused
    assert elapsed < 2 * start_up + 2.0, f"took {elapsed:.1f} s; refusing the URL's scheme took {start_up:.1f} s"
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", STORE_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_that_opens_the_store_names_a_refusing_postgres_server_in_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    # Step: nothing listens on the port.
    port = free_port()
    url = f"postgresql://ihanoi:s3cret-pw@127.0.0.1:{port}/cases"

    # Step: every command that opens the store says so at once, without the password.
    done, elapsed = ihanoi(tmp_path, url, *command)
    line = assert_one_clear_line(done, elapsed, f"127.0.0.1:{port}", "'cases'", "'ihanoi'", "refused")
    assert "s3cret-pw" not in done.stderr + done.stdout
    assert line.startswith("error: ")


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_named(tmp_path: Path) -> None:
    done, elapsed = ihanoi(tmp_path, "postgres://postgres@127.0.0.1:5432/no_such_ihanoi_db", "projections", "status")
    assert_one_clear_line(done, elapsed, "127.0.0.1:5432", "no_such_ihanoi_db", "does not exist")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a firewall or a hung host."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def test_a_server_that_never_answers_fails_after_the_connect_timeout_not_thirty_seconds(
    tmp_path: Path, silent_server: int
) -> None:
    done, elapsed = ihanoi(tmp_path, f"postgresql://postgres@127.0.0.1:{silent_server}/cases", "serve")
    assert elapsed >= CONNECT_TIMEOUT
    assert_one_clear_line(done, elapsed - CONNECT_TIMEOUT, f"127.0.0.1:{silent_server}", f"{CONNECT_TIMEOUT} s")


def test_a_host_that_does_not_resolve_is_named(tmp_path: Path) -> None:
    done, elapsed = ihanoi(tmp_path, "postgresql://postgres@no-such-host.invalid/cases", "projections", "status")
    assert_one_clear_line(done, elapsed, "no-such-host.invalid:5432", "'cases'")


def test_a_sqlite_file_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "ihanoi.db"
    done, elapsed = ihanoi(tmp_path, f"sqlite:///{path}", "demo", "--days", "1")
    assert_one_clear_line(done, elapsed, str(path), "does not exist")
    assert not path.parent.exists()


def test_a_directory_given_as_the_sqlite_file_is_named(tmp_path: Path) -> None:
    done, elapsed = ihanoi(tmp_path, f"sqlite:///{tmp_path}", "serve")
    assert_one_clear_line(done, elapsed, str(tmp_path), "directory, not a file")


def test_a_sqlite_file_under_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("not a directory")
    path = tmp_path / "plain.txt" / "ihanoi.db"
    done, elapsed = ihanoi(tmp_path, f"sqlite:///{path}", "projections", "status")
    assert_one_clear_line(done, elapsed, str(path), "not a directory")


def test_a_file_that_is_not_a_sqlite_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 100)
    done, elapsed = ihanoi(tmp_path, f"sqlite:///{path}", "audit", "verify")
    assert_one_clear_line(done, elapsed, str(path), "not an SQLite database")


def test_a_url_of_an_unknown_scheme_lists_the_accepted_ones(tmp_path: Path) -> None:
    done, elapsed = ihanoi(tmp_path, "mysql://root@localhost/cases", "projections", "status")
    assert_one_clear_line(done, elapsed, "'mysql'", "sqlite:", "postgresql:", "postgres:", "memory:")


def test_the_token_command_does_not_need_the_store(tmp_path: Path) -> None:
    done, _ = ihanoi(
        tmp_path, f"postgresql://postgres@127.0.0.1:{free_port()}/cases", "token", "--role", "citizen", "--sub", "x"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(".") == 2  # a JWT alone


@pytest.mark.postgres
def test_a_postgres_scheme_url_opens_the_same_postgresql_store(tmp_path: Path, postgres_url: str) -> None:
    url = "postgres://" + postgres_url.removeprefix("postgresql://")
    done, _ = ihanoi(tmp_path, url, "projections", "status", "--json")
    assert done.returncode == 0, done.stderr
    assert '"name":"case_status"' in done.stdout
