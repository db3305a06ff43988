"""An issued alert message as an OASIS CAP 1.2 document (``application/cap+xml``).

One ``<alert>`` per message: ``identifier``, ``sender``, ``sent``, ``status``
(always ``Actual``), ``msgType`` (``Alert``, ``Update`` or ``Cancel``), ``scope``
(``Public``), for a cancellation a ``note`` with the reason, ``references`` to
every earlier message of the alert, and one ``<info>`` per language
(Vietnamese first, English when written). Each ``<area>`` lists its wards as
``<geocode>``s whose ``valueName`` is ``WARD_GEOCODE`` (``ihanoi:ward``) and
whose ``value`` is the directory's ward code (``HOAN_KIEM``), then the
polygon and circles, in the element order the CAP 1.2 schema requires.

Times are given at the local offset (``+07:00``): CAP forbids ``Z`` and
fractions of a second. The document is built with the standard library's
ElementTree: it only ever writes text ihanoi checked, never parses anything.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime, tzinfo

from ihanoi_core.domain.alert_values import (
    AlertArea,
    AlertMessage,
    AlertText,
    Circle,
    MsgType,
    cap_datetime,
)

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MEDIA_TYPE = "application/cap+xml"
# The geocode naming a ward: the value is the directory's ward code.
WARD_GEOCODE = "ihanoi:ward"
# A parameter naming the alert's case code, so a reader can find its other messages.
CODE_PARAMETER = "ihanoi:alert"


def _q(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"


def _add(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, _q(name))
    element.text = text
    return element


def local(moment: datetime, zone: tzinfo) -> str:
    return cap_datetime(moment.astimezone(zone))


def render_cap(
    message: AlertMessage,
    *,
    code: str,
    sender_name: str,
    ward_names: Mapping[str, tuple[str, str]],
    zone: tzinfo,
) -> bytes:
    """The CAP 1.2 document of ``message`` (UTF-8, with an XML declaration).
    ``ward_names`` maps a ward code to its (Vietnamese, English) names, for
    the ``areaDesc`` of an area described by its wards alone."""
    alert = ET.Element(_q("alert"))
    _add(alert, "identifier", message.identifier)
    _add(alert, "sender", message.sender)
    # ``sent`` is stored as stated; references quote it verbatim.
    _add(alert, "sent", cap_datetime(message.sent))
    _add(alert, "status", "Actual")
    _add(alert, "msgType", str(message.msg_type))
    _add(alert, "scope", "Public")
    if message.msg_type is MsgType.CANCEL and message.note:
        _add(alert, "note", message.note)
    if message.references:
        _add(alert, "references", " ".join(message.references))
    for text in message.content.texts:
        _info(alert, message, text, code, sender_name, ward_names, zone)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        alert, encoding="unicode", default_namespace=CAP_NAMESPACE
    ).encode("utf-8")


def _info(
    alert: ET.Element,
    message: AlertMessage,
    text: AlertText,
    code: str,
    sender_name: str,
    ward_names: Mapping[str, tuple[str, str]],
    zone: tzinfo,
) -> None:
    content = message.content
    info = ET.SubElement(alert, _q("info"))
    _add(info, "language", text.language)
    _add(info, "category", str(content.category))
    _add(info, "event", text.event)
    if content.response_type is not None:
        _add(info, "responseType", str(content.response_type))
    _add(info, "urgency", str(content.urgency))
    _add(info, "severity", str(content.severity))
    _add(info, "certainty", str(content.certainty))
    if content.onset is not None:
        _add(info, "onset", local(content.onset, zone))
    _add(info, "expires", local(content.expires, zone))
    _add(info, "senderName", sender_name)
    _add(info, "headline", text.headline)
    _add(info, "description", text.description)
    if text.instruction:
        _add(info, "instruction", text.instruction)
    if content.web:
        _add(info, "web", content.web)
    parameter = ET.SubElement(info, _q("parameter"))
    _add(parameter, "valueName", CODE_PARAMETER)
    _add(parameter, "value", code)
    english = text.language.startswith("en")
    for area in content.areas:
        _area(info, area, ward_names, english)


def _area(info: ET.Element, area: AlertArea, ward_names: Mapping[str, tuple[str, str]], english: bool) -> None:
    element = ET.SubElement(info, _q("area"))
    names = [ward_names.get(ward, (ward, ward))[1 if english else 0] or ward for ward in area.wards]
    _add(element, "areaDesc", area.description or ", ".join(names))
    if area.polygon:
        _add(element, "polygon", " ".join(f"{lat!r},{lon!r}" for lat, lon in area.polygon))
    for circle in area.circles:
        _add(element, "circle", circle_text(circle))
    for ward in area.wards:
        geocode = ET.SubElement(element, _q("geocode"))
        _add(geocode, "valueName", WARD_GEOCODE)
        _add(geocode, "value", ward)


def circle_text(circle: Circle) -> str:
    """CAP's circle: ``latitude,longitude radius`` (radius in kilometres)."""
    return f"{circle.latitude!r},{circle.longitude!r} {circle.radius_km!r}"
