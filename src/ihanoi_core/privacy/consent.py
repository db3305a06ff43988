"""Consent to purposes beyond case handling: given and withdrawn by the citizen
themself, read back with its history, checked by the channels that need it.

- ``give_consent`` / ``withdraw_consent``: only a citizen, for themself
  (``principal.subject``). Giving again under the same notice is no event;
  withdrawing what was never given is ``ConsentNotGivenError`` (409), what is
  withdrawn already no event.
- ``consents``: every purpose with its state and history (the citizen's own;
  the data protection officer's or admin's for any subject).
- ``has_consent(subject, purpose)``: what a channel (notifications, #14)
  asks before it uses personal data for that purpose; no principal, no I/O
  beyond reading the one stream.

A consent's id is ``consent_id(subject, purpose, key)`` with the id of the
subject's live data key: the same on every give while the subject has that
key, and a fresh stream after an erasure destroyed it (the old stream's
subject reads as erased; see ``docs/privacy.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ihanoi_core.domain.consent import Consent, Purpose, consent_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ConflictError, ForbiddenError, ValidationError
from ihanoi_core.eventstore.keys import KeyStore
from ihanoi_core.handlers.bus import CommandBus

# Who may read any subject's consents (DESIGN §10), besides the citizen themself.
READERS = frozenset({Role.DPO, Role.ADMIN, Role.SYSTEM})


@dataclass(frozen=True, slots=True)
class ConsentOutcome:
    """A consent after a command: its state and whether an event was recorded."""

    purpose: str
    status: str | None
    changed: bool
    version: int
    position: int | None


def consent_view(consent: Consent | None, purpose: Purpose) -> dict[str, Any]:
    """One purpose's state and history, as plain JSON-ready data."""
    if consent is None:
        return {"purpose": str(purpose), "status": None, "notice_version": None, "channel": None, "history": []}
    return {
        "purpose": str(purpose),
        "status": None if consent.status is None else str(consent.status),
        "notice_version": consent.notice_version,
        "channel": consent.channel,
        "history": [{**entry, "at": entry["at"].isoformat()} for entry in consent.history],
    }


def parse_purpose(purpose: str | Purpose) -> Purpose:
    try:
        return Purpose(purpose)
    except ValueError:
        known = ", ".join(str(p) for p in Purpose)
        raise ValidationError({"purpose": f"unknown purpose {purpose!r}; one of: {known}"}) from None


class ConsentCommands(CommandBus):
    """Consent commands and queries of the ``Ihanoi`` application (module docstring)."""

    personal_keys: KeyStore

    def give_consent(
        self, principal: Principal, purpose: str | Purpose, *, notice_version: str, channel: str | None = None
    ) -> ConsentOutcome:
        """The citizen consents to ``purpose`` under the notice ``notice_version``."""
        subject = self._own(principal, "give_consent")
        chosen = parse_purpose(purpose)
        key_id = self.personal_keys.subject_key_id(subject)
        consent = self._consent(consent_id(subject, chosen, key_id))
        now = self.clock()
        if consent is None:
            consent = Consent(
                id=consent_id(subject, chosen, key_id), actor=principal, subject=subject, purpose=chosen, timestamp=now
            )
        changed = consent.give(principal, notice_version=notice_version, channel=channel, timestamp=now)
        return self._save_consent(consent, chosen, changed)

    def withdraw_consent(
        self, principal: Principal, purpose: str | Purpose, *, reason: str | None = None
    ) -> ConsentOutcome:
        """The citizen withdraws their consent to ``purpose``."""
        subject = self._own(principal, "withdraw_consent")
        chosen = parse_purpose(purpose)
        key = self.personal_keys.subject_key(subject)
        stream = consent_id(subject, chosen, key.id if key else "")
        consent = None if key is None else self._consent(stream)
        if consent is None:
            # Never given: the domain says so, on a consent that is not saved.
            consent = Consent(id=stream, actor=principal, subject=subject, purpose=chosen, timestamp=self.clock())
        changed = consent.withdraw(principal, reason=reason, timestamp=self.clock())
        return self._save_consent(consent, chosen, changed)

    def consents(self, principal: Principal, subject: str | None = None) -> list[dict[str, Any]]:
        """Every purpose with its state and history, for ``subject``."""
        if principal.role is Role.CITIZEN:
            if subject not in (None, principal.subject):
                raise ForbiddenError("consents", principal.role)
            subject = principal.subject
        elif principal.role not in READERS or subject is None:  # None: the caller's own, only citizens' here
            raise ForbiddenError("consents", principal.role)
        if not subject or not subject.strip():
            raise ValidationError({"subject": "name the data subject whose consents to read"})
        return [consent_view(self._current(subject, purpose), purpose) for purpose in Purpose]

    def has_consent(self, subject: str, purpose: str | Purpose) -> bool:
        """Whether ``subject`` has consent to ``purpose`` given now (for the
        channels that use personal data beyond case handling)."""
        consent = self._current(subject, parse_purpose(purpose))
        return consent is not None and consent.is_given

    # -- inside --------------------------------------------------------------

    @staticmethod
    def _own(principal: Principal, command: str) -> str:
        if principal.role is not Role.CITIZEN:
            raise ForbiddenError(command, principal.role)
        return principal.subject

    def _current(self, subject: str, purpose: Purpose) -> Consent | None:
        key = self.personal_keys.subject_key(subject)
        return None if key is None else self._consent(consent_id(subject, purpose, key.id))

    def _consent(self, stream: UUID) -> Consent | None:
        return self._stored(stream, Consent)

    def _save_consent(self, consent: Consent, purpose: Purpose, changed: bool) -> ConsentOutcome:
        position = None
        if changed:
            try:
                recordings = self.events.put(consent.collect_events())
            except IntegrityError:
                raise ConflictError(consent.id, "Your consent changed meanwhile; try again.") from None
            self._announce_saved()
            position = recordings[-1].notification.id
        status = None if consent.status is None else str(consent.status)
        return ConsentOutcome(str(purpose), status, changed, consent.version, position)
