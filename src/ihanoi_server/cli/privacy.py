"""``ihanoi privacy``: the data protection officer's commands (docs/privacy.md).

- ``erase SUBJECT --reason … --legal-basis …``: record an erasure request for
  SUBJECT (a subject id such as ``vneid:001099012345``, or ``case:CODE`` for
  the caller behind a hotline or partner filing) and decide it at once: the
  subject's data key is destroyed, unless a retention rule holds one of their
  cases, which is then named. Exit code 1 when refused.
- ``export SUBJECT``: every personal datum held about SUBJECT, as one JSON
  document on stdout (``--output FILE`` to write it to a file instead). The
  export *is* personal data: hand it over, then delete it.
- ``rotate-master-key``: wrap every live data key with the current master key
  (the first of ``IHANOI_PII_MASTER_KEY``); afterwards the older keys listed
  after it may be removed.

The actor recorded is ``--by`` (default: the operating-system user) in the
``dpo`` role. Exit codes: 0 ok, 1 refused or failed, 2 usage.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

import orjson

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import (
    OK,
    PROBLEM,
    add_action,
    add_group,
    json_flag,
    literal_table,
    open_app,
    say,
    write_json,
)


def add_commands(commands: Any) -> None:
    actions = add_group(
        commands, "privacy", "erase or export a data subject's personal data; rotate keys", "privacy commands"
    )

    erase = add_action(actions, "erase", "erase a data subject's personal data (crypto-shredding)", run_erase)
    erase.add_argument("subject", metavar="SUBJECT", help="a subject id, or case:CODE for a filing without account")
    erase.add_argument("--reason", required=True, help="why (recorded with the erasure)")
    erase.add_argument("--legal-basis", required=True, help="the legal basis (recorded with the erasure)")
    erase.add_argument("--by", default=None, help="who decides (default: the operating-system user)")
    json_flag(erase, "the outcome as JSON")

    export = add_action(actions, "export", "every personal datum held about a data subject, as JSON", run_export)
    export.add_argument("subject", metavar="SUBJECT", help="a subject id, or case:CODE")
    export.add_argument("--output", type=Path, default=None, help="write the JSON here instead of stdout")
    export.add_argument("--by", default=None, help="who exports (default: the operating-system user)")

    rotate_help = "wrap every data key with the current master key"
    add_action(actions, "rotate-master-key", rotate_help, run_rotate, json="the count as JSON")


def officer(args: argparse.Namespace) -> Principal:
    return Principal(args.by or f"cli:{getpass.getuser()}", Role.DPO)


def run_erase(args: argparse.Namespace, settings: Settings) -> int:
    with open_app(settings) as app:
        outcome = app.erase_subject(officer(args), args.subject, reason=args.reason, legal_basis=args.legal_basis)
    holds = [
        {"rule": hold.rule, "case": hold.case, "kind": hold.kind, "legal_basis": hold.legal_basis}
        for hold in outcome.holds
    ]
    if args.json:
        write_json(
            {
                "request": str(outcome.request_id),
                "status": outcome.status,
                "cases": list(outcome.cases),
                "holds": holds,
                "position": outcome.position,
            }
        )
    elif outcome.status == "erased":
        say(f"ERASED: request {outcome.request_id}; personal data of {len(outcome.cases)} case(s) now reads as erased")
        for code in outcome.cases:
            say(f"  {code}")
    else:
        say(f"REFUSED: request {outcome.request_id}; a retention rule holds the subject's data", style="red")
        literal_table(
            "Retention rules that hold",
            ("rule", "case", "kind", "legal basis"),
            [(h["rule"], h["case"], h["kind"], h["legal_basis"]) for h in holds],
        )
    return OK if outcome.status == "erased" else PROBLEM


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    with open_app(settings) as app:
        data = app.export_personal_data(officer(args), app.data_subject(args.subject))
    if args.output is None:
        write_json(data)
    else:
        args.output.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        say(f"wrote {len(data['records'])} record(s) to {args.output}")
    return OK


def run_rotate(args: argparse.Namespace, settings: Settings) -> int:
    with open_app(settings) as app:
        count = app.personal_keys.rewrap()
        current = app.personal_keys.master.current
    if args.json:
        write_json({"rewrapped": count, "master_key": current})
    else:
        say(f"rewrapped {count} key(s) with master key {current}; older master keys may now be removed")
    return OK
