"""Request parsing and response rendering shared by every endpoint.

Bodies are read with a hard size limit, must be ``application/json`` in
UTF-8, are normalised to Unicode NFC (Vietnamese typed on different keyboards
arrives composed or decomposed; stored text is always composed) and decoded
strictly into a msgspec ``Struct``: wrong types, missing or unknown fields are
422 with the field named; malformed JSON and invalid UTF-8 are 400.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import msgspec
import orjson
import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_server.auth.tokens import AuthenticationError, bearer_token
from ihanoi_server.problems import HttpProblem
from ihanoi_server.state import ServerState

MAX_BODY_BYTES = 256 * 1024
MAX_WAIT_SECONDS = 5.0
MAX_POSITION = 10**12
# The largest version an ``If-Match`` can name: the largest integer JSON keeps
# exact, far beyond any case's history (a larger one could not be rendered back).
MAX_VERSION = 2**53 - 1
# Visible ASCII, inner spaces allowed: what every HTTP stack carries unchanged.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]([\x20-\x7e]{0,198}[\x21-\x7e])?")
# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE.
ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)
# Set by ``auth.session_cookie.SessionCookieMiddleware`` (the error it keeps for routes that need a principal).
SESSION_REFUSED = "ihanoi.session_refused"
ORGANISATION_KIND = "ihanoi.organisation_kind"
log = structlog.get_logger("ihanoi.auth")


def state(request: Request) -> ServerState:
    server_state: ServerState = request.app.state.ihanoi
    return server_state


def principal(request: Request) -> Principal:
    """The authenticated principal (401 otherwise)."""
    cached: Principal | None = request.scope.get("ihanoi.principal")
    if cached is None:
        server = state(request)
        authorization = request.headers.get("authorization")
        # A session cookie that did not authenticate says why, rather than "no token".
        if authorization is None and (refused := request.scope.get(SESSION_REFUSED)) is not None:
            raise refused
        try:
            token = bearer_token(authorization)
            verified = server.tokens.verify(server.token_rules, token)
        except AuthenticationError as error:
            # The reason, for whoever answers "why was I logged out?"; never the token.
            log.info("token_refused", code=error.code, reason=error.detail)
            raise
        cached = verified.principal
        request.scope["ihanoi.principal"] = cached
        request.scope["ihanoi.token_expires"] = verified.accepted_until
        request.scope[ORGANISATION_KIND] = verified.organisation_kind
    return cached


def organisation_kind(request: Request) -> BusinessKind | None:
    """The business's kind the bearer token says (after ``principal``; None if it says none)."""
    kind: BusinessKind | None = request.scope.get(ORGANISATION_KIND)
    return kind


def token_expires(request: Request) -> float | None:
    """When the request's bearer token expires (after ``principal``)."""
    expires: float | None = request.scope.get("ihanoi.token_expires")
    return expires


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, msgspec.Struct):
        return msgspec.structs.asdict(value)
    raise TypeError(f"Cannot render {type(value).__name__}")


def render(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(render(data), status_code=status, media_type="application/json", headers=headers)


def view_of(view: type[S], source: object, **given: Any) -> S:
    """A ``view`` Struct with the ``given`` values and, for each of its other
    fields, ``source``'s attribute of the same name (its item, when ``source``
    is a mapping: a case as ``get_case`` reads it)."""
    if isinstance(source, Mapping):
        copied = {name: source[name] for name in view.__struct_fields__ if name not in given}
    else:
        copied = {name: getattr(source, name) for name in view.__struct_fields__ if name not in given}
    return view(**copied, **given)


def command_response(result: CommandResult, status: int = 200) -> Response:
    """A write's answer: the case it changed and the log position to wait for."""
    body = {
        "id": result.case_id,
        "code": result.code,
        "kind": result.kind,
        "status": result.status,
        "version": result.version,
        "position": result.position,
    }
    headers = {"ETag": f'"{result.version}"', "Ihanoi-Position": str(result.position)}
    return json_response(body, status=status, headers=headers)


async def call_app(request: Request, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one short call of the application or a read model (a command or a read).

    On SQLite (and in memory) it runs right here on the event loop: a command
    or an indexed read on a local WAL file takes a few hundred microseconds at
    most, SQLite has a single writer anyway, and a hop to the thread pool costs
    about a hundred microseconds of its own (measured with ``make bench``:
    reads went from about 1,400 to 2,600 requests/s). On PostgreSQL every call
    is a network round trip, so it goes to the thread pool."""
    if state(request).inline_calls:
        return call(*args, **kwargs)
    return await run_in_threadpool(call, *args, **kwargs)


async def own_data(request: Request, read: Callable[[Ihanoi, Principal], Any]) -> Response:
    """The caller's own data as JSON: ``read`` (an ``Ihanoi`` query such as
    ``Ihanoi.consents``) for the authenticated principal (401 otherwise)."""
    who = principal(request)
    return json_response(await call_app(request, read, state(request).app, who))


async def read_body(request: Request, schema: type[T]) -> T:
    """The request body decoded into ``schema`` (see module docstring)."""
    content_type = request.headers.get("content-type", "")
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        raise HttpProblem(415, "unsupported_media_type", "Send the body as application/json.")
    charset = parameters.strip().lower().removeprefix("charset=").strip('"')
    if parameters.strip() and charset not in ("utf-8", "utf8"):
        raise HttpProblem(415, "unsupported_media_type", "The body must be UTF-8.")
    return decode_json(await raw_body(request), schema)


async def raw_body(request: Request) -> bytes:
    """The request body as sent, at most ``MAX_BODY_BYTES`` (413 beyond, never read whole)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not (declared.isascii() and declared.isdigit()) or int(declared) > MAX_BODY_BYTES):
        raise HttpProblem(413, "body_too_large", f"The body must be at most {MAX_BODY_BYTES} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HttpProblem(413, "body_too_large", f"The body must be at most {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json(body: bytes, schema: type[T]) -> T:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpProblem(400, "invalid_utf8", "The body is not valid UTF-8.") from None
    if "\\u0000" in text.lower():
        raise ValidationError({"(body)": "text must not contain NUL characters"})
    text = unicodedata.normalize("NFC", text)
    data = text.encode()
    try:
        return msgspec.json.decode(data, type=schema, strict=True)
    except msgspec.ValidationError as error:
        # Typed decoding stops at the first wrong field, which may come before
        # the body breaks off (``{"broken": ``): a body that is not JSON at all
        # is 400, whatever its first key. Checked only here, off the fast path.
        message = str(error)
        document, integral_floats = well_formed(data)
        if integral_floats:
            # JSON has one number type: ``4.0`` is the integer 4 (JSON Schema says
            # so too), but msgspec's strict decoding wants ``4``. Try again with
            # such numbers as integers; a float field still takes an integer.
            try:
                return msgspec.convert(document, type=schema, strict=True)
            except msgspec.ValidationError as again:
                message = str(again)
        raise ValidationError(field_error(message)) from None
    except msgspec.DecodeError:
        raise HttpProblem(400, "malformed_json", "The body is not well-formed JSON.") from None


def well_formed(data: bytes) -> tuple[Any, bool]:
    """``data`` decoded with integral numbers (``4.0``) as integers, and whether
    there were any; the 400 ``malformed_json`` problem unless it is one JSON document."""
    found: list[str] = []

    def number(text: str) -> int | float:
        value = float(text)
        if value.is_integer() and abs(value) < 2**63:
            found.append(text)
            return int(value)
        return value

    try:
        return msgspec.json.Decoder(float_hook=number).decode(data), bool(found)
    except msgspec.DecodeError:
        raise HttpProblem(400, "malformed_json", "The body is not well-formed JSON.") from None


def field_error(message: str) -> dict[str, str]:
    """``"Expected `int`, got `str` - at `$.stars`"`` → ``{"stars": "Expected `int`, got `str`"}``."""
    problem, _, where = message.rpartition(" - at ")
    if not problem:
        return {"(body)": message}
    field = where.strip("`").removeprefix("$").lstrip(".") or "(body)"
    return {field: problem}


def expected_version(request: Request) -> int | None:
    """The version named by ``If-Match: "N"`` (``*`` or absent: none).

    RFC 9110 §13.1.1 compares strongly, so a weak ETag (``W/"3"``) matches no
    version, and neither does a well-formed ETag that is not one of ours
    (``"abc"``, a number past any version): 412, before the case is read.
    A header that is not one entity-tag (or ``*``) is 400."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    match = ENTITY_TAG.fullmatch(header.strip())
    if match is None:
        raise HttpProblem(400, "bad_if_match", 'If-Match must be one ETag of this API, e.g. "3", or *.')
    weak, opaque = match.groups()
    if weak:
        raise HttpProblem(412, "version_mismatch", "If-Match compares strongly: a weak ETag never matches.")
    if not (opaque.isascii() and opaque.isdigit() and int(opaque) <= MAX_VERSION):
        raise HttpProblem(412, "version_mismatch", f"No case is at the version If-Match names ({opaque[:40]!r}).")
    return int(opaque)


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key``: 1 to 200 visible ASCII characters (spaces inside)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise HttpProblem(400, "bad_idempotency_key", "Idempotency-Key must be 1 to 200 visible ASCII characters.")
    return key


def fingerprint(request_data: object) -> str:
    """The digest kept with an ``Idempotency-Key`` to recognise a retry of the
    same request: the body *as decoded* (text NFC, defaults filled in) encoded
    with sorted keys, so whitespace, key order or a default spelt out do not
    make two retries differ, while any change of meaning does."""
    return hashlib.sha256(msgspec.json.encode(request_data, order="sorted")).hexdigest()


def case_ref(request: Request) -> UUID | str:
    """The ``{id}`` path parameter: a UUID or a human case code."""
    raw: str = request.path_params["id"]
    try:
        return UUID(raw)
    except ValueError:
        return raw.upper()


def number_between(raw: str, low: float, high: float) -> float | None:
    """The finite number ``raw`` says, if it is from ``low`` to ``high``; else ``None``."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def query_int(request: Request, name: str, default: int, *, low: int = 0, high: int = 10**12) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValidationError({name: f"must be a whole number from {low} to {high}"})
    return int(raw)


async def wait_for_position(request: Request) -> None:
    """Read-your-writes: with ``?position=N`` wait until the read models have applied N."""
    position = query_int(request, "position", 0, high=MAX_POSITION)
    read_side = state(request).read_side
    if not position or read_side.wait(position, 0):  # applied already: no waiting, no log look-up
        return
    # A write is committed before it is answered, so a position past the log's
    # head names no write: waiting would not help.
    if position > await run_in_threadpool(state(request).app.head_position):
        raise ValidationError({"position": "is past the newest write; pass the position a write returned"})
    if not await run_in_threadpool(read_side.wait, position, MAX_WAIT_SECONDS):
        raise HttpProblem(503, "read_model_behind", f"The read models have not reached position {position} yet.")
