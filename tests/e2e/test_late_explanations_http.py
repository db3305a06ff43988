"""Late explanations over real HTTP (issue #16): deciding a complaint past its
resolve deadline without one is 422 problem+json and stores nothing; with one
it is decided and the citizen reads it.

Written before the server starts through the embedded library: a complaint
filed Monday 2026-09-28 and accepted Tuesday 09-29 10:00 (30 calendar days:
due Thursday 10-29 17:00), verifying since; by now its deadline has passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.grievances import AcceptComplaint, AssignComplaint, StartVerification
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from tests.conftest import FakeClock
from tests.e2e.conftest import SECRET, start_server, stop_server
from tests.integration.test_complaint_lifecycle import HANDLER, LEADER, file_complaint
from tests.integration.test_deadline_watcher import hanoi

CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)


def seed(database_url: str) -> str:
    settings = Settings(database_url=database_url, env="test", secret_key=SECRET)
    clock = FakeClock(hanoi(2026, 9, 28, 9))
    app = Ihanoi(settings, clock=clock)
    try:
        filed = file_complaint(app, CITIZEN)
        clock.set(hanoi(2026, 9, 29, 10))
        app.handle(LEADER, AcceptComplaint(case=filed.case_id))
        app.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=HANDLER.subject))
        app.handle(HANDLER, StartVerification(case=filed.case_id))
        return str(filed.case_id)
    finally:
        app.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_late_decision_without_an_explanation_is_422_and_with_one_the_citizen_reads_it(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    case_id = seed(url)
    server = start_server(url, tmp_path / "server.log")
    try:
        path = f"/api/v1/complaints/{case_id}"
        with server.client(Role.LEADER, LEADER.subject, LEADER.agency) as leader:
            # Step: without an explanation (or a blank one): 422 problem+json naming the field.
            for body in ({"decision": "Giữ nguyên"}, {"decision": "Giữ nguyên", "late_explanation": "  "}):
                refused = leader.post(f"{path}/decide", json=body)
                assert refused.status_code == 422, refused.text
                assert refused.headers["content-type"].startswith("application/problem+json")
                problem = refused.json()
                assert problem["code"] == "validation_error"
                assert "late_explanation" in problem["errors"]
            assert leader.get(path).json()["status"] == "verifying"
            # Step: with one it is decided.
            body = {"decision": "Giữ nguyên", "late_explanation": "Phải xác minh thêm tại ba đơn vị"}
            decided = leader.post(f"{path}/decide", json=body)
            assert decided.status_code == 200, decided.text
        # Step: the citizen reads the explanation on their case.
        with server.client(Role.CITIZEN, CITIZEN.subject) as citizen:
            case = citizen.get(path).json()
            assert (case["status"], case["late_explanation"]) == ("decided", "Phải xác minh thêm tại ba đơn vị")
    except AssertionError:
        print(server.log())
        raise
    finally:
        stop_server(server)
