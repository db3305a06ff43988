"""public_alerts: every issued alert and every CAP message it was issued as.

Three tables, all public (an alert names no citizen; its drafter and
approver are not copied):

- ``view_public_alerts``: one row per alert issued at least once, with what
  its latest message says (event, headline, CAP codes, onset, expires, wards)
  and its public status: ``issued`` while in force (an update on its way
  changes nothing public until it is issued) or ``cancelled``;
  ``areas`` (added later: an older table gains it empty, filled by a
  rebuild) holds the latest message's areas as JSON — description, wards,
  polygon, circles — for the map page;
- ``view_public_alert_wards``: the wards of each alert's latest message, to
  find the alerts of a ward on an index;
- ``view_public_alert_messages``: each message's CAP 1.2 document, rendered
  once when it is projected (``ihanoi_core.cap.render``) and served as is.

Drafts never appear. Whether an alert is active is decided at query time
(issued and ``expires`` after now), as "overdue" is: nothing is written when
it expires. Rendering is a pure function of the events and the directory, so
a rebuild gives the same rows; after renaming an agency or a ward in the
directory, rebuild to refresh old documents (their identifiers do not change).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import msgspec
import orjson

from ihanoi_core.cap.render import render_cap
from ihanoi_core.domain.alert import Alert
from ihanoi_core.domain.alert_values import ENGLISH, VIETNAMESE, AlertArea, AlertMessage, AlertStatus
from ihanoi_projections.engine.base import ReadModel, ReplacedRows, ViewTable, micros
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.engine.rows import from_row

ISSUED = "issued"
CANCELLED = "cancelled"

ALERTS = ViewTable(
    "view_public_alerts",
    {
        "alert_id": "TEXT PRIMARY KEY",
        "code": "TEXT NOT NULL",
        "agency": "TEXT NOT NULL",
        "agency_name": "TEXT",
        "status": "TEXT NOT NULL",
        "msg_type": "TEXT NOT NULL",
        "identifier": "TEXT NOT NULL",
        "sequence": "BIGINT NOT NULL",
        "first_sent": "BIGINT NOT NULL",
        "sent": "BIGINT NOT NULL",
        "onset": "BIGINT",
        "expires": "BIGINT NOT NULL",
        "category": "TEXT NOT NULL",
        "urgency": "TEXT NOT NULL",
        "severity": "TEXT NOT NULL",
        "certainty": "TEXT NOT NULL",
        "response_type": "TEXT",
        "event": "TEXT NOT NULL",
        "event_en": "TEXT",
        "headline": "TEXT NOT NULL",
        "headline_en": "TEXT",
        "description": "TEXT NOT NULL",
        "description_en": "TEXT",
        "instruction": "TEXT NOT NULL",
        "instruction_en": "TEXT",
        "wards": "TEXT NOT NULL",
        "cancel_reason": "TEXT",
        "position": "BIGINT NOT NULL",
    },
    unique={"code": "code"},
    indexes={"expires": "status, expires"},
    added={"areas": "TEXT NOT NULL DEFAULT '[]'"},
)
WARDS = ViewTable(
    "view_public_alert_wards",
    {"alert_id": "TEXT NOT NULL", "ward": "TEXT NOT NULL"},
    key="alert_id, ward",
    indexes={"ward": "ward, alert_id"},
)
MESSAGES = ViewTable(
    "view_public_alert_messages",
    {
        "identifier": "TEXT PRIMARY KEY",
        "alert_id": "TEXT NOT NULL",
        "code": "TEXT NOT NULL",
        "sequence": "BIGINT NOT NULL",
        "msg_type": "TEXT NOT NULL",
        "sent": "BIGINT NOT NULL",
        "document": "TEXT NOT NULL",
    },
    unique={"code": "code, sequence"},
)
# The statements of each flush, written once.
UPSERT_ALERT = ALERTS.upsert()
ADD_MESSAGE = MESSAGES.insert(" ON CONFLICT (identifier) DO NOTHING")


class PublicCircle(msgspec.Struct, frozen=True):
    """A CAP circle: centre (WGS 84) and radius in kilometres."""

    latitude: float
    longitude: float
    radius_km: float


class PublicArea(msgspec.Struct, frozen=True):
    """One area of the latest message: its description (may be empty), the
    wards it reaches (named, or covered by its shapes), its polygon as
    [latitude, longitude] points and its circles."""

    description: str
    wards: list[str]
    polygon: list[tuple[float, float]]
    circles: list[PublicCircle]


class PublicAlertFields(msgspec.Struct, frozen=True):
    """What anyone is shown of an issued alert (its latest message): the
    fields of ``PublicAlert`` that ``/public/alerts`` serves, in its order.
    ``active``: in force at the time it was read (issued, not expired)."""

    code: str
    status: str
    active: bool
    msg_type: str
    identifier: str
    agency: str
    agency_name: str | None
    first_sent: datetime
    sent: datetime
    onset: datetime | None
    expires: datetime
    category: str
    urgency: str
    severity: str
    certainty: str
    response_type: str | None
    event: str
    event_en: str | None
    headline: str
    headline_en: str | None
    description: str
    description_en: str | None
    instruction: str
    instruction_en: str | None
    wards: tuple[str, ...]
    # A row written before the areas column existed (until a rebuild) has one area: the alert's wards.
    areas: list[PublicArea]
    cancel_reason: str | None


class PublicAlert(PublicAlertFields, frozen=True):
    """An issued alert as anyone may see it (its latest message), as read at some time."""

    alert_id: UUID
    sequence: int
    position: int


class PublicAlertsModel(ReadModel):
    name = "public_alerts"
    tables = (ALERTS.name, WARDS.name, MESSAGES.name)
    kinds = (Alert,)
    partitionable: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._latest: dict[UUID, tuple[Alert, int]] = {}
        self._alerts: list[tuple[Any, ...]] = []
        self._wards = ReplacedRows(WARDS, key="alert_id")
        self._messages: list[tuple[Any, ...]] = []

    def schema(self) -> Sequence[str]:
        return (*ALERTS.schema(), *WARDS.schema(), *MESSAGES.schema())

    # -- projecting ----------------------------------------------------------

    def apply(self, change: Change) -> None:
        case = change.case
        if isinstance(case, Alert) and case.messages:
            self._latest[case.id] = (case, change.position)

    def prepare(self) -> None:
        known: set[str] = set()
        for alert_id, (alert, position) in self._latest.items():
            self._alerts.append(self.row(alert, position))
            self._wards.replace(alert_id, [(str(alert_id), ward) for ward in alert.issued.content.wards])
            for sequence, message in enumerate(alert.messages, start=1):
                if message.identifier not in known:
                    known.add(message.identifier)
                    self._messages.append(self.message_row(alert, sequence, message))
        self._latest.clear()

    def flush(self, cursor: Cursor) -> None:
        self.prepare()
        cursor.executemany(UPSERT_ALERT, self._alerts)
        self._wards.flush(cursor)
        # A message never changes once issued: the first projection of it stays.
        cursor.executemany(ADD_MESSAGE, self._messages)
        self.discard()

    def discard(self) -> None:
        self._latest.clear()
        self._alerts.clear()
        self._wards.clear()
        self._messages.clear()

    def row(self, alert: Alert, position: int) -> tuple[Any, ...]:
        message = alert.issued
        content = message.content
        vi, en = content.text(VIETNAMESE), content.text(ENGLISH)
        assert vi is not None
        assert alert.agency is not None
        agency = self.context.directory.get_agency(alert.agency)
        return (
            str(alert.id),
            alert.code,
            alert.agency,
            agency.name if agency else None,
            CANCELLED if alert.status == AlertStatus.CANCELLED else ISSUED,
            str(message.msg_type),
            message.identifier,
            len(alert.messages),
            micros(alert.messages[0].sent),
            micros(message.sent),
            micros(content.onset),
            micros(content.expires),
            str(content.category),
            str(content.urgency),
            str(content.severity),
            str(content.certainty),
            str(content.response_type) if content.response_type else None,
            vi.event,
            en.event if en else None,
            vi.headline,
            en.headline if en else None,
            vi.description,
            en.description if en else None,
            vi.instruction,
            en.instruction if en else None,
            orjson.dumps(list(content.wards)).decode(),
            alert.cancel_reason,
            position,
            orjson.dumps([area_json(area) for area in content.areas]).decode(),
        )

    def message_row(self, alert: Alert, sequence: int, message: AlertMessage) -> tuple[Any, ...]:
        assert alert.agency is not None
        directory = self.context.directory
        agency = directory.get_agency(alert.agency)
        document = render_cap(
            message,
            code=alert.code,
            sender_name=agency.name if agency else alert.agency,
            ward_names={code: (ward.name, ward.name_en) for code, ward in directory.wards.items()},
            zone=self.context.calendar.zone,
        )
        return (
            message.identifier,
            str(alert.id),
            alert.code,
            sequence,
            str(message.msg_type),
            micros(message.sent),
            document.decode("utf-8"),
        )

    # -- queries ------------------------------------------------------------

    def find(
        self,
        *,
        now: datetime,
        ward: str | None = None,
        active: bool | None = None,
        limit: int = 100,
    ) -> list[PublicAlert]:
        """Alerts, most recently sent first: of one ward, and only those in force
        at ``now`` (``active=True``) or only those not (expired or cancelled)."""
        sql = "SELECT a.* FROM view_public_alerts a"
        params: list[Any] = []
        where: list[str] = []
        if ward is not None:
            sql += " JOIN view_public_alert_wards w ON w.alert_id = a.alert_id"
            where.append("w.ward = ?")
            params.append(ward)
        if active is True:
            where.append("a.status = ? AND a.expires > ?")
            params += [ISSUED, micros(now)]
        elif active is False:
            where.append("(a.status <> ? OR a.expires <= ?)")
            params += [ISSUED, micros(now)]
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.sent DESC, a.alert_id LIMIT ?"
        params.append(limit)
        return [record(row, now) for row in self.database.query(sql, params)]

    def get_by_code(self, code: str, *, now: datetime) -> PublicAlert | None:
        """The alert ``code``, ``active`` if in force at ``now``."""
        rows = self.database.query("SELECT * FROM view_public_alerts WHERE code = ?", (code.strip().upper(),))
        return record(rows[0], now) if rows else None

    def document(self, code: str, sequence: int | None = None) -> bytes | None:
        """The CAP document of an alert's message ``sequence`` (1 = the first),
        by default its latest."""
        if sequence is None:
            sql = "SELECT document FROM view_public_alert_messages WHERE code = ? ORDER BY sequence DESC LIMIT 1"
            rows = self.database.query(sql, (code.strip().upper(),))
        else:
            sql = "SELECT document FROM view_public_alert_messages WHERE code = ? AND sequence = ?"
            rows = self.database.query(sql, (code.strip().upper(), sequence))
        return str(rows[0]["document"]).encode("utf-8") if rows else None

    def rows(self) -> list[Row]:
        """Every row of every table, ordered: for comparing a rebuild with the live tables."""
        return [
            *self.database.query("SELECT * FROM view_public_alerts ORDER BY alert_id"),
            *self.database.query("SELECT * FROM view_public_alert_wards ORDER BY alert_id, ward"),
            *self.database.query("SELECT * FROM view_public_alert_messages ORDER BY identifier"),
        ]


def record(row: Row, now: datetime) -> PublicAlert:
    wards = tuple(orjson.loads(row["wards"]))
    areas = orjson.loads(row["areas"] or "[]") or [{"description": "", "wards": wards, "polygon": [], "circles": []}]
    return from_row(
        PublicAlert,
        row,
        active=row["status"] == ISSUED and row["expires"] > micros(now),
        wards=wards,
        areas=msgspec.convert(areas, list[PublicArea]),
    )


def area_json(area: AlertArea) -> dict[str, Any]:
    """An area as the public JSON gives it."""
    return {
        "description": area.description,
        "wards": list(area.wards),
        "polygon": [[latitude, longitude] for latitude, longitude in area.polygon],
        "circles": [{"latitude": c.latitude, "longitude": c.longitude, "radius_km": c.radius_km} for c in area.circles],
    }
