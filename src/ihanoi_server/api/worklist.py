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
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.values import Principal
from ihanoi_projections.queries import Queries
from ihanoi_projections.queries.access import WORKLIST
from ihanoi_projections.worklist import WorklistItem
from ihanoi_server.api.pagination import read_page
from ihanoi_server.openapi.describe import CURSOR, LIMIT, POSITION, Query, document

LIST = "worklist"


class WorklistPage(msgspec.Struct):
    """A page of the agency's open items, soonest due first; ``next_cursor`` is null on the last page."""

    items: list[WorklistItem]
    next_cursor: str | None


async def worklist(request: Request) -> Response:
    """The agency's open items. Roles: officer, leader."""
    assignee = request.query_params.get("assignee")

    def read(queries: Queries, who: Principal, limit: int, after: tuple[int, str] | None) -> list[WorklistItem]:
        return queries.worklist(who, assignee=assignee, limit=limit, after=after)

    return await read_page(request, LIST, WORKLIST, read, lambda row: row.due_at)


routes = [Route("/api/v1/worklist", worklist, methods=["GET"], name="worklist:read")]
document(
    "worklist:read",
    response=WorklistPage,
    query=[Query("assignee", str, "`me` for your own items, or an assignee's name."), LIMIT, CURSOR, POSITION],
)
