"""``ihanoi media check`` and ``ihanoi media gc``: the photo store against the log.

``check`` lists photos the events name that the store lacks (exit 1: restore
them from a backup of ``IHANOI_MEDIA_DIR``) and counts the stored photos no
event names. ``gc`` removes those unreferenced photos once older than
``--older-than`` hours (24 by default: an upload may wait for its report).
Exit codes: 0 ok; 1 a referenced photo or thumbnail is missing; 2 usage.
"""

from __future__ import annotations

import argparse
from typing import Any

from ihanoi_core.media.store import media_directory
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, PROBLEM, add_action, add_group, print_json_lines, table

SHOWN = 20


def add_commands(commands: Any) -> None:
    actions = add_group(commands, "media", "the photo store (IHANOI_MEDIA_DIR) against the event log", "media commands")
    check_help = "every photo an event names is stored, with its thumbnail"
    add_action(actions, "check", check_help, run_check, json="one JSON object instead of a table")
    gc = add_action(actions, "gc", "remove stored photos no event names, once old enough", run_gc)
    gc.add_argument("--older-than", type=float, default=24.0, metavar="HOURS", help="grace period (default 24)")
    gc.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at module level: the application (~1 s) only once a command runs.
    from ihanoi_core.application import Ihanoi
    from ihanoi_core.media.check import check_media

    app = Ihanoi(settings)
    try:
        result = check_media(app)
    finally:
        app.close()
    if args.json:
        print_json_lines(
            [
                {
                    "media_dir": str(media_directory(settings)),
                    "referenced": len(result.referenced),
                    "stored": len(result.stored),
                    "missing": list(result.missing),
                    "missing_thumbnails": list(result.missing_thumbnails),
                    "unreferenced": len(result.unreferenced),
                }
            ]
        )
    else:
        table(
            f"Photos in {media_directory(settings)}",
            ("named by events", "stored", "missing", "thumbnails missing", "unreferenced"),
            [
                (
                    len(result.referenced),
                    len(result.stored),
                    len(result.missing),
                    len(result.missing_thumbnails),
                    len(result.unreferenced),
                )
            ],
        )
        for sha in (*result.missing, *result.missing_thumbnails)[:SHOWN]:
            print(f"missing: {sha}")
    return OK if result.ok else PROBLEM


def run_gc(args: argparse.Namespace, settings: Settings) -> int:
    if args.older_than < 0:
        raise ValueError("--older-than must not be negative")
    from ihanoi_core.application import Ihanoi
    from ihanoi_core.media.check import collect_garbage

    app = Ihanoi(settings)
    try:
        removed = collect_garbage(app, older_than_seconds=args.older_than * 3600, dry_run=args.dry_run)
    finally:
        app.close()
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(removed)} unreferenced photo(s)")
    for sha in removed[:SHOWN]:
        print(f"  {sha}")
    return OK
