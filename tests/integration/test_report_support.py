"""Supporting a report ("tôi cũng gặp"): another citizen who meets the same
problem adds their support instead of filing a duplicate. Each citizen counts
once, only on open reports, never on their own; the supporter is recorded by a
keyed pseudonym, never by name. On POPO, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit.history import AUDITOR, case_history
from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    RejectReport,
    ResolveReport,
    SubmitReport,
    SupportReport,
)
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError, InvalidTransitionError, RuleViolationError
from ihanoi_projections.agency_dashboard.figures import AgencyDashboardModel
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.public_reports import PublicReportsModel
from tests.conftest import FakeClock, staff
from tests.integration.conftest import event_names, projection_context

HOAN_KIEM = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Phố Hàng Bài")
NEIGHBOUR = Principal("vneid:001099055555", Role.CITIZEN)
PASSER_BY = Principal("vneid:001099066666", Role.CITIZEN)


def file_report(app: Ihanoi, citizen: Principal) -> str:
    command = SubmitReport(category="pothole", description="Ổ gà lớn trước số 12 Hàng Bài", location=HOAN_KIEM)
    return str(app.handle(citizen, command).case_id)


def test_each_citizen_supports_a_report_once_and_only_the_count_is_shown(app: Ihanoi, citizen: Principal) -> None:
    case_id = file_report(app, citizen)

    # Step: a neighbour supports it, by its code; then retries the same request.
    first = app.handle(NEIGHBOUR, SupportReport(case=app.get_case(citizen, case_id)["code"]))
    again = app.handle(NEIGHBOUR, SupportReport(case=case_id))
    assert (first.version, again.version) == (2, 2)
    assert again.position >= first.position

    # Step: a passer-by supports it too: two supports, two events.
    app.handle(PASSER_BY, SupportReport(case=case_id))
    assert event_names(app, first.case_id) == ["Submitted", "Supported", "Supported"]
    view = app.get_case(citizen, case_id)
    assert view["support_count"] == 2
    assert "_supporters" not in view

    # Step: the stored events name no supporter; each carries a pseudonym of its own.
    supports = [event for event in app.events.get(first.case_id) if type(event).__name__ == "Supported"]
    pseudonyms = {event.supporter for event in supports}  # type: ignore[attr-defined]
    assert len(pseudonyms) == 2
    for event in supports:
        assert event.actor.subject == "anonymous"  # type: ignore[attr-defined]
    for stored in app.recorder.select_events(first.case_id):
        assert NEIGHBOUR.subject.encode() not in stored.state
        assert PASSER_BY.subject.encode() not in stored.state

    # Step: the owner reading the history sees neither supporter either.
    history = str(case_history(app, citizen, case_id)) + str(case_history(app, AUDITOR, case_id))
    assert NEIGHBOUR.subject not in history
    assert PASSER_BY.subject not in history


def test_a_citizen_may_not_support_their_own_report(app: Ihanoi, citizen: Principal) -> None:
    case_id = file_report(app, citizen)
    with pytest.raises(RuleViolationError, match="own report"):
        app.handle(citizen, SupportReport(case=case_id))
    assert app.get_case(citizen, case_id)["support_count"] == 0


def test_only_an_open_report_can_be_supported(app: Ihanoi, citizen: Principal) -> None:
    resolved, rejected = file_report(app, citizen), file_report(app, citizen)
    officer = staff(Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)
    app.handle(officer, AcknowledgeReport(case=resolved))
    app.handle(officer, AssignReport(case=resolved, assignee=officer.subject))
    app.handle(officer, ResolveReport(case=resolved, answer="Đã vá xong"))
    app.handle(officer, RejectReport(case=rejected, reason="Không thuộc phạm vi"))
    for case_id in (resolved, rejected):
        with pytest.raises(InvalidTransitionError):
            app.handle(NEIGHBOUR, SupportReport(case=case_id))


def test_only_citizens_support_and_only_existing_reports(app: Ihanoi, citizen: Principal) -> None:
    case_id = file_report(app, citizen)
    officer = staff(Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)
    with pytest.raises(ForbiddenError):
        app.handle(officer, SupportReport(case=case_id))
    with pytest.raises(ForbiddenError):
        app.handle(Principal("partner-app", Role.PARTNER), SupportReport(case=case_id))
    with pytest.raises(CaseNotFoundError):
        app.handle(staff(Role.OFFICER, "SXD"), SupportReport(case=case_id))
    with pytest.raises(CaseNotFoundError):
        app.handle(NEIGHBOUR, SupportReport(case="PA-000000-000000"))
    # Supporting does not let the supporter read the case itself.
    app.handle(NEIGHBOUR, SupportReport(case=case_id))
    with pytest.raises(CaseNotFoundError):
        app.get_case(NEIGHBOUR, case_id)


def test_the_support_count_is_public_and_feeds_the_dashboard(
    app: Ihanoi, views: ViewDatabase, citizen: Principal, clock: FakeClock
) -> None:
    public = PublicReportsModel(views, projection_context(app))
    dashboard = AgencyDashboardModel(views, projection_context(app))
    projector = Projector(app, views, [public, dashboard], batch_size=3)
    supported, quiet = file_report(app, citizen), file_report(app, citizen)

    # Step: two citizens support one report; the other has none.
    app.handle(NEIGHBOUR, SupportReport(case=supported))
    app.handle(PASSER_BY, SupportReport(case=supported))
    app.handle(PASSER_BY, SupportReport(case=supported))
    projector.catch_up()

    # Step: the public feed shows the count, and nothing of who supported.
    row = public.get(UUID(supported))
    assert row is not None
    assert row.support_count == 2
    assert public.get(UUID(quiet)).support_count == 0  # type: ignore[union-attr]
    text = str(public.rows())
    assert NEIGHBOUR.subject not in text
    assert PASSER_BY.subject not in text

    # Step: the agency's dashboard counts the supports and lists the report first.
    agency = app.directory.route("pothole", "HOAN_KIEM").code
    now = clock()
    figures = dashboard.figures(
        agency=agency, period_start=now - timedelta(days=1), period_end=now + timedelta(hours=1), now=now
    )
    assert (figures.supports, figures.supported_reports) == (2, 1)
    assert [(r.code, r.support_count) for r in dashboard.most_supported(agency=agency)] == [(row.code, 2)]


def test_a_public_reports_table_from_before_supports_gains_the_column_at_zero(views: ViewDatabase) -> None:
    # Step: the table as it shipped before supports, with one row.
    with views.transaction() as cursor:
        cursor.execute("DROP TABLE IF EXISTS view_public_reports")
        cursor.execute(
            "CREATE TABLE view_public_reports (case_id TEXT PRIMARY KEY, code TEXT NOT NULL,"
            " service_code TEXT NOT NULL,"
            " service_name TEXT NOT NULL, service_name_en TEXT NOT NULL, status TEXT NOT NULL,"
            " open311_status TEXT NOT NULL, status_notes TEXT, description TEXT NOT NULL, agency TEXT,"
            " agency_name TEXT, ward TEXT NOT NULL, latitude DOUBLE PRECISION, longitude DOUBLE PRECISION,"
            " address TEXT, media_urls TEXT NOT NULL, requested_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL, expected_at BIGINT, position BIGINT NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO view_public_reports VALUES ('7d1c1f52-4a7e-4d38-9d1e-2f0a1b2c3d4e', 'PA-261130-000001',"
            " 'pothole', 'Ổ gà', 'Pothole', 'submitted', 'open', NULL, 'x', NULL, NULL, 'HOAN_KIEM', 21.0, 105.8,"
            " NULL, '[]', 1, 1, NULL, 1)"
        )
    # Step: creating the model's schema again (any start-up) adds the column, twice harmlessly.
    model_schema = PublicReportsModel.schema(PublicReportsModel.__new__(PublicReportsModel))
    views.create(model_schema)
    views.create(model_schema)
    assert views.query("SELECT support_count FROM view_public_reports") == [{"support_count": 0}]
