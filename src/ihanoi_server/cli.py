"""The ``ihanoi`` command: a thin entrypoint over the core and the read side.

Exit codes: 0 ok, 1 a problem was found (or the command failed), 2 usage.
Human tables by default, ``--json`` for machines; long work shows a progress bar.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from types import FrameType
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ihanoi_core.application import Ihanoi
from ihanoi_core.errors import IhanoiError
from ihanoi_core.eventstore.probe import probe_store
from ihanoi_core.settings import Settings
from ihanoi_core.settings_help import settings_epilog

OK, PROBLEM, USAGE = 0, 1, 2
MAX_CELL = 90


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


def print_error(message: str) -> None:
    """``error: message`` as one line on stderr, however long (never wrapped)."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}", highlight=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ihanoi",
        description="ihanoi: the digital-citizen case platform.",
        epilog=settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    from ihanoi_server import cli_audit, cli_legal, cli_projections, cli_server

    cli_server.add_commands(commands)
    cli_projections.add_commands(commands)
    cli_audit.add_commands(commands)
    cli_legal.add_commands(commands)
    return parser


def print_json_lines(rows: Sequence[object]) -> None:
    for row in rows:
        data = asdict(row) if hasattr(row, "__dataclass_fields__") else row  # type: ignore[call-overload]
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    view = Table(title=title)
    for column in columns:
        view.add_column(column)
    for row in rows:
        view.add_row(*("" if cell is None else str(cell) for cell in row))
    Console().print(view)


def progress_bar(description: str, total: int) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )


@contextmanager
def open_app(settings: Settings) -> Iterator[Ihanoi]:
    """The application for one command, closed when it is done."""
    app = Ihanoi(settings)
    try:
        yield app
    finally:
        app.close()


def write_json(data: Any) -> None:
    """One JSON document on its own line on stdout."""
    sys.stdout.buffer.write(orjson.dumps(data) + b"\n")
    sys.stdout.flush()


def literal_table(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """A table whose cells are shown literally (stored text may contain
    ``[brackets]``) and wrap rather than being cut."""
    view = Table(title=escape(title))
    for column in columns:
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*(escape("" if value is None else str(value)) for value in row))
    Console().print(view)


def say(text: str, style: str | None = None) -> None:
    """Print ``text`` as it is: no markup, no highlighting."""
    Console().print(text, style=style, markup=False, highlight=False)


def usage_error(message: str) -> int:
    """Say what is wrong with the call on stderr; the usage exit code."""
    Console(stderr=True).print(f"[red]error:[/red] {escape(message)}")
    return USAGE


def cell(value: Any) -> str:
    """A value as one table cell's text, cut to ``MAX_CELL`` characters."""
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, for a clean shutdown."""
    stopping = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stopping


if __name__ == "__main__":
    raise SystemExit(main())
