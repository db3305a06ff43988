"""notifications.alert_notices: the outbox's alert trigger (issue #15, docs/alerts.md).

A public alert issued (its first message and each update) or cancelled
becomes an ``alert`` notice to everyone who chose one of the message's wards
(``AlertWardsChosen``), as of that event: no consent needed (the person asked
for it by choosing wards; choosing none unsubscribes), urgent when the
message's urgency is ``Immediate`` or its severity ``Extreme`` or ``Severe``
(``alert_is_urgent``).

The seam with ``outbox``: ``ward_notice`` turns an alert's change into a
``WardNotice`` (or nothing); ``subscribers`` reads who chose the notice's wards
as last written; ``alert_rows`` decides, from the recipients as of the
notice's point in the log (the outbox's, passed in as ``recipient_of``), the
outbox rows. The outbox keeps the recipients, the batch and the writing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import orjson

from ihanoi_core.directory import Directory
from ihanoi_core.domain.alert import Alert
from ihanoi_core.domain.alert_values import ENGLISH, VIETNAMESE, AlertContent, Severity, Urgency
from ihanoi_core.domain.contactability_values import ALERT_KIND
from ihanoi_projections.engine.base import micros
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.notifications.ids import notification_id

ALERT_WARDS = "view_notification_alert_wards"
ALERT_EVENTS = frozenset({"Issued", "Cancelled"})
URGENT_SEVERITIES = frozenset({Severity.EXTREME, Severity.SEVERE})


class Subscriber(Protocol):
    """What deciding an alert notice needs of a recipient (the outbox's ``Recipient``)."""

    @property
    def contactability(self) -> str | None: ...
    @property
    def channels(self) -> tuple[str, ...]: ...
    @property
    def wards(self) -> tuple[str, ...]: ...


def alert_is_urgent(content: AlertContent) -> bool:
    """Whether an alert's notices skip quiet hours: CAP urgency ``Immediate``
    (act now) or severity ``Extreme``/``Severe`` (a threat to life or
    property). A cancellation carries the content it cancels, so whoever was
    woken by an alert also hears at once that it is over."""
    return content.urgency == Urgency.IMMEDIATE or content.severity in URGENT_SEVERITIES


def alert_params(alert: Alert, directory: Directory) -> dict[str, Any]:
    """What an alert notice says, in both languages (the recipient's is chosen
    when it is sent): public text only, the same for every subscriber."""
    message = alert.issued
    content = message.content
    vi = content.text(VIETNAMESE)
    assert vi is not None
    en = content.text(ENGLISH) or vi

    def area_names(english: bool) -> list[str]:
        names = []
        for area in content.areas:
            if area.description:
                names.append(area.description)
                continue
            wards = [directory.wards.get(code) for code in area.wards]
            names.append(
                ", ".join(
                    code if ward is None else (ward.name_en or ward.name) if english else ward.name
                    for code, ward in zip(area.wards, wards, strict=True)
                )
            )
        return names

    return {
        "code": alert.code,
        "msg_type": str(message.msg_type),
        "sequence": len(alert.messages),
        "identifier": message.identifier,
        "event": vi.event,
        "headline": vi.headline,
        "instruction": vi.instruction,
        "areas": area_names(False),
        "event_en": en.event,
        "headline_en": en.headline,
        "instruction_en": en.instruction,
        "areas_en": area_names(True),
        "urgency": str(content.urgency),
        "severity": str(content.severity),
        "expires": content.expires.isoformat(),
        "note": message.note or None,
        "link": f"/public/alerts/{alert.code}",
    }


@dataclass(slots=True)
class WardNotice:
    """A notice an alert's message calls for, to whoever chose one of its wards."""

    position: int
    aggregate_id: UUID
    version: int
    wards: frozenset[str]
    params: dict[str, Any]
    case_id: str
    created_at: int
    urgent: bool


def ward_notice(change: Change, alert: Alert, directory: Directory) -> WardNotice | None:
    """The notice an alert's event calls for: one for each message sent
    (``Issued``, ``Cancelled``), none for drafting and approving."""
    if change.event_name not in ALERT_EVENTS or not alert.messages:
        return None
    event = change.event
    return WardNotice(
        position=change.position,
        aggregate_id=alert.id,
        version=alert.version,
        wards=frozenset(event.wards),
        params=alert_params(alert, directory),
        case_id=str(alert.id),
        created_at=micros(event.timestamp) or 0,
        urgent=alert_is_urgent(alert.issued.content),
    )


def subscribers(database: ViewDatabase, wards: set[str]) -> dict[str, set[str]]:
    """The subject keys that chose each of ``wards``, as last written."""
    found: dict[str, set[str]] = {ward: set() for ward in wards}
    ordered = sorted(wards)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in database.query(f"SELECT ward, subject_key FROM {ALERT_WARDS} WHERE ward IN ({marks})", chunk):
            found[row["ward"]].add(row["subject_key"])
    return found


def alert_rows(
    notice: WardNotice,
    subscribers: dict[str, set[str]],
    changed: Iterable[str],
    recipient_of: Callable[[str], Subscriber | None],
) -> list[tuple[Any, ...]]:
    """One outbox row per verified channel of each person whose wards, as of
    this point of the log, include one of the alert's: the subscribers as last
    written and those ``changed`` earlier in the batch, each judged by
    ``recipient_of`` (their settings as of this notice)."""
    candidates = set(changed).union(*(subscribers.get(ward, set()) for ward in notice.wards))
    params = orjson.dumps(notice.params, option=orjson.OPT_SORT_KEYS).decode()
    rows: list[tuple[Any, ...]] = []
    for key in sorted(candidates):
        recipient = recipient_of(key)
        if recipient is None or recipient.contactability is None or notice.wards.isdisjoint(recipient.wards):
            continue
        for channel in recipient.channels:
            rows.append(
                (
                    str(notification_id(notice.aggregate_id, notice.version, recipient.contactability, channel)),
                    notice.position,
                    recipient.contactability,
                    channel,
                    ALERT_KIND,
                    ALERT_KIND,
                    params,
                    int(notice.urgent),
                    notice.case_id,
                    notice.created_at,
                    notice.created_at,
                )
            )
    return rows
