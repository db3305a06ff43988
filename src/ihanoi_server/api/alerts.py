"""``/api/v1/alerts``: staff draft, approve, issue, update and cancel alerts
(cảnh báo, OASIS CAP 1.2).

Staff of the issuing agency draft an alert (``POST /alerts``, from a template
of ``GET /alerts/templates`` or from scratch); a leader of that agency other
than its author approves it; staff issue it; an issued alert is revised,
approved again and issued again as a CAP Update; a leader cancels it. The
command routes and their roles and states come from
``ihanoi_core.commands.alerts``. ``GET /alerts/suggestions`` gives a leader the
warnings the open flood reports of their agency suggest
(``ihanoi_projections.flood_hotspots``); nothing is issued by it. The public
face of alerts (CAP, Atom, JSON, the ward stream) is ``public_alerts``.
"""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.alerts import AlertCommand, DraftAlert
from ihanoi_core.directory.alerts import AlertTemplate
from ihanoi_projections.queries.alerts import AlertQueries, AlertSuggestion
from ihanoi_server.api.commands import command_routes, create_route, read_route
from ihanoi_server.http import json_response, principal, state
from ihanoi_server.openapi.describe import document


class TemplatePage(msgspec.Struct):
    """The directory's alert templates, in its order (one page)."""

    items: list[AlertTemplate]


class SuggestionPage(msgspec.Struct):
    """The warnings the open flood reports of your agency suggest, newest hour first."""

    items: list[AlertSuggestion]


async def list_templates(request: Request) -> Response:
    """The alert templates of the directory (ngập úng, bão, rét đậm …). Roles: any authenticated."""
    principal(request)
    return json_response(TemplatePage(list(state(request).app.directory.alerts.templates)))


async def list_suggestions(request: Request) -> Response:
    """Warnings suggested by flood hotspots of your agency's open reports. Roles: leader."""
    who = principal(request)
    server = state(request)
    found = await run_in_threadpool(AlertQueries(server.app, server.read_side).suggestions, who)
    return json_response(SuggestionPage(found))


routes = [
    create_route("alerts", DraftAlert),
    # Before ``/alerts/{id}``, so neither word is read as a case id.
    Route("/api/v1/alerts/templates", list_templates, methods=["GET"], name="alerts:templates"),
    Route("/api/v1/alerts/suggestions", list_suggestions, methods=["GET"], name="alerts:suggestions"),
    read_route("alerts", "alert"),
    *command_routes("alerts", AlertCommand),
]
document("alerts:templates", response=TemplatePage)
document("alerts:suggestions", response=SuggestionPage, roles=("leader",))
