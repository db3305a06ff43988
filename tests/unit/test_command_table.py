"""Every command type has exactly one handler, and the table says what HTTP
and the permission rows are derived from: a command module that declares a
type without a handler, or two commands of a family under one URL name,
would silently lose a route."""

from __future__ import annotations

import inspect
from collections import Counter

import pytest

import ihanoi_core.application  # noqa: F401 - registers every handler module
from ihanoi_core.commands import grievances, reports, service_requests, surveys
from ihanoi_core.commands.command import CaseCommand, Command, CreateCommand
from ihanoi_core.domain.values import Role
from ihanoi_core.handlers.table import HANDLERS
from ihanoi_core.permissions import PERMISSIONS

MODULES = (grievances, reports, service_requests, surveys)
DECLARED = [
    value
    for module in MODULES
    for value in vars(module).values()
    if inspect.isclass(value)
    and issubclass(value, Command)
    and value.__module__ == module.__name__
    and "name" in vars(value)
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
