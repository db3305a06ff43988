"""``GET /public/ranking``: the monthly ranking of agencies (issue #16), for
anyone and without a token — published, so public.

Read from the ``agency_ranking`` read model (``ihanoi_projections.deadlines.
ranking``): agencies that finished at least ``IHANOI_PUBLIC_STATS_MIN_COUNT``
cases in the month ranked by on-time rate; the others listed with every figure
withheld. ``?month=YYYY-MM`` (default: the last complete month, Hanoi time; a
month not over yet says ``"complete": false``). JSON, or CSV with ``Accept:
text/csv``; ``GET /public/ranking.csv`` is the same as CSV. A bad month is 422.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_projections.deadlines.ranking import AgencyRankingModel, RankedAgency
from ihanoi_server.http import state, wait_for_position
from ihanoi_server.openapi.describe import POSITION, Query, document_with_csv
from ihanoi_server.public.routes import CSV_TYPE, STATS_HEADERS, json_or_csv

CSV_COLUMNS = tuple(field.name for field in fields(RankedAgency))


@dataclass(frozen=True, slots=True)
class PublishedRanking:
    """A month's ranking of agencies; ``complete`` is false while the month runs."""

    month: str
    complete: bool
    min_count: int
    agencies: list[RankedAgency]


async def read_ranking(request: Request) -> PublishedRanking:
    server = state(request)
    today = server.app.clock().astimezone(server.app.timezone).date()
    current = f"{today:%Y-%m}"
    last = f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"
    month = request.query_params.get("month") or last
    await wait_for_position(request)
    model = server.read_side.model(AgencyRankingModel)
    found = await run_in_threadpool(model.ranking, month, server.settings.public_stats_min_count, server.app.directory)
    return PublishedRanking(found.month, found.month < current, found.min_count, found.agencies)


def csv_text(found: PublishedRanking) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for agency in found.agencies:
        writer.writerow(
            {
                name: ("true" if value else "false") if isinstance(value, bool) else ("" if value is None else value)
                for name, value in asdict(agency).items()
            }
        )
    return out.getvalue()


def csv_response(found: PublishedRanking) -> Response:
    headers = {**STATS_HEADERS, "Content-Disposition": f'attachment; filename="ihanoi-ranking-{found.month}.csv"'}
    return Response(csv_text(found), media_type=CSV_TYPE, headers=headers)


async def ranking(request: Request) -> Response:
    """The monthly ranking of agencies by on-time rate, agencies below the minimum
    volume withheld. CSV with `Accept: text/csv`. Roles: anyone (no token)."""
    return json_or_csv(request, await read_ranking(request), csv_response)


async def ranking_csv(request: Request) -> Response:
    """The same ranking as CSV (UTF-8, a header row, one row per agency in rank order). Roles: anyone."""
    return csv_response(await read_ranking(request))


routes = [
    Route("/public/ranking", ranking, methods=["GET"], name="public:ranking"),
    Route("/public/ranking.csv", ranking_csv, methods=["GET"], name="public:ranking_csv"),
]
QUERY = (
    Query(
        "month",
        {"type": "string", "pattern": "^([0-9]{4}-[0-9]{2})?$"},
        "The month (`2026-11`), Hanoi time; default (also when empty) the last complete month.",
    ),
    POSITION,
)
RULE = (
    "Agencies that finished fewer cases in the month than the minimum volume (IHANOI_PUBLIC_STATS_MIN_COUNT) "
    "are listed unranked with every figure null (`withheld: true`). Finished: reports resolved, complaints "
    "decided, denunciations concluded, dossiers' results ready; on time: no later than the due time then "
    "running (a dossier is late once it needed an apology). Tied rates share a rank. No personal data."
)
document_with_csv(
    "public:ranking",
    "public:ranking_csv",
    response=PublishedRanking,
    columns=CSV_COLUMNS,
    description=RULE,
    query=QUERY,
)
