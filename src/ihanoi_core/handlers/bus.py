"""The command bus: ``handle(principal, command)`` and what every command shares.

``CommandBus`` is the write side of the ``Ihanoi`` application. ``handle``
looks the command's type up in the handler table (``handlers.table``) and runs
it. A command on a case

1. loads the case (``CaseNotFoundError`` when it does not exist),
2. checks that the principal may see it and run the command (DESIGN §2),
3. checks ``expected_version`` when the caller gave one (HTTP ``If-Match``),
4. lets the aggregate decide (it raises and appends nothing if it refuses),
5. saves all new events in one atomic transaction; losing a race to another
   writer raises ``ConflictError`` and saves nothing.

A command that creates a case is authorised by its role list, checked by its
handler, and saved with the case's code index (``_create``: idempotency keys,
code allotment). ``handle`` returns a ``CommandResult``: the case id, code,
status, version and the log position to wait for when reading one's own write.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid4, uuid5
from zoneinfo import ZoneInfo

import msgspec
from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore, IntegrityError, Recording

from ihanoi_core.commands.command import CaseCommand, Command, CreateCommand
from ihanoi_core.directory import Directory
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.case_code import CaseCode, code_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import (
    CaseNotFoundError,
    ConflictError,
    IdempotencyKeyReusedError,
    ValidationError,
    VersionMismatchError,
)
from ihanoi_core.eventstore.cache import CaseCache, CodeCache, clone
from ihanoi_core.eventstore.keys import KeyStore
from ihanoi_core.eventstore.mutate import replay
from ihanoi_core.handlers.table import HANDLERS, Build, Context
from ihanoi_core.knowledge.answers import Answerer
from ihanoi_core.law.calendar import WorkingCalendar
from ihanoi_core.media.store import PhotoLibrary
from ihanoi_core.permissions import authorize, authorize_create, can_see
from ihanoi_core.settings import Settings

IDEMPOTENCY_NAMESPACE = UUID("9b0f7c1e-1d7a-4e43-8d2b-8f0e5d6c4a21")
CODE_ATTEMPTS = 8
MAX_IDEMPOTENCY_KEY = 200
CaseT = TypeVar("CaseT", bound=Case)
StoredT = TypeVar("StoredT")


def code_index(
    case: Case, kind: str, actor: Principal, timestamp: datetime, request_fingerprint: str | None = None
) -> CaseCode:
    """The row of the code index a new case is saved with, in the same save:
    its code is taken once, so a second case given the same code fails to save."""
    return CaseCode(
        id=code_id(case.code),
        code=case.code,
        case_id=case.id,
        kind=kind,
        actor=actor,
        timestamp=timestamp,
        request_fingerprint=request_fingerprint,
    )


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command returns: never the aggregate itself."""

    case_id: UUID
    code: str
    kind: str
    status: str
    version: int
    position: int
    created: bool = False
    # False when the case decided nothing changes (a repeated support, a
    # deadline threshold already recorded): nothing was saved.
    changed: bool = True


class CommandBus:
    """The write side of the application; see the module docstring."""

    directory: Directory
    calendar: WorkingCalendar
    case_cache: CaseCache
    code_cache: CodeCache
    save_listeners: list[Callable[[], None]]
    clock: Callable[[], datetime]
    timezone: ZoneInfo
    settings: Settings
    photos: PhotoLibrary
    # Who answers a question as it is asked (the Q&A switchboard, set by whoever
    # holds the read models: ``ihanoi_projections.queries.questions``); None hands every question off.
    answerer: Answerer | None = None

    if TYPE_CHECKING:
        personal_keys: KeyStore
        repository: Repository[UUID]
        events: EventStore[UUID]

        def head_position(self) -> int: ...

    # -- pseudonyms ------------------------------------------------------------

    def pseudonym(self, case_id: UUID, subject: str) -> str:
        """A citizen's pseudonym for one case (a report's supporter): keyed by
        the personal-data store's secret pepper (``KeyStore.subject_hash``), so it
        cannot be recomputed from a subject id without it, stays stable when the
        JWT secret rotates, and differs between cases, so two pseudonyms never
        show that one citizen supported both reports."""
        key = bytes.fromhex(self.personal_keys.subject_hash(subject))
        return hmac.new(key, case_id.bytes, hashlib.sha256).hexdigest()[:32]

    # -- loading and saving -------------------------------------------------

    def _get(self, aggregate_id: UUID) -> Any:
        """``repository.get`` with a projector that skips the library's
        per-event runtime-protocol checks (slow on Python 3.11)."""
        return self.repository.get(aggregate_id, projector_func=replay)

    # Bypass (``Application.save``): skips its per-save protocol checks. `make bench` prints the pay-off as
    # "SQLite NORMAL|FULL: ihanoi vs saving through Application.save" (1.12 and 1.07 on 2026-12-06; the runs
    # are interleaved).
    def _store(self, *aggregates: Aggregate, uncached: tuple[Aggregate, ...] = ()) -> list[Recording[UUID]]:
        """Save the pending events of ``aggregates`` (and of ``uncached``, kept
        out of the case cache: indexes nobody loads again) in one atomic
        transaction. Equivalent to ``Application.save`` without its
        runtime-protocol checks, snapshots and system-runner prompts, none of
        which ihanoi uses."""
        events = [event for aggregate in (*aggregates, *uncached) for event in aggregate.collect_events()]
        recordings = self.events.put(events)
        for aggregate in aggregates:
            self.case_cache.put(aggregate)
        self._announce_saved()
        return recordings

    def _announce_saved(self) -> None:
        """Tell in-process listeners (projection runners) that the log grew."""
        for listener in self.save_listeners:
            listener()

    def _cached(self, aggregate_id: UUID) -> Any:
        """The aggregate as stored now: the cached state fast-forwarded with any
        newer events, or a full replay when it is not cached. Raises the
        library's ``AggregateNotFoundError``."""
        aggregate: Any = self.case_cache.get(aggregate_id)
        if aggregate is None:
            aggregate = self._get(aggregate_id)
            self.case_cache.put(clone(aggregate))
            return aggregate
        return replay(aggregate, self.events.get(aggregate_id, gt=aggregate.version))

    def _stored(self, aggregate_id: UUID, kind: type[StoredT], *, cached: bool = False) -> StoredT | None:
        """The ``kind`` aggregate stored under ``aggregate_id``, or None when
        nothing is stored there or something else is. ``cached`` reads through
        the case cache (``_cached``: what commands load again); by default it
        reads past it (an index, a consent, a request, which it never holds)."""
        try:
            found = self._cached(aggregate_id) if cached else self._get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def _load(self, case_id: UUID, kind: type[CaseT]) -> CaseT:
        """The case as stored now (``_cached``)."""
        case = self._stored(case_id, kind, cached=True)
        if case is None:
            raise CaseNotFoundError(case_id)
        return case

    def load_visible(self, principal: Principal, case: UUID | str, kind: type[CaseT]) -> CaseT | None:
        """Another case a command refers to (an original, a first complaint),
        if it exists, is a ``kind`` and the principal may see it; else None."""
        try:
            found = self._load(self.resolve_case_id(case), kind)
        except CaseNotFoundError:
            return None
        return found if can_see(principal, found) else None

    def resolve_case_id(self, case: UUID | str) -> UUID:
        """A case id from an id or a human code (``PA-261128-483920``)."""
        if isinstance(case, UUID):
            return case
        try:
            return UUID(case)
        except ValueError:
            pass
        code = case.strip().upper()
        if (known := self.code_cache.get(code)) is not None:
            return known
        try:
            index: CaseCode = self._get(code_id(code))
        except AggregateNotFoundError:
            raise CaseNotFoundError(case) from None
        assert isinstance(index, CaseCode)
        self.code_cache.put(code, index.case_id)
        return index.case_id

    # -- commands -----------------------------------------------------------

    def handle(
        self,
        principal: Principal,
        command: Command,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        """Run ``command`` as ``principal``. ``expected_version`` (a case
        command) refuses it if the case changed since that version;
        ``idempotency_key`` (a command that creates a case) makes a retry
        return the first case. Raises ``TypeError`` for an object that is not
        a command this application handles."""
        handler = HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"{type(command).__name__} is not a command this application handles")
        if handler.shape == "handles":
            if idempotency_key is not None:  # A whole-command handler is not given one.
                raise TypeError(f"{type(command).__name__} takes no idempotency key")
            result: CommandResult = handler.function(self, principal, command, expected_version)
            return result
        if isinstance(command, CreateCommand):
            if expected_version is not None:
                raise TypeError("a command that creates a case has no version to expect")
            return self._create_case(principal, command, handler.function, idempotency_key)
        assert isinstance(command, CaseCommand)
        if idempotency_key is not None:
            raise TypeError("idempotency keys are for commands that create a case")
        decide = handler.function
        return self._act(
            principal,
            self.resolve_case_id(command.case),
            command.family,
            command.step(),
            lambda case, now: decide(case, command, Context(principal, now, self)),
            expected_version,
            on_public_feed=command.on_public_feed,
        )

    def _create_case(
        self,
        principal: Principal,
        command: CreateCommand,
        handler: Callable[[CreateCommand, Context], Build],
        idempotency_key: str | None,
    ) -> CommandResult:
        """Authorise, let the handler check the input, then create once. The
        fingerprint kept with an idempotency key is the command's digest (its
        fields in sorted-key JSON), so a retry must carry the same input."""
        case_type = command.case_type()
        authorize_create(principal, case_type.kind, command.roles)
        now = self.clock()
        build = handler(command, Context(principal, now, self))
        fingerprint = None
        if idempotency_key is not None:  # kept only with a key: a request without one is never retried as the same
            fingerprint = hashlib.sha256(msgspec.json.encode(command, order="sorted")).hexdigest()
        return self._create(principal, case_type, command.roles, idempotency_key, build, fingerprint, now=now)

    def _act(
        self,
        principal: Principal,
        case_id: UUID,
        kind: type[CaseT],
        command: str,
        decide: Callable[[CaseT, datetime], None],
        expected_version: int | None = None,
        *,
        on_public_feed: bool = False,
    ) -> CommandResult:
        case = self._load(case_id, kind)
        authorize(principal, case, command, case_id, on_public_feed=on_public_feed)
        if expected_version is not None and case.version != expected_version:
            raise VersionMismatchError(case_id, expected_version, case.version)
        decide(case, self.clock())
        if not case.pending_events:  # The case decided nothing changes (a repeated support).
            return self._result(case, self.head_position(), changed=False)
        try:
            recordings = self._store(case)
        except IntegrityError:
            raise ConflictError(case_id) from None
        return self._result(case, recordings[-1].notification.id)

    def _create(
        self,
        principal: Principal,
        kind: type[CaseT],
        allowed: frozenset[Role],
        idempotency_key: str | None,
        build: Build,
        request_fingerprint: str | None = None,
        now: datetime | None = None,
    ) -> CommandResult:
        """Create a case once. With an idempotency key the case id is derived
        from (kind, principal, key), so a retry finds the first case instead of
        making a second one — also when two retries race. ``request_fingerprint``
        (a digest of the request, e.g. its canonical body) is kept with the
        case's code: a later request with the same key and another fingerprint
        raises ``IdempotencyKeyReusedError`` rather than answering with a case
        it did not ask for."""
        authorize_create(principal, kind.kind, allowed)
        case_id = self._new_case_id(principal, kind.kind, idempotency_key)
        if idempotency_key is not None and (existing := self._existing(case_id, kind, request_fingerprint)) is not None:
            return existing
        now = now or self.clock()
        for attempt in range(CODE_ATTEMPTS):
            code = self._make_code(kind.code_prefix, now, case_id, attempt)
            case = build(id=case_id, code=code, actor=principal, timestamp=now)
            index = code_index(
                case, kind.kind, principal, now, request_fingerprint if idempotency_key is not None else None
            )
            try:
                recordings = self._store(case, index)
            except IntegrityError:
                if (existing := self._existing(case_id, kind, request_fingerprint)) is not None:
                    return existing
                continue  # The code was taken by another case: try the next one.
            return self._result(case, recordings[-1].notification.id, created=True)
        raise ConflictError(case_id, "Could not allocate a unique case code; retry.")

    def _existing(self, case_id: UUID, kind: type[CaseT], request_fingerprint: str | None) -> CommandResult | None:
        """The case an earlier request with the same key created, if any. Its
        fingerprint must match this request's; a case created before
        fingerprints were kept (or without one) matches any request."""
        try:
            case: Case = self._get(case_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(case, kind):
            raise ValidationError({"idempotency_key": "was already used for a different kind of case"})
        if request_fingerprint is not None:
            index: CaseCode = self._get(code_id(case.code))
            if index.request_fingerprint not in (None, request_fingerprint):
                raise IdempotencyKeyReusedError(case_id)
        return self._result(case, self.head_position())

    @staticmethod
    def _new_case_id(principal: Principal, kind: str, idempotency_key: str | None) -> UUID:
        if idempotency_key is None:
            return uuid4()
        if not idempotency_key.strip() or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise ValidationError({"idempotency_key": f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters"})
        return uuid5(IDEMPOTENCY_NAMESPACE, f"{kind}\x1f{principal.subject}\x1f{idempotency_key}")

    def _make_code(self, prefix: str, now: datetime, case_id: UUID, attempt: int) -> str:
        """``PA-261128-483920``: kind, local date, six digits derived from the id."""
        digest = hashlib.blake2b(case_id.bytes + bytes([attempt]), digest_size=8).digest()
        number = int.from_bytes(digest, "big") % 1_000_000
        return f"{prefix}-{now.astimezone(self.timezone):%y%m%d}-{number:06d}"

    @staticmethod
    def _result(case: Case, position: int, *, created: bool = False, changed: bool = True) -> CommandResult:
        return CommandResult(
            case_id=case.id,
            code=case.code,
            kind=case.kind,
            status=str(case.status),
            version=case.version,
            position=position,
            created=created,
            changed=changed,
        )
