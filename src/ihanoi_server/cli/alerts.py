"""``ihanoi alerts import FILE|URL``: draft an alert from an upstream CAP 1.2
message (the hydro-meteorological service, a ward's loudspeaker system) for
a leader of ``--agency`` to approve; nothing is issued. An upstream
``Update`` revises the alert imported from the message it references (a
leader approves the revision before it is issued); an upstream ``Cancel``
cancels it (or, never issued, rejects it). A message imported already
changes nothing; one referencing no alert imported for ``--agency`` is
refused.

Malformed or hostile XML (a DTD, entity expansion, external entities), a
document that is not CAP 1.2, one larger than ``--max-bytes`` or a URL that
does not answer within ``--timeout`` is refused with the reason, exit code 1,
and nothing stored. ``--ward`` names wards of the directory when the upstream
message does not (its own area codes mean nothing here).
"""

from __future__ import annotations

import argparse
from typing import Any

from ihanoi_core.cap.fetch import DEFAULT_TIMEOUT, import_alert, read_cap_source
from ihanoi_core.cap.parse import MAX_CAP_BYTES
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, add_action, add_group, json_flag, open_app, say, write_json


def add_commands(commands: Any) -> None:
    actions = add_group(
        commands, "alerts", "alerts (CAP 1.2): import an upstream message as a draft", "alerts commands"
    )
    imports = add_action(actions, "import", "draft an alert from a CAP 1.2 file or http(s) URL", run_import)
    imports.add_argument("source", metavar="FILE|URL", help="a CAP 1.2 <alert> document")
    imports.add_argument("--agency", required=True, help="the agency whose leader approves it (e.g. SXD)")
    imports.add_argument("--ward", action="append", default=[], help="a ward it covers (repeatable)")
    imports.add_argument("--max-bytes", type=int, default=MAX_CAP_BYTES, help="refuse larger documents")
    imports.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait for a URL")
    json_flag(imports, "the draft as JSON")


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    data = read_cap_source(args.source, max_bytes=min(args.max_bytes, MAX_CAP_BYTES), timeout=args.timeout)
    with open_app(settings) as app:
        result = import_alert(app, data, agency=args.agency, wards=tuple(ward.upper() for ward in args.ward))
    if args.json:
        write_json(
            {"id": str(result.case_id), "code": result.code, "status": result.status, "position": result.position}
        )
    else:
        say(outcome(result.code, result.status, created=result.created, changed=result.changed))
    return OK


def outcome(code: str, status: str, *, created: bool, changed: bool) -> str:
    """What an import did, in a sentence."""
    if created:
        return f"Drafted {code}: a leader approves it before it is issued."
    if not changed:
        return f"Already imported: {code} is {status}; nothing changed."
    if status == "cancelled":
        return f"Cancelled {code} as the upstream Cancel says: its CAP Cancel is published."
    if status == "rejected":
        return f"Rejected draft {code}: the upstream authority cancelled it before it was issued."
    if status in ("draft", "revising"):
        return f"Revised {code} from the upstream Update: a leader approves it before it is issued."
    return f"{code} is {status}."
