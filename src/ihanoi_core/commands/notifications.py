"""Commands on a person's notification settings (``Contactability``).

Each is a person's (citizen, officer or leader), for themself: the person is the token's subject, so no
command names one. Handlers: ``ihanoi_core.handlers.notifications``; the
application runs them with ``change_notification_settings``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from ihanoi_core.commands.command import Command
from ihanoi_core.domain.contactability_values import MAX_ADDRESS, MAX_ALERT_WARDS
from ihanoi_core.domain.report_areas import MAX_RADIUS_M, MIN_RADIUS_M
from ihanoi_core.domain.values import Role

ChannelName = Literal["email", "sms", "zalo", "webpush"]
OptionalKind = Literal[
    "case_status", "supplement_requested", "payment_requested", "payment_receipt", "survey_invitation"
]
WardCode = Annotated[str, Meta(min_length=1, max_length=64, description="a ward code of the directory (HOAN_KIEM)")]
AlertWards = Annotated[
    list[WardCode],
    Meta(
        max_length=MAX_ALERT_WARDS,
        description="the wards whose public alerts you hear of on your verified channels; [] for none",
    ),
]
TimeOfDay = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, local time")]


class QuietHours(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Local times between which only urgent notices are sent (e.g. 22:00 to 07:00)."""

    start: TimeOfDay
    end: TimeOfDay

    def minutes(self) -> tuple[int, int]:
        return (_minutes(self.start), _minutes(self.end))


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class NotificationSettingsCommand(Command, frozen=True, kw_only=True):
    """Base of the commands on one's own notification settings: a citizen's,
    or a member of staff's (officers and leaders hear of the deadlines of the
    cases they hold through the same channels)."""

    roles: ClassVar[frozenset[Role]] = frozenset({Role.CITIZEN, Role.OFFICER, Role.LEADER})


class AddChannel(NotificationSettingsCommand, frozen=True, kw_only=True):
    """Add (or replace) a channel; a one-time code is sent to it, and it is
    used only once verified with that code."""

    name: ClassVar[str] = "add-channel"
    channel: ChannelName
    address: Annotated[str, Meta(min_length=1, max_length=MAX_ADDRESS)]


class VerifyChannel(NotificationSettingsCommand, frozen=True, kw_only=True):
    """Prove a channel reaches you with the code sent to it."""

    name: ClassVar[str] = "verify-channel"
    channel: ChannelName
    code: Annotated[str, Meta(pattern=r"^\d{6}$")]


class RemoveChannel(NotificationSettingsCommand, frozen=True, kw_only=True):
    """Stop using a channel and forget its address."""

    name: ClassVar[str] = "remove-channel"
    channel: ChannelName


class SetNotificationPreferences(NotificationSettingsCommand, frozen=True, kw_only=True):
    """Choose the language of notices, quiet hours and the kinds you do not
    want; and, when ``alert_wards`` is given, the wards whose alerts you hear
    of (left as they are when it is omitted)."""

    name: ClassVar[str] = "set-preferences"
    language: Literal["vi", "en"] = "vi"
    quiet_hours: QuietHours | None = None
    opted_out: Annotated[list[OptionalKind], Meta(max_length=8)] = msgspec.field(default_factory=list)
    alert_wards: AlertWards | None = None


class ChooseAlertWards(NotificationSettingsCommand, frozen=True, kw_only=True):
    """Choose the wards whose public alerts (cảnh báo) reach your verified
    channels, urgent ones even in quiet hours; none to stop them."""

    name: ClassVar[str] = "choose-alert-wards"
    wards: AlertWards


class PushKeysIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The keys of a push subscription (``PushSubscription.toJSON().keys``)."""

    p256dh: Annotated[str, Meta(min_length=1, max_length=100)]
    auth: Annotated[str, Meta(min_length=1, max_length=40)]


class AddPushSubscription(
    NotificationSettingsCommand, frozen=True, kw_only=True, rename={"expiration_time": "expirationTime"}
):
    """Register this browser's Web Push subscription (the JSON of
    ``PushSubscription``) as your ``webpush`` channel, verified at once."""

    name: ClassVar[str] = "add-push-subscription"
    endpoint: Annotated[str, Meta(min_length=1, max_length=MAX_ADDRESS)]
    keys: PushKeysIn
    expiration_time: int | None = None


class NearIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A point (WGS 84) and a radius around it, in metres."""

    latitude: Annotated[float, Meta(ge=-90, le=90)]
    longitude: Annotated[float, Meta(ge=-180, le=180)]
    radius_m: Annotated[int, Meta(ge=MIN_RADIUS_M, le=MAX_RADIUS_M)]


class SubscribeToReports(NotificationSettingsCommand, frozen=True, kw_only=True):
    """Hear of each new public field report in an area, on your verified
    channels: in a ward, within ``near.radius_m`` of a point, and/or of a
    category — at least one; every one given must match. Subscribing to the
    same area again changes nothing; at most 10."""

    name: ClassVar[str] = "subscribe-to-reports"
    ward: WardCode | None = None
    near: NearIn | None = None
    category: Annotated[str, Meta(min_length=1, max_length=64, description="a category code (pothole)")] | None = None


class UnsubscribeFromReports(NotificationSettingsCommand, frozen=True, kw_only=True):
    """Stop hearing of the reports of one subscription."""

    name: ClassVar[str] = "unsubscribe-from-reports"
    subscription: Annotated[str, Meta(min_length=1, max_length=64)]
