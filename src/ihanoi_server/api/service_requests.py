"""``/api/v1/service-requests``: one-stop-shop dossiers (hồ sơ dịch vụ công).

``POST /service-requests`` files a dossier for a procedure of the catalogue
(``/api/v1/procedures``); ``GET /service-requests/{id}`` reads it as the
caller may see it (applicant and documents only for the applicant and the
handling staff); ``POST /service-requests/{id}/{command}`` runs its lifecycle
(the commands of ``ihanoi_core.commands.service_requests``).

Money is a whole number of đồng in JSON (the đồng has no minor unit in use);
datetimes are RFC 3339 strings with an offset — a naive one is 422. Past its
appointment date a dossier moves only after the leader's apology with a new
date (``apologize``): the steps marked "on time" refuse until then (409).
While forwarded (liên thông) the partner agency's staff see the dossier and
``return`` it; ``assign`` and ``apologize`` stay with the handling agency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.service_requests import DossierCommand, SubmitDossier
from ihanoi_core.errors import CaseNotFoundError
from ihanoi_server.api.commands import command_routes, create_route
from ihanoi_server.http import call_app, case_ref, json_response, principal, state
from ihanoi_server.openapi.describe import CaseView, document

KIND = "dossier"
MONEY_FIELDS = ("fee", "amount_due")


async def read(request: Request) -> Response:
    """The dossier as the caller may see it, amounts as whole đồng. Roles:
    citizen (own), officer, leader (handling or partner agency), auditor."""
    who = principal(request)
    app = state(request).app
    ref = case_ref(request)

    def run() -> dict[str, Any]:
        data = app.get_case(who, ref)
        if data["kind"] != KIND:
            raise CaseNotFoundError(ref)
        return data

    data = await call_app(request, run)
    for name in MONEY_FIELDS:
        if isinstance(data.get(name), Decimal):
            data[name] = int(data[name])
    # Where its fees are paid by VietQR (docs/payments.md).
    data["payments"] = f"/api/v1/payments?dossier={data['id']}"
    return json_response(data, headers={"ETag": f'"{data["version"]}"'})


routes = [
    create_route("service-requests", SubmitDossier),
    Route("/api/v1/service-requests/{id}", read, methods=["GET"], name="service-requests:read"),
    *command_routes("service-requests", DossierCommand),
]
document("service-requests:read", response=CaseView)
