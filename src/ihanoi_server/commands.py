"""Declarative command endpoints: ``POST /api/v1/{collection}/{id}/{command}``.

Each command of a lifecycle is one ``CommandSpec``: its URL segment, the
application method it calls, the body it takes, and — for the docs and the
OpenAPI description — who may call it and from which states. One generic
endpoint runs them all: parse → call the application in a thread → render.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.errors import CaseNotFoundError
from ihanoi_server.http import (
    call_app,
    case_ref,
    command_response,
    expected_version,
    json_response,
    principal,
    read_body,
    state,
)


class Empty(msgspec.Struct, forbid_unknown_fields=True):
    """A command that takes no input (an empty JSON object, or no body)."""


@dataclass(frozen=True)
class CommandSpec:
    name: str
    method: str
    body: type[msgspec.Struct] = Empty
    roles: Sequence[str] = ()
    from_states: Sequence[str] = ()
    summary: str = ""
    to_kwargs: Callable[[Any], dict[str, Any]] | None = field(default=None)

    def kwargs(self, body: msgspec.Struct) -> dict[str, Any]:
        if self.to_kwargs is not None:
            return self.to_kwargs(body)
        return {name: getattr(body, name) for name in body.__struct_fields__}


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

    return read


def command_routes(collection: str, specs: Sequence[CommandSpec]) -> list[Route]:
    """One route per command, so each is documented on its own."""
    return [
        Route(
            f"/api/v1/{collection}/{{id}}/{spec.name}",
            endpoint=command_endpoint(spec),
            methods=["POST"],
            name=f"{collection}:{spec.name}",
        )
        for spec in specs
    ]


def command_endpoint(spec: CommandSpec) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        who = principal(request)
        has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
        body = await read_body(request, spec.body) if has_body or spec.body is not Empty else Empty()
        version = expected_version(request)
        app = state(request).app
        ref = case_ref(request)
        kwargs = spec.kwargs(body)

        def run() -> Any:
            return getattr(app, spec.method)(who, app.resolve_case_id(ref), expected_version=version, **kwargs)

        return command_response(await call_app(request, run))

    endpoint.__name__ = f"{spec.method}_endpoint"
    endpoint.__doc__ = spec.summary
    endpoint.command_spec = spec  # type: ignore[attr-defined]
    return endpoint
