"""Reading a CAP 1.2 message from an upstream authority into a draft alert.

The hydro-meteorological service, a ward's loudspeaker system or another
city publishes CAP; ``ihanoi alerts import`` turns one message into a
``DraftAlert`` for a leader to approve — never into an issued alert — or,
for an ``Update`` or ``Cancel``, into the change of the alert imported from
the message its ``references`` name (``read_upstream``, ``cap.fetch``).

The XML is untrusted, so it is parsed with ``defusedxml`` and any document
type declaration is refused outright: no entity can expand (billion laughs),
no external entity or DTD is fetched, and nothing else of XML's reach is
needed by CAP. A document that is not well formed, is larger than
``MAX_CAP_BYTES``, is not a CAP 1.2 ``<alert>`` (another namespace, another
root) or lacks what an ihanoi alert needs is refused with ``CapRefusedError``
naming the problem; nothing is stored, since no command is made.

What is taken: the ``<info>`` in Vietnamese (``vi``/``vi-VN``, required) and
the one in English if any; CAP category, urgency, severity, certainty and
response type from the Vietnamese one; onset and expires; the areas, each
with the wards it names by ``ihanoi:ward`` geocode or whose name is its
``areaDesc``, its polygons' first ring and its circles (an area naming no
ward is kept when its polygon or a circle covers a ward's centre: the
handler adds those wards). The upstream ``sender``, ``identifier`` and
``sent`` become the draft's source. A ``Cancel`` needs no ``<info>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import defusedxml.ElementTree as SafeET
import msgspec
from defusedxml import DefusedXmlException

from ihanoi_core.cap.render import CAP_NAMESPACE, WARD_GEOCODE
from ihanoi_core.commands.alerts import AlertTextIn, AreaIn, CircleIn, DraftAlert, SourceIn
from ihanoi_core.domain.alert_values import (
    ENGLISH,
    VIETNAMESE,
    CapCategory,
    Certainty,
    ResponseType,
    Severity,
    Urgency,
    circle_problem,
    polygon_problem,
)
from ihanoi_core.domain.alert_values import Circle as CircleValue
from ihanoi_core.errors import ValidationError

MAX_CAP_BYTES = 1024 * 1024
CAP_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
IMPORTED_TYPES = ("Alert", "Update", "Cancel")
MAX_REFERENCES = 100


class CapRefusedError(ValidationError):
    """Raised when a CAP document cannot be imported: not well formed, hostile
    (a DTD, entities), not CAP 1.2, or missing what a draft needs. ``errors``
    names each problem as ``{"cap": ...}`` or ``{"<element>": ...}``."""

    code = "cap_refused"


def _q(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"


def parse_cap(data: bytes) -> ET.Element:
    """The ``<alert>`` element of a CAP 1.2 document (see module docstring)."""
    if len(data) > MAX_CAP_BYTES:
        raise CapRefusedError({"cap": f"the document is larger than {MAX_CAP_BYTES} bytes"})
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise CapRefusedError({"cap": f"refused: {type(error).__name__} (no DTD or entity is accepted)"}) from None
    except ET.ParseError as error:
        raise CapRefusedError({"cap": f"not well-formed XML: {error}"}) from None
    if root.tag != _q("alert"):
        namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
        where = f"namespace {namespace!r}" if namespace else "no namespace"
        raise CapRefusedError(
            {"cap": f"not a CAP 1.2 alert: the root is <{local}> in {where}, not <alert> in {CAP_NAMESPACE!r}"}
        )
    return root


def _text(parent: ET.Element, name: str) -> str | None:
    element = parent.find(_q(name))
    return element.text.strip() if element is not None and element.text is not None else None


def _required(parent: ET.Element, name: str, where: str) -> str:
    value = _text(parent, name)
    if not value:
        raise CapRefusedError({where + name: "is missing"})
    return value


def _moment(parent: ET.Element, name: str, where: str) -> datetime | None:
    value = _text(parent, name)
    if value is None:
        return None
    if not CAP_DATETIME.fullmatch(value):
        raise CapRefusedError({where + name: f"{value[:40]!r} is not a CAP dateTime (e.g. 2026-07-01T14:00:00+07:00)"})
    return datetime.fromisoformat(value)


def _enum(parent: ET.Element, name: str, kind: type, where: str) -> str:
    value = _required(parent, name, where)
    try:
        return str(kind(value))
    except ValueError:
        raise CapRefusedError({where + name: f"{value[:40]!r} is not a CAP 1.2 {name}"}) from None


def _language(info: ET.Element) -> str | None:
    """``vi-VN`` or ``en-US`` for an ``<info>`` in Vietnamese or English (CAP's
    default language is en-US), else None: other languages are not kept."""
    language = (_text(info, "language") or "en-US").lower()
    if language == "vi" or language.startswith("vi-"):
        return VIETNAMESE
    if language == "en" or language.startswith("en-"):
        return ENGLISH
    return None


@dataclass(frozen=True, slots=True)
class UpstreamMessage:
    """One upstream CAP message as read: its type, who sent it, the messages
    it references (``sender,identifier,sent`` each), the ``note`` (a Cancel's
    reason) and, for an Alert or Update, the content as a draft."""

    msg_type: str
    source: SourceIn
    references: tuple[str, ...]
    note: str
    draft: DraftAlert | None

    @property
    def reference(self) -> str:
        """How a later message names this one (CAP ``references``)."""
        return f"{self.source.sender},{self.source.identifier},{self.source.sent}"


def read_upstream(data: bytes, *, wards: Mapping[str, str], extra_wards: Iterable[str] = ()) -> UpstreamMessage:
    """The upstream message a CAP 1.2 document is. ``wards`` maps each ward
    code of the directory to its name (``areaDesc`` may name a ward);
    ``extra_wards`` are added to every area (the importer names them when the
    upstream message uses codes of its own). An Update or Cancel must
    reference at least one earlier message. ``CapRefusedError`` when refused."""
    alert = parse_cap(data)
    status, msg_type = _required(alert, "status", ""), _required(alert, "msgType", "")
    if status != "Actual":
        raise CapRefusedError({"status": f"{status[:20]!r}: only Actual messages become public warnings"})
    if msg_type not in IMPORTED_TYPES:
        raise CapRefusedError({"msgType": f"{msg_type[:20]!r}: only Alert, Update and Cancel messages are imported"})
    try:
        source = SourceIn(
            sender=_required(alert, "sender", ""),
            identifier=_required(alert, "identifier", ""),
            sent=_required(alert, "sent", ""),
        )
        source = msgspec.convert(msgspec.to_builtins(source), SourceIn)
    except msgspec.ValidationError as error:
        raise CapRefusedError({"cap": f"sender, identifier or sent: {error}"}) from None
    references = tuple((_text(alert, "references") or "").split())
    if msg_type != "Alert" and not references:
        raise CapRefusedError({"references": f"a {msg_type} must name the message it updates or cancels"})
    if len(references) > MAX_REFERENCES or any(len(reference.split(",")) != 3 for reference in references):
        raise CapRefusedError({"references": "must be at most 100 'sender,identifier,sent' triples"})
    note = (_text(alert, "note") or "")[:1000]
    draft = None if msg_type == "Cancel" else _draft(alert, source, wards, extra_wards)
    return UpstreamMessage(msg_type, source, references, note, draft)


def draft_from_cap(data: bytes, *, wards: Mapping[str, str], extra_wards: Iterable[str] = ()) -> DraftAlert:
    """The draft a CAP 1.2 ``Alert`` message asks for (``read_upstream``)."""
    message = read_upstream(data, wards=wards, extra_wards=extra_wards)
    if message.draft is None or message.msg_type != "Alert":
        raise CapRefusedError({"msgType": f"{message.msg_type!r}: only an Alert message is drafted anew"})
    return message.draft


def _draft(alert: ET.Element, source: SourceIn, wards: Mapping[str, str], extra_wards: Iterable[str]) -> DraftAlert:
    infos = {language: info for info in alert.findall(_q("info")) if (language := _language(info)) is not None}
    main = infos.get(VIETNAMESE)
    if main is None:
        raise CapRefusedError({"info": "no <info> in Vietnamese (language vi or vi-VN)"})
    where = "info."
    expires = _moment(main, "expires", where)
    if expires is None:
        raise CapRefusedError({"info.expires": "is missing: an imported warning must say when it ends"})
    names = {name.casefold(): code for code, name in wards.items()}
    areas = tuple(_area(area, wards, names, tuple(extra_wards)) for area in main.findall(_q("area")))
    if not areas:
        raise CapRefusedError({"info.area": "is missing: a warning covers at least one area"})
    response = _text(main, "responseType")
    try:
        draft = DraftAlert(
            areas=areas,
            category=CapCategory(_enum(main, "category", CapCategory, where)),
            urgency=Urgency(_enum(main, "urgency", Urgency, where)),
            severity=Severity(_enum(main, "severity", Severity, where)),
            certainty=Certainty(_enum(main, "certainty", Certainty, where)),
            response_type=ResponseType(_enum(main, "responseType", ResponseType, where)) if response else None,
            onset=_moment(main, "onset", where),
            expires=expires,
            texts=tuple(_texts(infos)),
            web=_web(main),
            source=source,
        )
        # A constructor does not check the input bounds HTTP enforces: decode
        # the draft as a body would be, so an import is held to the same.
        return msgspec.convert(msgspec.to_builtins(draft), DraftAlert, strict=False)
    except msgspec.ValidationError as error:
        raise CapRefusedError({"cap": str(error)}) from None


def _texts(infos: Mapping[str, ET.Element]) -> Iterable[AlertTextIn]:
    for language in (VIETNAMESE, ENGLISH):
        info = infos.get(language)
        if info is None:
            continue
        where = f"info[{language}]."
        event = _required(info, "event", where)
        yield AlertTextIn(
            language=language,  # type: ignore[arg-type]
            event=event[:200],
            headline=(_text(info, "headline") or event)[:160],
            description=(_text(info, "description") or _text(info, "headline") or event)[:4000],
            instruction=(_text(info, "instruction") or "")[:4000],
        )


def _web(info: ET.Element) -> str | None:
    web = _text(info, "web")
    return web if web and re.fullmatch(r"https?://\S{1,1990}", web) else None


def _area(area: ET.Element, wards: Mapping[str, str], names: Mapping[str, str], extra: tuple[str, ...]) -> AreaIn:
    description = _text(area, "areaDesc") or ""
    named = [
        (_text(geocode, "value") or "")
        for geocode in area.findall(_q("geocode"))
        if _text(geocode, "valueName") == WARD_GEOCODE
    ]
    unknown = [code for code in named if code not in wards]
    if unknown:
        raise CapRefusedError({"area.geocode": f"unknown ward {unknown[0][:40]!r}"})
    by_name = [names[part.strip().casefold()] for part in description.split(",") if part.strip().casefold() in names]
    found = tuple(dict.fromkeys([*named, *by_name, *extra]))
    polygons = [_polygon(text) for polygon in area.findall(_q("polygon")) if (text := polygon.text)]
    circles = tuple(_circle(text) for circle in area.findall(_q("circle")) if (text := circle.text))
    if not found and not polygons and not circles:
        raise CapRefusedError({"area": f"{description[:80]!r} names no ward of the directory: name them with --ward"})
    return AreaIn(wards=found, description=description[:200], polygon=polygons[0] if polygons else (), circles=circles)


def _pairs(text: str, what: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        try:
            latitude, longitude = (float(part) for part in pair.split(","))
        except ValueError:
            raise CapRefusedError({f"area.{what}": f"{pair[:40]!r} is not 'latitude,longitude'"}) from None
        points.append((latitude, longitude))
    return points


def _polygon(text: str) -> tuple[tuple[float, float], ...]:
    points = tuple(_pairs(text, "polygon"))
    if problem := polygon_problem(points):
        raise CapRefusedError({"area.polygon": problem})
    return points


def _circle(text: str) -> CircleIn:
    centre, _, radius = text.strip().rpartition(" ")
    pairs = _pairs(centre, "circle")
    try:
        circle = CircleValue(pairs[0][0], pairs[0][1], float(radius)) if len(pairs) == 1 else None
    except ValueError:
        circle = None
    if circle is None:
        raise CapRefusedError({"area.circle": f"{text[:60]!r} is not 'latitude,longitude radius'"})
    if problem := circle_problem(circle):
        raise CapRefusedError({"area.circle": problem})
    return CircleIn(circle.latitude, circle.longitude, circle.radius_km)
