"""Who may run each query of the read side (DESIGN §2), declared as data.

Every query that reads a read model as a principal has one ``QueryRule`` in
``ACCESS``: the roles that may run it and the scope of what they see. The
``Queries`` methods check it before they read, so the HTTP API, the CLI and a
program embedding the library are refused alike; the permission tests derive
the expected answers from the same table.

A refused role is ``ForbiddenError`` naming the rule. A case or survey the
principal may not see is not found, never forbidden, so existence does not
leak (DESIGN §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ihanoi_core.commands.surveys import AnswerSurvey
from ihanoi_core.domain.survey import PUBLIC_STATUSES, SurveyStatus
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError
from ihanoi_core.permissions import CITIZEN, LEADER, PUBLIC_READERS, STAFF
from ihanoi_projections.survey_results import SurveyResults


class Scope(Enum):
    """What of a read model a permitted principal sees."""

    OWN_CASES = "the principal's own cases"
    OWN_AGENCY = "the principal's agency; an auditor any agency or the whole city"
    VISIBLE_CASE = "a case the principal can see (ihanoi_core.permissions.can_see)"
    SURVEY_RESULTS = "the survey's agency and auditors; citizens and partners once results are published"
    OPEN_SURVEYS = "published surveys taking answers now that the principal has not answered yet"
    CHANNEL_THREADS = "the city's chat and hotline threads (shared by every agency): counts and steps, never who wrote"
    OWN_BUSINESS = "a business's people its own inquiries (by the tax code they act for); staff their agency's"


@dataclass(frozen=True, slots=True)
class QueryRule:
    """The access rule of one query: its name (as ``ForbiddenError`` reports
    it), the roles that may run it and the scope of what they see."""

    name: str
    roles: frozenset[Role]
    scope: Scope


# Every role reaches these queries; what each principal sees is decided per case or survey.
EVERY_ROLE = frozenset(Role)

MY_CASES = QueryRule("list_my_cases", CITIZEN, Scope.OWN_CASES)
WORKLIST = QueryRule("read_worklist", STAFF, Scope.OWN_AGENCY)
DASHBOARD = QueryRule("read_dashboard", STAFF | {Role.AUDITOR}, Scope.OWN_AGENCY)
# Deadline figures per official (issue #16): leaders of the agency and auditors, never citizens or officers.
ACCOUNTABILITY = QueryRule("read_accountability", frozenset({Role.LEADER, Role.AUDITOR}), Scope.OWN_AGENCY)
SURVEY_RESULTS = QueryRule("read_survey_results", EVERY_ROLE, Scope.SURVEY_RESULTS)
# Who may read a case's history is decided per case by ``can_see`` (in the core,
# ``ihanoi_core.audit.history``): every role reaches the query, not every case.
CASE_HISTORY = QueryRule("read_case_history", EVERY_ROLE, Scope.VISIBLE_CASE)
# The surveys one may answer: whoever may answer one (``AnswerSurvey.roles``, declared once on the command).
OPEN_SURVEYS = QueryRule("list_open_surveys", AnswerSurvey.roles, Scope.OPEN_SURVEYS)

# The business portal (issue #18): a business's inquiries for its people and
# the answering agency's staff; answer rates per agency for staff and auditors
# (agencies and counts only).
BUSINESS_INQUIRIES = QueryRule("list_business_inquiries", STAFF | {Role.BUSINESS}, Scope.OWN_BUSINESS)
BUSINESS_ANSWER_RATES = QueryRule("read_business_answer_rates", STAFF | {Role.AUDITOR}, Scope.OWN_AGENCY)

# Flood hotspots suggest a warning to the leader of the agency the reports go to.
FLOOD_SUGGESTIONS = QueryRule("read_alert_suggestions", LEADER, Scope.OWN_AGENCY)

# Threads of Zalo, Messenger and the hotline that became no case (issue #20): any
# officer or leader may take one; the per-channel figures also to auditors.
CONVERSATION_TRIAGE = QueryRule("read_conversation_triage", STAFF, Scope.CHANNEL_THREADS)
CHANNEL_FIGURES = QueryRule("read_channel_figures", STAFF | {Role.AUDITOR}, Scope.CHANNEL_THREADS)
# Fees collected per agency and day (issue #19): the agency's staff and auditors, as the dashboard.
PAYMENT_COLLECTIONS = QueryRule("read_payment_collections", STAFF | {Role.AUDITOR}, Scope.OWN_AGENCY)
# A dossier's payments: whoever can see the dossier.
DOSSIER_PAYMENTS = QueryRule("list_dossier_payments", EVERY_ROLE, Scope.VISIBLE_CASE)
# Following changes live (server-sent events): a citizen their own cases, staff
# their agency's (``ihanoi_projections.engine.live_tail`` decides what each change reaches).
FOLLOW_OWN_CASES = QueryRule("follow_own_cases", CITIZEN, Scope.OWN_CASES)
FOLLOW_WORKLIST = QueryRule("follow_the_worklist", STAFF, Scope.OWN_AGENCY)

ACCESS: dict[str, QueryRule] = {
    rule.name: rule
    for rule in (
        MY_CASES,
        WORKLIST,
        DASHBOARD,
        ACCOUNTABILITY,
        SURVEY_RESULTS,
        CASE_HISTORY,
        OPEN_SURVEYS,
        FLOOD_SUGGESTIONS,
        CONVERSATION_TRIAGE,
        CHANNEL_FIGURES,
        BUSINESS_INQUIRIES,
        BUSINESS_ANSWER_RATES,
        PAYMENT_COLLECTIONS,
        DOSSIER_PAYMENTS,
        FOLLOW_OWN_CASES,
        FOLLOW_WORKLIST,
    )
}


def authorize(principal: Principal, rule: QueryRule) -> None:
    """Raise ``ForbiddenError`` unless the principal's role may run the query.
    Staff need an agency for a query scoped to their own agency."""
    allowed = principal.role in rule.roles
    if allowed and rule.scope is Scope.OWN_AGENCY and principal.is_staff:
        allowed = principal.agency is not None
    if not allowed:
        raise ForbiddenError(rule.name, principal.role.value)


def authorize_agency(principal: Principal, rule: QueryRule, agency: str | None) -> str | None:
    """The agency whose figures ``principal`` reads when asking for ``agency``:
    staff always their own (asking for another's is ``ForbiddenError``), an
    auditor the one named, or the whole city (``None``)."""
    authorize(principal, rule)
    if principal.role is Role.AUDITOR:
        return agency
    if agency is not None and agency != principal.agency:
        raise ForbiddenError(f"read_another_agency_{rule.name.removeprefix('read_')}", principal.role.value)
    return principal.agency


# A photo staff hid from a report (docs/photos.md) stays in the store for the case's record.
HIDDEN_PHOTO_READERS = STAFF | {Role.AUDITOR}


def may_see_photo(principal: Principal, case: Mapping[str, Any], sha256: str) -> bool:
    """Whether ``principal`` may see the photo ``sha256`` of ``case``, a case
    they can see as ``Ihanoi.get_case`` read it for them: one of a report's
    photos, and a hidden one only for staff and auditors."""
    if case["kind"] != "report" or not any(photo.sha256 == sha256 for photo in case.get("photos", ())):
        return False
    hidden = {photo.sha256 for photo in case.get("hidden_photos", ())}
    return sha256 not in hidden or principal.role in HIDDEN_PHOTO_READERS


def authorize_survey_results(principal: Principal, results: SurveyResults) -> None:
    """Survey results by the status the read model has reached: the survey's
    agency staff and auditors at any time, everyone once the results are
    published. A public survey whose results are not is ``ForbiddenError`` to
    citizens and partners; a survey the principal cannot see is not found."""
    authorize(principal, SURVEY_RESULTS)
    own_agency = principal.role is Role.AUDITOR or (principal.is_staff and principal.agency == results.agency)
    if own_agency or results.status == SurveyStatus.RESULTS_PUBLISHED:
        return
    if results.status in PUBLIC_STATUSES and principal.role in PUBLIC_READERS:
        raise ForbiddenError(SURVEY_RESULTS.name, principal.role.value, results.survey_id)
    raise CaseNotFoundError(results.survey_id)
