"""Contactability: how one person may be reached outside the app, and what
they want to hear (issue #14).

One aggregate per data subject (``contactability_id``). It holds the person's
channels — an e-mail address, a phone number for SMS, a Zalo user id, a Web
Push subscription; one of each kind — each proved by a one-time code sent to
it, their language, their quiet hours and the kinds of notice they opted out
of. Only a verified channel is ever used for a notice; a channel that is
re-added starts unverified again. The person may also choose wards of the
directory whose public alerts (cảnh báo) they want to hear of
(``AlertWardsChosen``); no ward chosen, no alert notices.

The one-time code never enters the log: the application derives it from a
random challenge with a server key and records only the challenge and a keyed
hash of the code (``ChannelAdded``), with an expiry; each wrong code is a
``VerificationFailed``; after ``MAX_ATTEMPTS`` the challenge is spent and the
channel must be added again. Pure: the application computes hashes, expiry and
whether a code matched; the aggregate checks the rules and records.

The subject, every address and the challenge are personal (``declare_personal_data``):
sealed under the subject's key, so erasing the person shreds their channels.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.checked_commands import Fields, checked_step
from ihanoi_core.domain.contactability_values import (
    AUTH_PATTERN,
    LANGUAGES,
    MAX_ALERT_WARDS,
    MAX_ATTEMPTS,
    MINUTES_PER_DAY,
    OPTIONAL_KINDS,
    P256DH_PATTERN,
    WEBPUSH,
    ChannelNotFoundError,
    ReportAreaNotFoundError,
    VerificationClosedError,
    check_channel,
    normalise_address,
)
from ihanoi_core.domain.personal import ACTOR, Personal, declare_personal_data
from ihanoi_core.domain.report_areas import MAX_REPORT_AREAS
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ValidationError

CONTACTABILITY_NAMESPACE = uuid5(NAMESPACE_URL, "https://ihanoi.local/contactability")


def contactability_id(subject: str, generation: str = "") -> UUID:
    """The id of ``subject``'s contactability: deterministic, so there is one per
    person. ``generation`` tells the person's lives apart across an erasure
    (the application passes the id of their data key, as for consents)."""
    return uuid5(CONTACTABILITY_NAMESPACE, f"{subject}\x1f{generation}")


class Contactability(Aggregate):
    """One person's channels and notification preferences (module docstring)."""

    kind: ClassVar[str] = "contactability"
    # The wards whose alerts the person hears of, sorted (none before they choose).
    alert_wards: tuple[str, ...] = ()
    # Subscriptions to new reports (``report_areas``), by id; replaced, never
    # changed in place (a class default shared by streams that have none).
    if TYPE_CHECKING:  # declared for type checkers only: an annotation would be a field of ``Opened``
        report_areas: Mapping[str, Mapping[str, Any]]
    else:
        report_areas = {}  # never changed in place: each event assigns a new mapping

    @event("Opened")
    def __init__(self, *, id: UUID, actor: Principal, subject: str, timestamp: datetime) -> None:
        self.subject: str | None = subject
        self.channels: dict[str, dict[str, Any]] = {}
        self.language = "vi"
        self.quiet_hours: tuple[int, int] | None = None
        self.opted_out: tuple[str, ...] = ()
        self.alert_wards = ()

    # -- channels ------------------------------------------------------------

    @event("ChannelAdded")
    def _channel_added(
        self,
        actor: Principal,
        channel: str,
        address: str,
        challenge: str,
        code_hash: str,
        expires_at: datetime,
        timestamp: datetime,
    ) -> None:
        self.channels[channel] = {
            "address": address,
            "verified": False,
            "verified_at": None,
            "challenge": challenge,
            "code_hash": code_hash,
            "expires_at": expires_at,
            "attempts": 0,
            "added_at": timestamp,
        }

    @checked_step(_channel_added)
    def add_channel(self, fields: Fields) -> Fields:
        """Add (or replace) the channel of its kind, unverified, with a new
        challenge: the code derived from it is sent to the address."""
        address = normalise_address(check_channel(fields["channel"]), fields["address"])
        if fields["expires_at"] <= fields["timestamp"]:
            raise ValidationError({"expires_at": "a code must expire after it is issued"})
        return fields | {"address": address}

    def pending(self, channel: str) -> dict[str, Any]:
        found = self.channels.get(check_channel(channel))
        if found is None:
            raise ChannelNotFoundError(self.id, channel)
        return found

    def verify_channel(self, actor: Principal, channel: str, *, matched: bool, timestamp: datetime) -> bool:
        """Record a code given for ``channel``: ``matched`` says whether it is
        the code of the current challenge. True once verified (no event when it
        was already); False when the code was wrong (``VerificationFailed``)."""
        found = self.pending(channel)
        if found["verified"]:
            return True
        if found["attempts"] >= MAX_ATTEMPTS:
            raise VerificationClosedError(self.id, channel, f"was tried {MAX_ATTEMPTS} times")
        if timestamp > found["expires_at"]:
            raise VerificationClosedError(self.id, channel, "has expired")
        if not matched:
            self._verification_failed(actor=actor, channel=channel, timestamp=timestamp)
            return False
        self._channel_verified(actor=actor, channel=channel, timestamp=timestamp)
        return True

    @event("VerificationFailed")
    def _verification_failed(self, actor: Principal, channel: str, timestamp: datetime) -> None:
        self.channels[channel]["attempts"] += 1

    @event("ChannelVerified")
    def _channel_verified(self, actor: Principal, channel: str, timestamp: datetime) -> None:
        entry = self.channels[channel]
        entry["verified"] = True
        entry["verified_at"] = timestamp
        entry["code_hash"] = None

    def remove_channel(self, actor: Principal, channel: str, *, timestamp: datetime) -> None:
        self.pending(channel)
        self._channel_removed(actor=actor, channel=channel, timestamp=timestamp)

    @event("ChannelRemoved")
    def _channel_removed(self, actor: Principal, channel: str, timestamp: datetime) -> None:
        self.channels.pop(channel, None)

    def verified_address(self, channel: str) -> str | None:
        entry = self.channels.get(channel)
        return entry["address"] if entry and entry["verified"] else None

    def add_push_subscription(
        self, actor: Principal, endpoint: str, p256dh: str, auth: str, *, timestamp: datetime
    ) -> bool:
        """Add (or replace) the person's Web Push subscription, verified as it
        is: only the browser that made it holds the private keys its messages
        are encrypted to, and the push service accepts messages for it only
        from our VAPID key, so a code sent through it would prove nothing
        more. False (no event) when it is the subscription already held."""
        endpoint = normalise_address(WEBPUSH, endpoint)
        errors = {}
        if not P256DH_PATTERN.match(p256dh or ""):
            errors["keys.p256dh"] = "the subscription's P-256 public key, base64url (65 bytes, uncompressed)"
        if not AUTH_PATTERN.match(auth or ""):
            errors["keys.auth"] = "the subscription's auth secret, base64url (16 bytes)"
        if errors:
            raise ValidationError(errors)
        current = self.channels.get(WEBPUSH)
        if current and current["address"] == endpoint and current.get("keys") == {"p256dh": p256dh, "auth": auth}:
            return False
        self._push_subscription_added(actor=actor, endpoint=endpoint, p256dh=p256dh, auth=auth, timestamp=timestamp)
        return True

    @event("PushSubscriptionAdded")
    def _push_subscription_added(
        self, actor: Principal, endpoint: str, p256dh: str, auth: str, timestamp: datetime
    ) -> None:
        self.channels[WEBPUSH] = {
            "address": endpoint,
            "verified": True,
            "verified_at": timestamp,
            "challenge": None,
            "code_hash": None,
            "expires_at": None,
            "attempts": 0,
            "added_at": timestamp,
            "keys": {"p256dh": p256dh, "auth": auth},
        }

    # -- preferences ---------------------------------------------------------

    @event("PreferencesSet")
    def _preferences_set(
        self,
        actor: Principal,
        language: str,
        quiet_hours: tuple[int, int] | None,
        opted_out: tuple[str, ...],
        timestamp: datetime,
    ) -> None:
        self.language = language
        self.quiet_hours = quiet_hours
        self.opted_out = opted_out

    @checked_step(_preferences_set)
    def set_preferences(self, fields: Fields) -> Fields | None:
        """Set the language, quiet hours (minutes of the local day, start to end;
        urgent notices ignore them) and the kinds opted out of; False (no event)
        when nothing changes."""
        language, quiet_hours = fields["language"], fields["quiet_hours"]
        if language not in LANGUAGES:
            raise ValidationError({"language": f"one of: {', '.join(LANGUAGES)}"})
        if quiet_hours is not None:
            start, end = quiet_hours
            if not (0 <= start < MINUTES_PER_DAY and 0 <= end < MINUTES_PER_DAY) or start == end:
                raise ValidationError({"quiet_hours": "start and end are different times of day"})
        unknown = [kind for kind in fields["opted_out"] if kind not in OPTIONAL_KINDS]
        if unknown:
            raise ValidationError(
                {"opted_out": f"cannot opt out of {', '.join(unknown)}; optional: {', '.join(OPTIONAL_KINDS)}"}
            )
        chosen = tuple(sorted(set(fields["opted_out"])))
        if (language, quiet_hours, chosen) == (self.language, self.quiet_hours, self.opted_out):
            return None
        return fields | {"opted_out": chosen}

    # -- alert subscriptions -------------------------------------------------

    def choose_alert_wards(
        self, actor: Principal, wards: Iterable[str], *, known: Container[str], timestamp: datetime
    ) -> bool:
        """Choose the wards (directory codes, at most ``MAX_ALERT_WARDS``) whose
        public alerts the person hears of; none unsubscribes. False (no event)
        when the choice is the same."""
        chosen = tuple(sorted(set(wards)))
        if len(chosen) > MAX_ALERT_WARDS:
            raise ValidationError({"alert_wards": f"at most {MAX_ALERT_WARDS} wards"})
        unknown = [ward for ward in chosen if ward not in known]
        if unknown:
            raise ValidationError({"alert_wards": f"unknown ward {unknown[0]!r}"})
        if chosen == self.alert_wards:
            return False
        self._alert_wards_chosen(actor=actor, wards=chosen, timestamp=timestamp)
        return True

    @event("AlertWardsChosen")
    def _alert_wards_chosen(self, actor: Principal, wards: tuple[str, ...], timestamp: datetime) -> None:
        self.alert_wards = wards

    # -- subscriptions to new reports (``report_areas``) ----------------------

    def subscribe_to_reports(
        self, actor: Principal, subscription: str, area: Mapping[str, Any], *, timestamp: datetime
    ) -> bool:
        """Hear of new reports in ``area`` (checked by ``check_report_area``);
        False (no event) when already subscribed to it."""
        if subscription in self.report_areas:
            return False
        if len(self.report_areas) >= MAX_REPORT_AREAS:
            raise ValidationError({"report_subscriptions": f"at most {MAX_REPORT_AREAS}; remove one first"})
        self._subscribed_to_reports(actor=actor, subscription=subscription, timestamp=timestamp, **area)
        return True

    @event("ReportAreaSubscribed")
    def _subscribed_to_reports(
        self,
        actor: Principal,
        subscription: str,
        ward: str | None,
        category: str | None,
        latitude: float | None,
        longitude: float | None,
        radius_m: int | None,
        timestamp: datetime,
    ) -> None:
        area = {"ward": ward, "category": category, "latitude": latitude, "longitude": longitude}
        self.report_areas = {**self.report_areas, subscription: {**area, "radius_m": radius_m}}

    def unsubscribe_from_reports(self, actor: Principal, subscription: str, *, timestamp: datetime) -> None:
        if subscription not in self.report_areas:
            raise ReportAreaNotFoundError(self.id, subscription)
        self._unsubscribed_from_reports(actor=actor, subscription=subscription, timestamp=timestamp)

    @event("ReportAreaUnsubscribed")
    def _unsubscribed_from_reports(self, actor: Principal, subscription: str, timestamp: datetime) -> None:
        self.report_areas = {key: area for key, area in self.report_areas.items() if key != subscription}

    # -- erasure ---------------------------------------------------------------

    def erase_personal_data(self, actor: Principal, erasure: UUID, *, timestamp: datetime) -> None:
        """Record that the person was erased by the erasure ``erasure``: from
        now on they have no channel, no preference, no alert ward and no
        report subscription, so read
        models that follow this aggregate forget them (their addresses were
        sealed under the key the erasure destroys)."""
        self._personal_data_erased(actor=actor, erasure=erasure, timestamp=timestamp)

    @event("PersonalDataErased")
    def _personal_data_erased(self, actor: Principal, erasure: UUID, timestamp: datetime) -> None:
        self.subject = None
        self.channels = {}
        self.quiet_hours = None
        self.opted_out = ()
        self.alert_wards = ()
        self.report_areas = {}


# The subject names the data key; the addresses (and the challenge, from which
# the code is derived) are the person's; the acting citizen is, as everywhere.
declare_personal_data(
    Contactability,
    {
        "Opened": {"subject": Personal("the data subject", None, names_subject=True), "actor": ACTOR},
        "ChannelAdded": {
            "address": Personal("the data subject", None),
            "challenge": Personal("the data subject", None),
            "actor": ACTOR,
        },
        "VerificationFailed": {"actor": ACTOR},
        "ChannelVerified": {"actor": ACTOR},
        "ChannelRemoved": {"actor": ACTOR},
        "PreferencesSet": {"actor": ACTOR},
        # Ward codes name no one; they reach no public output.
        "AlertWardsChosen": {"actor": ACTOR},
        # A point and radius may say where the person lives; ward and category name no one.
        "ReportAreaSubscribed": {
            "latitude": Personal("the data subject", None),
            "longitude": Personal("the data subject", None),
            "actor": ACTOR,
        },
        "ReportAreaUnsubscribed": {"actor": ACTOR},
        # The endpoint names the browser; the keys are the person's too.
        "PushSubscriptionAdded": {
            "endpoint": Personal("the data subject", None),
            "p256dh": Personal("the data subject", None),
            "auth": Personal("the data subject", None),
            "actor": ACTOR,
        },
        "PersonalDataErased": {"actor": ACTOR},
    },
)
