"""``/api/v1/reports``: field reports (phản ánh hiện trường).

``POST /reports`` files a report (citizen, partner, staff at the hotline);
``GET /reports`` is the public, PII-free feed; ``GET /reports/{id}`` the case
as the caller may see it; ``POST /reports/{id}/{command}`` its lifecycle
(the commands of ``ihanoi_core.commands.reports``).
"""

from __future__ import annotations

from starlette.routing import Route

from ihanoi_core.commands.reports import ReportCommand, SubmitReport
from ihanoi_server.api.commands import case_reader, command_routes, create_route

routes = [
    create_route("reports", SubmitReport),
    Route("/api/v1/reports/{id}", case_reader(frozenset({"report"})), methods=["GET"], name="reports:read"),
    *command_routes("reports", ReportCommand),
]
