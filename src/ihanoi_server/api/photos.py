"""Photos over HTTP (docs/photos.md).

- ``POST /api/v1/media``: upload photos (``multipart/form-data``, one or more
  ``photo`` parts) before filing; answers each photo's sha256 and the GPS
  point its EXIF data held (``suggested_location``), which the app offers as
  the report's location. ``SubmitReport.photos`` then names the hashes.
- ``POST /api/v1/reports`` as ``multipart/form-data`` (``reports.py``): the
  report as JSON in a ``report`` part and its ``photo`` parts, in one request.
- ``POST /api/v1/reports/{id}/photos``: upload and attach one photo to a
  report (the reporter's evidence; staff's ``before``/``after`` photos).
- ``GET /api/v1/reports/{id}/photos/{sha256}`` (and ``/thumbnail``): a photo
  of a case the caller may see; hidden ones for staff and auditors only.
- ``GET /public/photos/{sha256}`` (and ``/thumbnail``): anyone, only for a
  photo the ``public_photos`` read model lists (a shown report's, not hidden).

Every refusal stores nothing: an upload is processed and stored first, then
its command runs; when the command is refused, a photo this request stored is
removed again.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.command import Command
from ihanoi_core.commands.reports import AttachReportPhoto, SubmitReport
from ihanoi_core.domain.report_values import PhotoStage
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError, ValidationError
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_core.media.store import SHA256, StoredPhoto
from ihanoi_projections.public_photos import PublicPhotosModel
from ihanoi_server.http import call_app, case_ref, command_response, json_response, principal, state
from ihanoi_server.openapi.describe import CaseWritten, document
from ihanoi_server.state import ServerState
from ihanoi_server.uploads import Upload, forget, read_upload, store_photos

UPLOADERS = SubmitReport.roles | AttachReportPhoto.roles
# Public answers may sit in shared caches this long: a photo hidden by staff
# is gone from every cache that follows these headers within ten minutes.
PUBLIC_CACHE = "public, max-age=600, immutable"
# Staff and owners read through their token; the bytes of a hash never change.
PRIVATE_CACHE = "private, max-age=31536000, immutable"
SHA256_PATH = {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}


class SuggestedLocation(msgspec.Struct):
    """The GPS point the photo's EXIF data held (then stripped), WGS84 degrees."""

    latitude: float
    longitude: float


class UploadedPhoto(msgspec.Struct):
    """A stored photo: name it by ``sha256`` when filing or attaching."""

    sha256: str
    width: int
    height: int
    content_type: str
    size: int
    suggested_location: SuggestedLocation | None


class UploadedPhotos(msgspec.Struct):
    photos: list[UploadedPhoto]


class PhotoAttachedAnswer(CaseWritten):
    """The case written, and the photo attached to it."""

    photo: UploadedPhoto


def uploaded(photo: StoredPhoto) -> dict[str, Any]:
    point = photo.suggested_location
    return {
        "sha256": photo.sha256,
        "width": photo.width,
        "height": photo.height,
        "content_type": photo.content_type,
        "size": photo.size,
        "suggested_location": {"latitude": point[0], "longitude": point[1]} if point else None,
    }


def may_upload(who: Principal) -> None:
    if who.role not in UPLOADERS:
        raise ForbiddenError("upload_photo", who.role.value)


async def read_report_upload(request: Request) -> tuple[Principal, ServerState, Upload]:
    """The caller, who must be allowed to upload photos (403), and their
    multipart upload of at most as many photos as a report may have."""
    who = principal(request)
    may_upload(who)
    server = state(request)
    settings = server.settings
    upload = await read_upload(
        request, max_files=settings.media_max_per_report, max_file_bytes=settings.media_max_bytes
    )
    return who, server, upload


async def handle_or_forget(
    request: Request, who: Principal, command: Command, stored: list[StoredPhoto], idempotency: str | None = None
) -> CommandResult:
    """Run ``command``; when it is refused, the photos this request stored are removed again."""
    app = state(request).app
    try:
        return await call_app(request, app.handle, who, command, idempotency_key=idempotency)
    except BaseException:
        await forget(app.photos, stored)
        raise


async def upload_media(request: Request) -> Response:
    """Upload photos before filing a report. Send `multipart/form-data` with one
    or more `photo` parts (JPEG, PNG or WebP, decided by the content). Each is
    re-encoded without metadata and stored by the sha256 of the result; the answer gives each
    hash, to name in `photos` when filing (or in `attach-photo`), and the GPS point its EXIF data
    held as `suggested_location`. Roles: citizen, partner, officer, leader."""
    _, server, upload = await read_report_upload(request)
    files = only_photo_parts(upload.files)
    if not files:
        raise ValidationError({"photo": "send at least one photo part"})
    stored = await store_photos(server.app.photos, files)
    return json_response({"photos": [uploaded(photo) for photo in stored]}, status=201)


def only_photo_parts(files: list[tuple[str, bytes]]) -> list[bytes]:
    others = sorted({name for name, _ in files if name != "photo"})
    if others:
        raise ValidationError({others[0]: "files go in parts named photo"})
    return [data for _, data in files]


async def attach_photo(request: Request) -> Response:
    """Upload a photo and attach it to the report. Send `multipart/form-data` with one `photo` part
    and, for staff, a `stage` field (`evidence`, `before` or `after`; a citizen's photo is
    `evidence`). Answers the case written and the photo, with the GPS point its EXIF data held.
    Roles: citizen (own), officer, leader."""
    who = principal(request)
    server = state(request)
    settings = server.settings
    ref = case_ref(request)
    data = await call_app(request, server.app.get_case, who, ref)  # 404 before reading a photo
    if data["kind"] != "report":
        raise CaseNotFoundError(ref)
    upload = await read_upload(request, max_files=1, max_file_bytes=settings.media_max_bytes)
    files = only_photo_parts(upload.files)
    if len(files) != 1:
        raise ValidationError({"photo": "send exactly one photo part"})
    stage_text = upload.field("stage") or PhotoStage.EVIDENCE.value
    try:
        stage = PhotoStage(stage_text.strip())
    except ValueError:
        raise ValidationError({"stage": "must be evidence, before or after"}) from None
    stored = await store_photos(server.app.photos, files)
    command = AttachReportPhoto(case=data["id"], photo=stored[0].sha256, stage=stage)
    result = await handle_or_forget(request, who, command, stored)
    return with_photos(command_response(result, status=201), {"photo": uploaded(stored[0])})


def with_photos(written: Response, photos: dict[str, Any]) -> Response:
    """A write's answer (``command_response``) with what was uploaded added to its body."""
    body = {**msgspec.json.decode(written.body), **photos}
    headers = {name: value for name, value in written.headers.items() if name.lower() in ("etag", "ihanoi-position")}
    return json_response(body, status=written.status_code, headers=headers)


def wanted_hash(request: Request) -> str:
    sha256: str = request.path_params["sha256"]
    if not SHA256.fullmatch(sha256):
        raise CaseNotFoundError(sha256)
    return sha256


def photo_response(request: Request, data: bytes, sha256: str, *, thumbnail: bool, cache: str) -> Response:
    etag = f'"{sha256}{"-thumb" if thumbnail else ""}"'
    headers = {
        "Cache-Control": cache,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # A photo is never a document: nothing in it may run, even if a browser is told to render it.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    given = request.headers.get("if-none-match", "")
    if etag in (tag.strip() for tag in given.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/jpeg", headers=headers)


async def read_photo(request: Request, sha256: str, *, thumbnail: bool, cache: str, missing: UUID | str) -> Response:
    """The stored photo (or thumbnail) ``sha256``; 404 naming ``missing`` when it is gone."""
    data = await call_app(request, state(request).app.photos.read, sha256, thumbnail=thumbnail)
    if data is None:
        raise CaseNotFoundError(missing)
    return photo_response(request, data, sha256, thumbnail=thumbnail, cache=cache)


def public_photo(thumbnail: bool) -> Any:
    async def endpoint(request: Request) -> Response:
        """A photo of a public report (or its thumbnail): only while its report is shown and the
        photo is not hidden; 404 otherwise. Content-addressed: the ETag is the hash."""
        sha256 = wanted_hash(request)
        server = state(request)
        if not await call_app(request, server.read_side.model(PublicPhotosModel).is_public, sha256):
            raise CaseNotFoundError(sha256)
        return await read_photo(request, sha256, thumbnail=thumbnail, cache=PUBLIC_CACHE, missing=sha256)

    return endpoint


def case_photo(thumbnail: bool) -> Any:
    async def endpoint(request: Request) -> Response:
        """A photo of a report you may see (or its thumbnail). A hidden photo is for staff and
        auditors only. Roles: citizen (own), officer, leader, auditor."""
        who = principal(request)
        sha256 = wanted_hash(request)
        queries = state(request).queries
        data = await call_app(request, queries.case_photo, who, case_ref(request), sha256, thumbnail=thumbnail)
        return photo_response(request, data, sha256, thumbnail=thumbnail, cache=PRIVATE_CACHE)

    return endpoint


routes = [
    Route("/api/v1/media", upload_media, methods=["POST"], name="media:upload"),
    Route("/api/v1/reports/{id}/photos", attach_photo, methods=["POST"], name="reports:photos:attach"),
    Route("/api/v1/reports/{id}/photos/{sha256}", case_photo(False), methods=["GET"], name="reports:photo"),
    Route(
        "/api/v1/reports/{id}/photos/{sha256}/thumbnail",
        case_photo(True),
        methods=["GET"],
        name="reports:photo:thumbnail",
    ),
    Route("/public/photos/{sha256}", public_photo(False), methods=["GET"], name="public:photo"),
    Route("/public/photos/{sha256}/thumbnail", public_photo(True), methods=["GET"], name="public:photo:thumbnail"),
]

BINARY = {"type": "string", "format": "binary"}
PHOTOS_FORM = {
    "type": "object",
    "properties": {"photo": {"type": "array", "items": BINARY, "minItems": 1}},
    "required": ["photo"],
}
ONE_PHOTO_FORM = {
    "type": "object",
    "properties": {"photo": BINARY, "stage": {"type": "string", "enum": [stage.value for stage in PhotoStage]}},
    "required": ["photo"],
}
REPORT_FORM = {
    "type": "object",
    "description": "The report as JSON in the `report` part, and up to IHANOI_MEDIA_MAX_PER_REPORT `photo` parts.",
    "properties": {
        "report": {"type": "string", "contentMediaType": "application/json"},
        "photo": {"type": "array", "items": BINARY},
    },
    "required": ["report"],
}
NOT_MODIFIED = {304: {"description": "Not modified: `If-None-Match` named this photo's ETag."}}
IMAGE = {"type": "string", "format": "binary"}

document(
    "media:upload",
    bodies={"multipart/form-data": PHOTOS_FORM},
    response=UploadedPhotos,
    status=201,
    roles=("citizen", "partner", "officer", "leader"),
    problems=(400, 401, 403, 413, 415, 422),
)
document(
    "reports:photos:attach",
    bodies={"multipart/form-data": ONE_PHOTO_FORM},
    response=PhotoAttachedAnswer,
    status=201,
    roles=("citizen (own)", "officer", "leader"),
    problems=(400, 401, 403, 404, 409, 413, 415, 422),
)


def document_image(
    name: str, *, problems: tuple[int, ...], roles: tuple[str, ...] | None = None, auth: str | None = None
) -> None:
    """A photo or its thumbnail, by hash, as JPEG (304 when ``If-None-Match`` names it)."""
    document(
        name,
        response=IMAGE,
        media_type="image/jpeg",
        path=SHA256_PATH,
        roles=roles,
        auth=auth,
        problems=problems,
        responses=NOT_MODIFIED,
    )


for name in ("reports:photo", "reports:photo:thumbnail"):
    document_image(name, roles=("citizen (own)", "officer", "leader", "auditor"), problems=(401, 403, 404))
for name in ("public:photo", "public:photo:thumbnail"):
    document_image(name, auth="none", problems=(404,))
