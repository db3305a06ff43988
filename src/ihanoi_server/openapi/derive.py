"""What a route tells of itself, for the OpenAPI document: nothing is read
from source code.

A command route (``endpoint.command_type``, set by ``ihanoi_server.api.commands``)
is described from its command type: the body, who may run it (``x-roles``)
and from which states (``x-valid-from-states``). A case reader
(``endpoint.reads_case``: the kinds it reads) reads a case; who may is what
``can_see`` lets through for those kinds. Any other endpoint gives its docstring:
the summary, the description and, after "Roles:", the ``x-roles``. What the
route's module registered with ``document()`` wins over all of it (``merge``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from typing import Any

from ihanoi_core.commands.command import CaseCommand, CreateCommand, summary_of
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import BUSINESS_KINDS
from ihanoi_server.api.commands import documented_roles, documented_states
from ihanoi_server.openapi.describe import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    CaseView,
    CaseWritten,
    RouteDoc,
)
from ihanoi_server.openapi.examples import with_example

ROLES = re.compile(r"\bRoles: (.+?)\.(?:\s|$)")


def infer(endpoint: Callable[..., Any]) -> RouteDoc:
    """What the endpoint's docstring and the helpers it calls tell (see module docstring)."""
    inferred = from_docstring(inspect.getdoc(endpoint) or "")
    if (kinds := getattr(endpoint, "reads_case", None)) is not None:
        return RouteDoc(
            summary="Read the case as you may see it",
            description="Citizens read their own cases, staff the cases routed to their agency, auditors "
            "every case; the people of a business its cases; everyone a case made public (a consultation, "
            "a dialogue session, a published survey). A case you may not see is 404, as if it did not "
            "exist. The `ETag` is its version.",
            response=CaseView,
            roles=case_readers(kinds),
            problems=(401, 403, 404),
        )
    return inferred


def case_readers(kinds: frozenset[str]) -> tuple[str, ...]:
    """Who may read a case of ``kinds``, in words: what ``can_see``
    (``ihanoi_core.permissions``) lets through for those kinds."""
    publishable = {case.kind for case in subclasses(Case) if case.is_public is not Case.is_public}
    public = ("published",) if kinds & publishable else ()
    citizen = ("own",) if kinds - BUSINESS_KINDS else ()
    business = ("their business's",) if kinds & BUSINESS_KINDS else ()
    qualified = {
        "citizen": (*citizen, *public) if citizen or public else None,
        "officer": (),
        "leader": (),
        "auditor": (),
        "business": (*business, *public) if business or public else None,
        "partner": public or None,
    }
    return tuple(
        role if not which else f"{role} ({'; '.join(which)})" for role, which in qualified.items() if which is not None
    )


def subclasses(kind: type[Case]) -> Iterator[type[Case]]:
    for subclass in kind.__subclasses__():
        yield subclass
        yield from subclasses(subclass)


def markdown(text: str) -> str:
    """A docstring's reStructuredText literals (doubled backticks) as Markdown's
    (single ones): the explorer shows a summary as plain text, where the doubled
    ticks would show, and a description as Markdown."""
    return text.replace("``", "`")


def first_sentence(text: str) -> str:
    """A summary: up to the first full stop followed by a space, without it."""
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(".")


def from_docstring(doc: str) -> RouteDoc:
    """Summary: the first sentence; description: the whole docstring; roles:
    the list after "Roles:" (our endpoints' docstring convention)."""
    text = " ".join(markdown(doc).split())
    if not text:
        return RouteDoc()
    summary = first_sentence(text)
    roles = ROLES.search(text)
    listed = [r.strip() for r in re.split(r"[,;]", roles.group(1))] if roles else []
    return RouteDoc(
        summary=summary,
        description=markdown(doc) if text.rstrip(".") != summary else None,
        roles=tuple(listed) if listed and not listed[0].startswith("see ") else None,
    )


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
    summary = markdown(summary_of(command_type))
    return RouteDoc(
        summary=first_sentence(summary),
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
    from_roles = [str(role) for role in Role if role in command_type.roles]
    summary = markdown(summary_of(command_type))
    return RouteDoc(
        summary=first_sentence(summary),
        description=f"{summary}\n\nRoles: {', '.join(from_roles)}. Idempotent with `Idempotency-Key`.",
        body=with_example(command_type),
        response=CaseWritten,
        status=201,
        extra_statuses=(200, 201),
        headers=(IDEMPOTENCY_KEY,),
        roles=tuple(from_roles),
        problems=(400, 401, 403, 409, 413, 415, 422),
    )
