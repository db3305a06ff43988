"""Erasure of a data subject's personal data: requests, decisions, crypto-shredding.

A person asks for their own data (``request_erasure``): a citizen, or a
person acting for a business (their personal data is theirs; the business's
tax code and its inquiries stay); the data protection officer or the
platform admin decides (``decide_erasure``), or erases at once on a request
received another way (``erase_subject``, the ``ihanoi privacy erase`` command).
Granting runs ``_erase``:

1. find the subject's data key and every stream it seals;
2. refuse, naming each retention rule and the case it holds, if any rule of
   the directory holds one of the subject's cases (``holds``);
3. otherwise save, in one transaction, ``SubjectErased`` on the request and
   ``PersonalDataErased`` on each of the subject's cases — so every read model
   drops what it held of the subject through its usual projection, and a
   rebuild from the log gives the same rows — and ``Consent.Withdrawn`` on
   each consent of theirs still given (an erased person consents to nothing),
   and ``PersonalDataErased`` on their contactability (no channel, no
   preference, no alert ward: the notification outbox forgets them);
4. then destroy the key: every sealed field of the subject reads as erased in
   every event, copy and backup of the log. The events themselves and the
   audit chain over their stored bytes stay as they were.

If the process stops between 3 and 4, the key survives; erasing the subject
again records a second erasure and destroys it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ihanoi_core.channels.callers import TEL, caller_id
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.consent import Consent
from ihanoi_core.domain.contactability import Contactability
from ihanoi_core.domain.conversation import Conversation, LinkCode
from ihanoi_core.domain.erasure import ErasureRequest, ErasureStatus
from ihanoi_core.domain.personal import ERASED
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import (
    CaseNotFoundError,
    ConflictError,
    ErasureRequestNotFoundError,
    ForbiddenError,
    InvalidTransitionError,
    ValidationError,
)
from ihanoi_core.eventstore.keys import KeyStore
from ihanoi_core.eventstore.sealing import stream_subject
from ihanoi_core.handlers.bus import CommandBus
from ihanoi_core.privacy.export import personal_data_export
from ihanoi_core.privacy.holds import Hold, holds_on, refusal_basis, refusal_reason

# Who decides erasure requests and may read a subject's data for it (DESIGN §10).
DECIDERS = frozenset({Role.DPO, Role.ADMIN, Role.SYSTEM})
# Who asks about their own data: a citizen, and a person acting for a business
# (``business.md``: their subject is sealed like a citizen's).
DATA_SUBJECTS = frozenset({Role.CITIZEN, Role.BUSINESS})
CASE_SUBJECT = "case:"
# Why an erasure withdraws a consent (sealed like any reason: it reads as erased after).
ERASURE_WITHDRAWAL = "the data subject's personal data was erased"


@dataclass(frozen=True, slots=True)
class ErasureOutcome:
    """Where a request stands after a command: never the aggregate itself."""

    request_id: UUID
    status: str
    cases: tuple[str, ...]
    holds: tuple[Hold, ...]
    position: int


class PrivacyCommands(CommandBus):
    """Erasure requests and their decisions (see module docstring), and the
    export of what is held about a subject (``export``)."""

    personal_keys: KeyStore

    def request_erasure(self, principal: Principal, reason: str) -> ErasureOutcome:
        """A person (``DATA_SUBJECTS``) asks for their own personal data to be erased."""
        if principal.role not in DATA_SUBJECTS:
            raise ForbiddenError("request_erasure", principal.role)
        request = ErasureRequest.request(
            id=uuid4(), actor=principal, subject=principal.subject, reason=reason, timestamp=self.clock()
        )
        return self._outcome(request, self._put(request))

    def decide_erasure(
        self, principal: Principal, request_id: UUID, *, grant: bool, reason: str, legal_basis: str
    ) -> ErasureOutcome:
        """Grant (erase, unless a retention rule holds) or refuse a request."""
        self._require_decider(principal, "decide_erasure")
        request = self._erasure_request(request_id)
        if grant:
            return self._erase(principal, request, reason, legal_basis)
        request.refuse(principal, reason, legal_basis, timestamp=self.clock())
        return self._outcome(request, self._put(request))

    def erase_subject(self, principal: Principal, subject: str, *, reason: str, legal_basis: str) -> ErasureOutcome:
        """Record a request for ``subject`` (a subject id, or ``case:CODE`` for
        the caller behind a hotline or partner filing) and decide it at once."""
        self._require_decider(principal, "erase_subject")
        request = ErasureRequest.request(
            id=uuid4(), actor=principal, subject=self.data_subject(subject), reason=reason, timestamp=self.clock()
        )
        self._put(request)
        return self._erase(principal, request, reason, legal_basis)

    def export_personal_data(self, principal: Principal, subject: str | None = None) -> dict[str, Any]:
        """Every personal datum held about ``subject`` and every case it appears
        in (``export``); a person (``DATA_SUBJECTS``) may ask only about themselves."""
        if principal.role in DATA_SUBJECTS:
            if subject not in (None, principal.subject):
                raise ForbiddenError("export_personal_data", principal.role)
            subject = principal.subject
        else:
            self._require_decider(principal, "export_personal_data")
            if subject is None:  # The caller's own data (``/me/data``): only data subjects have some here.
                raise ForbiddenError("export_personal_data", principal.role)
        if not subject or not subject.strip():
            raise ValidationError({"subject": "name the data subject whose data to export"})
        return personal_data_export(self.events, self.personal_keys, subject, self.clock())

    def get_erasure_request(self, principal: Principal, request_id: UUID) -> dict[str, Any]:
        """The request as its requester or a decider may read it."""
        request = self._erasure_request(request_id)
        if principal.role not in DECIDERS and (request.subject is None or request.subject != principal.subject):
            raise ErasureRequestNotFoundError(request_id)
        return {
            "id": request.id,
            "status": str(request.status),
            "requested_at": request.created_on,
            "reason": request.reason,
            "decided_at": request.decided_at,
            "decision_reason": request.decision_reason,
            "legal_basis": request.legal_basis,
            "rules": list(request.rules),
            "cases": list(request.cases),
            "version": request.version,
        }

    def data_subject(self, subject: str) -> str:
        """A subject id as given, for ``tel:NUMBER`` the hotline caller of that
        number, or for ``case:CODE`` the subject of a case filed without an
        account (``ValidationError`` if the case has an owner, whose own
        subject id must be named instead)."""
        subject = subject.strip()
        if subject.startswith(TEL):  # a hotline caller, by their number (``channels.callers``)
            return f"hotline:{caller_id(self.personal_keys, subject.removeprefix(TEL))}"
        if not subject.startswith(CASE_SUBJECT):
            if not subject:
                raise ValidationError({"subject": "must not be empty"})
            return subject
        case_id = self.resolve_case_id(subject.removeprefix(CASE_SUBJECT))
        key_id = self.personal_keys.stream_key(case_id)
        own = stream_subject(case_id)
        if key_id is None or not self.personal_keys.is_subject_of(key_id, own):
            raise ValidationError({"subject": "this case's personal data belongs to a subject id: name that instead"})
        return own

    def subject_streams(self, subject: str) -> list[UUID]:
        """Every stream sealed with ``subject``'s live key."""
        key = self.personal_keys.subject_key(subject)
        return [] if key is None else self.personal_keys.streams(key.id)

    # -- inside --------------------------------------------------------------

    def _erase(self, principal: Principal, request: ErasureRequest, reason: str, legal_basis: str) -> ErasureOutcome:
        if request.status is not ErasureStatus.REQUESTED:
            raise InvalidTransitionError(request.id, "erase", request.status, (ErasureStatus.REQUESTED,))
        now = self.clock()
        # No subject left to read: another request erased them already.
        key = None if request.subject is None else self.personal_keys.subject_key(request.subject)
        streams = [] if key is None else self.personal_keys.streams(key.id)
        cases = self._cases(streams)
        codes = tuple(case.code for case in cases)
        if holds := holds_on(self.directory.retention, cases, now):
            request.refuse(
                principal,
                refusal_reason(holds),
                refusal_basis(holds),
                rules=tuple(dict.fromkeys(hold.rule for hold in holds)),
                cases=tuple(dict.fromkeys(hold.case for hold in holds)),
                timestamp=now,
            )
            return self._outcome(request, self._put(request), holds)
        for case in cases:
            case.erase_personal_data(principal, request.id, timestamp=now)
        held = self._others(streams)
        consents = [consent for consent in held if isinstance(consent, Consent) and consent.is_given]
        for consent in consents:
            consent.withdraw(principal, reason=ERASURE_WITHDRAWAL, timestamp=now)
        # Their channel settings, the chat or hotline threads they are the user of, and the
        # threads they linked to their account with a code (``channels.md``): those go whole.
        threads = self._linked_threads(held)
        people: list[Contactability | Conversation] = [
            person for person in held if isinstance(person, (Contactability, Conversation))
        ]
        people.extend(threads)
        for person in people:
            person.erase_personal_data(principal, request.id, timestamp=now)
        request.record_erasure(principal, reason, legal_basis, key=key.id if key else "", cases=codes, timestamp=now)
        try:
            recordings = self._store(*cases, *consents, *people, request)
        except IntegrityError:
            raise ConflictError(request.id, "A case of the subject changed meanwhile; decide again.") from None
        if key is not None:
            self.personal_keys.destroy(key.id)
        for thread in threads:
            if (thread_key := self.personal_keys.stream_key(thread.id)) is not None:
                self.personal_keys.destroy(thread_key)
        return self._outcome(request, recordings[-1].notification.id)

    def _linked_threads(self, held: list[Aggregate]) -> list[Conversation]:
        """The chat threads the subject linked to their account (by the codes they were issued)."""
        found: list[Conversation] = []
        for code in held:
            if isinstance(code, LinkCode) and code.used_by is not None:
                thread = self._stored(code.used_by, Conversation)
                if thread is not None and thread.external_user != ERASED:
                    found.append(thread)
        return found

    def _cases(self, streams: list[UUID]) -> list[Case]:
        cases = []
        for stream in streams:
            try:
                aggregate = self._load(stream, Case)
            except CaseNotFoundError:  # a code index, a survey response, a request: not a case
                continue
            cases.append(aggregate)
        return cases

    def _others(self, streams: list[UUID]) -> list[Aggregate]:
        """The subject's aggregates that are not cases: consents, their
        contactability (code indexes and survey responses are among them)."""
        loaded = []
        for stream in streams:
            try:
                aggregate = self._get(stream)
            except AggregateNotFoundError:
                continue
            if not isinstance(aggregate, Case):
                loaded.append(aggregate)
        return loaded

    def _erasure_request(self, request_id: UUID) -> ErasureRequest:
        request = self._stored(request_id, ErasureRequest)
        if request is None:
            raise ErasureRequestNotFoundError(request_id)
        return request

    def _put(self, request: ErasureRequest) -> int:
        recordings = self.events.put(request.collect_events())
        self._announce_saved()
        return recordings[-1].notification.id

    @staticmethod
    def _require_decider(principal: Principal, command: str) -> None:
        if principal.role not in DECIDERS:
            raise ForbiddenError(command, principal.role)

    @staticmethod
    def _outcome(request: ErasureRequest, position: int, holds: list[Hold] | None = None) -> ErasureOutcome:
        return ErasureOutcome(request.id, str(request.status), request.cases, tuple(holds or ()), position)
