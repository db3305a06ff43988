"""What the server sends the same to everyone, made or read once and kept:
the files its pages load (their scripts and styles, the vendored Leaflet,
Swagger UI), from the installed packages, with no CDN, since a city intranet
may have no internet; and the OpenAPI document.

Text goes gzip-compressed to a client that takes gzip, compressed once on
first demand: Leaflet's script 147,552 → 42,434 bytes for citizens opening
the map on a phone, the OpenAPI document about 426 KB → 45 KB. An image goes
as it is.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ihanoi_server.problems import HttpProblem

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` names gzip without refusing it (``q=0``)."""
    for part in accept_encoding.split(","):
        coding, _, parameters = part.partition(";")
        if coding.strip().lower() == "gzip":
            weight = parameters.strip().lower().removeprefix("q=")
            try:
                return not parameters.strip() or float(weight) > 0
            except ValueError:
                return False
    return False


class Kept:
    """One body and its media type, sent with ``headers``; its gzip made once."""

    def __init__(self, content: bytes, media_type: str, headers: Mapping[str, str]) -> None:
        self.content = content
        self.media_type = media_type
        self.compressible = media_type.startswith(COMPRESSIBLE)
        self.headers = {**headers, **({"Vary": "Accept-Encoding"} if self.compressible else {})}
        self._gzipped: bytes | None = None

    async def answer(self, request: Request) -> Response:
        if not (self.compressible and accepts_gzip(request.headers.get("accept-encoding", ""))):
            return Response(self.content, media_type=self.media_type, headers=self.headers)
        if self._gzipped is None:
            # Swagger UI's script takes a CPU some 50 ms: not on the event loop.
            self._gzipped = await run_in_threadpool(gzip.compress, self.content, mtime=0)
        headers = {**self.headers, "Content-Encoding": "gzip"}
        return Response(self._gzipped, media_type=self.media_type, headers=headers)


class PackageFiles:
    """A fixed set of files by name: where each lives and its media type.
    ``answer`` sends one (404 ``no_such_file`` with ``missing`` for any other
    name) with ``headers``."""

    def __init__(
        self, files: Mapping[str, tuple[Traversable | Path, str]], *, headers: Mapping[str, str], missing: str
    ) -> None:
        self.files = dict(files)
        self.headers = {**headers, "X-Content-Type-Options": "nosniff"}
        self.missing = missing
        self._kept: dict[str, Kept] = {}

    async def answer(self, request: Request, name: str) -> Response:
        if name not in self.files:
            raise HttpProblem(404, "no_such_file", self.missing)
        kept = self._kept.get(name)
        if kept is None:
            where, media_type = self.files[name]
            kept = self._kept[name] = Kept(await run_in_threadpool(where.read_bytes), media_type, self.headers)
        return await kept.answer(request)
