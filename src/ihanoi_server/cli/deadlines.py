"""``ihanoi deadlines run|simulate|status``: the deadline watcher (issue #16, docs/deadlines.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, USAGE, add_action, add_group, json_flag, print_error, print_json_lines, table
from ihanoi_server.cli.standby import run_standby_worker

if TYPE_CHECKING:
    from ihanoi_projections.deadlines.watcher import Watcher

log = structlog.get_logger("ihanoi.deadlines")


def add_commands(commands: Any) -> None:
    sub = add_group(
        commands, "deadlines", "the deadline watcher: reminders, missed deadlines, escalation", "deadline commands"
    )

    run = add_action(
        sub, "run", "fire thresholds as they pass until SIGTERM (hot standby if a watcher runs)", run_worker
    )
    run.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port")

    simulate = add_action(sub, "simulate", "print what would fire by a time, without firing it", run_simulate)
    simulate.add_argument(
        "--until", required=True, help="an ISO time, e.g. 2026-12-08T14:00+07:00 (local without an offset)"
    )
    json_flag(simulate)

    status = add_action(sub, "status", "the running clocks, soonest next threshold first", show_status)
    status.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    json_flag(status)


@contextmanager
def _watcher(settings: Settings) -> Iterator[Watcher]:
    """A watcher over clocks brought up to the end of the log (applied here
    unless another process holds the read model's lock)."""
    # Here, not at module level: the application and read side only once a command runs.
    from ihanoi_core.application import Ihanoi
    from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
    from ihanoi_projections.deadlines.watcher import Watcher
    from ihanoi_projections.read_side import ReadSide

    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=store_kind(settings) != "memory")
    try:
        read_side.catch_up() if store_kind(settings) == "memory" else read_side.wait(app.head_position(), 60.0)
        model = read_side.model(DeadlineClocksModel)
        refresh: Callable[[int], object] = lambda position: read_side.wait(position, 10.0)  # noqa: E731
        yield Watcher(app, model, refresh, batch_size=settings.deadline_batch_size)
    finally:
        read_side.close()
        app.close()


def run_simulate(args: argparse.Namespace, settings: Settings) -> int:
    try:
        until = datetime.fromisoformat(args.until)
    except ValueError:
        print_error(f"--until: {args.until!r} is not an ISO time (e.g. 2026-12-08T14:00+07:00)")
        return USAGE
    with _watcher(settings) as watcher:
        zone = watcher.app.calendar.zone
        if until.tzinfo is None:
            until = until.replace(tzinfo=zone)
        planned = watcher.simulate(until)
    rows = [
        {
            "at": due.at.astimezone(zone).isoformat(),
            "threshold": due.threshold,
            "code": due.code,
            "case_id": str(due.case_id),
            "agency": due.agency,
            "assignee": due.assignee,
        }
        for due in planned
    ]
    if args.json:
        print_json_lines(rows)
    else:
        columns = ("at", "threshold", "code", "agency", "assignee")
        table(f"Would fire by {until.isoformat()} (nothing fired)", columns, [[r[c] for c in columns] for r in rows])
    return OK


def show_status(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_projections.engine.base import from_micros

    with _watcher(settings) as watcher:
        zone = watcher.app.calendar.zone
        found = watcher.clocks.all()[: args.limit]

    def local(value: int | None) -> str | None:
        moment = from_micros(value)
        return moment.astimezone(zone).isoformat() if moment is not None else None

    rows = [
        {
            "code": row["code"],
            "track": row["track"],
            "agency": row["agency"],
            "assignee": row["assignee"],
            "due_at": local(row["due_at"]),
            "next_threshold": row["next_threshold"],
            "next_at": local(row["next_at"]),
            "missed": bool(row["missed"]),
            "escalated_to": row["escalated_to"],
        }
        for row in found
    ]
    if args.json:
        print_json_lines(rows)
    else:
        columns = (
            "code",
            "track",
            "agency",
            "assignee",
            "due_at",
            "next_threshold",
            "next_at",
            "missed",
            "escalated_to",
        )
        table("Running clocks", columns, [[r[c] for c in columns] for r in rows])
    return OK


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_projections.deadlines.watcher import run_watcher

    return run_standby_worker(args, settings, run_watcher, "deadline_watcher_active")
