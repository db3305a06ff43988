"""The ``ihanoi`` command: a thin entrypoint over the core and the read side.
Each group of sub-commands lives in a module of its own (``server``,
``projections``, ``audit``, ``legal``, ``privacy``, ``notifications``, ``media``,
``alerts``, ``deadlines``, ``knowledge``, ``payments``) and registers itself here."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ihanoi_core.errors import IhanoiError
from ihanoi_core.eventstore.probe import probe_store
from ihanoi_core.settings import Settings
from ihanoi_core.settings.help import settings_epilog
from ihanoi_server.cli import (
    alerts,
    audit,
    deadlines,
    knowledge,
    legal,
    media,
    notifications,
    payments,
    privacy,
    projections,
    server,
)
from ihanoi_server.cli.output import PROBLEM, USAGE, print_error


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return USAGE
    try:
        settings = Settings.from_env()
        if getattr(args, "opens_store", True):
            # Fail in seconds, naming where, rather than in the library's pool
            # 30 s later with a traceback.
            probe_store(settings)
        return int(args.handler(args, settings))
    except IhanoiError as error:
        print_error(error.detail)
        return PROBLEM
    except ValueError as error:
        print_error(str(error))
        return USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ihanoi",
        description="ihanoi: the digital-citizen case platform.",
        epilog=settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    server.add_commands(commands)
    projections.add_commands(commands)
    audit.add_commands(commands)
    legal.add_commands(commands)
    privacy.add_commands(commands)
    alerts.add_commands(commands)
    notifications.add_commands(commands)
    media.add_commands(commands)
    deadlines.add_commands(commands)
    knowledge.add_commands(commands)
    payments.add_commands(commands)
    return parser
