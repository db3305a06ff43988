"""``GET /api/v1/me/cases``: the calling citizen's cases (hồ sơ của tôi).

Read from the ``case_status`` read model, most recently updated first, a page
at a time (``?limit=`` 1–100, opaque ``?cursor=``). With ``?position=N`` —
the ``position`` a write returned — the answer waits until the read model has
applied that write, so a citizen always sees their own change. Only citizens
have cases of their own; every other role is 403 (the ``list_my_cases`` rule
of ``ihanoi_projections.queries.access``).
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.domain.values import Principal
from ihanoi_projections.case_status import CaseStatus
from ihanoi_projections.queries import Queries
from ihanoi_projections.queries.access import MY_CASES
from ihanoi_server.api.pagination import read_page
from ihanoi_server.openapi.describe import CURSOR, LIMIT, POSITION, document

LIST = "me_cases"


class MyCasesPage(msgspec.Struct):
    """A page of the citizen's cases, newest first; ``next_cursor`` is null on the last page."""

    items: list[CaseStatus]
    next_cursor: str | None


def read(queries: Queries, who: Principal, limit: int, before: tuple[int, str] | None) -> list[CaseStatus]:
    return queries.my_cases(who, limit=limit, before=before)


async def my_cases(request: Request) -> Response:
    """The citizen's cases, newest first. Roles: citizen."""
    return await read_page(request, LIST, MY_CASES, read, lambda row: row.updated_at)


routes = [Route("/api/v1/me/cases", my_cases, methods=["GET"], name="me:cases")]
document("me:cases", response=MyCasesPage, query=[LIMIT, CURSOR, POSITION])
