"""Commands on alerts (cảnh báo, OASIS CAP 1.2).

Staff of the issuing agency draft an alert (``DraftAlert``), from a directory
template or from scratch; a leader of that agency other than its author
approves it, or rejects it with a reason (``RejectAlert``: back to its author
to revise and submit again); staff issue it (CAP ``Alert``); staff revise an
issued alert and a leader approves the revision before it is issued again
(CAP ``Update``); a leader cancels it (CAP ``Cancel``). ``FollowUpstream``
applies an upstream authority's CAP Update or Cancel to the alert imported
from its first message (``ihanoi alerts import``; the system only). The statuses each step is valid from are
``Alert.TRANSITIONS``.

``DraftAlert`` and ``ReviseAlert`` take the same content fields, each
optional: a draft fills what is missing from its ``template`` (and its
``expires`` from the template's ``hours``); a revision keeps what it does not
give. Texts come one per language, Vietnamese (``vi-VN``) first, English
(``en-US``) optional; areas name wards of the directory and may add a closed
polygon or circles (WGS 84).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from msgspec import Meta

from ihanoi_core.commands.command import CaseCommand, Command, CreateCommand
from ihanoi_core.commands.steps import ApproveStep
from ihanoi_core.commands.values import AwareDatetime, Code, Input, Text, Url
from ihanoi_core.domain.alert import Alert
from ihanoi_core.domain.alert_values import (
    AlertArea,
    AlertSource,
    AlertText,
    CapCategory,
    Certainty,
    Circle,
    ResponseType,
    Severity,
    Urgency,
)
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import LEADER, STAFF

Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Headline = Annotated[str, Meta(min_length=1, max_length=160)]
Event = Annotated[str, Meta(min_length=1, max_length=200)]
CapPart = Annotated[str, Meta(min_length=1, max_length=500, pattern=r"^[^\s,<&]+$")]


class AlertTextIn(Input, frozen=True):
    """The alert in one language (one CAP ``<info>``)."""

    language: Literal["vi-VN", "en-US"]
    event: Event
    headline: Headline
    description: Text
    instruction: Annotated[str, Meta(max_length=4000)] = ""

    def value(self) -> AlertText:
        return AlertText(self.language, self.event, self.headline, self.description, self.instruction)


class CircleIn(Input, frozen=True):
    """A circle: centre and radius in kilometres."""

    latitude: Latitude
    longitude: Longitude
    radius_km: Annotated[float, Meta(gt=0, le=500)]

    def value(self) -> Circle:
        return Circle(self.latitude, self.longitude, self.radius_km)


class AreaIn(Input, frozen=True):
    """One area: its wards (directory codes), an optional description (else
    the ward names), an optional closed polygon of [latitude, longitude]
    points and optional circles. The wards whose centre the polygon or a
    circle covers are added to those named; an area needs at least one."""

    wards: Annotated[tuple[Code, ...], Meta(max_length=200)] = ()
    description: Annotated[str, Meta(max_length=200)] = ""
    polygon: Annotated[tuple[tuple[Latitude, Longitude], ...], Meta(max_length=500)] = ()
    circles: Annotated[tuple[CircleIn, ...], Meta(max_length=20)] = ()

    def value(self) -> AlertArea:
        return AlertArea(
            wards=self.wards,
            description=self.description,
            polygon=tuple((lat, lon) for lat, lon in self.polygon),
            circles=tuple(circle.value() for circle in self.circles),
        )


class SourceIn(Input, frozen=True):
    """The upstream CAP message an alert was imported from."""

    sender: CapPart
    identifier: CapPart
    sent: Annotated[str, Meta(min_length=1, max_length=40)]

    def value(self) -> AlertSource:
        return AlertSource(self.sender, self.identifier, self.sent)


Texts = Annotated[tuple[AlertTextIn, ...], Meta(max_length=2)]
Areas = Annotated[tuple[AreaIn, ...], Meta(max_length=20)]


class DraftAlert(CreateCommand, frozen=True, kw_only=True):
    """Draft an alert for the caller's agency, from a template of the directory
    (``GET /alerts/templates``) or from scratch; it is issued only after a
    leader other than its author approves it."""

    name: ClassVar[str] = "create"
    creates: ClassVar[tuple[type[Case], ...]] = (Alert,)
    roles: ClassVar[frozenset[Role]] = STAFF

    areas: Areas
    template: Annotated[str, Meta(min_length=1, max_length=40)] | None = None
    category: CapCategory | None = None
    urgency: Urgency | None = None
    severity: Severity | None = None
    certainty: Certainty | None = None
    response_type: ResponseType | None = None
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    texts: Texts = ()
    web: Url | None = None
    source: SourceIn | None = None


class AlertCommand(CaseCommand, frozen=True, kw_only=True):
    """A command on an alert."""

    family: ClassVar[type[Case]] = Alert
    roles: ClassVar[frozenset[Role]] = STAFF


class ReviseAlert(AlertCommand, frozen=True, kw_only=True):
    """Change the content: a draft before approval (withdrawing an approval
    given), or an issued alert's next update. Fields left out keep their value;
    ``texts`` and ``areas``, when given, replace all of theirs."""

    name: ClassVar[str] = "revise"

    areas: Areas = ()
    category: CapCategory | None = None
    urgency: Urgency | None = None
    severity: Severity | None = None
    certainty: Certainty | None = None
    response_type: ResponseType | None = None
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    texts: Texts = ()
    web: Url | None = None


class ApproveAlert(ApproveStep, AlertCommand, frozen=True, kw_only=True):
    """Approve the content for issue (four eyes: not by its author)."""


class RejectAlert(AlertCommand, frozen=True, kw_only=True):
    """Send back what awaits approval or issue, with a reason for its author:
    nothing is published; the author revises it and it awaits approval again."""

    name: ClassVar[str] = "reject"
    roles: ClassVar[frozenset[Role]] = LEADER
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]


class IssueAlert(AlertCommand, frozen=True, kw_only=True):
    """Publish the approved content as a CAP message: Alert the first time, Update after."""

    name: ClassVar[str] = "issue"


class CancelAlert(AlertCommand, frozen=True, kw_only=True):
    """Withdraw an issued alert with a reason: a CAP Cancel message."""

    name: ClassVar[str] = "cancel"
    roles: ClassVar[frozenset[Role]] = LEADER
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]


class FollowUpstream(Command, frozen=True, kw_only=True):
    """Apply an upstream CAP ``Update`` or ``Cancel`` (``source``) to the alert
    imported from the message it references: an Update revises it (its
    ``revision``, the content it gives, replaces the alert's; a leader approves it before it is
    issued), a Cancel cancels it at once if it was issued (``note`` is the
    reason) and rejects it if not. Only ``ihanoi alerts import`` issues it,
    as the SYSTEM principal; it has no HTTP route. The same upstream message
    applied again changes nothing."""

    name: ClassVar[str] = "follow-upstream"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SYSTEM})
    case: UUID
    msg_type: Literal["Update", "Cancel"]
    source: SourceIn
    note: Annotated[str, Meta(max_length=1000)] = ""
    # What an Update gives, as a revision of the alert (``None``: nothing new).
    revision: ReviseAlert | None = None
