"""Every command type has exactly one handler, and the table says what HTTP
and the permission rows are derived from: a command module that declares a
type without a handler, or two commands of a family under one URL name,
would silently lose a route."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import Counter
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import pytest

import ihanoi_core.application
import ihanoi_core.commands
from ihanoi_core.commands.command import CaseCommand, Command, CreateCommand
from ihanoi_core.commands.reports import ReportCommand
from ihanoi_core.commands.service_requests import ConfirmDossierPayment
from ihanoi_core.commands.values import Text
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.survey import Survey
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.handlers.bus import CommandBus
from ihanoi_core.handlers.table import HANDLERS, Context, decides_by, decides_by_step
from ihanoi_core.permissions import PERMISSIONS

# Every module of the package, so a new one cannot be left out; ``command``,
# ``steps`` and ``values`` declare bases, shared steps and field types, and
# ``notifications`` the settings commands the application's own mixin runs (not
# the handler table).
MODULES = tuple(
    importlib.import_module(f"ihanoi_core.commands.{found.name}")
    for found in pkgutil.iter_modules(ihanoi_core.commands.__path__)
    if found.name not in ("command", "steps", "values", "notifications")
)
# A command type has a URL name, its own or its shared step's; a family's base has none.
DECLARED = [
    value
    for module in MODULES
    for value in vars(module).values()
    if inspect.isclass(value)
    and issubclass(value, Command)
    and value.__module__ == module.__name__
    and hasattr(value, "name")
]


def test_every_declared_command_type_has_a_handler_and_nothing_else_does() -> None:
    assert len(DECLARED) > 40
    assert set(DECLARED) == set(HANDLERS)


def test_no_two_commands_of_a_family_share_a_url_name() -> None:
    names = Counter((t.family, t.name) for t in DECLARED if issubclass(t, CaseCommand))
    assert [key for key, count in names.items() if count > 1] == []


@pytest.mark.parametrize("command_type", [t for t in DECLARED if issubclass(t, CaseCommand)], ids=lambda t: t.__name__)
def test_a_case_command_is_a_step_of_its_kinds_and_its_roles_are_the_permission_rows(
    command_type: type[CaseCommand],
) -> None:
    kinds = command_type.applies_to()
    assert kinds, f"{command_type.__name__} is a step of no kind of case"
    for kind in kinds:
        assert command_type.valid_from(kind), (kind, command_type.step())
        assert PERMISSIONS[(kind, command_type.step())] == command_type.roles_for(kind)
        assert Role.SYSTEM not in command_type.roles_for(kind)


@pytest.mark.parametrize(
    "command_type", [t for t in DECLARED if issubclass(t, CreateCommand)], ids=lambda t: t.__name__
)
def test_a_create_command_names_who_may_create_and_what(command_type: type[CreateCommand]) -> None:
    assert command_type.roles
    assert command_type.creates


class CloseReportWithNote(ReportCommand, frozen=True, kw_only=True):
    """Not a real command: ``Report.close`` takes no note."""

    name: ClassVar[str] = "close-with-note"
    note: Text


class ResolveReportPlainly(ReportCommand, frozen=True, kw_only=True):
    """Not a real command: ``Report.resolve`` also needs a reopen window."""

    name: ClassVar[str] = "resolve-plainly"
    answer: Text


def test_a_pass_through_step_with_a_field_the_method_does_not_take_is_refused_when_registered() -> None:
    with pytest.raises(TypeError, match="input field note is not a parameter"):
        decides_by(CloseReportWithNote, Report.close)
    assert CloseReportWithNote not in HANDLERS


def test_a_pass_through_step_whose_method_needs_more_than_the_command_and_context_is_refused() -> None:
    with pytest.raises(TypeError, match="no input field or context for reopen_window"):
        decides_by(ResolveReportPlainly, Report.resolve)
    assert ResolveReportPlainly not in HANDLERS


def test_a_pass_through_step_must_name_a_method_of_the_commands_family() -> None:
    with pytest.raises(TypeError, match="not a method of its family Report"):
        decides_by(ResolveReportPlainly, Survey.publish_results)


def test_a_step_without_a_method_of_its_name_cannot_be_decided_by_step() -> None:
    with pytest.raises(TypeError, match="family Report has no method close_with_note"):
        decides_by_step(CloseReportWithNote)
    assert CloseReportWithNote not in HANDLERS


class RecordingCase:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def confirm_payment(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("confirm_payment", args, kwargs))


class FakeBus:
    calendar = object()


def test_a_pass_through_handler_gives_the_method_the_fields_the_calendar_the_principal_and_the_time() -> None:
    principal = Principal("officer-1", Role.OFFICER, "UBND_HOAN_KIEM")
    now = datetime(2025, 3, 3, 9, tzinfo=UTC)
    ctx = Context(principal, now, cast(CommandBus, FakeBus()))
    case = RecordingCase()
    handler = HANDLERS[ConfirmDossierPayment]
    assert handler.shape == "decides"
    handler.function(case, ConfirmDossierPayment(case="HS-1", reference="BL-42"), ctx)
    assert case.calls == [
        ("confirm_payment", (principal,), {"reference": "BL-42", "calendar": FakeBus.calendar, "timestamp": now})
    ]
