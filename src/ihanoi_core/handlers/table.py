"""The handler table: which function carries out each command type.

A handler module registers one function per command type with a decorator:

- ``@decides(CommandType)``: ``(case, command, ctx) -> None`` lets the loaded,
  authorised case decide (the aggregate raises and appends nothing if it
  refuses); the bus saves what it appended.
- ``decides_by(CommandType, Aggregate.method)``: the same for a step with
  nothing to look up or compose, whose input fields are the method's own
  parameters by name: the handler passes them through, with the principal,
  the time and what the method takes from the context (``calendar``,
  ``deadlines``). The names are checked when the handler module is imported.
  ``decides_by_step(CommandType, …)`` does it for each with the method named
  after the command's step (``Report.close`` for ``CloseReport``), the rule.
- ``@creates(CommandType)``: ``(command, ctx) -> build`` checks the input and
  returns a ``Build``, which makes the new case: most often the aggregate's
  factory with the rest of its arguments, ``partial(Survey.draft, …)``. The bus
  gives it what every case is created with (the id, for idempotency, and the
  code it allots; the principal as actor; the time) and saves the case with
  its code index.
- ``@decides_on_any_case(CommandType)``: ``(case, command, ctx) -> None`` for
  a ``SystemCaseCommand``, which applies to every kind of case: the role
  check, then the case decides as with ``@decides``.
- ``@handles(CommandType)``: ``(bus, principal, command, expected_version)
  -> CommandResult`` for a command that fits neither (a survey answer is its
  own aggregate).

Registering a case command also registers its permission rows (its roles for
each kind it is a step of), so roles are declared once, on the command type.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar
from uuid import UUID

import msgspec

from ihanoi_core.commands.command import CaseCommand, Command, CreateCommand, SystemCaseCommand
from ihanoi_core.directory import Directory
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ForbiddenError, ValidationError
from ihanoi_core.law.calendar import WorkingCalendar
from ihanoi_core.permissions import register

if TYPE_CHECKING:
    from ihanoi_core.handlers.bus import CommandBus, CommandResult

CommandT = TypeVar("CommandT", bound=Command)
CaseT = TypeVar("CaseT", bound=Case)


class Build(Protocol):
    """How a ``@creates`` handler makes its new case, given what the bus gives
    every new case: the id and code it allots, the principal as ``actor`` and
    the command's time as ``timestamp``. An aggregate's factory with the rest of
    its arguments bound (``partial(Survey.draft, agency=…, title=…)``) is one:
    mypy checks the names and types of a partial's arguments against the
    factory, but not that it leaves exactly these four (an argument forgotten
    is a ``TypeError`` when the bus calls it, which each kind's tests do)."""

    def __call__(self, *, id: UUID, code: str, actor: Principal, timestamp: datetime) -> Case: ...


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

    def own_agency(self, rule: str) -> str:
        """The principal's agency, which the case they make belongs to by
        ``rule`` ("a survey belongs to its creator's agency"): a
        ``ValidationError`` on ``agency`` unless the directory knows it."""
        agency = self.principal.agency
        if agency is None or self.directory.get_agency(agency) is None:
            raise ValidationError({"agency": f"{rule}; yours is unknown"})
        return agency


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


# What a method may take from the context rather than the command, by its
# parameter's name: the application's one calendar and the directory's legal
# periods. The principal (the method's ``actor``) and ``timestamp`` always come
# from the context.
FROM_CONTEXT: dict[str, Callable[[Context], Any]] = {
    "calendar": lambda ctx: ctx.calendar,
    "deadlines": lambda ctx: ctx.directory.deadlines,
}


def decides_by(command_type: type[CaseCommand], method: Callable[..., None]) -> None:
    """Register the handler that calls ``method`` on the case with the
    command's input fields as keyword arguments (see the module docstring).

    ``method`` is named on the command's family (``Report.close``) and called on
    the loaded case by its name, so a kind that overrides it is honoured.
    Raises ``TypeError`` at registration, so at import, unless the family and
    every kind of it that defines the method take ``(actor, <the fields>,
    <context names>, *, timestamp)``: no field may go unused, no parameter
    unfilled."""
    name: str = method.__name__
    if getattr(command_type.family, name, None) is not method:
        family = command_type.family.__name__
        raise TypeError(f"{command_type.__name__}: {method.__qualname__} is not a method of its family {family}")
    fields = tuple(field.name for field in msgspec.structs.fields(command_type) if field.name != "case")
    from_context = tuple(
        parameter
        for parameter in _parameters_after_actor(command_type, method)
        if parameter not in fields and parameter != "timestamp"
    )
    for aggregate in _family_tree(command_type.family):
        if name in vars(aggregate):
            _parameters_after_actor(command_type, vars(aggregate)[name])

    def decide(case: Case, command: CaseCommand, ctx: Context) -> None:
        arguments = {field: getattr(command, field) for field in fields}
        arguments.update((parameter, FROM_CONTEXT[parameter](ctx)) for parameter in from_context)
        getattr(case, name)(ctx.principal, **arguments, timestamp=ctx.now)

    decide.__name__ = decide.__qualname__ = name
    decide.__doc__ = f"{command_type.__name__} → {method.__qualname__} (by ``decides_by``)."
    _register(command_type, Handler("decides", decide))


def decides_by_step(*command_types: type[CaseCommand]) -> None:
    """``decides_by`` each command type with its family's method named after
    its step (the key of the aggregate's ``TRANSITIONS``); ``TypeError`` where
    the family has no such method."""
    for command_type in command_types:
        method = getattr(command_type.family, command_type.step(), None)
        if method is None:
            family = command_type.family.__name__
            raise TypeError(f"{command_type.__name__}: its family {family} has no method {command_type.step()}")
        decides_by(command_type, method)


def _parameters_after_actor(command_type: type[CaseCommand], method: Callable[..., None]) -> tuple[str, ...]:
    """The names ``method`` takes after ``self`` and the actor, checked against
    the command's fields and ``FROM_CONTEXT``; ``TypeError`` on a mismatch."""
    parameters = list(inspect.signature(method).parameters.values())
    problems = [] if len(parameters) > 1 and parameters[1].kind is parameters[1].POSITIONAL_OR_KEYWORD else ["no actor"]
    parameters = parameters[2:]
    names = tuple(parameter.name for parameter in parameters)
    fields = {field.name for field in msgspec.structs.fields(command_type)} - {"case"}
    problems += [
        f"{parameter.name} cannot be passed by name"
        for parameter in parameters
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    ]
    fillable = fields | set(FROM_CONTEXT) | {"timestamp"}
    problems += [f"no input field or context for {name}" for name in names if name not in fillable]
    problems += [f"input field {field} is not a parameter" for field in sorted(fields - set(names))]
    if "timestamp" not in names:
        problems.append("it takes no timestamp")
    if problems:
        raise TypeError(f"{command_type.__name__} cannot be decided by {method.__qualname__}: {'; '.join(problems)}")
    return names


def _family_tree(family: type[Case]) -> list[type[Case]]:
    """The family's class and all its subclasses."""
    return [family, *(sub for direct in family.__subclasses__() for sub in _family_tree(direct))]


def creates(
    command_type: type[CommandT],
) -> Callable[[Callable[[CommandT, Context], Build]], Callable[[CommandT, Context], Build]]:
    """Register ``(command, ctx) -> build`` for a ``CreateCommand`` type."""
    assert issubclass(command_type, CreateCommand), command_type

    def decorate(function: Callable[[CommandT, Context], Build]) -> Callable[[CommandT, Context], Build]:
        _register(command_type, Handler("creates", function))
        return function

    return decorate


SystemCommandT = TypeVar("SystemCommandT", bound=SystemCaseCommand)


def decides_on_any_case(
    command_type: type[SystemCommandT],
) -> Callable[[Callable[[Case, SystemCommandT, Context], None]], Callable[[Case, SystemCommandT, Context], None]]:
    """Register ``(case, command, ctx) -> None`` for a ``SystemCaseCommand``
    type: a whole-command handler (``@handles``), as the command is no step any
    role takes on one family, that refuses a principal without one of its
    roles and lets the loaded case of any kind decide."""

    def decorate(
        decide: Callable[[Case, SystemCommandT, Context], None],
    ) -> Callable[[Case, SystemCommandT, Context], None]:
        def handle(
            bus: CommandBus, principal: Principal, command: SystemCommandT, expected_version: int | None
        ) -> CommandResult:
            if principal.role not in command.roles:
                raise ForbiddenError(command.name, principal.role.value, command.case)
            return bus._act(
                principal,
                command.case,
                Case,
                command.step(),
                lambda case, now: decide(case, command, Context(principal, now, bus)),
                expected_version,
            )

        _register(command_type, Handler("handles", handle))
        return decide

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
