"""Describing routes for the OpenAPI 3.1 document of the HTTP API.

``GET /openapi.json`` (``openapi.document``) walks ``app.routes`` when it is
first asked and describes every route it finds, from two sources, the second
winning:

1. **What the route is** (``openapi.derive``): a command route's command type
   gives its body, roles and valid states, a case reader the case shape, any
   other endpoint its docstring (summary, and roles after "Roles:").
2. **``document(name, ...)``**, here, called by the module that defines the
   route (route names look like ``"surveys:results"``), for the rest: the
   response shape, query parameters and headers, the body, the status.

Request and response shapes are msgspec types (Structs, dataclasses, lists of
them); this module also holds the parameters and shapes many routes share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import msgspec

from ihanoi_server.http import IDEMPOTENCY_KEY_PATTERN, MAX_POSITION, MAX_WAIT_SECONDS

AUTH_KINDS = ("bearer", "none", "api_key")
REF = "#/components/schemas/{name}"


@dataclass(frozen=True)
class Param:
    """A query or header parameter: its name, msgspec type (or a JSON Schema
    dict), what it means, and whether it must be given."""

    name: str
    type: Any = str
    description: str = ""
    required: bool = False
    location: ClassVar[str] = "query"


class Query(Param):
    location = "query"


class Header(Param):
    location = "header"


POSITION_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_POSITION}
POSITION = Query(
    "position",
    POSITION_SCHEMA,
    f"Read-your-writes: wait (at most {MAX_WAIT_SECONDS:g} s) until the read "
    "models have applied this log position, the `position` a write returned; 503 otherwise.",
)
# The language of an HTML page (and of the dashboard's chart); an unknown one gets Vietnamese.
LANG = Query("lang", str, "vi (default) or en.")
LIMIT = Query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size, 1 to 100 (default 20).")
CURSOR = Query("cursor", str, "The `next_cursor` of the previous page (opaque).")
IF_MATCH = Header(
    "If-Match",
    {"type": "string", "pattern": r'^(\*|"[0-9]{1,15}")$'},
    'The ETag of the case as you last read it, e.g. `"3"`, or `*`: the command is '
    "refused with 412 if the case has changed since. Compared strongly: a weak ETag "
    '(`W/"3"`) never matches (412); a header that is not an ETag is 400.',
)
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY_PATTERN.pattern}$"},
    "1 to 200 visible ASCII characters (spaces inside). Retrying with the same key and body returns the case the first "
    "request created instead of creating another (200); the same key with another body is refused "
    "(422 `idempotency_key_reused`).",
)


@dataclass(frozen=True)
class RouteDoc:
    """What is known about one route; ``None`` means "infer it"."""

    summary: str | None = None
    description: str | None = None
    body: Any = None
    response: Any = None
    status: int | None = None
    media_type: str | None = None
    query: tuple[Query, ...] | None = None
    headers: tuple[Header, ...] | None = None
    problems: tuple[int, ...] | None = None
    more_problems: tuple[int, ...] | None = None
    roles: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None
    auth: str | None = None
    events: Mapping[str, Any] | None = None
    extra_statuses: tuple[int, ...] | None = None
    path: Mapping[str, dict[str, Any]] | None = None
    alternatives: Mapping[str, Any] | None = None
    responses: Mapping[int, dict[str, Any]] | None = None
    bodies: Mapping[str, Any] | None = None
    store: bool = True

    def __post_init__(self) -> None:
        # ``document`` takes any sequence for these; kept as tuples, the doc stays immutable.
        for field in ("query", "headers", "problems", "more_problems", "roles", "states", "extra_statuses"):
            value = getattr(self, field)
            if value is not None:
                object.__setattr__(self, field, tuple(value))


DOCS: dict[str, RouteDoc] = {}


def document(
    name: str,
    *,
    summary: str | None = None,
    description: str | None = None,
    body: Any = None,
    response: Any = None,
    status: int | None = None,
    media_type: str | None = None,
    query: Sequence[Query] | None = None,
    headers: Sequence[Header] | None = None,
    problems: Sequence[int] | None = None,
    more_problems: Sequence[int] | None = None,
    roles: Sequence[str] | None = None,
    auth: str | None = None,
    events: Mapping[str, Any] | None = None,
    path: Mapping[str, dict[str, Any]] | None = None,
    alternatives: Mapping[str, Any] | None = None,
    responses: Mapping[int, dict[str, Any]] | None = None,
    bodies: Mapping[str, Any] | None = None,
    store: bool = True,
) -> None:
    """Describe the route named ``name`` (e.g. ``"complaints:create"``) beyond
    what can be inferred. ``body``/``response``: a msgspec type (a Struct,
    ``list[Struct]``, a dataclass …) or a JSON Schema dict; ``status``: the
    success status (default 200); ``query``/``headers``: ``Query``/``Header``
    parameters (they replace the inferred ones); ``problems``: the error
    statuses (default inferred); ``more_problems``: error statuses besides the
    inferred ones (a 409 that no ``If-Match`` implies); ``roles``: for ``x-roles``; ``auth``:
    ``"bearer"`` (default), ``"none"`` or ``"api_key"`` (Open311 ``api_key``);
    ``events``: SSE event name → data type; ``path``: path parameter → JSON
    Schema, where the route's convertor says less (an enum); ``alternatives``:
    other media types the success answer comes in → their schema;
    ``responses``: answers that are not problem+json, status → OpenAPI
    Response Object (Open311's own error documents); ``bodies``: request
    media types the body may come in → their schema, beside or instead of
    ``body`` as JSON (a multipart photo upload); ``store``: whether answering
    reads or writes the store, so that a 503 ``store_unreachable`` may answer
    it (``False`` for pages, files and the directory's lists). Raises ``ValueError`` for
    an unknown ``auth``. A second call for the same name replaces the first."""
    if auth is not None and auth not in AUTH_KINDS:
        raise ValueError(f"auth must be one of {', '.join(AUTH_KINDS)}, not {auth!r}")
    # Every parameter but ``name`` is a field of ``RouteDoc``, which makes its sequences tuples.
    DOCS[name] = RouteDoc(**{field: value for field, value in locals().items() if field != "name"})


def document_with_csv(
    name: str, csv_name: str, *, response: Any, columns: Sequence[str], description: str, query: Sequence[Query]
) -> None:
    """Describe a public figures route that answers JSON or, asked with
    ``Accept: text/csv``, CSV, and its ``.csv`` twin (``csv_name``) whose
    header row is ``columns``: no token; 422 for a bad query, 503 for a
    ``?position=`` not reached in time."""
    csv_schema = {"type": "string", "description": f"CSV with the header row {','.join(columns)}."}
    common: dict[str, Any] = {"description": description, "query": query, "auth": "none", "problems": (422, 503)}
    document(name, response=response, alternatives={"text/csv": csv_schema}, **common)
    document(csv_name, media_type="text/csv", response=csv_schema, **common)


# -- shapes shared by many routes ------------------------------------------------------


class CaseWritten(msgspec.Struct):
    """What every write returns: the case it changed and the log position to
    pass as ``?position=`` to read your own write. Also in the ``ETag`` (version)
    and ``Ihanoi-Position`` headers."""

    id: UUID
    code: str
    kind: str
    status: str
    version: int
    position: int


class CaseView(msgspec.Struct):
    """A case as you may see it: these fields for every kind plus the kind's
    own; personal fields are null unless you are entitled to them."""

    id: UUID
    code: str
    kind: str
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    agency: str | None = None
    assignee: str | None = None
    due_at: datetime | None = None
    public_note: str | None = None
