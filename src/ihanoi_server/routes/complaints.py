"""``/api/v1/complaints``: complaints (khiếu nại) and denunciations (tố cáo).

``POST /complaints`` files either kind (body field ``kind``); ``GET
/complaints/{id}`` reads one as the caller may see it — a denouncer's identity
stays sealed (a pseudonym) for everyone but the denouncer, the assigned handler
and the handling agency's leader; ``POST /complaints/{id}/{command}`` runs its
lifecycle (the commands of ``ihanoi_core.commands.grievances``). Both kinds
share one collection and one route per command: a step that exists for one
kind only (``hold-dialogue``, ``decide`` for complaints;
``extend-preliminary-check``, ``conclude`` for denunciations) is 403 on the
other.
"""

from __future__ import annotations

from starlette.routing import Route

from ihanoi_core.commands.grievances import FileComplaint, GrievanceCommand
from ihanoi_core.domain.complaint import Complaint
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_server.commands import case_reader, command_routes, create_route

routes = [
    create_route("complaints", FileComplaint),
    Route(
        "/api/v1/complaints/{id}",
        case_reader(frozenset({Complaint.kind, Denunciation.kind})),
        methods=["GET"],
        name="complaints:read",
    ),
    *command_routes("complaints", GrievanceCommand),
]
