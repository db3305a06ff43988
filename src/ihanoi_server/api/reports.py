"""``/api/v1/reports``: field reports (phản ánh hiện trường).

``POST /reports`` files a report (citizen, partner, staff at the hotline): as
JSON, or as ``multipart/form-data`` with the report's JSON in a ``report``
part and its photos in ``photo`` parts (``api.photos``); ``GET
/reports/{id}`` the case as the caller may see it; ``POST
/reports/{id}/{command}`` its lifecycle (the commands of
``ihanoi_core.commands.reports``); its photos are under ``api.photos``.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.reports import ReportCommand, SubmitReport
from ihanoi_core.errors import ValidationError
from ihanoi_server.api.commands import command_routes, create_route, read_route
from ihanoi_server.api.photos import REPORT_FORM, handle_or_forget, read_report_upload, uploaded, with_photos
from ihanoi_server.http import command_response, decode_json, idempotency_key
from ihanoi_server.openapi.describe import document
from ihanoi_server.uploads import is_multipart, store_photos

create_json = create_route("reports", SubmitReport)


async def create_with_photos(request: Request) -> Response:
    """The multipart variant of filing: the report's JSON and its photos in one request."""
    who, server, upload = await read_report_upload(request)
    report = upload.field("report")
    if report is None:
        raise ValidationError({"report": "send the report as JSON in a part named report"})
    command = decode_json(report.encode(), SubmitReport)
    others = sorted({name for name, _ in upload.files if name != "photo"})
    if others:
        raise ValidationError({others[0]: "photos go in parts named photo"})
    stored = await store_photos(server.app.photos, upload.files_named("photo"))
    photos = tuple(dict.fromkeys((*command.photos, *(photo.sha256 for photo in stored))))
    filed = msgspec.structs.replace(command, photos=photos)
    result = await handle_or_forget(request, who, filed, stored, idempotency_key(request))
    written = with_photos(
        command_response(result, status=201 if result.created else 200),
        {"photos": [uploaded(photo) for photo in stored]},
    )
    written.headers["Location"] = f"/api/v1/reports/{result.case_id}"
    return written


async def create(request: Request) -> Response:
    if is_multipart(request):
        return await create_with_photos(request)
    response: Response = await create_json.endpoint(request)
    return response


create.__doc__ = create_json.endpoint.__doc__
create.command_type = SubmitReport  # type: ignore[attr-defined]

routes = [
    Route("/api/v1/reports", create, methods=["POST"], name="reports:create"),
    read_route("reports", "report"),
    *command_routes("reports", ReportCommand),
]

document("reports:create", bodies={"multipart/form-data": REPORT_FORM})
