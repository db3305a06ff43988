"""``ihanoi notifications status|dead-letters|retry|run|vapid-keys``."""

from __future__ import annotations

import argparse
from typing import Any

import structlog

from ihanoi_core.settings import Settings
from ihanoi_projections.database import open_view_database
from ihanoi_projections.notifications import admin
from ihanoi_projections.notifications.dispatcher import run_dispatcher
from ihanoi_server.cli.output import OK, PROBLEM, print_json_lines, say, table
from ihanoi_server.cli.standby import run_standby_worker

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
    return run_standby_worker(args, settings, run_dispatcher, "dispatcher_active")
