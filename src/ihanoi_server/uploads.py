"""Reading ``multipart/form-data`` photo uploads with a hard cap.

``read_upload`` refuses a declared ``Content-Length`` above the cap before
reading anything, and counts the bytes of a chunked body as they arrive,
refusing (413) as soon as they pass the cap: a 50 MB upload costs at most the
cap in reading, never 50 MB of memory. Starlette's parser (python-multipart)
spools file parts to temporary files past 1 MB; text fields are capped at
64 KiB each. Each file part is then held to ``IHANOI_MEDIA_MAX_BYTES``.

Processing (Pillow) runs in a worker thread: decoding and re-encoding a
12-megapixel photo takes a CPU for a few hundred milliseconds, which must not
stall the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from ihanoi_core.errors import PhotoTooLargeError
from ihanoi_core.media.store import PhotoLibrary, StoredPhoto
from ihanoi_server.problems import HttpProblem

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 20
# Room for the text fields and the multipart framing around the files.
FRAMING_BYTES = 256 * 1024


@dataclass
class Upload:
    """The parts of a multipart body: text fields by name, files as (field name, bytes)."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)

    def field(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None

    def files_named(self, name: str) -> list[bytes]:
        return [data for part, data in self.files if part == name]


class CappedMultiPartParser(MultiPartParser):
    """Starlette's parser, refusing a file part as soon as it passes
    ``max_file_bytes`` (rather than after spooling the whole body to disk)."""

    def __init__(self, *args: Any, max_file_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_file_bytes = max_file_bytes
        self.part_bytes = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self.part_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part_bytes += end - start
        if self._current_part.file is not None and self.part_bytes > self.max_file_bytes:
            raise PhotoTooLargeError(None, self.max_file_bytes)
        super().on_part_data(data, start, end)


def is_multipart(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == "multipart/form-data"


async def read_upload(request: Request, *, max_files: int, max_file_bytes: int) -> Upload:
    """The multipart body of ``request``: 415 unless it is multipart, 413 past
    ``max_files × max_file_bytes`` (plus framing) or a file past ``max_file_bytes`` (as soon as it does),
    400 when malformed or with more than ``max_files`` files."""
    if not is_multipart(request):
        raise HttpProblem(415, "unsupported_media_type", "Send the photos as multipart/form-data.")
    cap = max_files * max_file_bytes + FRAMING_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise PhotoTooLargeError(int(declared), max_file_bytes)

    async def capped() -> AsyncGenerator[bytes, None]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise PhotoTooLargeError(None, max_file_bytes)
            yield chunk

    parser = CappedMultiPartParser(
        request.headers,
        capped(),
        max_files=max_files,
        max_fields=MAX_FIELDS,
        max_part_size=MAX_FIELD_BYTES,
        max_file_bytes=max_file_bytes,
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        if isinstance(error.__cause__, PhotoTooLargeError):
            raise error.__cause__ from None
        raise HttpProblem(400, "malformed_multipart", f"The multipart body is malformed: {error.message}") from None
    upload = Upload()
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if value.size is not None and value.size > max_file_bytes:
                    raise PhotoTooLargeError(value.size, max_file_bytes)
                data = await value.read(max_file_bytes + 1)
                if len(data) > max_file_bytes:
                    raise PhotoTooLargeError(None, max_file_bytes)
                upload.files.append((name, data))
            else:
                upload.fields.setdefault(name, []).append(value)
    finally:
        await form.close()
    return upload


async def store_photos(library: PhotoLibrary, files: list[bytes]) -> list[StoredPhoto]:
    """Process and store each photo, in a worker thread. All or nothing: when
    one is refused, those this call stored are removed again."""
    stored: list[StoredPhoto] = []
    try:
        for data in files:
            stored.append(await run_in_threadpool(library.add, data))
    except BaseException:
        await forget(library, stored)
        raise
    return stored


async def forget(library: PhotoLibrary, stored: list[StoredPhoto]) -> None:
    """Remove the photos this request stored (its command was refused); a photo
    that was there before (``created`` false) belongs to someone else too."""
    for photo in stored:
        if photo.created:
            await run_in_threadpool(library.remove, photo.sha256)
