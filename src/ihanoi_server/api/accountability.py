"""``GET /api/v1/accountability``: deadline figures per official and per agency (issue #16).

From the ``accountability`` read model and the running clocks: for the
agency (first row, ``official`` empty) and each official in it, deadlines
missed, escalations caused and received, cases finished on time and late,
the on-time rate, the work overdue now, the median and 90th-percentile working
hours to finish (nearest rank), the citizens' ratings (count and mean) and the
reopen rate; and the long-delayed list (overdue
beyond ``?long_delayed_days=`` working days, 5 by default), oldest first.
Leaders read their own agency; auditors name one with ``?agency=``; everyone
else is 403 (the ``read_accountability`` rule of
``ihanoi_projections.queries.access``). See ``docs/deadlines.md``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ihanoi_core.errors import ValidationError
from ihanoi_projections.deadlines.accountability import OfficialCounts
from ihanoi_projections.engine.base import from_micros
from ihanoi_server.http import json_response, principal, state, view_of
from ihanoi_server.openapi.describe import Query, document

MAX_DAYS = 365


class OfficialFigures(OfficialCounts, frozen=True):
    """One official's deadline figures (``official`` empty: the agency's totals)."""

    on_time_rate: float | None
    overdue_now: int
    median_hours_to_resolve: float | None
    p90_hours_to_resolve: float | None
    rated: int
    average_rating: float | None
    reopened: int
    reopen_rate: float | None


class DelayedCase(msgspec.Struct):
    """A case overdue beyond the asked number of working days."""

    case_id: str
    code: str
    kind: str
    assignee: str | None
    due_at: datetime


class AccountabilityView(msgspec.Struct):
    """An agency's deadline figures and its long-delayed cases."""

    agency: str
    figures: list[OfficialFigures]
    long_delayed: list[DelayedCase]


async def read(request: Request) -> Response:
    """An agency's deadline figures per official. Roles: leader (own agency), auditor."""
    who = principal(request)
    queries = state(request).queries
    agency = request.query_params.get("agency") or None
    days_text = request.query_params.get("long_delayed_days", "5")
    if not (days_text.isascii() and days_text.isdigit()) or not 0 <= int(days_text) <= MAX_DAYS:
        raise ValidationError({"long_delayed_days": f"must be a whole number from 0 to {MAX_DAYS}"})
    days = int(days_text)

    def run() -> AccountabilityView:
        figures = queries.accountability(who, agency)
        delayed = queries.long_delayed(who, agency, days)
        zone = queries.app.calendar.zone
        return AccountabilityView(
            agency=figures[0].agency,
            figures=[view_of(OfficialFigures, f, **asdict(f.resolutions)) for f in figures],
            long_delayed=[
                view_of(DelayedCase, row, due_at=from_micros(row["due_at"]).astimezone(zone))  # type: ignore[union-attr]
                for row in delayed
            ],
        )

    return json_response(await run_in_threadpool(run))


routes: list[BaseRoute] = [Route("/api/v1/accountability", read, methods=["GET"], name="accountability:read")]

document(
    "accountability:read",
    response=AccountabilityView,
    query=[
        Query("agency", str, "An auditor names the agency; a leader reads their own."),
        Query("long_delayed_days", {"type": "integer", "minimum": 0, "maximum": MAX_DAYS}, "Working days (default 5)."),
    ],
    roles=("leader (own agency)", "auditor"),
    problems=(401, 403, 422),
)
