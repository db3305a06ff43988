"""``ihanoi payments reconcile|expire``: the cashless fees for operators
(docs/payments.md).

``payments reconcile STATEMENT.csv`` matches a bank statement to the payments
recorded (by transfer reference and amount; the ``payments`` read model,
brought up to date first) and lists what is unmatched both ways: statement
lines with no payment recorded as paid, and payments recorded as paid that no
line shows (``--since``/``--until``: the days of the statement, local dates;
by default every payment recorded as paid). Exit code 1 when anything is
unmatched. ``payments expire`` closes every unpaid request whose expiry has
passed, as the system; ``--dry-run`` lists them.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import IhanoiError
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, PROBLEM, open_app, say, write_json

if TYPE_CHECKING:
    from ihanoi_core.application import Ihanoi
    from ihanoi_core.payments.reconcile import RecordedPayment
    from ihanoi_projections.engine.database import Row
    from ihanoi_projections.read_side import ReadSide

CATCH_UP_SECONDS = 60.0
EXPIRY_RUN = Principal("payments:expire", Role.SYSTEM)


def add_commands(commands: Any) -> None:
    payments = commands.add_parser("payments", help="cashless fees: reconcile a bank statement, expire requests")
    actions = payments.add_subparsers(title="payments commands", metavar="ACTION")
    matching = actions.add_parser("reconcile", help="match a bank statement (CSV) to the payments recorded")
    matching.add_argument("statement", type=Path, help="CSV with amount, description (transaction_id, booked_at)")
    matching.add_argument("--since", type=date.fromisoformat, help="first day of the statement (YYYY-MM-DD)")
    matching.add_argument("--until", type=date.fromisoformat, help="last day of the statement (YYYY-MM-DD)")
    matching.add_argument("--json", action="store_true", help="as JSON")
    matching.set_defaults(handler=run_reconcile)
    expiring = actions.add_parser("expire", help="close unpaid requests whose expiry has passed")
    expiring.add_argument("--dry-run", action="store_true", help="only list them")
    expiring.add_argument("--json", action="store_true", help="as JSON")
    expiring.set_defaults(handler=run_expire)


def caught_up(app: Ihanoi, settings: Settings) -> ReadSide:
    """The ``payments`` read model at the log's head: applied here, or by the
    server or worker that holds its lock (this waits for it)."""
    # Here, not at module level: the read side only once a command runs.
    from ihanoi_projections.payments import PaymentsModel
    from ihanoi_projections.read_side import ReadSide

    read_side = ReadSide(app, settings, names=[PaymentsModel.name])
    head = app.head_position()
    if not read_side.wait(head, CATCH_UP_SECONDS):
        read_side.close()
        raise ValueError(f"the payments read model did not reach position {head} in {CATCH_UP_SECONDS} s")
    return read_side


def recorded(row: Row) -> RecordedPayment:
    from ihanoi_core.payments.reconcile import RecordedPayment

    return RecordedPayment(row["code"], row["reference"], int(row["total"]), row["status"], row["agency"])


def run_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: reconciling loads the payment process manager and its handlers.
    from ihanoi_core.payments.reconcile import PAID_STATUSES, read_statement, reconcile
    from ihanoi_projections.engine.base import micros
    from ihanoi_projections.payments import PaymentsModel

    try:
        lines = read_statement(args.statement.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read {args.statement}: {error.strerror}") from None
    with open_app(settings) as app:
        read_side = caught_up(app, settings)
        try:
            model = read_side.model(PaymentsModel)
            zone = app.calendar.zone
            first = datetime.combine(args.since, time(), zone) if args.since else None
            last = datetime.combine(args.until + timedelta(days=1), time(), zone) if args.until else None
            payments = {
                row["reference"]: recorded(row)
                for status in PAID_STATUSES
                for row in model.find(status=status, limit=1_000_000)
                if (first is None or (row["paid_at"] or 0) >= (micros(first) or 0))
                and (last is None or (row["paid_at"] or 0) < (micros(last) or 0))
            }
            references = [line.reference for line in lines if line.reference]
            payments.update((ref, recorded(row)) for ref, row in model.by_reference(references).items())
        finally:
            read_side.close()
    result = reconcile(lines, payments)
    if args.json:
        write_json(
            {
                "matched": [{"line": line.line, "payment": payment.code} for line, payment in result.matched],
                "unmatched_lines": [
                    {"line": line.line, "transaction_id": line.transaction_id, "amount": line.amount, "reason": why}
                    for line, why in result.unmatched_lines
                ],
                "unmatched_payments": [
                    {"payment": payment.code, "reference": payment.reference, "amount": payment.total}
                    for payment in result.unmatched_payments
                ],
            }
        )
    else:
        say(f"{len(result.matched)} matched")
        for line, why in result.unmatched_lines:
            say(f"statement line {line.line} ({line.transaction_id or '-'}, {line.amount} đồng): {why}", "red")
        for payment in result.unmatched_payments:
            say(f"payment {payment.code} ({payment.total} đồng) recorded as paid: not on the statement", "red")
    return OK if result.balanced else PROBLEM


def run_expire(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_core.commands.payments import ExpirePayment
    from ihanoi_projections.queries.payments import PaymentQueries

    with open_app(settings) as app:
        read_side = caught_up(app, settings)
        try:
            due = PaymentQueries(app, read_side).overdue(app.clock())
        finally:
            read_side.close()
        done: list[dict[str, str]] = []
        for row in due:
            if args.dry_run:
                done.append({"payment": row["code"], "status": "would expire"})
                continue
            try:
                result = app.handle(EXPIRY_RUN, ExpirePayment(case=row["payment_id"]))
                done.append({"payment": row["code"], "status": result.status})
            except IhanoiError as error:  # it moved on since the read model saw it
                done.append({"payment": row["code"], "status": f"left: {error.detail}"})
    if args.json:
        write_json(done)
    else:
        for item in done:
            say(f"{item['payment']} {item['status']}")
        say(f"{len(done)} payment request(s) past their expiry")
    return OK
