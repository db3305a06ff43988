"""The business portal's queries (issue #18), each checked against its rule
in ``queries.access``: a business's inquiries (its people see all of them,
whoever filed), an agency's business worklist, the published questions and
answers (anyone), and the per-agency on-time answer rates of the dashboard.
"""

from __future__ import annotations

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.values import Principal, Role
from ihanoi_projections.business_inquiries import AnswerRate, BusinessInquiriesModel, InquiryRow, PublishedAnswer
from ihanoi_projections.queries.access import (
    BUSINESS_ANSWER_RATES,
    BUSINESS_INQUIRIES,
    authorize,
    authorize_agency,
)
from ihanoi_projections.read_side import ReadSide


class BusinessQueries:
    """The business portal's read side, as a principal may read it."""

    def __init__(self, app: Ihanoi, read_side: ReadSide) -> None:
        self.app = app
        self.model = read_side.model(BusinessInquiriesModel)

    def inquiries(self, principal: Principal, *, open_only: bool = True, limit: int = 50) -> list[InquiryRow]:
        """A business's people: every inquiry of their business; staff: their
        agency's business worklist (the open ones unless ``open_only`` is False)."""
        authorize(principal, BUSINESS_INQUIRIES)
        if principal.role is Role.BUSINESS:
            assert principal.organisation is not None  # the token carried a checked tax code
            return self.model.list_for_business(principal.organisation, limit=limit)
        assert principal.agency is not None
        return self.model.list_for_agency(principal.agency, open_only=open_only, limit=limit)

    def published(self, *, code: str | None = None, limit: int = 50) -> list[PublishedAnswer]:
        """The published, anonymised questions and answers, or the one of ``code`` (anyone)."""
        return self.model.published(code=code, limit=limit)

    def answer_rates(self, principal: Principal, agency: str | None = None) -> list[AnswerRate]:
        """On-time answer rates per agency: staff their own, auditors any or all."""
        chosen = authorize_agency(principal, BUSINESS_ANSWER_RATES, agency)
        return self.model.answer_rates(self.app.clock(), chosen)
