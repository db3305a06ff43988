"""Photo upload throughput through the real server, beside what Pillow alone
does with the same photos in the same run.

- upload: ``POST /api/v1/media`` with one 1600×1200 JPEG (GPS EXIF, ~2
  megapixels, as a phone app sends after resizing) per request, ``CLIENTS``
  connections, on a fresh SQLite store and media directory: multipart parsing
  with the cap, decode, EXIF read, re-encode, thumbnail, two atomic file writes;
- ceiling: ``process_photo`` alone (decode, re-encode, thumbnail; no HTTP, no
  writes) on as many threads, in this process.

Every photo differs by a pixel, so none is a no-op repeat of a stored one.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image

from benchmarks.common import SECONDS, Figure, print_figures
from benchmarks.http import SECRET, free_port, start_server
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.media.processing import PhotoLimits, process_photo
from ihanoi_core.simulation.photos import gps_exif
from ihanoi_server.auth.tokens import issue_token

CLIENTS = 2
PHOTOS = int(os.environ.get("IHANOI_BENCH_PHOTOS", "120"))
SIZE = (1600, 1200)


def photos(count: int) -> list[bytes]:
    """``count`` distinct JPEGs of a street-like gradient with GPS EXIF."""
    base = Image.linear_gradient("L").resize(SIZE).convert("RGB")
    exif = gps_exif(21.0285, 105.8542)
    made = []
    for index in range(count):
        base.putpixel((index % SIZE[0], index // SIZE[0]), (index % 256, 0, 0))
        out = io.BytesIO()
        base.save(out, "JPEG", quality=88, exif=exif)
        made.append(out.getvalue())
    return made


def threaded_rate(work: list[bytes], run: Callable[[bytes], object], threads: int, seconds: float) -> float:
    """Items per second that ``threads`` threads get through ``run(item)``, cycling over ``work``."""
    deadline = time.perf_counter() + seconds
    counts = [0] * threads

    def loop(slot: int) -> None:
        index = slot
        while time.perf_counter() < deadline:
            run(work[index % len(work)])
            counts[slot] += 1
            index += threads

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


def run() -> list[Figure]:
    work = photos(PHOTOS)
    limits = PhotoLimits()
    ceiling = threaded_rate(work, lambda data: process_photo(data, limits), CLIENTS, SECONDS)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        media = Path(tmp) / "media"
        os.environ["IHANOI_MEDIA_DIR"] = str(media)
        try:
            server = start_server(f"sqlite:///{Path(tmp) / 'bench.db'}", port)
        finally:
            del os.environ["IHANOI_MEDIA_DIR"]
        token = issue_token(SECRET, Principal("vneid:001099012345", Role.CITIZEN), 3600)
        local = threading.local()

        def upload(data: bytes) -> None:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(
                    base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=30
                )
            answer = client.post("/api/v1/media", files={"photo": ("p.jpg", data, "image/jpeg")})
            answer.raise_for_status()

        try:
            upload(work[0])  # warm-up: the first upload imports Pillow in the server
            uploads = threaded_rate(work[1:], upload, CLIENTS, SECONDS)
        finally:
            server.terminate()
            server.wait(10)
        stored = len(list(media.rglob("*.thumb.jpg")))
    figures = [
        Figure(
            f"photo uploads/s ({CLIENTS} conns, {SIZE[0]}x{SIZE[1]} JPEG)",
            uploads,
            "photos/s",
            f"Pillow process_photo alone ({CLIENTS} threads)",
            ceiling,
        ),
    ]
    print_figures(f"Photos (one uvicorn process, SQLite; {stored} distinct photos stored)", figures)
    return figures


if __name__ == "__main__":
    run()
