"""What a person's contactability holds and checks: the kinds of channel and
of notice, the shapes of addresses (e-mail, Vietnamese mobile numbers, Zalo
ids, Web Push subscriptions) and the errors of its commands. The aggregate is
``contactability``.
"""

from __future__ import annotations

import re
from uuid import UUID

from ihanoi_core.errors import ConflictError, NotFoundError, ValidationError

# The kinds of channel, by the name the API and the outbox use.
EMAIL, SMS, ZALO, WEBPUSH = "email", "sms", "zalo", "webpush"
CHANNELS: tuple[str, ...] = (EMAIL, SMS, ZALO, WEBPUSH)
LANGUAGES: tuple[str, ...] = ("vi", "en")
# Kinds of notice a person may opt out of. The apology for a late dossier
# (Decree 118/2025) and the one-time codes are not optional.
OPTIONAL_KINDS: tuple[str, ...] = (
    "case_status",
    "supplement_requested",
    "payment_requested",
    "payment_receipt",
    "survey_invitation",
)
REQUIRED_KINDS: tuple[str, ...] = ("dossier_apology", "decision_notice", "channel_verification")
# Public alerts of the wards a person chose: wanted by choosing wards, so not
# opted out of by kind (choosing no ward is unsubscribing).
ALERT_KIND = "alert"
MAX_ALERT_WARDS = 20
MAX_ATTEMPTS = 5
MAX_ADDRESS = 2000
MINUTES_PER_DAY = 24 * 60

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")
# Vietnamese mobile numbers: 0 or +84, then nine digits (mobile prefixes 3, 5, 7, 8, 9).
PHONE_PATTERN = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")
ZALO_PATTERN = re.compile(r"^\d{6,32}$")
# A push subscription's keys, base64url as browsers give them: the P-256
# public point (65 bytes, uncompressed: 0x04 first, so "B") and the 16-byte auth secret.
P256DH_PATTERN = re.compile(r"^B[A-Za-z0-9_-]{86}=?$")
AUTH_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}(==)?$")


class ChannelNotFoundError(NotFoundError):
    """Raised when a person verifies or removes a channel they have not added (HTTP 404)."""

    code = "channel_not_found"

    def __init__(self, contactability: UUID, channel: str) -> None:
        super().__init__(f"You have no {channel} channel; add it first.", contactability=str(contactability))
        self.channel = channel


class VerificationClosedError(ConflictError):
    """Raised when a code is given for a challenge that expired or used up its
    attempts (HTTP 409): add the channel again for a new code."""

    code = "verification_closed"

    def __init__(self, contactability: UUID, channel: str, why: str) -> None:
        super().__init__(contactability, f"The code for your {channel} channel {why}; add the channel again.")
        self.context.update(channel=channel)


class ReportAreaNotFoundError(NotFoundError):
    """Raised when a person removes a report subscription they do not have (HTTP 404)."""

    code = "report_subscription_not_found"

    def __init__(self, contactability: UUID, subscription: str) -> None:
        super().__init__(f"You have no report subscription {subscription}.", contactability=str(contactability))
        self.subscription = subscription


def normalise_address(channel: str, address: str) -> str:
    """The address in the one form it is stored and sent to; ``ValidationError``
    when it is not an address of that kind."""
    text = (address or "").strip()
    if not text or len(text) > MAX_ADDRESS:
        raise ValidationError({"address": f"must be 1 to {MAX_ADDRESS} characters"})
    if channel == EMAIL:
        if not EMAIL_PATTERN.match(text):
            raise ValidationError({"address": "not an e-mail address"})
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    if channel == SMS:
        match = PHONE_PATTERN.match(re.sub(r"[\s.-]", "", text))
        if match is None:
            raise ValidationError({"address": "not a Vietnamese mobile number (0xxxxxxxxx or +84xxxxxxxxx)"})
        return f"+84{match.group(1)}"
    if channel == ZALO:
        if not ZALO_PATTERN.match(text):
            raise ValidationError({"address": "a Zalo user id is 6 to 32 digits"})
        return text
    if channel == WEBPUSH:
        if not text.startswith("https://"):
            raise ValidationError({"address": "a Web Push subscription's endpoint is an https:// URL"})
        return text
    raise ValidationError({"channel": f"unknown channel {channel!r}; one of: {', '.join(CHANNELS)}"})


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValidationError({"channel": f"unknown channel {channel!r}; one of: {', '.join(CHANNELS)}"})
    return channel
