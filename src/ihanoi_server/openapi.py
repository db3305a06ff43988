"""The OpenAPI 3.1 description of the HTTP API, generated from the app's routes.

``GET /openapi.json`` walks ``app.routes`` when it is first asked and
describes every route it finds, from two sources, the second winning:

1. **Inference.** A command route (``endpoint.command_spec``) gives its body,
   roles and valid states; a case reader gives the case shape; any other
   endpoint is read for the helpers it calls — ``read_body(request, Struct)``
   (the body), ``idempotency_key``, ``expected_version`` (``If-Match``),
   ``wait_for_position`` (``?position=``), ``query_int(request, "name")``,
   ``request.query_params.get("name")``, ``page_request`` and
   ``command_response`` — and its docstring gives the summary and, in a
   sentence starting ``Roles:``, the ``x-roles``.
2. **``document(name, ...)``**, called by the module that defines the route
   (route names look like ``"complaints:create"``), for what cannot be
   inferred: the response shape, query parameters read indirectly, roles.

Request and response shapes are msgspec types (Structs, dataclasses, lists of
them) turned into ``components.schemas`` by ``msgspec.json.schema_components``;
every error is an ``application/problem+json`` ``Problem``.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from starlette.convertors import FloatConvertor, IntegerConvertor, UUIDConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from ihanoi_server.commands import CommandSpec, Empty, case_reader
from ihanoi_server.http import MAX_BODY_BYTES, MAX_WAIT_SECONDS, render

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


POSITION = Query(
    "position",
    int,
    f"Read-your-writes: wait (at most {MAX_WAIT_SECONDS:g} s) until the read "
    "models have applied this log position, the `position` a write returned; 503 otherwise.",
)
LIMIT = Query("limit", int, "Page size, 1 to 100 (default 20).")
CURSOR = Query("cursor", str, "The `next_cursor` of the previous page (opaque).")
IF_MATCH = Header(
    "If-Match",
    str,
    'The ETag of the case as you last read it, e.g. `"3"`: the command is '
    "refused with 412 if the case has changed since.",
)
IDEMPOTENCY_KEY = Header("Idempotency-Key", str, "1 to 200 printable characters. Retrying with the same "
                         "key returns the case the first request created instead of creating another.")  # fmt: skip


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
    roles: tuple[str, ...] | None = None
    auth: str | None = None
    events: Mapping[str, Any] | None = None
    extra_statuses: tuple[int, ...] | None = None


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
    roles: Sequence[str] | None = None,
    auth: str | None = None,
    events: Mapping[str, Any] | None = None,
) -> None:
    """Describe the route named ``name`` (e.g. ``"complaints:create"``) beyond
    what can be inferred. ``body``/``response``: a msgspec type (a Struct,
    ``list[Struct]``, a dataclass …) or a JSON Schema dict; ``status``: the
    success status (default 200); ``query``/``headers``: ``Query``/``Header``
    parameters (they replace the inferred ones); ``problems``: the error
    statuses (default inferred); ``roles``: for ``x-roles``; ``auth``:
    ``"bearer"`` (default), ``"none"`` or ``"api_key"`` (Open311 ``api_key``);
    ``events``: SSE event name → data type. Raises ``ValueError`` for an
    unknown ``auth``. A second call for the same name replaces the first."""
    if auth is not None and auth not in AUTH_KINDS:
        raise ValueError(f"auth must be one of {', '.join(AUTH_KINDS)}, not {auth!r}")
    DOCS[name] = RouteDoc(
        summary=summary,
        description=description,
        body=body,
        response=response,
        status=status,
        media_type=media_type,
        query=tuple(query) if query is not None else None,
        headers=tuple(headers) if headers is not None else None,
        problems=tuple(problems) if problems is not None else None,
        roles=tuple(roles) if roles is not None else None,
        auth=auth,
        events=events,
    )


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


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details. `code` is stable and machine-readable.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "examples": ["invalid_transition", "version_mismatch"]},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "422: field → problem."},
        "status_now": {"type": "string", "description": "409 invalid_transition: the case's status."},
        "allowed_from": {"type": "array", "items": {"type": "string"}},
        "expected_version": {"type": "integer", "description": "412: the version you sent."},
        "current_version": {"type": "integer", "description": "412: the case's version now."},
    },
    "required": ["type", "title", "status", "detail", "code"],
}  # fmt: skip
PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Malformed: the body is not JSON or not UTF-8, or a header (If-Match, "
          "Idempotency-Key, Last-Event-ID) is malformed."),
    401: ("Unauthorized", "No bearer token, or it is invalid or expired."),
    403: ("Forbidden", "Your role may not do this."),
    404: ("NotFound", "No such case visible to you (existence is not revealed)."),
    409: ("Conflict", "The case's status does not allow this, a rule refuses it, or a concurrent change won."),
    412: ("PreconditionFailed", "If-Match names a version the case is no longer at."),
    413: ("ContentTooLarge", f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."),
    415: ("UnsupportedMediaType", "The body is not application/json in UTF-8."),
    422: ("UnprocessableContent", "Well-formed but invalid input; `errors` names each field."),
    503: ("ServiceUnavailable", "Not ready: the read models did not reach `?position=` in time (retry), "
          "or the store is unreachable."),
}  # fmt: skip
CONVERTOR_SCHEMAS: tuple[tuple[type, dict[str, Any]], ...] = (
    (IntegerConvertor, {"type": "integer", "minimum": 0}),
    (FloatConvertor, {"type": "number"}),
    (UUIDConvertor, {"type": "string", "format": "uuid"}),
)
PATH_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
ROLES = re.compile(r"\bRoles: (.+?)\.(?:\s|$)")
CASE_READER_CODE = case_reader(frozenset()).__code__


# -- inference -------------------------------------------------------------------------------


def infer(endpoint: Callable[..., Any]) -> RouteDoc:
    """What the endpoint's docstring and the helpers it calls tell (see module docstring)."""
    inferred = from_docstring(inspect.getdoc(endpoint) or "")
    if getattr(endpoint, "__code__", None) is CASE_READER_CODE:
        return RouteDoc(
            summary="Read the case as you may see it",
            description="Citizens read their own cases, staff the cases routed to their agency, auditors "
            "every case. A case you may not see is 404, as if it did not exist. The `ETag` is its version.",
            response=CaseView,
            roles=("citizen (own)", "officer", "leader", "auditor"),
            problems=(401, 403, 404),
        )
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(endpoint)))
    except (OSError, TypeError, SyntaxError):  # No source at hand (a builtin, a zipapp): nothing to infer.
        return inferred
    closure = inspect.getclosurevars(endpoint) if inspect.isfunction(endpoint) else None
    names = {**getattr(endpoint, "__globals__", {}), **(closure.nonlocals if closure else {})}
    query: list[Query] = []
    headers: list[Header] = []
    body: Any = None
    response: Any = None
    statuses: list[int] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        text = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if called == "read_body" and len(node.args) == 2:
            body = resolve(node.args[1], names)
        elif called == "idempotency_key":
            headers.append(IDEMPOTENCY_KEY)
        elif called == "expected_version":
            headers.append(IF_MATCH)
        elif called == "wait_for_position":
            query.append(POSITION)
        elif called == "page_request":
            query += [LIMIT, CURSOR]
        elif called == "query_int" and text:
            query.append(Query(text[0], int))
        elif called == "get" and text and is_query_params(node.func):
            query.append(Query(text[0], str))
        elif called == "command_response":
            response = CaseWritten
            statuses = [
                n.value for k in node.keywords if k.arg == "status"
                for n in ast.walk(k.value) if isinstance(n, ast.Constant) and isinstance(n.value, int)
            ]  # fmt: skip
    return replace(
        inferred,
        body=body,
        response=response,
        status=min(statuses, key=lambda s: (s != 201, s)) if statuses else None,
        extra_statuses=tuple(sorted(set(statuses))) or None,
        query=tuple(unique(query)) or None,
        headers=tuple(unique(headers)) or None,
    )


def from_docstring(doc: str) -> RouteDoc:
    """Summary: the first sentence; description: the whole docstring; roles:
    the list after "Roles:" (our endpoints' docstring convention)."""
    text = " ".join(doc.replace("``", "`").split())
    if not text:
        return RouteDoc()
    summary = re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(".")
    roles = ROLES.search(text)
    listed = [r.strip() for r in re.split(r"[,;]", roles.group(1))] if roles else []
    return RouteDoc(
        summary=summary,
        description=doc.replace("``", "`") if text.rstrip(".") != summary else None,
        roles=tuple(listed) if listed and not listed[0].startswith("see ") else None,
    )


def resolve(node: ast.expr, names: Mapping[str, Any]) -> Any:
    """The object a name or dotted name in the endpoint's source stands for."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = resolve(node.value, names)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def is_query_params(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and getattr(func.value, "attr", None) == "query_params"


def unique(params: Iterable[Param]) -> list[Any]:
    seen: dict[str, Param] = {}
    for param in params:
        seen.setdefault(param.name.lower(), param)
    return list(seen.values())


def command_doc(spec: CommandSpec) -> RouteDoc:
    roles = ", ".join(spec.roles) or "see the command"
    states = ", ".join(spec.from_states) or "any"
    return RouteDoc(
        summary=spec.summary or spec.name,
        description=f"{spec.summary}\n\nRoles: {roles}. Valid from: {states}.\n\nSend `If-Match` with the "
        "ETag of your last read to refuse the command if the case changed meanwhile (412).",
        body=spec.body,
        response=CaseWritten,
        headers=(IF_MATCH,),
        roles=tuple(spec.roles),
        problems=(400, 401, 403, 404, 409, 412, 413, 415, 422),
    )


def merge(*docs: RouteDoc) -> RouteDoc:
    """Later docs win, field by field, where they say something."""
    merged = RouteDoc()
    for doc in docs:
        changes = {f.name: getattr(doc, f.name) for f in fields(doc) if getattr(doc, f.name) is not None}
        merged = replace(merged, **changes)
    return merged


# -- the document -------------------------------------------------------------------------------


@dataclass
class Operation:
    path: str
    method: str
    name: str
    path_params: dict[str, dict[str, Any]]
    doc: RouteDoc
    command: CommandSpec | None


def walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from walk(route.routes, prefix + route.path)
        elif isinstance(route, Route) and route.include_in_schema:
            yield prefix + route.path, route


def operations(routes: Iterable[BaseRoute]) -> list[Operation]:
    found: list[Operation] = []
    for path, route in walk(routes):
        spec: CommandSpec | None = getattr(route.endpoint, "command_spec", None)
        base = infer(route.endpoint) if spec is None else command_doc(spec)
        doc = merge(base, DOCS.get(route.name, RouteDoc()))
        params = {
            name: next((s for kind, s in CONVERTOR_SCHEMAS if isinstance(convertor, kind)), {"type": "string"})
            for name, convertor in route.param_convertors.items()
        }
        methods = sorted((route.methods or {"GET"}) - {"HEAD"})
        for method in methods:
            name = route.name if len(methods) == 1 else f"{route.name}:{method.lower()}"
            found.append(Operation(PATH_PARAM.sub(r"{\1}", path), method.lower(), name, params, doc, spec))
    return found


class Schemas:
    """Collects msgspec types and turns them into ``components.schemas`` at once."""

    def __init__(self) -> None:
        self.types: list[Any] = []

    def want(self, shape: Any) -> None:
        if shape is not None and not isinstance(shape, dict) and shape not in self.types:
            msgspec.json.schema(shape)  # Fails early, naming the type, if msgspec cannot describe it.
            self.types.append(shape)

    def build(self) -> tuple[Callable[[Any], dict[str, Any]], dict[str, Any]]:
        refs, components = msgspec.json.schema_components(self.types, ref_template=REF)

        def schema(shape: Any) -> dict[str, Any]:
            if shape is None:
                return {}
            if isinstance(shape, dict):
                return shape
            found: dict[str, Any] = refs[self.types.index(shape)]
            return found

        return schema, components


def openapi_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``routes`` (with the registry as it is now)."""
    ops = operations(routes)
    schemas = Schemas()
    for shape in (CaseWritten, CaseView):
        schemas.want(shape)
    for op in ops:
        for shape in (op.doc.body, op.doc.response, *(op.doc.events or {}).values()):
            schemas.want(shape)
    schema, components = schemas.build()
    components["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for op in ops:
        operation_id = op.name
        while operation_id in used:
            operation_id += "_"
        used.add(operation_id)
        paths.setdefault(op.path, {})[op.method] = operation(op, operation_id, schema)
    return {
        "openapi": "3.1.0",
        "info": {"title": "ihanoi", "version": package_version(), "description": DESCRIPTION},
        "security": [{"bearer": []}],
        "tags": [{"name": tag} for tag in sorted({tag_of(op.path) for op in ops})],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {
                title: {
                    "description": text,
                    "content": {"application/problem+json": {"schema": {"$ref": REF.format(name="Problem")}}},
                }
                for title, text in PROBLEMS.values()
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "A JWT with sub, role, agency (staff) and exp; `ihanoi token` "
                           "issues development tokens."},
                "api_key": {"type": "apiKey", "in": "query", "name": "api_key",
                            "description": "An Open311 client key."},
            },
        },
    }  # fmt: skip


def operation(op: Operation, operation_id: str, schema: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    doc = op.doc
    auth = doc.auth or ("bearer" if op.path.startswith("/api/") else "none")
    result: dict[str, Any] = {
        "operationId": operation_id,
        "summary": doc.summary or operation_id,
        "tags": [tag_of(op.path)],
    }
    if doc.description:
        result["description"] = doc.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": param_schema,
         **({"description": "The case id (UUID) or its code, e.g. PA-261130-483920."} if name == "id" else {})}
        for name, param_schema in op.path_params.items()
    ]  # fmt: skip
    for param in (*(doc.query or ()), *(doc.headers or ())):
        parameters.append({
            "name": param.name, "in": param.location, "required": param.required,
            "schema": param.type if isinstance(param.type, dict) else msgspec.json.schema(param.type),
            **({"description": param.description} if param.description else {}),
        })  # fmt: skip
    if parameters:
        result["parameters"] = parameters
    if doc.body is not None:
        result["requestBody"] = {
            "required": doc.body is not Empty,
            "content": {"application/json": {"schema": schema(doc.body)}},
        }
    result["responses"] = responses(op, schema, auth)
    if auth == "none":
        result["security"] = []
    elif auth == "api_key":
        result["security"] = [{"api_key": []}]
    if doc.roles is not None:
        result["x-roles"] = list(doc.roles)
    if op.command is not None:
        result["x-valid-from-states"] = list(op.command.from_states)
    if doc.events:
        result["x-sse-events"] = {name: schema(shape) for name, shape in doc.events.items()}
    return result


def responses(op: Operation, schema: Callable[[Any], dict[str, Any]], auth: str) -> dict[str, Any]:
    doc = op.doc
    status = doc.status or 200
    media_type = doc.media_type or "application/json"
    success: dict[str, Any] = {
        "description": "Created." if status == 201 else "OK.",
        "content": {media_type: {"schema": schema(doc.response)}},
    }
    if doc.response is CaseWritten:
        success["headers"] = {
            "ETag": {"description": 'The case\'s new version, e.g. `"4"`.', "schema": {"type": "string"}},
            "Ihanoi-Position": {"description": "The log position of the write.", "schema": {"type": "integer"}},
        }
    result: dict[str, Any] = {str(status): success}
    for extra in doc.extra_statuses or ():
        if extra != status:
            described = "An earlier request with the same Idempotency-Key created it." if extra == 200 else "OK."
            result[str(extra)] = {**success, "description": described}
    for code in problems_of(op, auth):
        result[str(code)] = {"$ref": f"#/components/responses/{PROBLEMS[code][0]}"}
    return result


def problems_of(op: Operation, auth: str) -> list[int]:
    doc = op.doc
    if doc.problems is not None:
        return sorted(code for code in set(doc.problems) if code in PROBLEMS)
    codes: set[int] = set()
    if auth != "none":
        codes |= {401, 403}
    if op.path_params and op.path.startswith("/api/"):
        codes.add(404)
    if doc.body is not None:
        codes |= {400, 413, 415, 422}
    if doc.query:
        codes.add(422)
    if POSITION in (doc.query or ()):
        codes.add(503)
    headers = doc.headers or ()
    if IF_MATCH in headers:
        codes |= {400, 409, 412}
    if IDEMPOTENCY_KEY in headers:
        codes.add(400)
    return sorted(codes)


def tag_of(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    if parts[:2] == ["api", "v1"] and len(parts) > 2:
        return parts[2]
    return parts[0] if parts and parts[0] == "open311" else "operations"


def package_version() -> str:
    try:
        return version("ihanoi")
    except PackageNotFoundError:
        return "0+unknown"


DESCRIPTION = """\
Hanoi's digital-citizen platform: field reports, complaints and denunciations,
public-service dossiers and surveys — every case event-sourced.

* **Auth**: `Authorization: Bearer <JWT>` on everything under `/api/v1`.
* **Writes** return the case and its log `position`; pass `?position=` to a read
  to see your own write. Commands take `If-Match` (the ETag), creates take
  `Idempotency-Key`.
* **Errors** are `application/problem+json` with a stable `code`.
* **Streams** (`/me/stream`, `/worklist/stream`) are Server-Sent Events that
  resume with `Last-Event-ID`. `x-roles` and `x-valid-from-states` say who may
  call a command and when.
"""


async def openapi_json(request: Request) -> Response:
    """This document (OpenAPI 3.1)."""
    cached: bytes | None = getattr(request.app.state, "openapi", None)
    if cached is None:
        cached = render(openapi_document(request.app.routes))
        request.app.state.openapi = cached
    return Response(cached, media_type="application/json")


routes = [Route("/openapi.json", openapi_json, methods=["GET"], name="openapi")]

document("openapi", auth="none", response={"type": "object"}, problems=())
document(
    "healthz",
    summary="Liveness: the process answers",
    auth="none",
    response={"type": "object", "properties": {"status": {"const": "ok"}}},
    problems=(),
)
document(
    "readyz",
    summary="Readiness: the store answers and the read models are caught up",
    auth="none",
    response={"type": "object"},
    problems=(503,),
)
document("metrics", summary="Prometheus metrics (text format)", auth="none", media_type="text/plain",
         response={"type": "string"}, problems=())  # fmt: skip
