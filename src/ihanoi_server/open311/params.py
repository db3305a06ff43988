"""Open311 parameters in. ``read_params`` gathers the parameters of a call
from the query string and, for a POST, the body — ``application/x-www-form-urlencoded`` as the spec says,
but also ``multipart/form-data`` and a JSON object, because real clients send
all three; a file part named ``media`` (the widely used extension to the
spec, which only knows ``media_url``) is kept as the photo to attach, other
file parts are ignored. Text is
UTF-8 unless the body says otherwise, normalised to Unicode NFC, and an empty
value is the same as an absent one (the spec's "Optional Arguments").
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from ihanoi_projections.engine.base import MAX_YEAR, MIN_YEAR, YEARS_HINT
from ihanoi_server.open311.format import Open311Error

MAX_FORM_BYTES = 256 * 1024
# Multipart bodies may carry a photo; they are read whole, so the photo's cap
# (IHANOI_MEDIA_MAX_BYTES) plus the text fields bounds them.
MAX_MULTIPART_BYTES = 8 * 1024 * 1024
MEDIA_PART = "media"
_ATTRIBUTE_KEY = re.compile(r"attribute\[(?P<code>[^\[\]]+)\](?P<many>\[\])?")


class Params:
    """The parameters of one call, query string first, then body. ``get`` gives
    the last non-blank value of a name, stripped, or ``None``."""

    def __init__(self, items: Iterable[tuple[str, str]], files: Iterable[tuple[str, bytes]] = ()) -> None:
        # File parts of a multipart body, by field name (``media``: a photo).
        self.files: list[tuple[str, bytes]] = list(files)
        self.items: list[tuple[str, str]] = []
        for name, value in items:
            if "\x00" in value:
                raise Open311Error(400, f"{name} must not contain NUL characters.")
            self.items.append((name.strip(), unicodedata.normalize("NFC", value)))

    def get(self, name: str) -> str | None:
        found = None
        for key, value in self.items:
            if key == name and value.strip():
                found = value.strip()
        return found

    def get_all(self, name: str) -> list[str]:
        return [value.strip() for key, value in self.items if key == name and value.strip()]

    def attributes(self) -> dict[str, list[str]]:
        """``attribute[CODE]=v`` and ``attribute[CODE][]=v1&attribute[CODE][]=v2``
        as ``{CODE: [v, …]}``, blank values left out."""
        found: dict[str, list[str]] = {}
        for key, value in self.items:
            if (m := _ATTRIBUTE_KEY.fullmatch(key)) and value.strip():
                found.setdefault(m["code"].strip(), []).append(value.strip())
        return found


def split_list(value: str | None) -> list[str]:
    """A comma-delimited parameter as its non-blank items, in order, without repeats."""
    items = [item.strip() for item in (value or "").split(",")]
    return list(dict.fromkeys(item for item in items if item))


def parse_w3_datetime(name: str, value: str, zone: tzinfo) -> datetime:
    """A W3C ISO 8601 date or date-time; one without an offset is read in the city's time zone."""
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date and time, e.g. 2026-11-30T09:00:00+07:00.") from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise Open311Error(400, f"{name} {YEARS_HINT}.")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


async def read_params(request: Request, multipart_limit: int = MAX_MULTIPART_BYTES) -> Params:
    """The parameters of ``request``: its query string and, for a POST, its body
    (a multipart one of at most ``multipart_limit`` bytes)."""
    items = list(request.query_params.multi_items())
    files: list[tuple[str, bytes]] = []
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        media_type, _, _ = content_type.partition(";")
        media_type = media_type.strip().lower()
        multipart = media_type == "multipart/form-data"
        body = await read_limited(request, multipart_limit if multipart else MAX_FORM_BYTES)
        if multipart:
            fields, files = multipart_parts(body, content_type)
            items += fields
        elif media_type == "application/json":
            items += json_items(body)
        elif body:
            items += form_items(body, charset_of(content_type))
    return Params(items, files)


async def read_limited(request: Request, limit: int) -> bytes:
    too_large = Open311Error(400, f"The body must be at most {limit // 1024} KiB.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def charset_of(content_type: str) -> str:
    """The body's declared charset when Python knows it; UTF-8 otherwise (the spec's default)."""
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", content_type, re.IGNORECASE)
    if match:
        try:
            return codecs.lookup(match[1]).name
        except LookupError:
            raise Open311Error(400, f"Unknown charset {match[1]!r}; send UTF-8.") from None
    return "utf-8"


def decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise Open311Error(400, f"The body is not valid {charset}.") from None


def form_items(body: bytes, charset: str = "utf-8") -> list[tuple[str, str]]:
    """An ``application/x-www-form-urlencoded`` body (``+`` is a space)."""
    text = decode(body, charset)
    try:
        return parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict")
    except UnicodeDecodeError:
        raise Open311Error(400, f"The body is not valid {charset}.") from None


def multipart_items(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """The text fields of a ``multipart/form-data`` body; file parts are skipped."""
    return multipart_parts(body, content_type)[0]


def multipart_parts(body: bytes, content_type: str) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]]]:
    """The text fields of a ``multipart/form-data`` body, and its ``media`` file parts."""
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise Open311Error(400, "The multipart body is malformed.")
    items: list[tuple[str, str]] = []
    files: list[tuple[str, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        if part.get_filename() is not None:
            if name == MEDIA_PART and isinstance(payload, bytes):
                files.append((name, payload))
            continue
        if isinstance(payload, bytes):
            items.append((name, decode(payload, part.get_content_charset() or "utf-8")))
    return items, files


def json_items(body: bytes) -> list[tuple[str, str]]:
    """A JSON object body: scalars as text, lists as repeated values and
    ``{"attribute": {"CODE": value}}`` as ``attribute[CODE]``."""
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise Open311Error(400, "The body is not well-formed JSON.") from None
    if not isinstance(data, dict):
        raise Open311Error(400, "A JSON body must be an object of parameters.")
    items: list[tuple[str, str]] = []
    for name, value in data.items():
        if name == "attribute" and isinstance(value, dict):
            for code, answer in value.items():
                items += [(f"attribute[{code}][]", text) for text in json_texts(f"attribute[{code}]", answer)]
        else:
            items += [(name, text) for text in json_texts(name, value)]
    return items


def json_texts(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (str, int, float)):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
        return [str(item) for item in value]
    raise Open311Error(400, f"{name} must be text, a number or a list of them.")
