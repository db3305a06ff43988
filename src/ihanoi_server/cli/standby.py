"""Running a standby worker from the command line (``ihanoi deadlines run``,
``ihanoi notifications run``): JSON logs, a clean stop on SIGTERM or SIGINT,
Prometheus metrics on a loopback port when asked, and ``active`` printed once
the worker holds its lock (a second one waits as a hot standby)."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, PROBLEM, print_error, stop_on_signals
from ihanoi_server.logging import configure_logging

log = structlog.get_logger("ihanoi.workers")


class Worker(Protocol):
    def __call__(
        self,
        settings: Settings,
        stopping: threading.Event,
        *,
        on_active: Callable[[], None] | None = ...,
        registry: Any = ...,
    ) -> None: ...


def run_standby_worker(args: argparse.Namespace, settings: Settings, worker: Worker, active_event: str) -> int:
    """Run ``worker`` until a signal stops it; logs ``active_event`` when it
    becomes the active one. A ``ValueError`` of its settings, or its lock lost
    with its PostgreSQL session (for the supervisor to start it again), is one
    line, exit 1."""
    configure_logging(settings.log_level)
    stopping = stop_on_signals()
    registry = None
    if args.metrics_port is not None:
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry()
        start_http_server(args.metrics_port, addr="127.0.0.1", registry=registry)

    def on_active() -> None:
        log.info(active_event)
        print("active", flush=True)

    from ihanoi_projections.engine.runner import WorkerLockLostError

    try:
        worker(settings, stopping, on_active=on_active, registry=registry)
    except (ValueError, WorkerLockLostError) as error:
        print_error(str(error))
        return PROBLEM
    return OK
