"""A case's history (who did what, when) and its state at any past version or time.

``case_history`` lists every event of a case with its time in the city's zone,
its actor (subject, role, agency), its name and what it changed: the event's
own fields. ``case_state`` is the case exactly as it stood after a version, or
at a moment (the last version recorded at or before it).

Both decide access like every query of the application: auditors see every
case, staff and citizens the cases they can see now, and a case they may not
see is not found. Personal data is shown only to those entitled to it now
(``Case.can_read_personal`` on the current state) — for a past state, to those
entitled both then and now. Everyone else sees personal fields as ``None`` and
a denunciation's denouncer by the pseudonym, also where the denouncer appears
as the actor of an event (filing, withdrawing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ihanoi_core.case_views import REDACTED, case_view
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.personal import personal_fields
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, NotFoundError, ValidationError
from ihanoi_core.eventstore.mutate import replay
from ihanoi_core.permissions import can_see

if TYPE_CHECKING:
    from ihanoi_core.application import Ihanoi

AUDITOR = Principal("ihanoi-audit", Role.AUDITOR)
"""Who the audit tooling reads as by default: sees every case, no personal data."""

# Fields every event carries; the history shows them as time and actor, not as changes.
BOOKKEEPING = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp", "actor"})
# Event fields that record a personal attribute of the case under another name.
EVENT_FIELD_ALIASES: Mapping[str, str] = {"reporter": "owner"}


class VersionNotFoundError(NotFoundError):
    """Raised when a case is asked for a version it never had, or for its state
    at a moment before it was filed."""

    code = "version_not_found"

    def __init__(self, case_id: UUID, detail: str) -> None:
        super().__init__(detail, case_id=str(case_id))
        self.case_id = case_id


# -- redaction -------------------------------------------------------------------------


def personal_event_fields(aggregate_class: type) -> frozenset[str]:
    """The event fields that hold personal data of an aggregate of this class:
    a case's ``PERSONAL_FIELDS``; for any other aggregate (an erasure request),
    what its events declare personal (``domain.personal``), the actor aside."""
    personal = frozenset(getattr(aggregate_class, "PERSONAL_FIELDS", ()))
    if not issubclass(aggregate_class, Case):
        events = [value for value in vars(aggregate_class).values() if isinstance(value, type)]
        personal |= {name for event in events for name in personal_fields(event)} - {"actor"}
    return personal | {name for name, attribute in EVENT_FIELD_ALIASES.items() if attribute in personal}


@dataclass(frozen=True)
class Redaction:
    """How one case's events are shown to one reader."""

    entitled: bool
    personal: frozenset[str] = frozenset()
    pseudonyms: Mapping[str, object] = field(default_factory=dict)
    actor_pseudonym: str | None = None

    @classmethod
    def for_case(cls, case: Any, entitled: bool) -> Redaction:
        """The redaction of ``case``'s events (``case`` may be any aggregate)."""
        if entitled:
            return cls(entitled=True)
        pseudonyms = case.pseudonymised_fields() if isinstance(case, Case) else {}
        pseudonym = getattr(case, "pseudonym", None)
        return cls(
            entitled=False,
            personal=personal_event_fields(type(case)),
            pseudonyms=pseudonyms,
            actor_pseudonym=pseudonym if isinstance(pseudonym, str) else None,
        )

    def actor(self, actor: object) -> dict[str, Any] | None:
        """The actor as this reader may see it. A citizen's subject id is
        personal data: the denouncer's pseudonym or ``None`` for those not entitled."""
        if not isinstance(actor, Principal):
            return None
        subject: str | None = actor.subject
        if not self.entitled and actor.role is Role.CITIZEN:
            subject = self.actor_pseudonym
        return {"subject": subject, "role": actor.role.value, "agency": actor.agency}

    def fields(self, event: Any) -> dict[str, Any]:
        """The event's own fields (not its bookkeeping), personal ones redacted."""
        data: dict[str, Any] = {}
        for name, value in sorted(vars(event).items()):
            if name in BOOKKEEPING or name.startswith("_"):
                continue
            if not self.entitled and name in self.personal:
                value = self.pseudonyms.get(EVENT_FIELD_ALIASES.get(name, name), REDACTED)
            data[name] = value
        return data


def plain(value: Any, zone: tzinfo | None = None) -> Any:
    """``value`` as JSON-ready data: datetimes as ISO 8601 (in ``zone`` when
    given), ids and decimals as text, enums by value, value objects as objects."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, datetime):
        return (value.astimezone(zone) if zone is not None else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value, zone)
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(item, zone) for name, item in asdict(value).items()}
    if isinstance(value, Mapping):
        return {str(key): plain(item, zone) for key, item in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(plain(item, zone) for item in value)
    if isinstance(value, (list, tuple)):
        return [plain(item, zone) for item in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


# -- history ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of a case: when (in the city's zone), who, what."""

    version: int
    time: datetime
    event: str
    actor: dict[str, Any] | None
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseHistory:
    case_id: UUID
    code: str
    kind: str
    entries: tuple[HistoryEntry, ...]


def _visible_events(app: Ihanoi, principal: Principal, case: UUID | str) -> tuple[UUID, Case, list[Any]]:
    """The case's id, current state and events, if ``principal`` may see it."""
    case_id = app.resolve_case_id(case)
    events = list(app.events.get(case_id))
    current = replay(None, events) if events else None
    if not isinstance(current, Case) or not can_see(principal, current):
        raise CaseNotFoundError(case)
    return case_id, current, events


def case_history(app: Ihanoi, principal: Principal, case: UUID | str) -> CaseHistory:
    """Every event of ``case`` (an id or a case code) as ``principal`` may see it."""
    case_id, current, events = _visible_events(app, principal, case)
    redaction = Redaction.for_case(current, current.can_read_personal(principal))
    entries = tuple(
        HistoryEntry(
            version=event.originator_version,
            time=event.timestamp.astimezone(app.timezone),
            event=type(event).__name__,
            actor=redaction.actor(getattr(event, "actor", None)),
            changes=redaction.fields(event),
        )
        for event in events
    )
    return CaseHistory(case_id=case_id, code=current.code, kind=current.kind, entries=entries)


# -- time travel -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseState:
    """A case as it stood after ``version``, recorded at ``recorded_at``."""

    case_id: UUID
    version: int
    recorded_at: datetime
    state: dict[str, Any]


def version_as_of(events: Sequence[Any], moment: datetime) -> int | None:
    """The last version recorded at or before ``moment`` (None: not yet filed)."""
    found: int | None = None
    for event in events:
        if event.timestamp <= moment:
            found = event.originator_version
    return found


def case_state(
    app: Ihanoi,
    principal: Principal,
    case: UUID | str,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
) -> CaseState:
    """The case exactly as it stood after ``version``, or at the moment
    ``as_of`` (an aware datetime). Give exactly one."""
    if (version is None) == (as_of is None):
        raise ValidationError({"version": "give exactly one of version and as_of"})
    if as_of is not None and as_of.tzinfo is None:
        raise ValidationError({"as_of": "must carry a time zone"})
    case_id, current, events = _visible_events(app, principal, case)
    if as_of is not None:
        version = version_as_of(events, as_of)
        if version is None:
            raise VersionNotFoundError(case_id, f"Case {current.code} was not yet filed at {as_of.isoformat()}.")
    assert version is not None
    if not 1 <= version <= current.version:
        raise VersionNotFoundError(case_id, f"Case {current.code} has versions 1 to {current.version}, not {version}.")
    # Versions run 1, 2, 3 … with no gaps: the first ``version`` events are the case then.
    then = replay(None, events[:version])
    state = case_view(then, principal)
    if not current.can_read_personal(principal):
        state = _redacted(state, current)
    return CaseState(
        case_id=case_id,
        version=version,
        recorded_at=then.modified_on.astimezone(app.timezone),
        state=state,
    )


def _redacted(state: dict[str, Any], current: Case) -> dict[str, Any]:
    state = dict(state)
    for name in current.PERSONAL_FIELDS:
        if name in state:
            state[name] = REDACTED
    state.update(current.pseudonymised_fields())
    return state


def parse_moment(text: str, zone: tzinfo, name: str = "as_of") -> datetime:
    """An ISO 8601 date or time; without an offset it is read in ``zone``
    (the city's time), and a bare date means its first instant."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({name: f"{text!r} is not an ISO 8601 time, e.g. 2026-12-01T09:30"}) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def entries_as_rows(entries: Iterable[HistoryEntry], zone: tzinfo) -> list[dict[str, Any]]:
    """History entries as JSON-ready objects (time in ``zone``)."""
    return [
        {
            "version": entry.version,
            "time": entry.time.astimezone(zone).isoformat(),
            "event": entry.event,
            "actor": entry.actor,
            "changes": plain(entry.changes, zone),
        }
        for entry in entries
    ]
