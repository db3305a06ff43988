"""``ihanoi audit verify|checkpoint|keygen``: tamper evidence.

``verify`` recomputes the hash chain from the stored events (and checks a
signed checkpoint against it); ``checkpoint`` chains the log up to its head and
records and prints a checkpoint signed with ``IHANOI_AUDIT_KEY``; ``keygen`` makes such a
key. Exit codes as for every ``ihanoi audit`` command (see ``cli_audit``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from ihanoi_core.audit import (
    AuditKeyError,
    Checkpoint,
    CheckpointFormatError,
    VerifyReport,
    generate_key,
    load_signing_key,
    public_key_of,
)
from ihanoi_core.audit.checkpoint import load_public_key
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, PROBLEM, literal_table, open_app, progress_bar, say, usage_error, write_json


def _trusted_key(args: argparse.Namespace, settings: Settings) -> str | None:
    """The public key checkpoints are checked against: ``--public-key``, or
    that of ``IHANOI_AUDIT_KEY``. Raises ``AuditKeyError`` if it is malformed."""
    if args.public_key:
        load_public_key(args.public_key)
        return str(args.public_key).strip()
    if settings.audit_key:
        return public_key_of(load_signing_key(settings.audit_key))
    return None


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    checkpoint: Checkpoint | None = None
    try:
        trusted = _trusted_key(args, settings)
        if args.checkpoint is not None:
            checkpoint = Checkpoint.from_json(args.checkpoint.read_bytes())
            if trusted is None:
                raise AuditKeyError(
                    "No trusted public key to check the checkpoint against: pass --public-key "
                    "(the key the city published) or set IHANOI_AUDIT_KEY."
                )
    except OSError as error:
        return usage_error(f"cannot read the checkpoint: {error}")
    except (AuditKeyError, CheckpointFormatError) as error:
        return usage_error(error.detail)
    # Here, not at module level: the chain's read model (the application, psycopg) only when a command runs.
    from ihanoi_projections.audit_chain import verify_store
    from ihanoi_projections.engine.database import open_view_database

    with open_app(settings) as app:
        database = open_view_database(settings)
        try:
            total = app.head_position()
            with progress_bar("verifying", total) as bar:
                task = bar.add_task("verifying the hash chain", total=total)
                report = verify_store(
                    app,
                    database,
                    checkpoint=checkpoint,
                    trusted_public_key=trusted,
                    jurisdiction=settings.jurisdiction,
                    progress=lambda done: bar.advance(task, done),
                )
        finally:
            database.close()
    if args.json:
        write_json(_verify_json(report, checkpoint))
    else:
        _print_verify(report, checkpoint, trusted)
    return OK if report.ok else PROBLEM


def _verify_json(report: VerifyReport, checkpoint: Checkpoint | None) -> dict[str, Any]:
    signed = report.signed_position
    return {
        "ok": report.ok,
        "first_problem": asdict(report.first_problem) if report.first_problem else None,
        "problems": [asdict(problem) for problem in report.problems],
        "more_problems": report.more_problems,
        "checked": report.checked,
        "chain_head": report.chain_head,
        "log_head": report.log_head,
        "not_yet_chained": report.unchained,
        "checkpoint_position": checkpoint.position if checkpoint else None,
        "events": report.events,
        "signed_checkpoint": (
            {"position": signed, "created_at": report.signed_created_at} if signed is not None else None
        ),
        "not_covered_by_signature": report.unsigned,
        "seconds": round(report.seconds, 3),
    }


def _print_verify(report: VerifyReport, checkpoint: Checkpoint | None, trusted: str | None) -> None:
    rate = report.checked / report.seconds if report.seconds > 0 else 0.0
    say(
        f"Checked {report.checked} chained positions up to {report.chain_head} "
        f"(log head {report.log_head}) in {report.seconds:.2f} s ({rate:,.0f} events/s)."
    )
    if report.unchained:
        say(f"{report.unchained} events after the chain head are not yet chained (not checked).")
        if report.chain_head == 0:
            say("The chain has not run here yet: `ihanoi audit checkpoint` (or a running server) chains the log.")
    if checkpoint is not None and report.ok:
        say(f"The signed checkpoint at position {checkpoint.position} ({checkpoint.created_at}) matches the log.")
    say(_coverage(report, trusted))
    if report.ok:
        say("INTACT: the stored log is exactly what was chained.", "green")
        return
    first = report.first_problem
    assert first is not None
    say(f"TAMPERED: first problem at position {first.position} ({first.kind}): {first.detail}", "red")
    literal_table(
        "Problems",
        ("position", "kind", "detail"),
        [(problem.position, problem.kind, problem.detail) for problem in report.problems],
    )
    if report.more_problems:
        say(f"… and {report.more_problems} more.")


def _coverage(report: VerifyReport, trusted: str | None) -> str:
    """How many stored events no signed checkpoint covers: the window in
    which an event forged at the end of the log would be chained unnoticed."""
    uncovered = f"{report.unsigned} of {report.events} stored events"
    if report.signed_position is not None:
        after = (
            "1 stored event after it is" if report.unsigned == 1 else f"{report.unsigned} stored events after it are"
        )
        return (
            f"Signed: the newest checkpoint signed with the trusted key is at position {report.signed_position} "
            f"({report.signed_created_at}) and matches the log; {after} not covered by any signature."
        )
    if trusted is None:
        return (
            f"Not signed: {uncovered} are not covered by any signature (no trusted key to check checkpoints "
            "with: pass --public-key or set IHANOI_AUDIT_KEY)."
        )
    return (
        f"Not signed: {uncovered} are not covered by any signature (no checkpoint signed with the trusted key "
        "matches the log; sign one with `ihanoi audit checkpoint` or `ihanoi projections run audit_chain "
        "--checkpoint-every N`)."
    )


def run_checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    try:
        key = load_signing_key(settings.audit_key)
    except AuditKeyError as error:
        return usage_error(error.detail)
    if args.output is not None and not args.output.parent.is_dir():
        return usage_error(f"cannot write {args.output}: {args.output.parent} is not a directory")
    from ihanoi_projections.audit_chain import make_checkpoint
    from ihanoi_projections.engine.database import open_view_database

    with open_app(settings) as app:
        database = open_view_database(settings)
        try:
            total = max(0, app.head_position() - database.position("audit_chain"))
            with progress_bar("chaining", total) as bar:
                task = bar.add_task("bringing the chain up to the head", total=total)
                checkpoint = make_checkpoint(
                    app,
                    database,
                    key,
                    jurisdiction=settings.jurisdiction,
                    progress=lambda done: bar.advance(task, done),
                )
        finally:
            database.close()
    if args.output is not None:
        try:
            args.output.write_bytes(checkpoint.to_json())
        except OSError as error:
            return usage_error(
                f"the checkpoint at position {checkpoint.position} was signed and recorded "
                f"but cannot be written to {args.output}: {error.strerror}"
            )
    else:
        sys.stdout.buffer.write(checkpoint.to_json())
        sys.stdout.flush()
    return OK


def run_keygen(args: argparse.Namespace, settings: Settings) -> int:
    private, public = generate_key()
    if args.json:
        write_json({"audit_key": private, "public_key": public})
    else:
        print(f"IHANOI_AUDIT_KEY={private}")
        print(f"public key: {public}")
        print("Keep IHANOI_AUDIT_KEY secret; publish the public key with every checkpoint.", file=sys.stderr)
    return OK
