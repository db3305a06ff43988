"""The queries as a library user calls them, on all three stores: each checks
its access rule (``ihanoi_projections.queries.access``) before it reads, so a
program embedding the library is refused exactly as the HTTP API refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.surveys import CloseSurvey, CreateSurvey, PublishSurvey, PublishSurveyResults, QuestionIn
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.questionnaire import QuestionType
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError
from ihanoi_projections.queries import DashboardFilter, Queries
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock

HOAN_KIEM = LocationIn(ward="HOAN_KIEM")
FOREIGN = "SXD"
SURVEY_LEADER = Principal("leader-sxd", Role.LEADER, FOREIGN)
RATING = QuestionIn("satisfaction", "Mức độ hài lòng?", QuestionType.RATING, required=True)


@pytest.fixture
def read_side(app: Ihanoi) -> Iterator[ReadSide]:
    side = ReadSide(app, start=False)
    yield side
    side.close()


@pytest.fixture
def queries(app: Ihanoi, read_side: ReadSide) -> Queries:
    return Queries(app, read_side)


def handling(app: Ihanoi) -> str:
    agency = app.directory.route("pothole", "HOAN_KIEM").code
    assert agency != FOREIGN
    return agency


def report(app: Ihanoi, citizen: Principal) -> UUID:
    return app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà trước số 5", location=HOAN_KIEM)
    ).case_id


def test_a_citizen_sees_only_their_own_cases_and_no_one_else_has_my_cases(
    app: Ihanoi, queries: Queries, read_side: ReadSide, citizen: Principal, other_citizen: Principal
) -> None:
    # Step: two citizens file a report each.
    mine, theirs = report(app, citizen), report(app, other_citizen)
    read_side.catch_up()

    # Step: each sees their own, never the other's.
    assert [row.case_id for row in queries.my_cases(citizen)] == [mine]
    assert [row.case_id for row in queries.my_cases(other_citizen)] == [theirs]

    # Step: staff and auditors have no cases of their own to list.
    for role, agency in ((Role.OFFICER, handling(app)), (Role.AUDITOR, None), (Role.ADMIN, None)):
        with pytest.raises(ForbiddenError) as refused:
            queries.my_cases(Principal("someone", role, agency))
        assert refused.value.command == "list_my_cases"


def test_an_officer_sees_only_their_agencys_worklist(
    app: Ihanoi, queries: Queries, read_side: ReadSide, citizen: Principal
) -> None:
    # Step: a report is routed to the ward's agency.
    case_id = report(app, citizen)
    read_side.catch_up()
    officer = Principal("officer-hk", Role.OFFICER, handling(app))

    # Step: its officer has it on the worklist, an officer elsewhere does not.
    assert case_id in {item.case_id for item in queries.worklist(officer)}
    assert case_id not in {item.case_id for item in queries.worklist(Principal("officer-sxd", Role.OFFICER, FOREIGN))}
    assert queries.worklist(officer, assignee="me") == []

    # Step: citizens, auditors and staff without an agency are refused.
    for who in (citizen, Principal("inspector-01", Role.AUDITOR), Principal("no-agency", Role.OFFICER)):
        with pytest.raises(ForbiddenError):
            queries.worklist(who)


def test_a_citizen_asking_for_the_dashboard_is_refused_and_staff_see_only_their_agency(
    app: Ihanoi, queries: Queries, read_side: ReadSide, citizen: Principal, auditor: Principal, clock: FakeClock
) -> None:
    report(app, citizen)
    read_side.catch_up()
    clock.advance(minutes=1)  # the default period ends now, exclusive
    leader = Principal("leader-hk", Role.LEADER, handling(app))

    # Step: a citizen is refused, whatever the filter.
    with pytest.raises(ForbiddenError) as refused:
        queries.dashboard(citizen)
    assert refused.value.command == "read_dashboard"

    # Step: a leader sees their own agency, and received the report.
    view = queries.dashboard(leader)
    assert view.agency is not None
    assert view.agency.code == handling(app)
    assert view.figures.received == 1

    # Step: a leader asking by name, or by a hand-made filter, for another agency is refused.
    with pytest.raises(ForbiddenError):
        queries.dashboard_filter(leader, agency=FOREIGN)
    elsewhere = DashboardFilter(clock.now - timedelta(days=30), clock.now, app.directory.get_agency(FOREIGN))
    with pytest.raises(ForbiddenError):
        queries.dashboard(leader, elsewhere)

    # Step: a filter without an agency is the leader's own; an auditor's is the whole city.
    whole_city = DashboardFilter(clock.now - timedelta(days=30), clock.now)
    assert queries.dashboard(leader, whole_city).agency == view.agency
    city = queries.dashboard(auditor, whole_city)
    assert city.agency is None
    assert [row.agency.code for row in city.by_agency] == [handling(app)]


def test_survey_results_are_the_agencys_until_published(
    app: Ihanoi, queries: Queries, read_side: ReadSide, citizen: Principal, auditor: Principal, clock: FakeClock
) -> None:
    # Step: a leader drafts and publishes a survey.
    survey = app.handle(
        SURVEY_LEADER, CreateSurvey(title="Vỉa hè", description="", anonymous=False, questions=(RATING,))
    )
    app.handle(
        SURVEY_LEADER, PublishSurvey(case=survey.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=7))
    )
    read_side.catch_up()

    # Step: the agency and auditors read its results; a citizen sees the survey, not yet its results.
    assert queries.survey_results(SURVEY_LEADER, survey.case_id).survey_id == survey.case_id
    assert queries.survey_results(auditor, survey.case_id).agency == FOREIGN
    with pytest.raises(ForbiddenError):
        queries.survey_results(citizen, survey.case_id)
    # Step: staff of another agency cannot even see that it has results.
    with pytest.raises(CaseNotFoundError):
        queries.survey_results(Principal("officer-hk", Role.OFFICER, handling(app)), survey.case_id)

    # Step: once its results are published, everyone reads them.
    app.handle(SURVEY_LEADER, CloseSurvey(case=survey.case_id))
    app.handle(SURVEY_LEADER, PublishSurveyResults(case=survey.case_id, summary="Đa số hài lòng."))
    read_side.catch_up()
    assert queries.survey_results(citizen, survey.case_id).status == "results_published"


def test_a_case_history_is_read_only_by_those_who_can_see_the_case(
    app: Ihanoi, citizen: Principal, other_citizen: Principal, auditor: Principal
) -> None:
    # Step: the audit reader needs no read side: the history comes from the log.
    queries = Queries(app)
    case_id = report(app, citizen)

    # Step: its citizen and the inspectorate read it; another citizen finds nothing.
    assert [entry.version for entry in queries.case_history(citizen, case_id).entries] == [1]
    assert queries.case_state(auditor, case_id, version=1).version == 1
    with pytest.raises(CaseNotFoundError):
        queries.case_history(other_citizen, case_id)

    # Step: a query that needs a read model says so.
    with pytest.raises(RuntimeError, match="read side"):
        queries.my_cases(citizen)
