"""A person's notification settings (docs/notifications.md).

- ``GET /api/v1/me/notification-settings``: channels (verified or not),
  language, quiet hours, opt-outs, and whether notifications are consented to;
- ``PUT /api/v1/me/notification-settings``: language, quiet hours, opt-outs,
  and (when given) ``alert_wards``, the wards whose public alerts you hear of;
- ``PUT /api/v1/me/notification-settings/channels/{channel}``: add or replace a
  channel's address; a one-time code is sent to it;
- ``POST /api/v1/me/notification-settings/channels/{channel}/verify``: the code;
- ``DELETE /api/v1/me/notification-settings/channels/{channel}``;
- ``PUT /api/v1/me/notification-settings/push-subscription``: this browser's
  Web Push subscription (``PushSubscription.toJSON()``) as the ``webpush``
  channel, verified at once (docs/notifications.md says why);
- ``POST /api/v1/me/notification-settings/report-subscriptions``: hear of new
  reports in a ward, near a point and/or of a category (FixMyStreet's alerts);
- ``DELETE /api/v1/me/notification-settings/report-subscriptions/{id}``.

A citizen, officer or leader, for themself: staff prove channels here to
receive the deadline reminders of the cases they hold. Each answer is the settings after the change,
with ``changed`` and the log ``position`` of the change.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import (
    AddChannel,
    AddPushSubscription,
    NearIn,
    NotificationSettingsCommand,
    QuietHours,
    RemoveChannel,
    SetNotificationPreferences,
    SubscribeToReports,
    UnsubscribeFromReports,
    VerifyChannel,
)
from ihanoi_core.domain.contactability_values import CHANNELS, MAX_ADDRESS, check_channel
from ihanoi_server.http import call_app, json_response, own_data, principal, read_body, state
from ihanoi_server.openapi.describe import document

CHANNEL_PATH = {"channel": {"type": "string", "enum": list(CHANNELS)}}


class AddressIn(msgspec.Struct, forbid_unknown_fields=True):
    """The channel's address: an e-mail address, a Vietnamese mobile number, a
    Zalo user id, or a Web Push subscription's https:// endpoint."""

    address: Annotated[str, Meta(min_length=1, max_length=MAX_ADDRESS)]


class CodeIn(msgspec.Struct, forbid_unknown_fields=True):
    """The six-digit code sent to the channel."""

    code: Annotated[str, Meta(pattern=r"^\d{6}$")]


class ChannelView(msgspec.Struct):
    """One channel: verified, or waiting for its code (until ``code_expires_at``)."""

    channel: str
    address: str
    verified: bool
    verified_at: str | None
    code_expires_at: str | None
    attempts_left: int | None


class ReportSubscriptionView(msgspec.Struct):
    """A subscription to new reports: its id (to remove it) and its area."""

    id: str
    ward: str | None
    near: NearIn | None
    category: str | None


class NotificationSettingsView(msgspec.Struct):
    """Your notification settings. ``consent``: whether you consented to
    notifications (``PUT /api/v1/me/consents/notifications``), which the
    optional notices need; an apology for a late dossier comes regardless.
    ``alert_wards``: the wards whose public alerts reach your verified
    channels (no consent needed: you asked for them); yours, shown only to you."""

    language: str
    quiet_hours: QuietHours | None
    opted_out: list[str]
    alert_wards: list[str]
    report_subscriptions: list[ReportSubscriptionView]
    channels: list[ChannelView]
    consent: bool
    version: int


class NotificationSettingsChange(msgspec.Struct):
    """The settings after a change: ``changed`` whether an event was recorded,
    ``position`` its log position (``null`` when nothing changed)."""

    changed: bool
    position: int | None
    settings: NotificationSettingsView


async def get_settings(request: Request) -> Response:
    """Your notification settings. Roles: citizen, officer, leader."""
    return await own_data(request, Ihanoi.notification_settings)


async def set_preferences(request: Request) -> Response:
    """Set language, quiet hours, opt-outs and (when given) the wards whose
    alerts you hear of. Roles: citizen, officer, leader."""
    principal(request)
    return await _run(request, await read_body(request, SetNotificationPreferences))


async def add_channel(request: Request) -> Response:
    """Add or replace a channel; a one-time code is sent to it. Roles: citizen, officer, leader."""
    principal(request)
    body = await read_body(request, AddressIn)
    channel = check_channel(request.path_params["channel"])
    return await _run(request, AddChannel(channel=channel, address=body.address))  # type: ignore[arg-type]


async def verify_channel(request: Request) -> Response:
    """Verify a channel with the code sent to it. Roles: citizen, officer, leader."""
    principal(request)
    body = await read_body(request, CodeIn)
    channel = check_channel(request.path_params["channel"])
    return await _run(request, VerifyChannel(channel=channel, code=body.code))  # type: ignore[arg-type]


async def remove_channel(request: Request) -> Response:
    """Remove a channel. Roles: citizen, officer, leader."""
    principal(request)
    channel = check_channel(request.path_params["channel"])
    return await _run(request, RemoveChannel(channel=channel))  # type: ignore[arg-type]


async def add_push_subscription(request: Request) -> Response:
    """Register this browser's push subscription as your Web Push channel. Roles: citizen, officer, leader."""
    principal(request)
    return await _run(request, await read_body(request, AddPushSubscription))


async def subscribe_to_reports(request: Request) -> Response:
    """Hear of new public reports in a ward, near a point and/or of a category
    (at most 10 subscriptions). Roles: citizen, officer, leader."""
    principal(request)
    return await _run(request, await read_body(request, SubscribeToReports))


async def unsubscribe_from_reports(request: Request) -> Response:
    """Remove a subscription to new reports. Roles: citizen, officer, leader."""
    principal(request)
    subscription = request.path_params["subscription"]
    return await _run(request, UnsubscribeFromReports(subscription=subscription))


async def _run(request: Request, command: NotificationSettingsCommand) -> Response:
    app, who = state(request).app, principal(request)
    outcome = await call_app(request, app.change_notification_settings, who, command)
    view: dict[str, Any] = await call_app(request, app.notification_settings, who)
    return json_response({"changed": outcome.changed, "position": outcome.position, "settings": view})


PATH = "/api/v1/me/notification-settings"
routes = [
    Route(PATH, get_settings, methods=["GET"], name="me:notification-settings"),
    Route(PATH, set_preferences, methods=["PUT"], name="me:notification-settings:set"),
    Route(PATH + "/channels/{channel}", add_channel, methods=["PUT"], name="me:notification-channels:add"),
    Route(PATH + "/channels/{channel}", remove_channel, methods=["DELETE"], name="me:notification-channels:remove"),
    Route(
        PATH + "/channels/{channel}/verify", verify_channel, methods=["POST"], name="me:notification-channels:verify"
    ),
    Route(PATH + "/push-subscription", add_push_subscription, methods=["PUT"], name="me:push-subscription:add"),
    Route(PATH + "/report-subscriptions", subscribe_to_reports, methods=["POST"], name="me:report-subscriptions:add"),
    Route(
        PATH + "/report-subscriptions/{subscription}",
        unsubscribe_from_reports,
        methods=["DELETE"],
        name="me:report-subscriptions:remove",
    ),
]
CITIZEN = ("citizen", "officer", "leader")
WRITE_PROBLEMS = (400, 401, 403, 409, 413, 415, 422, 503)
document("me:notification-settings", response=NotificationSettingsView, roles=CITIZEN)
# Every change answers the settings after it: route, body, path parameters, problems.
CHANGES: tuple[tuple[str, Any, dict[str, Any] | None, tuple[int, ...]], ...] = (
    ("me:notification-settings:set", SetNotificationPreferences, None, WRITE_PROBLEMS),
    ("me:notification-channels:add", AddressIn, CHANNEL_PATH, WRITE_PROBLEMS),
    ("me:notification-channels:verify", CodeIn, CHANNEL_PATH, (400, 401, 403, 404, 409, 413, 415, 422, 503)),
    ("me:notification-channels:remove", None, CHANNEL_PATH, (401, 403, 404, 409, 422, 503)),
    ("me:report-subscriptions:add", SubscribeToReports, None, WRITE_PROBLEMS),
    (
        "me:report-subscriptions:remove",
        None,
        {"subscription": {"type": "string", "maxLength": 64}},
        (401, 403, 404, 409, 503),
    ),
    ("me:push-subscription:add", AddPushSubscription, None, WRITE_PROBLEMS),
)
for name, body, path, problems in CHANGES:
    document(name, body=body, response=NotificationSettingsChange, roles=CITIZEN, path=path, problems=problems)
