"""The files the server's pages load (their scripts and styles, the vendored
Leaflet, Swagger UI), from the installed packages: no CDN, since a city
intranet may have no internet.

Each is read once and kept. A text file goes gzip-compressed to a client that
takes gzip, also compressed once (Leaflet's script: 147,552 → 42,434 bytes, for
citizens opening the map on a phone); an image goes as it is.
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

COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml")


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
        self._kept: dict[tuple[str, bool], bytes] = {}

    def content(self, name: str, gzipped: bool) -> bytes:
        kept = self._kept.get((name, gzipped))
        if kept is None:
            kept = self.files[name][0].read_bytes()
            if gzipped:
                kept = gzip.compress(kept, mtime=0)
            self._kept[name, gzipped] = kept
        return kept

    async def answer(self, request: Request, name: str) -> Response:
        if name not in self.files:
            raise HttpProblem(404, "no_such_file", self.missing)
        media_type = self.files[name][1]
        compressible = media_type.startswith(COMPRESSIBLE)
        gzipped = compressible and accepts_gzip(request.headers.get("accept-encoding", ""))
        content = self._kept.get((name, gzipped)) or await run_in_threadpool(self.content, name, gzipped)
        headers = dict(self.headers)
        if compressible:
            headers["Vary"] = "Accept-Encoding"
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return Response(content, media_type=media_type, headers=headers)
