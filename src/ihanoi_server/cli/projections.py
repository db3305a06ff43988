"""``ihanoi projections status|check|rebuild|run``."""

from __future__ import annotations

import argparse
from typing import Any

import structlog

from ihanoi_core.audit import AuditKeyError, load_signing_key
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import (
    OK,
    PROBLEM,
    USAGE,
    add_action,
    add_group,
    print_error,
    print_json_lines,
    progress_bar,
    stop_on_signals,
    table,
    usage_error,
)
from ihanoi_server.logging import configure_logging

log = structlog.get_logger("ihanoi.projections")


def add_commands(commands: Any) -> None:
    sub = add_group(commands, "projections", "read models: status, rebuild, run workers", "projection commands")
    add_action(sub, "status", "position and lag of every projection", show_status, json="JSON lines instead of a table")
    check_help = "compare every read model with the log; name the first difference"
    add_action(sub, "check", check_help, run_check, json="JSON lines instead of text")

    rebuild = add_action(sub, "rebuild", "rebuild read models from zero", run_rebuild)
    rebuild.add_argument(
        "names", nargs="*", metavar="NAME", help="projections to rebuild (default: all but the audit chain)"
    )
    rebuild.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="processes sharing the work (default: one per core)"
    )

    run = add_action(sub, "run", "run projection workers until SIGTERM (hot standby if one runs)", run_workers)
    run.add_argument("names", nargs="+", metavar="NAME", help="projections to run in this process")
    run.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="N",
        help="with audit_chain: sign and record a checkpoint with IHANOI_AUDIT_KEY whenever N more events "
        "have been chained",
    )


def show_status(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: the application and the read side only once a command runs.
    from ihanoi_core.application import Ihanoi
    from ihanoi_projections import read_side
    from ihanoi_projections.engine.database import open_view_database

    app = Ihanoi(settings)
    database = open_view_database(settings)
    try:
        rows = read_side.status(app, database)
    finally:
        database.close()
        app.close()
    if args.json:
        print_json_lines(rows)
    else:
        table(
            "Projections",
            ("projection", "position", "head", "lag (events)", "lag (seconds)", "state"),
            [(r.name, r.position, r.head, r.lag_events, f"{r.lag_seconds:.1f}", r.health) for r in rows],
        )
    return OK if all(r.healthy for r in rows) else PROBLEM


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_core.application import Ihanoi
    from ihanoi_projections.engine.check import check_read_models
    from ihanoi_projections.engine.database import open_view_database

    app = Ihanoi(settings)
    database = open_view_database(settings)
    try:
        report = check_read_models(app, database)
    finally:
        database.close()
        app.close()
    if args.json:
        print_json_lines(report.differences or [{"ok": True, "compared": report.compared}])
    elif report.ok:
        print("CONSISTENT: " + ", ".join(f"{name} {count}" for name, count in report.compared.items()))
    else:
        for difference in report.differences:
            print(f"DIFFERENT {difference.projection} ({difference.kind}): {difference.detail}")
    return OK if report.ok else PROBLEM


def run_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_core.application import Ihanoi
    from ihanoi_projections import read_side
    from ihanoi_projections.engine.rebuild import rebuild

    if missing := read_side.unknown(args.names):
        print(f"unknown projection(s): {', '.join(missing)}; known: {', '.join(read_side.READ_MODELS)}")
        return USAGE
    if args.jobs is not None and args.jobs < 1:
        print(f"--jobs must be at least 1, got {args.jobs}")
        return USAGE
    app = Ihanoi(settings)
    try:
        total = app.head_position()
        with progress_bar("rebuilding", total) as bar:
            task = bar.add_task(
                "rebuilding " + (", ".join(args.names) or "all read models but audit_chain"), total=total
            )
            applied = rebuild(app, settings, args.names or None, lambda n: bar.advance(task, n), jobs=args.jobs)
    finally:
        app.close()
    print(f"rebuilt from {applied} events")
    return OK


def run_workers(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_projections import read_side
    from ihanoi_projections.audit_chain import PeriodicCheckpoints
    from ihanoi_projections.engine.runner import WorkerLockLostError

    if missing := read_side.unknown(args.names):
        print(f"unknown projection(s): {', '.join(missing)}; known: {', '.join(read_side.READ_MODELS)}")
        return USAGE
    configure_logging(settings.log_level)
    checkpoints: PeriodicCheckpoints | None = None
    if args.checkpoint_every is not None:
        if "audit_chain" not in args.names:
            return usage_error("--checkpoint-every signs the audit chain: run it with audit_chain")
        if args.checkpoint_every < 1:
            return usage_error(f"--checkpoint-every must be at least 1, got {args.checkpoint_every}")
        try:
            key = load_signing_key(settings.audit_key)
        except AuditKeyError as error:
            return usage_error(error.detail)
        checkpoints = PeriodicCheckpoints(settings, key, args.checkpoint_every)
    stopping = stop_on_signals()

    def on_active() -> None:
        # ``active`` alone on stdout is for supervisors and scripts waiting for it; logs go to stderr.
        log.info("projection_active", projections=list(args.names))
        print("active", flush=True)

    try:
        read_side.run_worker(settings, args.names, stopping, on_active=on_active, on_tick=checkpoints)
    except (ValueError, WorkerLockLostError) as error:
        print_error(str(error))
        return PROBLEM
    finally:
        if checkpoints is not None:
            checkpoints.close()
    return OK
