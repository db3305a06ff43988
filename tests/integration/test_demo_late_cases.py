"""``ihanoi demo`` leaves a complaint past its deadline and a dossier that
needed an apology, so that docs/deadlines.md can decide the one and return the
other: each is refused without a late explanation and finished with one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.grievances import DecideComplaint
from ihanoi_core.commands.service_requests import ReturnDossierResult
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_server.demo.deadlines import LATE_AGENCY, late_cases
from tests.conftest import make_settings

CITIZEN = Principal("vneid:001099000001", Role.CITIZEN)
LEADER = Principal("leader-hk", Role.LEADER, LATE_AGENCY)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_the_demo_leaves_a_complaint_and_a_dossier_that_only_a_late_explanation_finishes(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(store, tmp_path, request)
    now = datetime.now(UTC)
    complaint, dossier = late_cases(settings, CITIZEN, now)
    app = Ihanoi(settings)
    try:
        # Step: the citizen's complaint is still being verified, its deadline long past.
        filed = app.get_case(CITIZEN, complaint)
        assert (filed["kind"], filed["status"], filed["agency"]) == ("complaint", "verifying", LATE_AGENCY)
        assert filed["due_at"] < now
        # Step: the dossier's result is ready after one apology.
        ready = app.get_case(CITIZEN, dossier)
        assert (ready["kind"], ready["status"], ready["apology_count"]) == ("dossier", "result_ready", 1)
        officer = Principal("officer-hk", Role.OFFICER, ready["agency"])

        # Step: neither is finished without an explanation; both are with one.
        for principal, command in (
            (LEADER, DecideComplaint(case=complaint, decision="Giữ nguyên quyết định")),
            (officer, ReturnDossierResult(case=dossier)),
        ):
            with pytest.raises(ValidationError) as refused:
                app.handle(principal, command)
            assert list(refused.value.errors) == ["late_explanation"]
        app.handle(LEADER, DecideComplaint(case=complaint, decision="Giữ nguyên", late_explanation="Xác minh thêm"))
        app.handle(officer, ReturnDossierResult(case=dossier, late_explanation="Chờ cơ quan liên thông"))
        assert app.get_case(CITIZEN, complaint)["late_explanation"] == "Xác minh thêm"
        assert app.get_case(CITIZEN, dossier)["status"] == "result_returned"
    finally:
        app.close()


def test_the_demo_run_again_on_its_store_finds_both_cases_and_writes_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings("sqlite", tmp_path, request)
    now = datetime.now(UTC)
    first = late_cases(settings, CITIZEN, now)
    app = Ihanoi(settings)
    head = app.head_position()
    app.close()

    # `ihanoi demo` without --if-empty, again: it stopped at accepting the complaint a second time.
    assert late_cases(settings, CITIZEN, now) == first
    app = Ihanoi(settings)
    try:
        assert app.head_position() == head
    finally:
        app.close()
