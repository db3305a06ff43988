"""Opaque cursors for list endpoints: ``{"items": [...], "next_cursor": "…" | null}``.

A cursor is the base64url (unpadded) of a small JSON object naming the list it
belongs to and the sort key of the last row of the page — ``(updated_at
micros, case id)`` for "my cases", ``(due_at micros, case id)`` for the
worklist. Clients must treat it as opaque: the shape may change between
releases. A cursor that does not decode, or belongs to another list, is 422.

Pages are read with one row more than asked for, so ``next_cursor`` is null
exactly when there is nothing after the page (no empty last page).
``read_page`` is a whole paged list endpoint but for its query.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Protocol, TypeVar
from uuid import UUID

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response

from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ValidationError
from ihanoi_projections.engine.base import micros
from ihanoi_projections.queries import Queries
from ihanoi_projections.queries.access import QueryRule
from ihanoi_server.http import call_app, json_response, principal, query_int, state, wait_for_position

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 512
R = TypeVar("R", bound="CaseRow")


class Cursor(msgspec.Struct, forbid_unknown_fields=True):
    """Where a page ended: the list it belongs to (``of``), the last row's sort
    value (``key``, integer microseconds) and its case id (``id``) as tie-breaker."""

    of: Annotated[str, Meta(max_length=32)]
    key: int
    id: Annotated[str, Meta(max_length=64)]


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode("ascii").rstrip("=")


def decode_cursor(raw: str, list_name: str) -> Cursor:
    """The cursor ``raw`` for the list ``list_name``; ``ValidationError`` (422) otherwise."""
    invalid = ValidationError({"cursor": "is not a cursor of this list; start again without one"})
    if len(raw) > MAX_CURSOR_CHARS or not raw.isascii():
        raise invalid
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        cursor = msgspec.json.decode(data, type=Cursor, strict=True)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise invalid from None
    if cursor.of != list_name:
        raise invalid
    return cursor


def page_request(request: Request, list_name: str) -> tuple[int, Cursor | None]:
    """``?limit=`` (1 to 100, default 20) and the decoded ``?cursor=``, if any."""
    limit = query_int(request, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    raw = request.query_params.get("cursor")
    return limit, decode_cursor(raw, list_name) if raw else None


class CaseRow(Protocol):
    """A row of a paged list: one case's."""

    @property
    def case_id(self) -> UUID: ...


def page(rows: Sequence[R], limit: int, list_name: str, sort_time: Callable[[R], datetime | None]) -> dict[str, Any]:
    """The response body for ``rows`` read with ``limit + 1``, sorted by
    ``sort_time`` of each row (a missing time as 0) and then case id."""
    items = list(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        key = micros(sort_time(last)) or 0
        next_cursor = encode_cursor(Cursor(of=list_name, key=key, id=str(last.case_id)))
    return {"items": items, "next_cursor": next_cursor}


# A list's query: (queries, principal, limit, the previous page's last sort key) -> rows.
ReadRows = Callable[[Queries, Principal, int, tuple[int, str] | None], Sequence[R]]


async def read_page(
    request: Request, list_name: str, rule: QueryRule, read: ReadRows[R], sort_time: Callable[[R], datetime | None]
) -> Response:
    """A page of the list ``list_name``: the caller is checked against ``rule``
    before the paging parameters are (a refused caller is 403 whatever they
    asked), the answer waits for ``?position=``, and ``read`` is asked for one
    row more than the page; ``sort_time`` is the time a row is sorted by."""
    who = principal(request)
    queries = state(request).queries
    queries.authorize(who, rule)
    limit, cursor = page_request(request, list_name)
    await wait_for_position(request)
    rows = await call_app(request, read, queries, who, limit + 1, (cursor.key, cursor.id) if cursor else None)
    return json_response(page(rows, limit, list_name, sort_time))
