"""``ihanoi audit history|show|verify|checkpoint|keygen|export|replay``.

Thin: each command parses, calls the application's queries
(``ihanoi_projections.queries``, for history and show), ``ihanoi_core.audit``
or the read side's ``audit_chain``/``replay`` modules, and renders. Reads run as an auditor unless
``--as SUBJECT --role ROLE [--agency X]`` says otherwise. Exit codes: 0 ok,
1 a problem was found (tampering, a read model that differs, a case not
visible), 2 usage (bad arguments, missing key or checkpoint file).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ihanoi_core.audit import export_events, export_line, parse_moment
from ihanoi_core.audit.history import AUDITOR, entries_as_rows, plain
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.settings import Settings
from ihanoi_server.cli.audit_chain import run_checkpoint, run_keygen, run_verify
from ihanoi_server.cli.output import (
    OK,
    PROBLEM,
    cell,
    literal_table,
    open_app,
    progress_bar,
    say,
    usage_error,
    write_json,
)

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ihanoi_core.application import Ihanoi
    from ihanoi_projections.engine.replay import ReplayReport


def add_commands(commands: Any) -> None:
    group = commands.add_parser("audit", help="history, time travel, tamper evidence, export, replay")
    sub = group.add_subparsers(title="audit commands", metavar="ACTION")

    history = sub.add_parser("history", help="every event of a case with time, actor and changes")
    history.add_argument("case", metavar="CASE", help="case id or code (PA-…, KN-…, TC-…, HS-…, KS-…)")
    _reader_options(history)
    history.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    history.set_defaults(handler=run_history)

    show = sub.add_parser("show", help="a case exactly as it stood at a time or version")
    show.add_argument("case", metavar="CASE")
    when = show.add_mutually_exclusive_group(required=True)
    when.add_argument("--as-of", metavar="TIME", help="ISO 8601 time; without an offset, Hanoi time")
    when.add_argument("--version", type=int, metavar="N", help="the case's version N (1 = as filed)")
    _reader_options(show)
    show.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    show.set_defaults(handler=run_show)

    verify = sub.add_parser("verify", help="recompute the hash chain from the stored events (exit 1 if tampered)")
    verify.add_argument("--checkpoint", type=Path, metavar="FILE", help="also check this signed checkpoint")
    verify.add_argument(
        "--public-key", metavar="BASE64", help="the trusted public key (default: that of IHANOI_AUDIT_KEY)"
    )
    verify.add_argument("--json", action="store_true", help="one JSON object instead of text")
    verify.set_defaults(handler=run_verify)

    checkpoint = sub.add_parser("checkpoint", help="chain up to the head and print a signed checkpoint")
    checkpoint.add_argument("--output", type=Path, metavar="FILE", help="write it here instead of stdout")
    checkpoint.set_defaults(handler=run_checkpoint)

    keygen = sub.add_parser("keygen", help="print a new IHANOI_AUDIT_KEY and its public key")
    keygen.add_argument("--json", action="store_true")
    keygen.set_defaults(handler=run_keygen)

    export = sub.add_parser("export", help="the log as JSON lines, redacted as for an auditor")
    export.add_argument("--since", metavar="POS|TIME", help="after log position POS, or from ISO time TIME")
    export.add_argument("--case", metavar="CASE", help="only this case's events")
    export.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_export)

    replay = sub.add_parser("replay", help="rebuild every read model from a copy of the log and diff (exit 1)")
    replay.add_argument("names", nargs="*", metavar="NAME", help="read models to compare (default: all)")
    replay.add_argument("--scratch-dir", type=Path, metavar="DIR", help="where to put the scratch store")
    replay.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    replay.set_defaults(handler=run_replay)


def _reader_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="subject", metavar="SUBJECT", help="read as this subject (default: an auditor)")
    parser.add_argument("--role", choices=[r.value for r in Role if r is not Role.SYSTEM], help="the reader's role")
    parser.add_argument("--agency", metavar="CODE", help="the reader's agency (officers and leaders)")


def _reader(args: argparse.Namespace) -> Principal:
    if args.subject is None and args.role is None and args.agency is None:
        return AUDITOR
    if args.subject is None or args.role is None:
        raise ValueError("--as and --role go together (and --agency for officers and leaders)")
    return Principal(args.subject, Role(args.role), args.agency)


# -- history and show ----------------------------------------------------------------


def run_history(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: the read side is needed only by the commands that query it.
    from ihanoi_projections.queries import Queries

    reader = _reader(args)
    with open_app(settings) as app:
        history = Queries(app).case_history(reader, args.case)
        rows = entries_as_rows(history.entries, app.timezone)
    if args.json:
        for row in rows:
            write_json(row)
        return OK
    literal_table(
        f"{history.code} ({history.kind}) — history as seen by {reader.subject} ({reader.role.value})",
        ("v", "time (Asia/Ho_Chi_Minh)", "actor", "event", "changes"),
        [
            (
                row["version"],
                row["time"][:19].replace("T", " "),
                _actor_text(row["actor"]),
                row["event"],
                "\n".join(f"{name}: {cell(value)}" for name, value in row["changes"].items()),
            )
            for row in rows
        ],
    )
    return OK


def _actor_text(actor: dict[str, Any] | None) -> str:
    if actor is None:
        return ""
    where = f", {actor['agency']}" if actor.get("agency") else ""
    return f"{actor['subject'] or '(redacted)'} ({actor['role']}{where})"


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_projections.queries import Queries

    reader = _reader(args)
    with open_app(settings) as app:
        as_of = _moment(args.as_of, app, "--as-of") if args.as_of is not None else None
        found = Queries(app).case_state(reader, args.case, version=args.version, as_of=as_of)
        state = plain(found.state, app.timezone)
        recorded_at = found.recorded_at.isoformat()
    if args.json:
        # The same fields as GET /api/v1/audit/{id}?version=N (docs/http-api.md).
        write_json({"case_id": str(found.case_id), "version": found.version, "recorded_at": recorded_at, "case": state})
        return OK
    literal_table(
        f"{state.get('code')} at version {found.version}, recorded {recorded_at}",
        ("field", "value"),
        [(name, cell(value)) for name, value in state.items()],
    )
    return OK


# -- export and replay ---------------------------------------------------------------


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    try:
        output = args.output.open("wb") if args.output is not None else nullcontext(sys.stdout.buffer)
    except OSError as error:
        return usage_error(f"cannot write {args.output}: {error.strerror}")
    with output as out, open_app(settings) as app:
        since_position, since_time = _since(args.since, app)
        total = max(0, app.head_position() - since_position)
        # Progress goes to stderr: stdout carries the exported lines.
        with progress_bar("exporting", total) as bar:
            task = bar.add_task("exporting the log", total=total)
            records = export_events(
                app,
                since_position=since_position,
                since_time=since_time,
                case=args.case,
                progress=lambda done: bar.advance(task, done),
            )
            for record in records:
                out.write(export_line(record))
            out.flush()
    return OK


def _since(text: str | None, app: Ihanoi) -> tuple[int, datetime | None]:
    if text is None:
        return 0, None
    if text.strip().isascii() and text.strip().isdigit():
        return int(text), None
    return 0, _moment(text, app, "--since", "a log position or ")


def _moment(text: str, app: Ihanoi, option: str, alternative: str = "") -> datetime:
    """``parse_moment`` for a command-line option: a bad value is a usage
    error (exit 2), not a problem found in the store."""
    try:
        return parse_moment(text, app.timezone)
    except ValidationError:
        raise ValueError(
            f"{option} {text!r} is not {alternative}an ISO 8601 time (e.g. 2026-12-01T09:30 or 2026-12-01)"
        ) from None


class _ReplayBar:
    """Shows each phase of ``replay_and_diff`` as its own progress bar."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def phase(self, description: str, total: int) -> None:
        self.task = self.bar.add_task(description, total=total)

    def advance(self, done: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, done)


def run_replay(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_projections.engine.replay import replay_and_diff
    from ihanoi_projections.read_side import unknown

    if missing := unknown(args.names):
        return usage_error(f"unknown read model(s): {', '.join(missing)}")
    if args.scratch_dir is not None and not args.scratch_dir.is_dir():
        return usage_error(f"--scratch-dir {args.scratch_dir} is not a directory")
    with open_app(settings) as app, progress_bar("replaying", 0) as bar:
        report = replay_and_diff(
            app, settings, names=args.names or None, scratch_dir=args.scratch_dir, progress=_ReplayBar(bar)
        )
    if args.json:
        write_json(_replay_json(report))
    else:
        _print_replay(report)
    return OK if report.ok else PROBLEM


def _replay_json(report: ReplayReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "head": report.head,
        "events": report.events,
        "seconds": round(report.seconds, 3),
        "models": [{**plain(asdict(model)), "same": model.same} for model in report.models],
    }


def _print_replay(report: ReplayReport) -> None:
    literal_table(
        f"Read models rebuilt from {report.events} events (head {report.head}) vs live",
        ("read model", "live rows", "rebuilt rows", "changed", "only live", "only rebuilt", "result"),
        [
            (
                model.name,
                model.live_rows,
                model.replayed_rows,
                model.changed,
                model.only_live,
                model.only_replayed,
                "same" if model.same else "DIFFERENT",
            )
            for model in report.models
        ],
    )
    for model in report.models:
        for change in model.changes:
            where = ", ".join(f"{name}={value}" for name, value in change.identity.items())
            for column, (live, rebuilt) in change.columns.items():
                say(f"{model.name} [{where}] {column}: live {live!r}, rebuilt {rebuilt!r}")
        for row in model.sample_live:
            say(f"{model.name}: only live: {cell(plain(row))}")
        for row in model.sample_replayed:
            say(f"{model.name}: only rebuilt: {cell(plain(row))}")
    if report.ok:
        say("SAME: every read model is exactly what the log rebuilds.", "green")
    else:
        say("DIFFERENT: some read models hold rows the log does not explain.", "red")
