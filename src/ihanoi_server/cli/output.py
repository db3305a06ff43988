"""What every ``ihanoi`` command shares: exit codes, tables, JSON lines,
progress bars, one-line errors and clean shutdown on a signal.

Exit codes: 0 ok, 1 a problem was found (or the command failed), 2 usage.
Human tables by default, ``--json`` for machines; long work shows a progress bar.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from types import FrameType
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ihanoi_core.settings import Settings

if TYPE_CHECKING:
    from rich.progress import Progress

    from ihanoi_core.application import Ihanoi

OK, PROBLEM, USAGE = 0, 1, 2
MAX_CELL = 90
# An action's function: the parsed arguments and the settings -> an exit code.
Handler = Callable[[argparse.Namespace, Settings], int]


def add_group(commands: Any, name: str, help: str, title: str) -> Any:
    """``ihanoi NAME ACTION``: a command of several actions; returns what
    ``add_action`` adds them to."""
    return commands.add_parser(name, help=help).add_subparsers(title=title, metavar="ACTION")


def add_action(actions: Any, name: str, help: str, handler: Handler, json: str | None = None) -> Any:
    """An action run by ``handler``, with a ``--json`` flag when ``json`` (its
    help) is given; returns its parser, for arguments of its own (an action
    with some adds its ``json_flag`` after them, where ``--help`` lists it)."""
    parser = actions.add_parser(name, help=help)
    parser.set_defaults(handler=handler)
    if json is not None:
        json_flag(parser, json)
    return parser


def json_flag(parser: Any, help: str = "JSON lines instead of a table") -> None:
    """The ``--json`` flag: machine-readable output instead of the human one."""
    parser.add_argument("--json", action="store_true", help=help)


def print_error(message: str) -> None:
    """``error: message`` as one line on stderr, however long (never wrapped)."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}", highlight=False)


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

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
    # Here, not at module level: the application (~1 s) is needed only once a
    # command opens it, not for --help, ``token`` or a refused configuration.
    from ihanoi_core.application import Ihanoi

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
