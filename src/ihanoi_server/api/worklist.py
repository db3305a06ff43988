"""``GET /api/v1/worklist``: the open work of the caller's agency, soonest due first.

Read from the ``worklist`` read model. ``?assignee=me`` narrows it to the
caller's own items, ``?assignee=<name>`` to a colleague's; ``?limit=`` and the
opaque ``?cursor=`` page through it, ``?position=N`` waits for one's own
write. Each item says whether it is ``overdue`` or ``near_due`` (within one
working day) now — derived at read time, never stored. Officers and leaders
only, and only their own agency's work; every other role is 403 (the
``read_worklist`` rule of ``ihanoi_projections.queries.access``).
"""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_projections.base import micros
from ihanoi_projections.queries.access import WORKLIST
from ihanoi_projections.worklist import WorklistItem
from ihanoi_server.api.pagination import page, page_request
from ihanoi_server.http import json_response, principal, state, wait_for_position
from ihanoi_server.openapi.describe import CURSOR, LIMIT, POSITION, Query, document

LIST = "worklist"


class WorklistPage(msgspec.Struct):
    """A page of the agency's open items, soonest due first; ``next_cursor`` is null on the last page."""

    items: list[WorklistItem]
    next_cursor: str | None


def sort_key(item: WorklistItem) -> tuple[int, str]:
    return micros(item.due_at) or 0, str(item.case_id)


async def worklist(request: Request) -> Response:
    """The agency's open items. Roles: officer, leader."""
    who = principal(request)
    queries = state(request).queries
    queries.authorize(who, WORKLIST)
    limit, cursor = page_request(request, LIST)
    await wait_for_position(request)
    items = await run_in_threadpool(
        queries.worklist,
        who,
        assignee=request.query_params.get("assignee"),
        limit=limit + 1,
        after=(cursor.key, cursor.id) if cursor else None,
    )
    return json_response(page(items, limit, LIST, sort_key))


routes = [Route("/api/v1/worklist", worklist, methods=["GET"], name="worklist:read")]
document(
    "worklist:read",
    response=WorklistPage,
    query=[Query("assignee", str, "`me` for your own items, or an assignee's name."), LIMIT, CURSOR, POSITION],
)
