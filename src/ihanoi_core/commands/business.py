"""Commands of the business portal (cổng tham vấn, đối thoại doanh nghiệp):
business inquiries, public consultations and dialogue sessions.

A person acting for a business (``Role.BUSINESS``: the tax code on their
token) submits an inquiry (``SubmitBusinessInquiry``), giving the tax code
again — checked, check digit and all, and required to be the one they act
for — the business's kind (which their token may carry instead), a topic of the directory and, optionally, a
procedure. Everyone acting for that business asks follow-ups, consents to
publication and rates; staff of the agency it was routed to answer (with
the legal basis; a late answer with its explanation) and publish it
anonymised. The statuses each step is valid from are
``BusinessInquiry.TRANSITIONS``; consultations and dialogue sessions are in
``commands.consultations``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.steps import AssignStep, RateStep
from ihanoi_core.commands.values import Code, Text
from ihanoi_core.domain.business_inquiry import BusinessInquiry
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import BUSINESS, STAFF

# Loose on purpose: spaces, dots and the dash are allowed, the check digit is checked by the handler (422 on the field).
TaxCode = Annotated[str, Meta(min_length=1, max_length=20)]
Topic = Annotated[str, Meta(min_length=1, max_length=40)]
AnswerText = Annotated[str, Meta(min_length=1, max_length=8000)]
Basis = Annotated[str, Meta(min_length=1, max_length=1000)]


class SubmitBusinessInquiry(CreateCommand, frozen=True, kw_only=True):
    """File a business's difficulty or question (phản ánh, kiến nghị, vướng
    mắc): routed to the agency of its procedure or topic, answered by a due
    time counted from the directory's ``business_inquiry_answer`` rule."""

    name: ClassVar[str] = "create"
    creates: ClassVar[tuple[type[Case], ...]] = (BusinessInquiry,)
    roles: ClassVar[frozenset[Role]] = BUSINESS

    tax_code: TaxCode
    topic: Topic
    text: Text
    # Required unless the person's token says it (``IHANOI_OIDC_ORGANISATION_KIND_CLAIM``).
    business_kind: BusinessKind | None = None
    procedure: Code | None = None


class InquiryCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a business inquiry."""

    family: ClassVar[type[Case]] = BusinessInquiry
    roles: ClassVar[frozenset[Role]] = STAFF


class AskFollowUp(InquiryCommand, frozen=True, kw_only=True):
    """Ask a follow-up question (anyone acting for the business); after the
    answer it opens the inquiry again with a new due time."""

    name: ClassVar[str] = "follow-up"
    step_name: ClassVar[str] = "ask_follow_up"
    roles: ClassVar[frozenset[Role]] = BUSINESS
    text: Text


class AnswerInquiry(InquiryCommand, frozen=True, kw_only=True):
    """Answer the inquiry with its legal basis (staff of its agency); a late
    answer must explain the delay (giải trình)."""

    name: ClassVar[str] = "answer"
    answer: AnswerText
    legal_basis: Basis
    late_explanation: Text | None = None


class AssignInquiry(AssignStep, InquiryCommand, frozen=True, kw_only=True):
    """Name the officer who answers it (rõ người)."""


class ConsentPublication(InquiryCommand, frozen=True, kw_only=True):
    """Agree that the answer be published, anonymised (the business)."""

    name: ClassVar[str] = "consent"
    step_name: ClassVar[str] = "consent_publication"
    roles: ClassVar[frozenset[Role]] = BUSINESS


class PublishInquiry(InquiryCommand, frozen=True, kw_only=True):
    """Publish the question and answer, anonymised as staff word them, into
    the knowledge base the Q&A switchboard searches: only with the
    business's consent, never with its tax code."""

    name: ClassVar[str] = "publish"
    question: Text
    answer: AnswerText | None = None


class RateInquiry(RateStep, InquiryCommand, frozen=True, kw_only=True):
    """Rate the answer, 1 to 5 stars (the business)."""

    roles: ClassVar[frozenset[Role]] = BUSINESS
