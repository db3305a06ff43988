"""A zygote of notification dispatchers for the kill -9 test: it imports
everything once, single-threaded, then forks a fresh dispatcher process for
each ``fork`` line on stdin, in milliseconds instead of the seconds a new
interpreter takes — so twenty kills fit in seconds. Each child is a real
process running the real worker (``run_dispatcher``: its own store
connections, lock and senders, settings from ``IHANOI_*``), killed with a
real SIGKILL. On the file descriptor given as the argument: ``forked PID``
for each fork, ``active PID`` when a child becomes the active dispatcher
(one ``write`` a line, so lines never mix; stdout is the dispatchers' log).
Children are reaped automatically."""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable

# What a dispatcher loads when it starts: its read side, its senders (httpx
# imports httpcore with the first client) and its templates, and the holidays
# of the working calendar (every country's module): 2/3 of a child's CPU when
# each child imported them again.
import holidays.countries  # noqa: F401
import httpcore  # noqa: F401

import ihanoi_core.notifications.chat
import ihanoi_core.notifications.gateway
import ihanoi_core.notifications.templates  # noqa: F401
import ihanoi_projections.read_side  # noqa: F401
from ihanoi_core.notifications.channels import outbound_tls
from ihanoi_core.settings import Settings
from ihanoi_projections.notifications import dispatcher


def child(settings: Settings, say: Callable[[str], None]) -> None:
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        dispatcher.run_dispatcher(settings, stopping, on_active=lambda: say(f"active {os.getpid()}"))
    except BaseException:
        # A dispatcher that dies of an error says why in the test's log (stderr),
        # instead of vanishing as if it had stopped.
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def main() -> None:
    reports = int(sys.argv[1])

    def say(line: str) -> None:
        os.write(reports, f"{line}\n".encode())  # a pipe writes up to 4 KiB at once

    settings = Settings.from_env(dotenv=None)
    outbound_tls()  # the senders' TLS context, read once for every child
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # reap the children
    for line in sys.stdin:
        if line.strip() != "fork":
            continue
        pid = os.fork()
        if pid == 0:
            child(settings, say)
        say(f"forked {pid}")


if __name__ == "__main__":
    main()
