"""A zygote of ``ihanoi serve`` processes for the e2e tests: it imports the
server once, single-threaded, then forks a fresh server process for each
request on stdin, in milliseconds instead of the ~1.5 s of CPU a new
interpreter spends importing it (the suite starts some 150 servers).

Each child is a real process running the real command line
(``ihanoi_server.cli.main``: ``serve --host … --port …``) with the
environment, working directory and log file of its request (stdout and
stderr both go to the log, stdin is ``/dev/null``), and it leaves like an
interpreter does: its exit code, ``atexit`` handlers and finalisers.

stdin: one JSON request a line, ``{"argv": [...], "env": {...}, "cwd": ...,
"log": ...}``. stdout: ``forked PID`` for each request, ``exited PID CODE``
when a child ends (CODE as ``subprocess.Popen.returncode``: negative for a
signal). At the end of stdin the children left are killed."""

from __future__ import annotations

import json
import os
import select
import signal
import sys
from typing import Any

# What `ihanoi serve` loads, imported before any fork (a PostgreSQL store's
# modules too: the factory topic imports them on an application's start).
import anyio._backends._asyncio  # noqa: F401  (the first request run in a thread imports it)
import holidays.countries  # noqa: F401  (the lifespan loads this year's holidays: every country's module)
import psycopg  # noqa: F401
import uvicorn
import uvicorn.lifespan.on
import uvicorn.loops.auto
import uvicorn.protocols.http.auto
import uvicorn.protocols.websockets.auto  # noqa: F401

import ihanoi_core.eventstore.postgres  # noqa: F401
import ihanoi_server.app  # noqa: F401
from ihanoi_server.cli.main import main as ihanoi


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve(request: dict[str, Any]) -> int:
    """In the child: become ``python -m ihanoi_server.cli ARGV`` as the request says."""
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = [sys.argv[0], *request["argv"]]
    return ihanoi(request["argv"])


def reap(children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        say(f"exited {pid} {os.waitstatus_to_exitcode(status)}")


def main() -> None:
    children: set[int] = set()
    pending = b""
    while True:
        readable, _, _ = select.select([0], [], [], 0.05)
        reap(children)
        if not readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                # The child leaves through the interpreter's own exit, as `python -m` would.
                raise SystemExit(serve(request))
            children.add(pid)
            say(f"forked {pid}")
    for pid in children:
        os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
