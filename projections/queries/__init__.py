"""The queries of the application, each with its access rule (DESIGN §2).

``Queries(app, read_side)`` is what the HTTP API, the CLI and a program
embedding the library call to read as a principal: a citizen's own cases, an
agency's worklist and dashboard, a survey's results, a case's history. Each
method checks the principal against its rule in ``queries.access.ACCESS``
before it reads, and raises the core's ``ForbiddenError`` (a role the rule
refuses) or ``NotFoundError`` (a case or survey the principal may not see).

They live on the read side because they read its models, and the core never
imports the read side (``tests/unit/test_import_rules.py``). The history
queries delegate to ``ihanoi_core.audit.history``, which reads the event log
and decides visibility case by case with ``ihanoi_core.permissions.can_see``.

Queries return the read models' frozen dataclasses; nothing here renders.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar, Unpack
from uuid import UUID

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit.history import CaseHistory, CaseState
from ihanoi_core.audit.history import case_history as read_case_history
from ihanoi_core.audit.history import case_state as read_case_state
from ihanoi_core.directory import Agency
from ihanoi_core.domain.survey import response_id
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import CaseNotFoundError, ValidationError
from ihanoi_projections.agency_dashboard.figures import AgencyDashboardModel, WeekFigures
from ihanoi_projections.business_inquiries import BusinessInquiriesModel
from ihanoi_projections.case_status import CaseStatus, CaseStatusModel
from ihanoi_projections.conversations import ConversationsModel
from ihanoi_projections.deadlines.accountability import AccountabilityModel, Figures
from ihanoi_projections.engine.base import ReadModel
from ihanoi_projections.engine.database import Row
from ihanoi_projections.queries.access import (
    ACCESS,
    ACCOUNTABILITY,
    CASE_HISTORY,
    CHANNEL_FIGURES,
    CONVERSATION_TRIAGE,
    DASHBOARD,
    MY_CASES,
    OPEN_SURVEYS,
    WORKLIST,
    QueryRule,
    Scope,
    authorize,
    authorize_agency,
    authorize_survey_results,
    may_see_photo,
)
from ihanoi_projections.queries.dashboard import (
    DashboardFilter,
    DashboardView,
    DashboardWords,
    dashboard_filter,
    read_dashboard,
)
from ihanoi_projections.read_side import ReadSide
from ihanoi_projections.survey_results import OpenSurvey, SurveyResults, SurveyResultsModel
from ihanoi_projections.worklist import WorklistItem, WorklistModel

__all__ = ["ACCESS", "DashboardFilter", "DashboardView", "Queries", "QueryRule", "Scope"]

M = TypeVar("M", bound=ReadModel)
MAX_ASSIGNEE = 200


class Queries:
    """Every query of one application, checked against its access rule.

    ``read_side`` may be left out by a reader of the event log alone (the audit
    CLI): the history queries need only ``app``."""

    def __init__(self, app: Ihanoi, read_side: ReadSide | None = None) -> None:
        self.app = app
        self.read_side = read_side

    def authorize(self, principal: Principal, rule: QueryRule) -> None:
        """Raise ``ForbiddenError`` unless ``principal`` may run the query of
        ``rule``. Every query checks it itself; a caller with parameters of its
        own to judge (the HTTP paging) asks first, so a refused principal is
        refused before any of them is."""
        authorize(principal, rule)

    def _model(self, kind: type[M]) -> M:
        if self.read_side is None:
            raise RuntimeError(f"The {kind.name} query needs the read side: Queries(app, read_side).")
        return self.read_side.model(kind)

    # -- a citizen's own cases -------------------------------------------------------

    def my_cases(
        self, principal: Principal, *, limit: int = 50, before: tuple[int, str] | None = None
    ) -> list[CaseStatus]:
        """The citizen's cases (hồ sơ của tôi), most recently updated first;
        ``before`` is the (updated_at micros, case id) of the previous page's last row."""
        authorize(principal, MY_CASES)
        return self._model(CaseStatusModel).list_for_owner(principal.subject, limit=limit, before=before)

    # -- chat and hotline threads (issue #20) -------------------------------------------

    def conversation_triage(self, principal: Principal, *, channel: str | None = None, limit: int = 50) -> list[Any]:
        """Threads that became no case, most recently heard from first (no personal data)."""
        authorize(principal, CONVERSATION_TRIAGE)
        return self._model(ConversationsModel).worklist(channel=channel, limit=limit)

    def conversation_of_case(self, principal: Principal, case: UUID) -> list[Any]:
        """The thread a case came from (the case's side of the link), if any."""
        authorize(principal, CONVERSATION_TRIAGE)
        found = self._model(ConversationsModel).of_case(str(case))
        return [] if found is None else [found]

    def channel_figures(self, principal: Principal) -> list[Any]:
        """Per channel: conversations, messages received and sent, cases created."""
        authorize(principal, CHANNEL_FIGURES)
        return self._model(ConversationsModel).figures()

    # -- an agency's work ------------------------------------------------------------

    def worklist(
        self,
        principal: Principal,
        *,
        assignee: str | None = None,
        limit: int = 50,
        after: tuple[int, str] | None = None,
    ) -> list[WorklistItem]:
        """The open items of the principal's agency, soonest due first;
        ``assignee`` ``"me"`` narrows them to the principal's own, a name to a
        colleague's; ``after`` is the (due_at micros, case id) of the previous
        page's last row."""
        authorize(principal, WORKLIST)
        if assignee is not None and not 0 < len(assignee.strip()) <= MAX_ASSIGNEE:
            raise ValidationError({"assignee": f"must be 'me' or a name of 1 to {MAX_ASSIGNEE} characters"})
        if assignee == "me":
            assignee = principal.subject
        assert principal.agency is not None  # the rule admits only staff with an agency
        return self._model(WorklistModel).list_for_agency(
            principal.agency,
            now=self.app.clock(),
            assignee=assignee.strip() if assignee else None,
            limit=limit,
            after=after,
        )

    # -- deadline accountability (issue #16) --------------------------------------

    def _accountable_agency(self, principal: Principal, agency: str | None) -> str:
        chosen = authorize_agency(principal, ACCOUNTABILITY, agency)
        if chosen is None:
            raise ValidationError({"agency": "an auditor names the agency whose figures to read"})
        return chosen

    def accountability(self, principal: Principal, agency: str | None = None) -> list[Figures]:
        """Deadline figures of an agency (first, ``official`` empty) and of each
        official in it: leaders of that agency and auditors only."""
        chosen = self._accountable_agency(principal, agency)
        return self._model(AccountabilityModel).figures(chosen, self.app.clock())

    def long_delayed(self, principal: Principal, agency: str | None = None, working_days: int = 5) -> list[Row]:
        """The agency's cases overdue by more than ``working_days`` working days, oldest first."""
        chosen = self._accountable_agency(principal, agency)
        return self._model(AccountabilityModel).long_delayed(chosen, self.app.clock(), working_days)

    def dashboard_filter(self, principal: Principal, **words: Unpack[DashboardWords]) -> DashboardFilter:
        """A dashboard filter from words (ISO dates or date-times in Hanoi
        time, a kind, an agency code), checked for ``principal``; see
        ``queries.dashboard.dashboard_filter``."""
        return dashboard_filter(principal, self.app.directory, self.app.timezone, self.app.clock(), **words)

    def _scoped(self, principal: Principal, wanted: DashboardFilter | None) -> DashboardFilter:
        """``wanted`` (default: the last 30 days) narrowed to what ``principal``
        may see: staff their own agency whatever the filter says, auditors the
        agency named or the whole city. Its bounds are given in the city's
        zone (a time without one is taken to be in it)."""
        if wanted is None:
            return self.dashboard_filter(principal)
        code = authorize_agency(principal, DASHBOARD, wanted.agency.code if wanted.agency else None)
        agency = wanted.agency
        if code is not None and (agency is None or agency.code != code):
            agency = self.app.directory.get_agency(code) or Agency(code=code, name=code)
        zone = self.app.timezone
        start, end = (
            (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(zone)
            for moment in (wanted.period_start, wanted.period_end)
        )
        return DashboardFilter(start, end, agency, wanted.kind)

    def dashboard(self, principal: Principal, wanted: DashboardFilter | None = None) -> DashboardView:
        """The dashboard of an agency (or, for an auditor, the whole city) for a period."""
        wanted = self._scoped(principal, wanted)
        model = self._model(AgencyDashboardModel)
        now = self.app.clock()
        view = read_dashboard(model, self.app.directory, wanted, principal, now)
        code = wanted.agency.code if wanted.agency else None
        return replace(view, business_answers=self._model(BusinessInquiriesModel).answer_rates(now, code))

    def dashboard_weekly(self, principal: Principal, wanted: DashboardFilter | None = None) -> list[WeekFigures]:
        """The weekly series of the dashboard's cohort (for its chart)."""
        wanted = self._scoped(principal, wanted)
        return self._model(AgencyDashboardModel).weekly(
            agency=wanted.agency.code if wanted.agency else None,
            period_start=wanted.period_start,
            period_end=wanted.period_end,
            now=self.app.clock(),
            kind=wanted.kind,
        )

    # -- surveys ---------------------------------------------------------------------

    def survey_results(self, principal: Principal, survey: UUID | str) -> SurveyResults:
        """Response counts and per-question tallies of a survey (by id or code).
        Access is judged by the status the read model has reached, so the
        results shown and the status match."""
        found = self._model(SurveyResultsModel).results(self.app.resolve_case_id(survey))
        if found is None:
            raise CaseNotFoundError(survey)
        authorize_survey_results(principal, found)
        return found

    def open_surveys(self, principal: Principal) -> list[OpenSurvey]:
        """The surveys ``principal`` may answer now: published, within their
        answer window, and — unless anonymous by design, where only the
        respondent's token says who answered — not answered by them yet."""
        authorize(principal, OPEN_SURVEYS)
        found = self._model(SurveyResultsModel).open_surveys(self.app.clock())
        return [
            survey
            for survey in found
            if survey.anonymous or response_id(survey.survey_id, principal.subject) not in self.app.repository
        ]

    # -- a case's history (from the event log) ---------------------------------------

    def case_history(self, principal: Principal, case: UUID | str) -> CaseHistory:
        """Every event of a case the principal can see, redacted for them."""
        authorize(principal, CASE_HISTORY)
        return read_case_history(self.app, principal, case)

    def case_state(
        self, principal: Principal, case: UUID | str, *, version: int | None = None, as_of: datetime | None = None
    ) -> CaseState:
        """The case as it stood after ``version`` or at ``as_of``, redacted for the principal."""
        authorize(principal, CASE_HISTORY)
        return read_case_state(self.app, principal, case, version=version, as_of=as_of)

    # -- a report's photos -----------------------------------------------------------

    def case_photo(self, principal: Principal, case: UUID | str, sha256: str, *, thumbnail: bool = False) -> bytes:
        """A photo (or its thumbnail) of a report the principal can see; a hidden
        one for staff and auditors only (``access.may_see_photo``). Any other
        photo, or one gone from the store, is ``CaseNotFoundError`` naming ``case``."""
        report = self.app.get_case(principal, case)
        data = self.app.photos.read(sha256, thumbnail=thumbnail) if may_see_photo(principal, report, sha256) else None
        if data is None:
            raise CaseNotFoundError(case)
        return data
