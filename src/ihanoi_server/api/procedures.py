"""``/api/v1/procedures``: the catalogue of administrative procedures (thủ tục hành chính).

Configuration data from the directory, public: no token is needed (a citizen
reads what to bring before filing, notes/platform-services §2.8), and a token
sent along changes nothing:
code, national code, names, the deciding agency (an agency code, ``ward`` for
the People's Committee of the ward the dossier is filed in, or ``ward_police``
for that ward's police), the
processing period as data, the fee in whole đồng and the documents to bring.
The catalogue is a few dozen entries held in memory, so the list is one page
(``next_cursor`` is always null) and no thread is needed.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.directory import WARD_ROUTING_LEVELS, Directory, Procedure
from ihanoi_core.domain.values import DeadlineRule
from ihanoi_core.errors import NotFoundError
from ihanoi_server.http import json_response, state, view_of
from ihanoi_server.openapi.describe import document


class ProcedureNotFoundError(NotFoundError):
    """Raised by ``GET /api/v1/procedures/{code}`` when the directory has no
    procedure with that code."""

    code = "procedure_not_found"

    def __init__(self, procedure: str) -> None:
        super().__init__(f"No procedure {procedure!r} in the catalogue.", procedure=procedure)
        self.procedure = procedure


class ProcedureView(msgspec.Struct):
    """A procedure of the catalogue. ``agency`` is the deciding agency's code,
    or ``ward`` / ``ward_police`` (``decided_by_ward``) for the People's
    Committee / the police of the ward the dossier is filed in; ``processing``
    is the legal period as data; ``fee`` is in whole đồng."""

    code: str
    national_code: str | None
    name: str
    name_en: str
    agency: str
    agency_name: str | None
    decided_by_ward: bool
    processing: DeadlineRule
    fee: int
    fee_note: str
    required_documents: tuple[str, ...]


class ProcedurePage(msgspec.Struct):
    """The whole catalogue in one page (``next_cursor`` is always null)."""

    items: list[ProcedureView]
    next_cursor: str | None = None


def describe(procedure: Procedure, directory: Directory) -> ProcedureView:
    agency = directory.get_agency(procedure.agency)
    return view_of(
        ProcedureView,
        procedure,
        agency_name=agency.name if agency else None,
        decided_by_ward=procedure.agency in WARD_ROUTING_LEVELS,
    )


async def list_procedures(request: Request) -> Response:
    """Every procedure, in the directory's order. Roles: anyone (no token)."""
    directory = state(request).app.directory
    return json_response(ProcedurePage([describe(procedure, directory) for procedure in directory.procedures.values()]))


async def get_procedure(request: Request) -> Response:
    """One procedure by code. Roles: anyone (no token)."""
    directory = state(request).app.directory
    code: str = request.path_params["code"]
    procedure = directory.get_procedure(code)
    if procedure is None:
        raise ProcedureNotFoundError(code)
    return json_response(describe(procedure, directory))


routes = [
    Route("/api/v1/procedures", list_procedures, methods=["GET"], name="procedures:list"),
    Route("/api/v1/procedures/{code}", get_procedure, methods=["GET"], name="procedures:read"),
]
document("procedures:list", response=ProcedurePage, auth="none", problems=(), store=False)
document("procedures:read", response=ProcedureView, auth="none", problems=(404,), store=False)
