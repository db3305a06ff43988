"""Commands on field reports (phản ánh hiện trường).

Staff (officers and leaders of the agency the report is routed to) run its
lifecycle; only a leader hands it to another agency; the reporter reopens and
rates it; any other citizen may support an open report ("tôi cũng gặp"),
which the public feed shows them. The statuses each step is valid from are ``Report.TRANSITIONS``.

Photos are uploaded first (``PhotoLibrary.add``; ``POST /api/v1/media``) and
named here by their sha256: on filing (``photos``), or later
(``AttachReportPhoto``, by the reporter or the agency's staff); staff hide one
from public view with a reason (``HideReportPhoto``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, CreateCommand
from ihanoi_core.commands.steps import AssignStep, CommentStep, RateStep, RejectStep
from ihanoi_core.commands.values import (
    Code,
    ContactIn,
    LocationIn,
    Sha256,
    ShortText,
    Text,
    Url,
)
from ihanoi_core.directory.answers import MAX_ANSWER_LENGTH, MAX_ANSWERS, MAX_VALUES
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_values import PhotoStage
from ihanoi_core.domain.values import Channel, Priority, Role
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF

AttributeCode = Annotated[str, Meta(min_length=1, max_length=100)]
AttributeValue = Annotated[str, Meta(max_length=MAX_ANSWER_LENGTH)]
AttributeAnswer = AttributeValue | Annotated[list[AttributeValue], Meta(max_length=MAX_VALUES)]


class SubmitReport(CreateCommand, frozen=True, kw_only=True):
    """File a report; it is routed by category and ward and the acknowledgement
    clock starts. Citizens own their reports; a partner or hotline officer files
    on behalf of the contact given; ``anonymous`` keeps the reporter unrecorded."""

    name: ClassVar[str] = "submit"
    creates: ClassVar[tuple[type[Case], ...]] = (Report,)
    roles: ClassVar[frozenset[Role]] = frozenset({Role.CITIZEN, Role.PARTNER, Role.OFFICER, Role.LEADER})

    category: Annotated[str, Meta(min_length=1, max_length=100)]
    description: Text
    location: LocationIn
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.APP
    contact: ContactIn | None = None
    media_urls: Annotated[tuple[Url, ...], Meta(max_length=10)] = ()
    # Photos uploaded beforehand, by their sha256 (at most IHANOI_MEDIA_MAX_PER_REPORT).
    photos: Annotated[tuple[Sha256, ...], Meta(max_length=100)] = ()
    anonymous: bool = False
    # Answers to the category's extra questions (its Open311 service definition
    # attributes): code → a value, or several keys of a multiple-choice list.
    attributes: Annotated[dict[AttributeCode, AttributeAnswer], Meta(max_length=MAX_ANSWERS)] = msgspec.field(
        default_factory=dict
    )


class ReportCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on a field report."""

    family: ClassVar[type[Case]] = Report
    roles: ClassVar[frozenset[Role]] = STAFF


class AcknowledgeReport(ReportCommand, frozen=True, kw_only=True):
    """Receive the report for the agency; starts the resolve clock (optionally at another priority)."""

    name: ClassVar[str] = "acknowledge"
    priority: Priority | None = None


class AssignReport(AssignStep, ReportCommand, frozen=True, kw_only=True):
    """Name the officer who handles it."""


class StartReport(ReportCommand, frozen=True, kw_only=True):
    """Work starts."""

    name: ClassVar[str] = "start"


class CommentReport(CommentStep, ReportCommand, frozen=True, kw_only=True):
    """Add a public note."""


class ResolveReport(ReportCommand, frozen=True, kw_only=True):
    """Resolve with a public answer; opens the reopen window."""

    name: ClassVar[str] = "resolve"
    answer: Text
    # Required past the due time (giải trình, issue #16): 422 on ``late_explanation`` without it.
    late_explanation: Text | None = None


class CloseReport(ReportCommand, frozen=True, kw_only=True):
    """Close a resolved report."""

    name: ClassVar[str] = "close"


class RejectReport(RejectStep, ReportCommand, frozen=True, kw_only=True):
    """Refuse with a reason (out of scope, spam, belongs to the complaint channel)."""


class MarkReportDuplicate(ReportCommand, frozen=True, kw_only=True):
    """Close as a duplicate of another report the same staff can see."""

    name: ClassVar[str] = "mark-duplicate"
    original: Code


class TransferReport(ReportCommand, frozen=True, kw_only=True):
    """Hand over to another agency, which must acknowledge it anew."""

    name: ClassVar[str] = "transfer"
    roles: ClassVar[frozenset[Role]] = LEADER
    to_agency: Code
    reason: Text


class DeclareReportNotResponsible(ReportCommand, frozen=True, kw_only=True):
    """Close because another body is responsible, naming it."""

    name: ClassVar[str] = "declare-not-responsible"
    responsible: ShortText


class ReopenReport(ReportCommand, frozen=True, kw_only=True):
    """The reporter reopens a resolved report that is not fixed, within the reopen window."""

    name: ClassVar[str] = "reopen"
    roles: ClassVar[frozenset[Role]] = CITIZEN
    reason: Text


class RateReport(RateStep, ReportCommand, frozen=True, kw_only=True):
    """The reporter rates the result from 1 to 5."""


class SupportReport(ReportCommand, frozen=True, kw_only=True):
    """Support an open report of someone else ("tôi cũng gặp") instead of filing a duplicate.

    Any citizen may run it on any report of the public feed, not only their
    own (``on_public_feed``); each citizen counts once (a repeat changes
    nothing) and is recorded only as a keyed pseudonym; the public sees the
    count. Refused on one's own report (409 ``rule_violation``) and on a report
    that is no longer open (409 ``invalid_transition``)."""

    name: ClassVar[str] = "support"
    roles: ClassVar[frozenset[Role]] = CITIZEN
    on_public_feed: ClassVar[bool] = True


class AttachReportPhoto(ReportCommand, frozen=True, kw_only=True):
    """Attach an uploaded photo, named by its sha256: the reporter's evidence,
    or the agency's photos of the site before and after the work."""

    name: ClassVar[str] = "attach-photo"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.CITIZEN, Role.OFFICER, Role.LEADER})
    photo: Sha256
    stage: PhotoStage = PhotoStage.EVIDENCE


class HideReportPhoto(ReportCommand, frozen=True, kw_only=True):
    """Take a photo out of public view for good (a face, a licence plate), with
    the reason on the record; staff still see it."""

    name: ClassVar[str] = "hide-photo"
    photo: Sha256
    reason: ShortText
