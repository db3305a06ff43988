"""The values of a public warning (cảnh báo): the vocabulary of OASIS CAP 1.2
and the checks that keep an alert's content well formed.

The enums carry CAP's own words (``Met``, ``Immediate``, ``Severe`` …) so the
CAP document says exactly what the event says. ``AlertContent`` is what a
drafter writes and a leader approves; each issued message (``AlertMessage``)
keeps the content it was issued with, so every CAP message can be rendered
again, identically, from the log. Coordinates follow CAP: WGS 84
"latitude,longitude", a polygon is a closed ring of at least four points, a
circle a centre and a radius in kilometres.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from ihanoi_core.errors import ValidationError


class AlertStatus(StrEnum):
    """Where an alert is (not CAP's ``status``, which is always ``Actual`` here).

    ``revising`` and ``revision_approved`` are an issued alert with an update
    on its way: the last issued message stays in force until the update is
    issued. ``rejected`` is a draft a leader sent back with a reason, and
    ``revision_rejected`` an issued alert whose update was sent back (its last
    message stays in force): both are revised and submitted again, or left."""

    DRAFT = "draft"
    APPROVED = "approved"
    ISSUED = "issued"
    REVISING = "revising"
    REVISION_APPROVED = "revision_approved"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    REVISION_REJECTED = "revision_rejected"


class CapCategory(StrEnum):
    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class Urgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class ResponseType(StrEnum):
    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class MsgType(StrEnum):
    """CAP ``msgType`` of the messages ihanoi issues."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


@dataclass(frozen=True, slots=True)
class AlertText:
    """One language's text: CAP ``<info>`` per language (``vi-VN``, ``en-US``)."""

    language: str
    event: str
    headline: str
    description: str
    instruction: str = ""


@dataclass(frozen=True, slots=True)
class Circle:
    """A CAP circle: centre (WGS 84) and radius in kilometres."""

    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True, slots=True)
class AlertArea:
    """One CAP ``<area>``: the wards it covers (each a ``<geocode>``), and
    optionally a closed polygon of (latitude, longitude) points and circles.
    ``description`` is the ``<areaDesc>``; without one the ward names are used."""

    wards: tuple[str, ...]
    description: str = ""
    polygon: tuple[tuple[float, float], ...] = ()
    circles: tuple[Circle, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertContent:
    """What an alert says: CAP's ``<info>`` fields, one text per language (the
    first is Vietnamese), and its areas. ``template`` names the directory
    template it was drafted from, if any."""

    category: CapCategory
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    expires: datetime
    texts: tuple[AlertText, ...]
    areas: tuple[AlertArea, ...]
    onset: datetime | None = None
    response_type: ResponseType | None = None
    web: str | None = None
    template: str | None = None

    @property
    def wards(self) -> tuple[str, ...]:
        """Every ward of every area, once each, in the order first named."""
        return tuple(dict.fromkeys(ward for area in self.areas for ward in area.wards))

    def text(self, language: str) -> AlertText | None:
        return next((text for text in self.texts if text.language == language), None)


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """One issued CAP message: its identifier, sender and sent time, its
    ``msgType``, the messages it references (``sender,identifier,sent``), the
    content it carried, and for a cancellation the note saying why."""

    identifier: str
    sender: str
    sent: datetime
    msg_type: MsgType
    references: tuple[str, ...]
    content: AlertContent
    note: str = ""

    @property
    def reference(self) -> str:
        """How a later message names this one (CAP ``references``)."""
        return f"{self.sender},{self.identifier},{cap_datetime(self.sent)}"


@dataclass(frozen=True, slots=True)
class AlertSource:
    """Where an imported alert came from: the upstream CAP message."""

    sender: str
    identifier: str
    sent: str


VALUE_TYPES: dict[str, type] = {
    "alert_status": AlertStatus,
    "cap_category": CapCategory,
    "cap_urgency": Urgency,
    "cap_severity": Severity,
    "cap_certainty": Certainty,
    "cap_response_type": ResponseType,
    "cap_msg_type": MsgType,
    "alert_text": AlertText,
    "alert_circle": Circle,
    "alert_area": AlertArea,
    "alert_content": AlertContent,
    "alert_message": AlertMessage,
    "alert_source": AlertSource,
}

VIETNAMESE = "vi-VN"
ENGLISH = "en-US"
LANGUAGES = (VIETNAMESE, ENGLISH)
MAX_HEADLINE = 160  # CAP 1.2 §3.2.2: "SHOULD be less than 160 characters"
MAX_EVENT = 200
MAX_TEXT = 4000
MAX_AREAS = 20
MAX_WARDS = 200
MAX_POLYGON_POINTS = 500
MAX_RADIUS_KM = 500.0
MAX_WEB = 2000
# What CAP forbids in identifier, sender and references' parts (CAP 1.2 §3.2.1).
CAP_RESTRICTED = frozenset(" ,<&")


def cap_datetime(moment: datetime) -> str:
    """A CAP dateTime: seconds, an explicit offset, ``-00:00`` for UTC (CAP
    1.2 §3.3.2 forbids ``Z`` and fractions)."""
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def check_content(content: AlertContent, known_wards: Iterable[str], *, now: datetime) -> AlertContent:
    """The content with its texts stripped; ``ValidationError`` naming every
    bad field (``areas[1].polygon``) when any breaks a rule."""
    errors: dict[str, str] = {}
    wards = frozenset(known_wards)
    for name, moment in (("onset", content.onset), ("expires", content.expires)):
        if moment is not None and moment.utcoffset() is None:
            errors[name] = "must include a time zone"
    if not errors:
        if content.expires <= now:
            errors["expires"] = "must be in the future"
        elif content.onset is not None and content.onset >= content.expires:
            errors["onset"] = "must be before expires"
    texts = _texts(content.texts, errors)
    areas = _areas(content.areas, wards, errors)
    if content.web is not None and (len(content.web) > MAX_WEB or not content.web.startswith(("http://", "https://"))):
        errors["web"] = "must be an http(s) URL"
    if errors:
        raise ValidationError(errors)
    return replace(
        content,
        category=CapCategory(content.category),
        urgency=Urgency(content.urgency),
        severity=Severity(content.severity),
        certainty=Certainty(content.certainty),
        texts=texts,
        areas=areas,
    )


def _texts(texts: tuple[AlertText, ...], errors: dict[str, str]) -> tuple[AlertText, ...]:
    checked: list[AlertText] = []
    if not texts or texts[0].language != VIETNAMESE:
        errors["texts"] = f"the first text must be in {VIETNAMESE}"
    languages = [text.language for text in texts]
    if len(set(languages)) != len(languages):
        errors["texts"] = "one text per language"
    for index, text in enumerate(texts):
        key = f"texts[{index}]"
        if text.language not in LANGUAGES:
            errors[f"{key}.language"] = f"must be one of {', '.join(LANGUAGES)}"
        fields = {}
        for name, limit, required in (
            ("event", MAX_EVENT, True),
            ("headline", MAX_HEADLINE, True),
            ("description", MAX_TEXT, True),
            ("instruction", MAX_TEXT, False),
        ):
            value = getattr(text, name).strip()
            if required and not value:
                errors[f"{key}.{name}"] = "must not be empty"
            elif len(value) > limit:
                errors[f"{key}.{name}"] = f"exceeds {limit} characters"
            fields[name] = value
        checked.append(AlertText(language=text.language, **fields))
    return tuple(checked)


def _areas(areas: tuple[AlertArea, ...], wards: frozenset[str], errors: dict[str, str]) -> tuple[AlertArea, ...]:
    if not areas:
        errors["areas"] = "an alert covers at least one area"
    elif len(areas) > MAX_AREAS:
        errors["areas"] = f"at most {MAX_AREAS} areas"
    checked: list[AlertArea] = []
    for index, area in enumerate(areas):
        key = f"areas[{index}]"
        if not area.wards:
            errors[f"{key}.wards"] = (
                "an area names at least one ward, or has a polygon or circle covering a ward's centre"
                " (alerts reach people by ward)"
            )
        elif len(area.wards) > MAX_WARDS:
            errors[f"{key}.wards"] = f"at most {MAX_WARDS} wards"
        unknown = [ward for ward in area.wards if ward not in wards]
        if unknown:
            errors[f"{key}.wards"] = f"unknown ward {unknown[0]!r}"
        if area.polygon and (problem := polygon_problem(area.polygon)):
            errors[f"{key}.polygon"] = problem
        for number, circle in enumerate(area.circles):
            if problem := circle_problem(circle):
                errors[f"{key}.circles[{number}]"] = problem
        if len(area.description) > MAX_EVENT:
            errors[f"{key}.description"] = f"exceeds {MAX_EVENT} characters"
        checked.append(
            AlertArea(
                wards=tuple(dict.fromkeys(area.wards)),
                description=area.description.strip(),
                polygon=tuple((float(lat), float(lon)) for lat, lon in area.polygon),
                circles=area.circles,
            )
        )
    return tuple(checked)


def finite(number: float) -> bool:
    """Neither infinite nor NaN (``x - x`` is NaN for both)."""
    return number - number == 0


def point_problem(latitude: float, longitude: float) -> str | None:
    if not (finite(latitude) and finite(longitude)):
        return "coordinates must be finite numbers"
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return "latitude must be -90..90 and longitude -180..180 (WGS 84)"
    return None


def polygon_problem(points: tuple[tuple[float, float], ...]) -> str | None:
    """What is wrong with a CAP polygon, if anything: at least four points, the
    first and last the same (CAP 1.2 §3.2.4), each a WGS 84 point."""
    if len(points) < 4:
        return "a polygon has at least 4 points, the first repeated as the last"
    if len(points) > MAX_POLYGON_POINTS:
        return f"a polygon has at most {MAX_POLYGON_POINTS} points"
    for latitude, longitude in points:
        if problem := point_problem(latitude, longitude):
            return problem
    if points[0] != points[-1]:
        return "a polygon must be closed: its last point equal to its first"
    if len(set(points)) < 3:
        return "a polygon needs at least 3 distinct points"
    return None


def circle_problem(circle: Circle) -> str | None:
    if problem := point_problem(circle.latitude, circle.longitude):
        return problem
    if not (finite(circle.radius_km) and 0 < circle.radius_km <= MAX_RADIUS_KM):
        return f"the radius must be more than 0 and at most {MAX_RADIUS_KM:g} km"
    return None
