"""The handler table: which function carries out each command type.

A handler module registers one function per command type with a decorator:

- ``@decides(CommandType)``: ``(case, command, ctx) -> None`` lets the loaded,
  authorised case decide (the aggregate raises and appends nothing if it
  refuses); the bus saves what it appended.
- ``@creates(CommandType)``: ``(command, ctx) -> build`` checks the input and
  returns ``build(case_id, code)``, which makes the new case; the bus allots
  the id (idempotency) and the code, and saves it with its code index.
- ``@handles(CommandType)``: ``(bus, principal, command, expected_version)
  -> CommandResult`` for a command that fits neither (a survey answer is its
  own aggregate).

Registering a case command also registers its permission rows (its roles for
each kind it is a step of), so roles are declared once, on the command type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from uuid import UUID

from ihanoi_core.calendar import WorkingCalendar
from ihanoi_core.commands.command import CaseCommand, Command, CreateCommand
from ihanoi_core.directory import Directory
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Principal
from ihanoi_core.permissions import register

if TYPE_CHECKING:
    from ihanoi_core.handlers.bus import CommandBus

CommandT = TypeVar("CommandT", bound=Command)
CaseT = TypeVar("CaseT", bound=Case)
Build = Callable[[UUID, str], Case]


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler may use besides the command: who asks, when, the
    directory and calendar, and the bus (to read another case)."""

    principal: Principal
    now: datetime
    bus: CommandBus

    @property
    def directory(self) -> Directory:
        return self.bus.directory

    @property
    def calendar(self) -> WorkingCalendar:
        return self.bus.calendar


@dataclass(frozen=True, slots=True)
class Handler:
    shape: Literal["decides", "creates", "handles"]
    function: Callable[..., Any]


HANDLERS: dict[type[Command], Handler] = {}


def _register(command_type: type[Command], handler: Handler) -> None:
    if command_type in HANDLERS:
        raise ValueError(f"{command_type.__name__} already has a handler")
    HANDLERS[command_type] = handler
    if issubclass(command_type, CaseCommand):
        for kind in command_type.applies_to():
            register(kind, {command_type.step(): command_type.roles_for(kind)})


def decides(
    command_type: type[CommandT],
) -> Callable[[Callable[[Any, CommandT, Context], None]], Callable[[Any, CommandT, Context], None]]:
    """Register ``(case, command, ctx) -> None`` for a ``CaseCommand`` type."""
    assert issubclass(command_type, CaseCommand), command_type

    def decorate(function: Callable[[Any, CommandT, Context], None]) -> Callable[[Any, CommandT, Context], None]:
        _register(command_type, Handler("decides", function))
        return function

    return decorate


def creates(
    command_type: type[CommandT],
) -> Callable[[Callable[[CommandT, Context], Build]], Callable[[CommandT, Context], Build]]:
    """Register ``(command, ctx) -> build`` for a ``CreateCommand`` type."""
    assert issubclass(command_type, CreateCommand), command_type

    def decorate(function: Callable[[CommandT, Context], Build]) -> Callable[[CommandT, Context], Build]:
        _register(command_type, Handler("creates", function))
        return function

    return decorate


def handles(command_type: type[CommandT]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler that runs the whole command itself (see module docstring)."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        _register(command_type, Handler("handles", function))
        return function

    return decorate


def command_types() -> list[type[Command]]:
    """Every command type with a handler, in registration order."""
    return list(HANDLERS)
