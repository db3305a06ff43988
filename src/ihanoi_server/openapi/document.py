"""The OpenAPI 3.1 document of the HTTP API, generated from the app's routes,
and ``GET /openapi.json`` that serves it.

Each route is described by what it is (``openapi.derive``) merged with what
its module registered (``openapi.describe.document``). Request and
response shapes become ``components.schemas`` through
``msgspec.json.schema_components``; every error is an
``application/problem+json`` ``Problem``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import msgspec
from starlette.convertors import FloatConvertor, IntegerConvertor, UUIDConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from ihanoi_core.commands.command import CaseCommand
from ihanoi_server.http import MAX_BODY_BYTES, render
from ihanoi_server.openapi.derive import case_command_doc, create_command_doc, infer, merge
from ihanoi_server.openapi.describe import (
    DOCS,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    POSITION,
    REF,
    CaseView,
    CaseWritten,
    RouteDoc,
    document,
)
from ihanoi_server.static import Kept

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details. `code` is stable and machine-readable.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "examples": ["invalid_transition", "version_mismatch"]},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "422: field → problem.",
        },
        "status_now": {"type": "string", "description": "409 invalid_transition: the case's status."},
        "allowed_from": {"type": "array", "items": {"type": "string"}},
        "expected_version": {"type": "integer", "description": "412: the version you sent."},
        "current_version": {"type": "integer", "description": "412: the case's version now."},
    },
    "required": ["type", "title", "status", "detail", "code"],
}
PROBLEMS: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "Malformed: the body is not JSON or not UTF-8, or a header (If-Match, "
        "Idempotency-Key, Last-Event-ID) is malformed.",
    ),
    401: ("Unauthorized", "No bearer token, or it is invalid or expired."),
    403: ("Forbidden", "Your role may not do this."),
    404: ("NotFound", "No such case visible to you (existence is not revealed)."),
    409: ("Conflict", "The case's status does not allow this, a rule refuses it, or a concurrent change won."),
    412: (
        "PreconditionFailed",
        "If-Match names a version the case is no longer at, or a weak or "
        "foreign ETag (compared strongly, they never match).",
    ),
    413: ("ContentTooLarge", f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."),
    415: ("UnsupportedMediaType", "The body is not application/json in UTF-8."),
    422: ("UnprocessableContent", "Well-formed but invalid input; `errors` names each field."),
    503: (
        "ServiceUnavailable",
        "Not ready: the read models did not reach `?position=` in time (retry), "
        "the store did not answer within IHANOI_POSTGRES_CONNECT_TIMEOUT (`store_unreachable`, with "
        "Retry-After; send a command again with the same Idempotency-Key), or the identity provider's "
        "signing keys cannot be fetched (`identity_provider_unavailable`, with Retry-After), or an "
        "uploaded photo could not be stored (`photo_store_unavailable`: nothing was filed).",
    ),
}
CONVERTOR_SCHEMAS: tuple[tuple[type, dict[str, Any]], ...] = (
    (IntegerConvertor, {"type": "integer", "minimum": 0}),
    (FloatConvertor, {"type": "number"}),
    (UUIDConvertor, {"type": "string", "format": "uuid"}),
)
PATH_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass
class Operation:
    path: str
    method: str
    name: str
    path_params: dict[str, dict[str, Any]]
    doc: RouteDoc


def walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from walk(route.routes, prefix + route.path)
        elif isinstance(route, Route) and route.include_in_schema:
            yield prefix + route.path, route


def operations(routes: Iterable[BaseRoute]) -> list[Operation]:
    found: list[Operation] = []
    for path, route in walk(routes):
        command_type = getattr(route.endpoint, "command_type", None)
        if command_type is not None and issubclass(command_type, CaseCommand):
            base = case_command_doc(command_type)
        elif command_type is not None:
            base = create_command_doc(command_type)
        else:
            base = infer(route.endpoint)
        doc = merge(base, DOCS.get(route.name, RouteDoc()))
        params = {
            name: next((s for kind, s in CONVERTOR_SCHEMAS if isinstance(convertor, kind)), {"type": "string"})
            for name, convertor in route.param_convertors.items()
        }
        methods = sorted((route.methods or {"GET"}) - {"HEAD"})
        for method in methods:
            name = route.name if len(methods) == 1 else f"{route.name}:{method.lower()}"
            found.append(Operation(PATH_PARAM.sub(r"{\1}", path), method.lower(), name, params, doc))
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
        for shape in (op.doc.body, op.doc.response, *(op.doc.events or {}).values(), *(op.doc.bodies or {}).values()):
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
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A JWT with sub, role, agency (staff) and exp; `ihanoi token` "
                    "issues development tokens.",
                },
                "api_key": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "api_key",
                    "description": "An Open311 client key.",
                },
            },
        },
    }


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
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": (doc.path or {}).get(name, param_schema),
            **({"description": "The case id (UUID) or its code, e.g. PA-261130-483920."} if name == "id" else {}),
        }
        for name, param_schema in op.path_params.items()
    ]
    for param in (*(doc.query or ()), *(doc.headers or ())):
        parameters.append(
            {
                "name": param.name,
                "in": param.location,
                "required": param.required,
                "schema": param.type if isinstance(param.type, dict) else msgspec.json.schema(param.type),
                **({"description": param.description} if param.description else {}),
            }
        )
    if parameters:
        result["parameters"] = parameters
    if doc.body is not None:
        result["requestBody"] = {
            "required": not (
                isinstance(doc.body, type) and issubclass(doc.body, msgspec.Struct) and not doc.body.__struct_fields__
            ),
            "content": {"application/json": {"schema": schema(doc.body)}},
        }
    if doc.bodies:
        content = {media: {"schema": schema(shape)} for media, shape in doc.bodies.items()}
        result.setdefault("requestBody", {"required": True, "content": {}})["content"].update(content)
    result["responses"] = responses(op, schema, auth)
    if auth == "none":
        result["security"] = []
    elif auth == "api_key":
        result["security"] = [{"api_key": []}]
    if doc.roles is not None:
        result["x-roles"] = list(doc.roles)
    if doc.states is not None:
        result["x-valid-from-states"] = list(doc.states)
    if doc.events:
        result["x-sse-events"] = {name: schema(shape) for name, shape in doc.events.items()}
    return result


def responses(op: Operation, schema: Callable[[Any], dict[str, Any]], auth: str) -> dict[str, Any]:
    doc = op.doc
    status = doc.status or 200
    media_type = doc.media_type or "application/json"
    success: dict[str, Any] = {
        "description": "Created." if status == 201 else "OK.",
        "content": {
            media_type: {"schema": schema(doc.response)},
            **{other: {"schema": schema(shape)} for other, shape in (doc.alternatives or {}).items()},
        },
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
    for code, answer in (doc.responses or {}).items():
        result[str(code)] = answer
    return result


def problems_of(op: Operation, auth: str) -> list[int]:
    codes = problems_for(op, auth)
    # Where a token is verified, the identity provider's keys may be out of reach;
    # where the store is read or written, the store (both 503).
    if 401 in codes or op.doc.store:
        codes.add(503)
    return sorted(codes)


def problems_for(op: Operation, auth: str) -> set[int]:
    doc = op.doc
    if doc.problems is not None:
        return {code for code in doc.problems if code in PROBLEMS}
    codes: set[int] = set()
    if auth != "none":
        codes |= {401, 403}
    if op.path_params and op.path.startswith("/api/"):
        codes.add(404)
    if doc.body is not None or doc.bodies:
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
    return codes | {code for code in doc.more_problems or () if code in PROBLEMS}


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

* **Auth**: `Authorization: Bearer <JWT>` on everything under `/api/v1`. A web
  page of this server may use the session cookie of `POST /api/v1/session`
  instead (same origin only; `X-CSRF-Token` on unsafe requests), and open a
  stream with it or with a single-use `?ticket=` (docs/sessions.md).
* **Writes** return the case and its log `position`; pass `?position=` to a read
  to see your own write. Commands take `If-Match` (the ETag), creates take
  `Idempotency-Key`.
* **Errors** are `application/problem+json` with a stable `code`.
* **Text** must not contain NUL (U+0000): such a request is 422 (400 on Open311).
* **Streams** (`/me/stream`, `/worklist/stream`) are Server-Sent Events that
  resume with `Last-Event-ID`. `x-roles` and `x-valid-from-states` say who may
  call a command and when.
"""


async def openapi_json(request: Request) -> Response:
    """This document (OpenAPI 3.1), made once; gzip-compressed for a client that takes it."""
    kept: Kept | None = getattr(request.app.state, "openapi", None)
    if kept is None:
        kept = request.app.state.openapi = Kept(render(openapi_document(request.app.routes)), "application/json", {})
    return await kept.answer(request)


routes = [Route("/openapi.json", openapi_json, methods=["GET"], name="openapi")]

document("openapi", auth="none", response={"type": "object"}, problems=(), store=False)
document(
    "healthz",
    summary="Liveness: the process answers",
    auth="none",
    response={"type": "object", "properties": {"status": {"const": "ok"}}},
    problems=(),
    store=False,
)
document(
    "readyz",
    summary="Readiness: the store answers and the read models are caught up",
    auth="none",
    response={"type": "object"},
    problems=(503,),
)
document(
    "metrics",
    summary="Prometheus metrics (text format)",
    description="Answers while the store does not: `ihanoi_store_up` is then 0 and the projection lag and "
    "outbox figures, which are read from the store, are left out.",
    auth="none",
    media_type="text/plain",
    response={"type": "string"},
    problems=(),
    store=False,
)
