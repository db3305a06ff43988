"""What a route says about itself, for the OpenAPI document.

A command route (``endpoint.command_spec``) gives its body, roles and valid
states; a case reader gives the case shape; any other endpoint is read for the
helpers it calls — ``read_body(request, Struct)`` (the body),
``idempotency_key``, ``expected_version`` (``If-Match``), ``wait_for_position``
(``?position=``), ``query_int(request, "name")``,
``request.query_params.get("name")``, ``page_request`` and
``command_response`` — and its docstring gives the summary and, in a sentence
starting ``Roles:``, the ``x-roles``. What ``document()`` registered wins over
all of it (``merge``).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, replace
from typing import Any

from ihanoi_core.commands.command import CaseCommand, CreateCommand, summary_of
from ihanoi_server.commands import case_reader, documented_roles, documented_states
from ihanoi_server.http import query_int
from ihanoi_server.openapi import (
    CURSOR,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    LIMIT,
    POSITION,
    CaseView,
    CaseWritten,
    Header,
    Param,
    Query,
    RouteDoc,
)

DEFAULT_HIGH = inspect.signature(query_int).parameters["high"].default
ROLES = re.compile(r"\bRoles: (.+?)\.(?:\s|$)")
CASE_READER_CODE = case_reader(frozenset()).__code__


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
            bounds = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            query.append(Query(text[0], {"type": "integer", "minimum": bounds.get("low", 0),
                                         "maximum": bounds.get("high", DEFAULT_HIGH)}))  # fmt: skip
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


def merge(*docs: RouteDoc) -> RouteDoc:
    """Later docs win, field by field, where they say something."""
    merged = RouteDoc()
    for doc in docs:
        changes = {f.name: getattr(doc, f.name) for f in fields(doc) if getattr(doc, f.name) is not None}
        merged = replace(merged, **changes)
    return merged


def case_command_doc(command_type: type[CaseCommand]) -> RouteDoc:
    """A command route, from its command type: body, roles and valid states."""
    roles = documented_roles(command_type)
    states = documented_states(command_type)
    summary = summary_of(command_type)
    return RouteDoc(
        summary=summary,
        description=f"{summary}\n\nRoles: {', '.join(roles)}. Valid from: {', '.join(states)}.\n\nSend `If-Match` "
        "with the ETag of your last read to refuse the command if the case changed meanwhile (412).",
        body=command_type.body(),
        response=CaseWritten,
        headers=(IF_MATCH,),
        roles=tuple(roles),
        states=tuple(states),
        problems=(400, 401, 403, 404, 409, 412, 413, 415, 422),
    )


def create_command_doc(command_type: type[CreateCommand]) -> RouteDoc:
    """A create route, from its command type: body, roles, idempotency."""
    from_roles = [str(role) for role in command_type.roles]
    summary = summary_of(command_type)
    return RouteDoc(
        summary=summary.split(". ")[0].rstrip("."),
        description=f"{summary}\n\nRoles: {', '.join(from_roles)}. Idempotent with `Idempotency-Key`.",
        body=command_type,
        response=CaseWritten,
        status=201,
        extra_statuses=(200, 201),
        headers=(IDEMPOTENCY_KEY,),
        roles=tuple(from_roles),
        problems=(400, 401, 403, 409, 413, 415, 422),
    )
