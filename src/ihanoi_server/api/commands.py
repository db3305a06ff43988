"""Command endpoints derived from the command types of the core.

``POST /api/v1/{collection}/{id}/{name}`` for every ``CaseCommand`` of a
family (``command_routes``), ``POST /api/v1/{collection}`` for a command
that creates a case (``create_route``) and ``GET /api/v1/{collection}/{id}``
for reading one (``read_route``): parse the body into the command's
type → ``app.handle`` → render. Nothing here names a command: the routes,
their bodies and what the OpenAPI document says of who may call them from
which states all come from the command types (``ihanoi_core.commands``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.command import CaseCommand, CreateCommand, command_from_body, summary_of
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError
from ihanoi_core.handlers.table import command_types
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_server.http import (
    call_app,
    case_ref,
    command_response,
    expected_version,
    idempotency_key,
    json_response,
    principal,
    query_int,
    read_body,
    state,
    wait_for_position,
)


def case_reader(kinds: frozenset[str]) -> Callable[[Request], Any]:
    """``GET /api/v1/{collection}/{id}``: the case as the caller may see it;
    404 when it is not visible or not of this collection's kinds."""

    async def read(request: Request) -> Response:
        who = principal(request)
        app = state(request).app
        ref = case_ref(request)

        def run() -> dict[str, Any]:
            data = app.get_case(who, ref)
            if data["kind"] not in kinds:
                raise CaseNotFoundError(ref)
            return data

        data = await call_app(request, run)
        return json_response(data, headers={"ETag": f'"{data["version"]}"'})

    read.reads_case = kinds  # type: ignore[attr-defined]
    return read


def read_route(collection: str, *kinds: str) -> Route:
    """``GET /api/v1/{collection}/{id}`` (``case_reader``) for the cases of ``kinds``."""
    return Route(
        f"/api/v1/{collection}/{{id}}", case_reader(frozenset(kinds)), methods=["GET"], name=f"{collection}:read"
    )


async def read_public_case(request: Request, reader: Principal, kind: str) -> dict[str, Any]:
    """The case ``{code}`` of the path as ``reader`` (a stand-in for the
    public) sees it, once ``?position=`` is applied; 404 unless it is a
    ``kind`` that reader may see."""
    code: str = request.path_params["code"]
    await wait_for_position(request)

    def run() -> dict[str, Any]:
        data = state(request).app.get_case(reader, code)
        if data["kind"] != kind:
            raise CaseNotFoundError(code)
        return data

    return await call_app(request, run)


class PublicCaseItem(msgspec.Struct):
    """A case of a kind everyone may read, as the public lists show it (what it is about, never who)."""

    code: str
    title: str
    status: str
    agency: str | None
    updated_at: datetime


class PublicCaseList(msgspec.Struct):
    items: list[PublicCaseItem]


def public_list(kind: str) -> Callable[[Request], Any]:
    """``GET /public/…``: the latest cases of ``kind`` (one everyone may read), newest first."""

    async def read(request: Request) -> Response:
        limit = query_int(request, "limit", 50, low=1, high=200)
        await wait_for_position(request)
        model = state(request).read_side.model(CaseStatusModel)
        found = await call_app(request, model.list_of_kind, kind, limit=limit)
        return json_response(
            PublicCaseList([PublicCaseItem(c.code, c.summary, c.status, c.agency, c.updated_at) for c in found])
        )

    read.__doc__ = f"The latest {kind.replace('_', ' ')}s (public, no token; nothing personal)."
    return read


def family_commands(family: type[CaseCommand]) -> list[type[CaseCommand]]:
    """The case commands of one family (e.g. ``ReportCommand``) that have a handler."""
    return [t for t in command_types() if issubclass(t, family) and t is not family]


def command_routes(collection: str, family: type[CaseCommand]) -> list[Route]:
    """One route per command of the family, so each is documented on its own."""
    return [
        Route(
            f"/api/v1/{collection}/{{id}}/{command_type.name}",
            endpoint=command_endpoint(command_type),
            methods=["POST"],
            name=f"{collection}:{command_type.name}",
        )
        for command_type in family_commands(family)
    ]


def takes_input(struct: type[msgspec.Struct]) -> bool:
    """Whether a body must be sent: some field has no default. A command whose
    fields are all optional (a late explanation, say) may still be posted
    with no body, as before those fields existed."""
    return len(struct.__struct_fields__) > len(struct.__struct_defaults__)


def command_endpoint(command_type: type[CaseCommand]) -> Callable[[Request], Any]:
    body_type = command_type.body()

    async def endpoint(request: Request) -> Response:
        who = principal(request)
        has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
        body = await read_body(request, body_type) if has_body or takes_input(body_type) else body_type()
        version = expected_version(request)
        command = command_from_body(command_type, case_ref(request), body)
        app = state(request).app
        return command_response(await call_app(request, app.handle, who, command, expected_version=version))

    endpoint.__name__ = f"{command_type.__name__}_endpoint"
    endpoint.__doc__ = summary_of(command_type)
    endpoint.command_type = command_type  # type: ignore[attr-defined]
    return endpoint


# Completes a filing from the request (what its token says) before it is handled.
Prepare = Callable[[Request, CreateCommand], CreateCommand]


def create_route(collection: str, command_type: type[CreateCommand], prepare: Prepare | None = None) -> Route:
    """``POST /api/v1/{collection}``: make a case; 201 with ``Location``, or 200
    with the first case when a retry carries the same ``Idempotency-Key``.
    ``prepare`` completes the command from the request (what the token says)."""

    async def create(request: Request) -> Response:
        who = principal(request)
        command = await read_body(request, command_type)
        if prepare is not None:
            command = prepare(request, command)
        key = idempotency_key(request)
        result = await call_app(request, state(request).app.handle, who, command, idempotency_key=key)
        response = command_response(result, status=201 if result.created else 200)
        response.headers["Location"] = f"/api/v1/{collection}/{result.case_id}"
        return response

    create.__name__ = f"{command_type.__name__}_endpoint"
    create.__doc__ = summary_of(command_type)
    create.command_type = command_type  # type: ignore[attr-defined]
    return Route(f"/api/v1/{collection}", create, methods=["POST"], name=f"{collection}:create")


# -- what the API description says of a command --------------------------------------------


def role_names(roles: Iterable[Role], *, on_public_feed: bool = False) -> list[str]:
    """In the order of ``Role``; a citizen acts on their own cases only, except
    by a command that runs on any case of the public feed (supporting a report)."""
    chosen = set(roles)
    own = "(any public report)" if on_public_feed else "(own)"
    return [f"{role} {own}" if role is Role.CITIZEN else str(role) for role in Role if role in chosen]


def per_kind(kinds: tuple[str, ...], lists: dict[str, list[str]], every: tuple[str, ...]) -> list[str]:
    """One list when it is the same for every kind of the family, else ``"kind: a, b"`` per kind."""
    distinct = {tuple(items) for items in lists.values()}
    if len(distinct) == 1 and set(kinds) == set(every):
        return list(next(iter(distinct)))
    return [f"{kind}: {', '.join(lists[kind])}" for kind in kinds if lists[kind]]


def documented_roles(command_type: type[CaseCommand]) -> list[str]:
    kinds = command_type.applies_to()
    lists = {
        kind: role_names(command_type.roles_for(kind), on_public_feed=command_type.on_public_feed) for kind in kinds
    }
    return per_kind(kinds, lists, command_type.family_kinds())


def documented_states(command_type: type[CaseCommand]) -> list[str]:
    kinds = command_type.applies_to()
    lists = {kind: [str(status) for status in command_type.valid_from(kind)] for kind in kinds}
    return per_kind(kinds, lists, command_type.family_kinds())
