"""Subject access: every personal datum held about a data subject, machine-readable.

Law 91/2025/QH15 gives a data subject the right to see and to be provided with
their personal data. ``export_personal_data`` walks every stream the subject's
data key seals — their cases, the code registrations of the cases they filed,
their survey responses, their erasure requests, their consents — and lists, event by event,
each declared personal field with its value, whose data it is, and the case
(kind, code, status) it belongs to, and each consent's purpose, state and
history. Plain JSON-ready data (str, int, lists, dicts), the same for
``GET /api/v1/me/data`` and ``ihanoi privacy export``.

``PrivacyCommands.export_personal_data`` decides who may ask: a citizen for
themselves; the data protection officer (or the admin, or the command line)
for any subject, on a request received another way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import EventStore

from ihanoi_core.domain.consent import Consent
from ihanoi_core.domain.personal import personal_fields
from ihanoi_core.eventstore.keys import KeyStore
from ihanoi_core.eventstore.mutate import replay
from ihanoi_core.privacy.consent import consent_view

# What else holds something of a subject, outside the sealed fields.
ALSO_HELD = (
    "Read models keep, per case, a keyed hash of the owner's subject id (for 'my cases'); "
    "it is cleared when the subject is erased.",
    "The data-key table keeps a keyed hash of the subject id beside the wrapped key; both go on erasure.",
    "A survey response's id is derived from the survey and the respondent's subject id.",
    "Free text written for a case (a report's description, reasons, comments) is case content, not listed here.",
)


def personal_data_export(events: EventStore[UUID], keys: KeyStore, subject: str, now: datetime) -> dict[str, Any]:
    """What is held about ``subject`` (see module docstring); the caller checks who may ask."""
    key = keys.subject_key(subject)
    streams = [] if key is None else keys.streams(key.id)
    loaded = [found for stream in streams if (found := _stream_record(events, stream)) is not None]
    records = [record for record, _ in loaded]
    consents = [consent_view(aggregate, aggregate.purpose) for _, aggregate in loaded if isinstance(aggregate, Consent)]
    # The subject id is not echoed: once erased, nothing held names them.
    return {
        "exported_at": now.isoformat(),
        "data_key": None if key is None else {"id": key.id, "created_at": key.created_at.isoformat()},
        "records": records,
        "consents": consents,
        "also_held": list(ALSO_HELD),
    }


def _stream_record(events: EventStore[UUID], stream_id: UUID) -> tuple[dict[str, Any], Any] | None:
    stored = list(events.get(stream_id))
    if not stored:
        return None
    aggregate = replay(None, stored)
    personal = [
        {
            "event": type(event).__name__,
            "version": event.originator_version,
            "at": event.__dict__["timestamp"].isoformat(),
            "field": name,
            "of": field.of,
            "value": msgspec.to_builtins(event.__dict__[name]),
        }
        for event in stored
        for name, field in personal_fields(type(event)).items()
        if field.applies_to(event.__dict__.get(name))
    ]
    status = getattr(aggregate, "status", None)
    return {
        "id": str(stream_id),
        "type": type(aggregate).__name__,
        "kind": getattr(type(aggregate), "kind", None),
        "code": getattr(aggregate, "code", None),
        "status": None if status is None else str(status),
        "personal_data": personal,
    }, aggregate
