"""The notification log as JSON lines, for auditors and archives.

One object per stored event, in position order, with these fields (a stable
contract, documented in ``docs/audit.md``):

- ``position``: the event's position in the log (notification id);
- ``case_id``: the id of the aggregate it belongs to (a case, a case-code
  index entry, a survey response);
- ``version``: the aggregate's version after the event (1 = created);
- ``event``: the event's name (``Submitted``, ``Acknowledged`` …);
- ``topic``: the stored topic (module and class of the event);
- ``timestamp``: when it happened, ISO 8601 in UTC;
- ``actor``: ``{"subject", "role", "agency"}`` of who caused it, or null;
- ``data``: the event's own fields, keys sorted, datetimes in UTC.

Personal data is redacted as for an auditor: personal fields are null, a
citizen actor's subject is null (a denouncer's is the case's pseudonym), a
denouncer's identity is the pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import resolve_topic

from ihanoi_core.audit.chain import PAGE_SIZE, read_log
from ihanoi_core.audit.history import Redaction, personal_event_fields, plain
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.case_code import code_id
from ihanoi_core.errors import CaseNotFoundError

if TYPE_CHECKING:
    from ihanoi_core.application import Ihanoi

PROGRESS_EVERY = 1000
EXPORT_FIELDS = ("position", "case_id", "version", "event", "topic", "timestamp", "actor", "data")


class _Redactions:
    """The auditor's redaction of each aggregate, found once per aggregate."""

    def __init__(self, app: Ihanoi) -> None:
        self.app = app
        self._by_id: dict[Any, Redaction] = {}

    def of(self, event: Any) -> Redaction:
        found = self._by_id.get(event.originator_id)
        if found is None:
            found = self._by_id[event.originator_id] = self._find(event)
        return found

    def _find(self, event: Any) -> Redaction:
        topic = getattr(event, "originator_topic", None)
        if topic is None:
            first: Any = next(iter(self.app.events.get(event.originator_id, lte=1)))
            topic = first.originator_topic
        aggregate_class = resolve_topic(topic)
        if isinstance(aggregate_class, type) and issubclass(aggregate_class, Case):
            # Pseudonyms (a denouncer's) need the case itself; other kinds do not.
            if aggregate_class.pseudonymised_fields is not Case.pseudonymised_fields:
                case: Any = self.app.repository.get(event.originator_id)
                return Redaction.for_case(case, entitled=False)
            return Redaction(entitled=False, personal=personal_event_fields(aggregate_class))
        if isinstance(aggregate_class, type):
            return Redaction(entitled=False, personal=personal_event_fields(aggregate_class))
        return Redaction(entitled=False)


def export_events(
    app: Ihanoi,
    *,
    since_position: int = 0,
    since_time: datetime | None = None,
    case: UUID | str | None = None,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """The stored events after position ``since_position``, optionally only
    those recorded at or after ``since_time`` and only those of ``case`` (its
    own events and its case-code registration), as export records.
    ``progress`` is called with the number of stored events read (exported or
    not) since its last call."""
    wanted: set[UUID] | None = None
    if case is not None:
        case_id = app.resolve_case_id(case)
        try:
            current: Any = app.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFoundError(case) from None
        if not isinstance(current, Case):
            raise CaseNotFoundError(case)
        wanted = {case_id, code_id(current.code)}
    redactions = _Redactions(app)
    read = 0
    for notification in read_log(app.recorder, after=since_position, page_size=page_size):
        read += 1
        if progress is not None and read == PROGRESS_EVERY:
            progress(read)
            read = 0
        if wanted is not None and notification.originator_id not in wanted:
            continue
        event: Any = app.mapper.to_domain_event(notification)
        if since_time is not None and event.timestamp < since_time:
            continue
        redaction = redactions.of(event)
        yield {
            "position": notification.id,
            "case_id": str(notification.originator_id),
            "version": notification.originator_version,
            "event": type(event).__name__,
            "topic": notification.topic,
            "timestamp": plain(event.timestamp, UTC),
            "actor": redaction.actor(getattr(event, "actor", None)),
            "data": plain(redaction.fields(event), UTC),
        }
    if progress is not None and read:
        progress(read)


def export_line(record: dict[str, Any]) -> bytes:
    """One export record as a JSON line."""
    return orjson.dumps(record) + b"\n"
