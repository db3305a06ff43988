"""Keeping a photo sent in a chat (issue #20 follow-up): what the guided
flow does at "confirm" — ``fetch_photo`` from the channel's CDN (here a
threaded ``http.server`` on loopback) and ``PhotoLibrary.add`` (decode,
EXIF/GPS stripped, re-encode, thumbnail) — beside the library adding the
same photos with no fetch, in the same run: the ratio is what the fetch
costs. The photos are the upload benchmark's (1600×1200 JPEGs with GPS,
distinct by a pixel); ``CLIENTS`` threads, a memory photo store.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks.common import SECONDS, Figure, print_figures
from benchmarks.photos import photos, threaded_rate
from ihanoi_core.channels.photos import fetch_photo
from ihanoi_core.media.processing import PhotoLimits
from ihanoi_core.media.store import MemoryPhotoStore, PhotoLibrary

CLIENTS = 2
PHOTOS = int(os.environ.get("IHANOI_BENCH_PHOTOS", "120"))
LIMITS = PhotoLimits()


def cdn(served: list[bytes]) -> ThreadingHTTPServer:
    """``GET /<n>.jpg`` answers photo ``n`` as ``image/jpeg``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served[int(self.path.strip("/").removesuffix(".jpg")) % len(served)]
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run() -> list[Figure]:
    made = photos(PHOTOS)
    server = cdn(made)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [f"{base}/{index}.jpg" for index in range(len(made))]
    library = PhotoLibrary(MemoryPhotoStore(), LIMITS)

    def keep(url: str) -> object:
        return library.add(fetch_photo(url, max_bytes=LIMITS.max_bytes, timeout=5.0))

    try:
        ceiling = threaded_rate(made, PhotoLibrary(MemoryPhotoStore(), LIMITS).add, CLIENTS, SECONDS)
        fetched = threaded_rate([url.encode() for url in urls], lambda url: keep(url.decode()), CLIENTS, SECONDS)
    finally:
        server.shutdown()
        server.server_close()
    figures = [
        Figure(f"chat photos fetched and kept/s ({CLIENTS} threads)", fetched, "photo/s",
               "the library adding them, no fetch/s", ceiling),
    ]  # fmt: skip
    print_figures("Chat photos (loopback CDN, memory photo store)", figures)
    return figures


if __name__ == "__main__":
    run()
