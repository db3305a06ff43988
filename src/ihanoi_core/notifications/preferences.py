"""A person's notification settings, as commands and queries of the application.

- ``change_notification_settings(principal, command)``: run one of the
  commands of ``commands.notifications`` on the citizen's own
  ``Contactability`` (made on first use), through its handler
  (``handlers.notifications``); a citizen, officer or leader, for themself
  (staff receive their deadline reminders on the channels they prove here).
- ``notification_settings(principal)``: their channels (addresses, verified or
  not), language, quiet hours, opt-outs, the wards whose alerts they hear of, and whether they consented to
  notifications (``Purpose.NOTIFICATIONS``, required for the optional notices).
- ``contact(contactability_id)``: what the dispatcher needs to deliver one
  notice (verified addresses, pending challenges, language, quiet hours),
  or None once the person is gone.

Like a consent, the id is ``contactability_id(subject, key id)`` with the id of
the subject's live data key: after an erasure the old stream reads as erased
and a new one starts if the person comes back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ihanoi_core.commands.notifications import NotificationSettingsCommand
from ihanoi_core.domain.consent import Purpose
from ihanoi_core.domain.contactability import Contactability, contactability_id
from ihanoi_core.domain.contactability_values import CHANNELS, MAX_ATTEMPTS
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ConfigurationError, ConflictError, ForbiddenError
from ihanoi_core.eventstore.keys import KeyStore
from ihanoi_core.handlers.bus import CommandBus
from ihanoi_core.handlers.notifications import SETTINGS_HANDLERS, SettingsContext
from ihanoi_core.notifications.codes import verification_key

if TYPE_CHECKING:
    from ihanoi_core.settings import Settings


@dataclass(frozen=True, slots=True)
class SettingsOutcome:
    """After a command: whether an event was recorded, the stream's version and
    the log position of the last event (None when nothing was recorded)."""

    changed: bool
    version: int
    position: int | None


@dataclass(frozen=True, slots=True)
class PendingChannel:
    address: str
    challenge: str
    expires_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach one person now (for the dispatcher)."""

    addresses: dict[str, str]
    pending: dict[str, PendingChannel]
    language: str
    quiet_hours: tuple[int, int] | None
    # The Web Push subscription's keys (``p256dh``, ``auth``), when it has one.
    push_keys: dict[str, str] | None = None


def report_subscriptions(person: Contactability) -> list[dict[str, Any]]:
    """The person's subscriptions to new reports, for their own settings view."""
    found = []
    for subscription, area in sorted(person.report_areas.items()):
        near = None
        if area["radius_m"] is not None and area["latitude"] is not None:
            near = {"latitude": area["latitude"], "longitude": area["longitude"], "radius_m": area["radius_m"]}
        found.append({"id": subscription, "ward": area["ward"], "near": near, "category": area["category"]})
    return found


# Who removes a push subscription its push service reported gone.
PUSH_SERVICE = Principal("system:notification-dispatcher", Role.SYSTEM)


def minutes_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class NotificationSettingsCommands(CommandBus):
    """Notification-settings commands and queries of ``Ihanoi`` (module docstring)."""

    personal_keys: KeyStore
    settings: Settings

    if TYPE_CHECKING:

        def has_consent(self, subject: str, purpose: str | Purpose) -> bool: ...

    @property
    def code_key(self) -> bytes:
        """The key one-time codes are derived with: from ``IHANOI_SECRET_KEY``;
        an in-memory store without one makes its own for the process (its
        codes die with it anyway)."""
        key: bytes | None = self.__dict__.get("_code_key")
        if key is None:
            try:
                key = verification_key(self.settings.jwt_secret)
            except ConfigurationError:
                if not self.settings.database_url.startswith("memory:"):
                    raise
                key = os.urandom(32)
            self.__dict__["_code_key"] = key
        return key

    def change_notification_settings(
        self, principal: Principal, command: NotificationSettingsCommand
    ) -> SettingsOutcome:
        """Run ``command`` on the principal's own settings. Raises ``TypeError``
        for an object that is not such a command."""
        handler = SETTINGS_HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"{type(command).__name__} is not a notification-settings command")
        if principal.role not in type(command).roles:
            raise ForbiddenError(type(command).name, principal.role)
        subject = principal.subject
        stream = contactability_id(subject, self.personal_keys.subject_key_id(subject))
        now = self.clock()
        person = self._contactability(stream) or Contactability(
            id=stream, actor=principal, subject=subject, timestamp=now
        )
        error = handler(
            person,
            command,
            SettingsContext(principal, now, self.code_key, self.directory.wards, self.directory.categories),
        )
        position = None
        if events := person.collect_events():
            try:
                recordings = self.events.put(events)
            except IntegrityError:
                raise ConflictError(stream, "Your notification settings changed meanwhile; try again.") from None
            self._announce_saved()
            position = recordings[-1].notification.id
        if error is not None:
            raise error
        return SettingsOutcome(bool(events), person.version, position)

    def notification_settings(self, principal: Principal) -> dict[str, Any]:
        """The principal's own settings, as plain JSON-ready data."""
        if principal.role not in NotificationSettingsCommand.roles:
            raise ForbiddenError("notification_settings", principal.role)
        subject = principal.subject
        key = self.personal_keys.subject_key(subject)
        person = None if key is None else self._contactability(contactability_id(subject, key.id))
        channels = []
        for name in CHANNELS:
            entry = None if person is None else person.channels.get(name)
            if entry is None or entry["address"] is None:
                continue
            channels.append(
                {
                    "channel": name,
                    "address": entry["address"],
                    "verified": entry["verified"],
                    "verified_at": entry["verified_at"].isoformat() if entry["verified_at"] else None,
                    "code_expires_at": None if entry["verified"] else entry["expires_at"].isoformat(),
                    "attempts_left": None if entry["verified"] else max(0, MAX_ATTEMPTS - entry["attempts"]),
                }
            )
        quiet = None if person is None else person.quiet_hours
        return {
            "language": "vi" if person is None else person.language,
            "quiet_hours": None if quiet is None else {"start": minutes_text(quiet[0]), "end": minutes_text(quiet[1])},
            "opted_out": [] if person is None else list(person.opted_out),
            "alert_wards": [] if person is None else list(person.alert_wards),
            "report_subscriptions": [] if person is None else report_subscriptions(person),
            "channels": channels,
            "consent": self.has_consent(subject, Purpose.NOTIFICATIONS),
            "version": 0 if person is None else person.version,
        }

    def contact(self, stream: UUID) -> Contact | None:
        """How to reach the person of this ``Contactability`` now; None when it
        does not exist or its person was erased."""
        person = self._contactability(stream)
        if person is None or person.subject is None:
            return None
        addresses: dict[str, str] = {}
        pending: dict[str, PendingChannel] = {}
        for name, entry in person.channels.items():
            if entry["address"] is None:
                continue
            if entry["verified"]:
                addresses[name] = entry["address"]
            elif entry["challenge"]:
                pending[name] = PendingChannel(
                    entry["address"], entry["challenge"], entry["expires_at"], entry["attempts"]
                )
        push = person.channels.get("webpush") or {}
        keys = push.get("keys") if push.get("verified") else None
        return Contact(addresses, pending, person.language, person.quiet_hours, dict(keys) if keys else None)

    def forget_push_subscription(self, stream: UUID, endpoint: str) -> bool:
        """Remove the person's Web Push channel after its push service said the
        subscription at ``endpoint`` is gone (404/410), as the SYSTEM principal;
        False when it was replaced or removed meanwhile, or a concurrent
        change won (the next gone answer tries again)."""
        person = self._contactability(stream)
        entry = None if person is None else person.channels.get("webpush")
        if person is None or entry is None or entry["address"] != endpoint:
            return False
        person.remove_channel(PUSH_SERVICE, "webpush", timestamp=self.clock())
        try:
            self.events.put(person.collect_events())
        except IntegrityError:
            return False
        self._announce_saved()
        return True

    def _contactability(self, stream: UUID) -> Contactability | None:
        return self._stored(stream, Contactability)
