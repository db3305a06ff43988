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

from ihanoi_core.commands.grievances import FileComplaint, GrievanceCommand
from ihanoi_core.domain.complaint import Complaint
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_server.api.commands import command_routes, create_route, read_route

routes = [
    create_route("complaints", FileComplaint),
    read_route("complaints", Complaint.kind, Denunciation.kind),
    *command_routes("complaints", GrievanceCommand),
]
