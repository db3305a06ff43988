"""Which of our roles an identity provider's token names: the role claim found
by name or dotted path, its values mapped, exactly one role, never system."""

from __future__ import annotations

from typing import Any

import pytest

from ihanoi_core.domain.values import Role
from ihanoi_server.auth.identity_provider import claim, role_of
from ihanoi_server.auth.tokens import AuthenticationError

KEYCLOAK_MAP = {"hanoi-citizen": Role.CITIZEN, "hanoi-officer": Role.OFFICER, "hanoi-partner": Role.PARTNER}


def test_a_claim_is_found_by_its_whole_name_before_a_dotted_path() -> None:
    claims: dict[str, Any] = {
        "https://hanoi.gov.vn/agency": "UBND_HOAN_KIEM",
        "realm_access": {"roles": ["offline_access", "hanoi-officer"]},
        "a.b": "literal",
        "a": {"b": "nested"},
    }
    assert claim(claims, "https://hanoi.gov.vn/agency") == "UBND_HOAN_KIEM"
    assert claim(claims, "realm_access.roles") == ["offline_access", "hanoi-officer"]
    assert claim(claims, "a.b") == "literal"
    assert claim(claims, "realm_access.groups") is None
    assert claim(claims, "realm_access.roles.first") is None


@pytest.mark.parametrize(
    ("value", "role"),
    [
        ("hanoi-citizen", Role.CITIZEN),
        (["offline_access", "uma_authorization", "hanoi-officer"], Role.OFFICER),
        (["hanoi-partner", "hanoi-partner"], Role.PARTNER),
    ],
)
def test_the_one_mapped_value_of_the_role_claim_is_the_role(value: object, role: Role) -> None:
    assert role_of({"roles": value}, "roles", KEYCLOAK_MAP) is role


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "no role this server knows"),
        ("officer", "no role this server knows"),  # our name, but the map does not list it
        (["hanoi-janitor"], "no role this server knows"),
        ({"hanoi-citizen": True}, "no role this server knows"),
        ([["hanoi-citizen"]], "no role this server knows"),
        (["hanoi-citizen", "hanoi-officer"], "more than one role"),
    ],
)
def test_a_role_claim_without_exactly_one_mapped_value_is_refused(value: object, reason: str) -> None:
    with pytest.raises(AuthenticationError, match=reason):
        role_of({"roles": value}, "roles", KEYCLOAK_MAP)


def test_without_a_map_the_values_are_our_role_names_and_never_system() -> None:
    assert role_of({"role": "auditor"}, "role", {}) is Role.AUDITOR
    assert role_of({"role": ["offline_access", "admin"]}, "role", {}) is Role.ADMIN
    for value in ("system", ["system"], "Officer"):
        with pytest.raises(AuthenticationError):
            role_of({"role": value}, "role", {})
