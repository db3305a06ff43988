"""``ihanoi notifications status|dead-letters|retry|run|vapid-keys``."""

from __future__ import annotations

import argparse
from typing import Any

import structlog

from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import ViewDatabase, open_view_database
from ihanoi_server.cli.output import OK, PROBLEM, add_action, add_group, json_flag, print_json_lines, say, table
from ihanoi_server.cli.standby import run_standby_worker

log = structlog.get_logger("ihanoi.notifications")


def add_commands(commands: Any) -> None:
    sub = add_group(
        commands, "notifications", "the notification outbox: status, dead letters, retry, run", "notification commands"
    )
    status = add_action(sub, "status", "notices per channel and state, and the oldest one waiting", show_status)
    json_flag(status)

    dead = add_action(sub, "dead-letters", "notices that will not be tried again, newest first", show_dead_letters)
    dead.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    json_flag(dead)

    retry = add_action(sub, "retry", "queue dead notices again (all, or the ids given)", run_retry)
    retry.add_argument("ids", nargs="*", metavar="ID", help="notification ids (default: every dead one)")

    run = add_action(sub, "run", "deliver notices until SIGTERM (hot standby if a dispatcher runs)", run_worker)
    run.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus counters on this port")

    vapid_help = "print a new VAPID key pair for Web Push (private, then public)"
    add_action(sub, "vapid-keys", vapid_help, make_vapid_keys, json="one JSON object instead of two lines")


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


def open_outbox(settings: Settings) -> ViewDatabase:
    """The view database, with the outbox's tables (``admin.ensure_outbox``)."""
    from ihanoi_projections.notifications.admin import ensure_outbox

    database = open_view_database(settings)
    try:
        ensure_outbox(database)
    except BaseException:
        database.close()
        raise
    return database


def show_status(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: the outbox's package loads the application (~1 s).
    from ihanoi_projections.notifications import admin

    database = open_outbox(settings)
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
    from ihanoi_projections.notifications import admin

    database = open_outbox(settings)
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
    from ihanoi_projections.notifications import admin

    database = open_outbox(settings)
    try:
        count = admin.retry(database, list(args.ids) or None)
    finally:
        database.close()
    say(f"{count} notice{'s' if count != 1 else ''} queued again")
    return OK


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: the dispatcher (psycopg, the channels) only for the worker.
    from ihanoi_projections.notifications.dispatcher import run_dispatcher

    return run_standby_worker(args, settings, run_dispatcher, "dispatcher_active")
