"""``ihanoi calendar show YEAR`` and ``ihanoi rules show``: the legal data of
the configured directory (``IHANOI_DIRECTORY``, else the Hanoi sample) with
the source of every value, for an operator checking it against the texts.

Neither command opens the event store. Exit codes: 0 ok; 1 a rule names no
source (``rules show``) or the directory cannot be loaded; 2 usage.
"""

from __future__ import annotations

import argparse
from typing import Any

from ihanoi_core.directory import load_directory
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, PROBLEM, literal_table, print_json_lines


def add_commands(commands: Any) -> None:
    calendar = commands.add_parser("calendar", help="the working calendar of the configured directory")
    calendar_actions = calendar.add_subparsers(title="calendar commands", metavar="ACTION")
    show_calendar = calendar_actions.add_parser(
        "show", help="every day off and every worked weekend day of a year, with its source"
    )
    show_calendar.add_argument("year", type=calendar_year, metavar="YEAR", help="e.g. 2026")
    show_calendar.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    show_calendar.set_defaults(handler=run_calendar_show, opens_store=False)

    rules = commands.add_parser("rules", help="the deadline rules of the configured directory")
    rules_actions = rules.add_subparsers(title="rules commands", metavar="ACTION")
    show_rules = rules_actions.add_parser("show", help="every deadline rule: period, unit and legal basis")
    show_rules.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    show_rules.set_defaults(handler=run_rules_show, opens_store=False)


def calendar_year(text: str) -> int:
    """A YEAR argument; argparse turns the error into exit code 2."""
    # Here, not at module level: the tables load every country of ``holidays``
    # (~0.1 s), which ``ihanoi serve`` and the other commands never use.
    from ihanoi_core.law.tables import CALENDAR_YEARS

    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year") from None
    if year not in CALENDAR_YEARS:
        raise argparse.ArgumentTypeError(
            f"{year} is outside {CALENDAR_YEARS.start}-{CALENDAR_YEARS.stop - 1}, "
            "the years the holidays package has Vietnamese data for"
        )
    return year


def run_calendar_show(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_core.law.tables import list_calendar_days

    directory = load_directory(settings.directory)
    days = list_calendar_days(directory, args.year)
    if args.json:
        print_json_lines(days)
        return OK
    literal_table(
        f"Days off and worked weekend days, {args.year} ({directory.jurisdiction_name_en})",
        ("date", "weekday", "day", "name", "source", "notice", "notice date", "issuer"),
        [
            (
                day.date.isoformat(),
                day.weekday,
                "worked" if day.working else "off",
                day.name,
                day.source,
                day.notice,
                day.notice_date.strftime("%d/%m/%Y") if day.notice_date else None,
                day.issuer,
            )
            for day in days
        ],
    )
    return OK


def run_rules_show(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_core.law.tables import UNIT_NAMES, list_rules

    directory = load_directory(settings.directory)
    rules = list_rules(directory)
    if args.json:
        print_json_lines(rules)
    else:
        literal_table(
            f"Deadline rules ({directory.jurisdiction_name_en})",
            ("rule", "period", "unit", "status", "basis"),
            [
                (
                    rule.rule,
                    rule.amount,
                    UNIT_NAMES[rule.unit],
                    f"{rule.status.value}: MISSING {rule.problem}" if rule.problem else rule.status.value,
                    rule.basis,
                )
                for rule in rules
            ],
        )
    return PROBLEM if any(rule.problem for rule in rules) else OK
