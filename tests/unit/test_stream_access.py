"""Who may follow changes live: the rules are the read side's (``ACCESS``),
checked when a follower is made, so a program embedding the library is
refused as the HTTP streams are."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError
from ihanoi_projections.engine.live_tail import Accepts, agency_cases, own_cases
from ihanoi_projections.queries.access import ACCESS

CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
OFFICER = Principal("officer-hk", Role.OFFICER, "UBND_HOAN_KIEM")
LEADER = Principal("leader-hk", Role.LEADER, "UBND_HOAN_KIEM")
AUDITOR = Principal("auditor-1", Role.AUDITOR)
OFFICER_OF_NO_AGENCY = Principal("officer-x", Role.OFFICER)

CASES: list[tuple[Callable[[Principal], Accepts], str, Principal, bool]] = [
    (own_cases, "follow_own_cases", CITIZEN, True),
    (own_cases, "follow_own_cases", OFFICER, False),
    (own_cases, "follow_own_cases", AUDITOR, False),
    (agency_cases, "follow_the_worklist", OFFICER, True),
    (agency_cases, "follow_the_worklist", LEADER, True),
    (agency_cases, "follow_the_worklist", CITIZEN, False),
    (agency_cases, "follow_the_worklist", AUDITOR, False),
    (agency_cases, "follow_the_worklist", OFFICER_OF_NO_AGENCY, False),
]


@pytest.mark.parametrize(("follow", "rule", "who", "allowed"), CASES)
def test_a_follower_is_made_only_for_whom_its_rule_admits(
    follow: Callable[[Principal], Accepts], rule: str, who: Principal, allowed: bool
) -> None:
    assert rule in ACCESS
    if allowed:
        assert callable(follow(who))
    else:
        with pytest.raises(ForbiddenError) as refused:
            follow(who)
        assert refused.value.context["command"] == rule
