"""Handlers of the notification-settings commands (``commands.notifications``).

Each is ``(contactability, command, ctx) -> error | None``: it lets the
person's ``Contactability`` decide, computing what the domain may not (a new
challenge, the code's keyed hash and expiry, whether a code matches). An
error it returns is raised once the events it recorded are saved: a wrong
code counts against the attempts even though the command fails.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ihanoi_core.commands.notifications import (
    AddChannel,
    AddPushSubscription,
    ChooseAlertWards,
    NotificationSettingsCommand,
    RemoveChannel,
    SetNotificationPreferences,
    SubscribeToReports,
    UnsubscribeFromReports,
    VerifyChannel,
)
from ihanoi_core.domain.contactability import Contactability
from ihanoi_core.domain.contactability_values import MAX_ATTEMPTS, WEBPUSH
from ihanoi_core.domain.report_areas import check_report_area, report_area_id
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import IhanoiError, ValidationError
from ihanoi_core.notifications import codes


@dataclass(frozen=True, slots=True)
class SettingsContext:
    """Who acts, when, the key one-time codes are derived with, and the
    directory's ward and category codes (subscriptions name them)."""

    principal: Principal
    now: datetime
    code_key: bytes
    wards: Container[str] = frozenset()
    categories: Container[str] = frozenset()


class WrongCodeError(ValidationError):
    """Raised when the code given for a channel is not the one sent to it (HTTP 422)."""

    code = "wrong_code"

    def __init__(self, channel: str, attempts_left: int) -> None:
        super().__init__({"code": f"not the code sent to your {channel} channel; {attempts_left} attempts left"})


Handler = Callable[[Contactability, Any, SettingsContext], IhanoiError | None]
SETTINGS_HANDLERS: dict[type[NotificationSettingsCommand], Handler] = {}
C = TypeVar("C", bound=NotificationSettingsCommand)


def settles(command_type: type[C]) -> Callable[[Handler], Handler]:
    """Register the handler of a notification-settings command type."""

    def decorate(function: Handler) -> Handler:
        if command_type in SETTINGS_HANDLERS:
            raise ValueError(f"{command_type.__name__} already has a handler")
        SETTINGS_HANDLERS[command_type] = function
        return function

    return decorate


@settles(AddChannel)
def add_channel(person: Contactability, command: AddChannel, ctx: SettingsContext) -> None:
    if command.channel == WEBPUSH:
        raise ValidationError({"channel": "a Web Push subscription is added as a whole: PUT …/push-subscription"})
    challenge = codes.new_challenge()
    code = codes.code_for(ctx.code_key, person.id, command.channel, challenge)
    person.add_channel(
        ctx.principal,
        command.channel,
        command.address,
        challenge=challenge,
        code_hash=codes.code_hash(ctx.code_key, person.id, command.channel, challenge, code),
        expires_at=ctx.now + codes.CODE_TTL,
        timestamp=ctx.now,
    )


@settles(VerifyChannel)
def verify_channel(person: Contactability, command: VerifyChannel, ctx: SettingsContext) -> IhanoiError | None:
    entry = person.pending(command.channel)
    matched = codes.matches(
        entry["code_hash"], ctx.code_key, person.id, command.channel, entry["challenge"] or "", command.code
    )
    if person.verify_channel(ctx.principal, command.channel, matched=matched, timestamp=ctx.now):
        return None
    return WrongCodeError(command.channel, MAX_ATTEMPTS - person.channels[command.channel]["attempts"])


@settles(RemoveChannel)
def remove_channel(person: Contactability, command: RemoveChannel, ctx: SettingsContext) -> None:
    person.remove_channel(ctx.principal, command.channel, timestamp=ctx.now)


@settles(SetNotificationPreferences)
def set_preferences(person: Contactability, command: SetNotificationPreferences, ctx: SettingsContext) -> None:
    # Wards first: a bad one refuses the whole change before anything is recorded.
    if command.alert_wards is not None:
        person.choose_alert_wards(ctx.principal, command.alert_wards, known=ctx.wards, timestamp=ctx.now)
    person.set_preferences(
        ctx.principal,
        language=command.language,
        quiet_hours=None if command.quiet_hours is None else command.quiet_hours.minutes(),
        opted_out=tuple(command.opted_out),
        timestamp=ctx.now,
    )


@settles(ChooseAlertWards)
def choose_alert_wards(person: Contactability, command: ChooseAlertWards, ctx: SettingsContext) -> None:
    person.choose_alert_wards(ctx.principal, command.wards, known=ctx.wards, timestamp=ctx.now)


@settles(SubscribeToReports)
def subscribe_to_reports(person: Contactability, command: SubscribeToReports, ctx: SettingsContext) -> None:
    near = command.near
    area = check_report_area(
        ward=command.ward,
        category=command.category,
        latitude=None if near is None else near.latitude,
        longitude=None if near is None else near.longitude,
        radius_m=None if near is None else near.radius_m,
        wards=ctx.wards,
        categories=ctx.categories,
    )
    person.subscribe_to_reports(ctx.principal, report_area_id(person.id, area), area, timestamp=ctx.now)


@settles(UnsubscribeFromReports)
def unsubscribe_from_reports(person: Contactability, command: UnsubscribeFromReports, ctx: SettingsContext) -> None:
    person.unsubscribe_from_reports(ctx.principal, command.subscription, timestamp=ctx.now)


@settles(AddPushSubscription)
def add_push_subscription(person: Contactability, command: AddPushSubscription, ctx: SettingsContext) -> None:
    person.add_push_subscription(
        ctx.principal, command.endpoint, command.keys.p256dh, command.keys.auth, timestamp=ctx.now
    )
