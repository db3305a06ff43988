"""Deadline accountability over real HTTP (issue #16): a leader reads their
agency's figures, an auditor names an agency, and citizens, officers and
another agency's leader are refused with problem+json."""

from __future__ import annotations

import httpx

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer

PATH = "/api/v1/accountability"


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    code: str = response.json()["code"]
    return code


def test_leaders_and_auditors_read_the_figures_and_nobody_else(live_server: LiveServer) -> None:
    # Step: the ward's leader reads its figures (nothing has happened: zeros, no rate yet).
    with live_server.client(Role.LEADER, "leader-hk", "UBND_HOAN_KIEM") as leader:
        body = leader.get(PATH).json()
        assert body["agency"] == "UBND_HOAN_KIEM"
        assert body["figures"][0] | {"overdue_now": 0} == {
            "official": "", "missed": 0, "escalations_caused": 0, "escalations_received": 0,
            "resolved_on_time": 0, "resolved_late": 0, "on_time_rate": None, "overdue_now": 0,
            "median_hours_to_resolve": None, "p90_hours_to_resolve": None, "rated": 0, "average_rating": None,
            "reopened": 0, "reopen_rate": None,
        }  # fmt: skip
        assert body["long_delayed"] == []
        # Step: another agency's figures are not theirs; a bad number of days is 422.
        assert problem(leader.get(PATH, params={"agency": "UBND_BA_DINH"}), 403) == "forbidden"
        assert problem(leader.get(PATH, params={"long_delayed_days": "x"}), 422) == "validation_error"
    # Step: an auditor names the agency, or is asked to.
    with live_server.client(Role.AUDITOR, "auditor-1") as auditor:
        assert auditor.get(PATH, params={"agency": "UBND_TP"}).json()["agency"] == "UBND_TP"
        problem(auditor.get(PATH), 422)
    # Step: citizens and officers are refused.
    with live_server.client(Role.CITIZEN, "vneid:001099012345") as citizen:
        assert problem(citizen.get(PATH), 403) == "forbidden"
    with live_server.client(Role.OFFICER, "officer-hk", "UBND_HOAN_KIEM") as officer:
        assert problem(officer.get(PATH), 403) == "forbidden"
