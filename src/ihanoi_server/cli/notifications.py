"""``ihanoi notifications status|dead-letters|retry|run|vapid-keys``."""

from __future__ import annotations

import argparse
from typing import Any

import structlog

from ihanoi_core.settings import Settings
from ihanoi_projections.database import open_view_database
from ihanoi_projections.notifications import admin
from ihanoi_projections.notifications.dispatcher import run_dispatcher
from ihanoi_server.cli.output import OK, PROBLEM, print_error, print_json_lines, say, stop_on_signals, table
from ihanoi_server.logging import configure_logging

log = structlog.get_logger("ihanoi.notifications")


def add_commands(commands: Any) -> None:
    group = commands.add_parser("notifications", help="the notification outbox: status, dead letters, retry, run")
    sub = group.add_subparsers(title="notification commands", metavar="ACTION")

    status = sub.add_parser("status", help="notices per channel and state, and the oldest one waiting")
    status.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    status.set_defaults(handler=show_status)

    dead = sub.add_parser("dead-letters", help="notices that will not be tried again, newest first")
    dead.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    dead.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    dead.set_defaults(handler=show_dead_letters)

    retry = sub.add_parser("retry", help="queue dead notices again (all, or the ids given)")
    retry.add_argument("ids", nargs="*", metavar="ID", help="notification ids (default: every dead one)")
    retry.set_defaults(handler=run_retry)

    run = sub.add_parser("run", help="deliver notices until SIGTERM (hot standby if a dispatcher runs)")
    run.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus counters on this port")
    run.set_defaults(handler=run_worker)

    vapid = sub.add_parser("vapid-keys", help="print a new VAPID key pair for Web Push (private, then public)")
    vapid.add_argument("--json", action="store_true", help="one JSON object instead of two lines")
    vapid.set_defaults(handler=make_vapid_keys)


def make_vapid_keys(args: argparse.Namespace, settings: Settings) -> int:
    """Two lines on stdout: IHANOI_NOTIFY_VAPID_PRIVATE_KEY=… (keep it secret)
    and the public key browsers pass as ``applicationServerKey``."""
    from ihanoi_core.notifications.webpush import new_vapid_keys

    private, public = new_vapid_keys()
    if args.json:
        print_json_lines([{"private_key": private, "public_key": public}])
    else:
        print(f"IHANOI_NOTIFY_VAPID_PRIVATE_KEY={private}")
        print(f"# applicationServerKey (public): {public}")
    return OK


def show_status(args: argparse.Namespace, settings: Settings) -> int:
    database = open_view_database(settings)
    try:
        rows = admin.outbox_status(database)
    finally:
        database.close()
    if args.json:
        print_json_lines(rows)
    else:
        table(
            "Notifications",
            ("channel", *admin.STATES, "oldest due (s)"),
            [
                (r.channel, r.pending, r.sending, r.sent, r.dead, r.cancelled, f"{r.oldest_due_seconds:.1f}")
                for r in rows
            ],
        )
    return OK


def show_dead_letters(args: argparse.Namespace, settings: Settings) -> int:
    database = open_view_database(settings)
    try:
        rows = admin.dead_letters(database, args.limit)
    finally:
        database.close()
    if args.json:
        print_json_lines(rows)
    else:
        columns = ("notification_id", "channel", "kind", "case_id", "attempts", "last_error")
        table("Dead letters", columns, [tuple(row[c] for c in columns) for row in rows])
    return OK if not rows else PROBLEM


def run_retry(args: argparse.Namespace, settings: Settings) -> int:
    database = open_view_database(settings)
    try:
        count = admin.retry(database, list(args.ids) or None)
    finally:
        database.close()
    say(f"{count} notice{'s' if count != 1 else ''} queued again")
    return OK


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings.log_level)
    stopping = stop_on_signals()
    registry = None
    if args.metrics_port is not None:
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry()
        start_http_server(args.metrics_port, addr="127.0.0.1", registry=registry)

    def on_active() -> None:
        log.info("dispatcher_active")
        print("active", flush=True)

    try:
        run_dispatcher(settings, stopping, registry=registry, on_active=on_active)
    except ValueError as error:
        print_error(str(error))
        return PROBLEM
    return OK
