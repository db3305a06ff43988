"""Where photos are kept: content-addressed, behind a small protocol.

A photo is stored under the sha256 of its re-encoded bytes (``<sha>.jpg``) and
its thumbnail beside it (``<sha>.thumb.jpg``); events carry the hash, never
the bytes. The same photo uploaded twice is stored once.

``PhotoStore`` is the protocol (``put``/``get``/``exists``/``delete``,
``names``/``modified`` for the operator's ``ihanoi media check|gc``, and
``check_writable`` for a server's start):

- ``LocalPhotoStore``: a directory (``IHANOI_MEDIA_DIR``; by default beside the
  SQLite file, ``<db name>-media/``, or ``./ihanoi-media`` with PostgreSQL),
  two levels of fan-out by hash prefix, each write to a temporary file in the
  same directory, flushed and renamed into place (atomic: a reader never sees
  half a photo, a crash leaves at most a ``.tmp-*`` file);
- ``MemoryPhotoStore``: for ``memory://`` stores and embedding.

Several servers share one directory (NFS) or an S3-compatible bucket: an S3
store is these methods over ``PUT/GET/HEAD/DELETE /<bucket>/<name>`` and
``ListObjectsV2`` (docs/photos.md); it is not shipped.

``PhotoLibrary`` is what the application uses: process an upload and store it
(``add``), describe a stored photo for an event (``describe``), read it back.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ihanoi_core.errors import PhotoStoreUnavailableError
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.eventstore.urls import sqlite_path
from ihanoi_core.media.processing import CONTENT_TYPE, PhotoLimits, ProcessedPhoto, process_photo
from ihanoi_core.settings import Settings

SHA256 = re.compile(r"[0-9a-f]{64}")
PHOTO_SUFFIX = ".jpg"
THUMBNAIL_SUFFIX = ".thumb.jpg"
NAME = re.compile(r"(?P<sha>[0-9a-f]{64})(?P<suffix>\.thumb\.jpg|\.jpg)")
# A photo is not there when its file is not, or a file stands where a folder of its path should.
NOT_THERE = (FileNotFoundError, NotADirectoryError)


class PhotoStore(Protocol):
    """Bytes by name. Names are ``<sha256>.jpg`` and ``<sha256>.thumb.jpg``."""

    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name`` atomically (a no-op when it is there already)."""

    def get(self, name: str) -> bytes | None:
        """The bytes stored under ``name``, or ``None``."""

    def exists(self, name: str) -> bool: ...

    def check_writable(self) -> None:
        """Raise ``PhotoStoreUnavailableError`` when photos cannot be stored
        here; called once when a server starts, so that it fails then."""

    def delete(self, name: str) -> None:
        """Remove ``name`` (a no-op when it is not there)."""

    def names(self) -> Iterator[str]:
        """Every stored name, in no particular order."""

    def modified(self, name: str) -> float | None:
        """When ``name`` was stored (seconds since the epoch), or ``None``."""


def photo_name(sha256: str, *, thumbnail: bool = False) -> str:
    if not SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256 in hexadecimal: {sha256[:80]!r}")
    return sha256 + (THUMBNAIL_SUFFIX if thumbnail else PHOTO_SUFFIX)


class LocalPhotoStore:
    """Photos in a directory (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def check_writable(self) -> None:
        """The directory must be one this process can write in or, not made
        yet (it is on the first photo), the nearest folder above it must be."""
        root = self.root.absolute()
        nearest = next(path for path in (root, *root.parents) if path.exists())
        where = "it" if nearest == root else str(nearest)
        if not nearest.is_dir():
            reason = f"{where} is not a directory"
        elif not os.access(nearest, os.W_OK | os.X_OK):
            reason = f"{where} is not writable by this process"
        else:
            return
        raise PhotoStoreUnavailableError(f"Cannot keep photos in {root}: {reason} (check IHANOI_MEDIA_DIR).", reason)

    def path(self, name: str) -> Path:
        if not NAME.fullmatch(name):
            raise ValueError(f"not a photo name: {name[:80]!r}")
        return self.root / name[:2] / name[2:4] / name

    def put(self, name: str, data: bytes) -> None:
        target = self.path(name)
        if target.exists():
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        except OSError as error:
            raise unavailable(target.parent, error) from error
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException as error:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise unavailable(target.parent, error) from error
            raise

    def get(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except NOT_THERE:
            return None

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        with contextlib.suppress(*NOT_THERE):
            self.path(name).unlink()

    def modified(self, name: str) -> float | None:
        try:
            return self.path(name).stat().st_mtime
        except NOT_THERE:
            return None

    def names(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if NAME.fullmatch(path.name):
                yield path.name


def unavailable(directory: Path, error: OSError) -> PhotoStoreUnavailableError:
    """What a failed write of a photo in ``directory`` is answered with."""
    return PhotoStoreUnavailableError(
        "The photo could not be stored right now; nothing was filed. Try again later.",
        f"{directory}: {error.strerror or error}",
    )


class MemoryPhotoStore:
    """Photos in a dict, for in-memory stores and tests of embedders."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._stored_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def put(self, name: str, data: bytes) -> None:
        with self._lock:
            if name not in self._data:
                self._data[name] = data
                self._stored_at[name] = time.time()

    def check_writable(self) -> None:
        """Memory always takes a photo."""

    def modified(self, name: str) -> float | None:
        return self._stored_at.get(name)

    def get(self, name: str) -> bytes | None:
        return self._data.get(name)

    def exists(self, name: str) -> bool:
        return name in self._data

    def delete(self, name: str) -> None:
        with self._lock:
            self._data.pop(name, None)
            self._stored_at.pop(name, None)

    def names(self) -> Iterator[str]:
        yield from list(self._data)


def media_directory(settings: Settings) -> Path:
    """``IHANOI_MEDIA_DIR``, else beside the SQLite file (``ihanoi.db`` →
    ``ihanoi-media/``), else ``./ihanoi-media``."""
    if settings.media_dir is not None:
        return settings.media_dir
    if store_kind(settings) == "sqlite":
        database = Path(sqlite_path(settings.database_url))
        return database.with_name(f"{database.stem}-media")
    return Path("ihanoi-media")


def photo_store(settings: Settings) -> PhotoStore:
    """The store the settings name: in memory for ``memory://`` without ``IHANOI_MEDIA_DIR``."""
    if store_kind(settings) == "memory" and settings.media_dir is None:
        return MemoryPhotoStore()
    return LocalPhotoStore(media_directory(settings))


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    """What an upload became: its content address, size, type, the GPS point
    offered as the suggested location, and whether this upload stored it
    (``False``: the same photo was there already)."""

    sha256: str
    width: int
    height: int
    content_type: str
    size: int
    suggested_location: tuple[float, float] | None
    created: bool


class PhotoLibrary:
    """Processing and storage together: what the application holds."""

    def __init__(self, store: PhotoStore, limits: PhotoLimits) -> None:
        self.store = store
        self.limits = limits

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoLibrary:
        return cls(
            photo_store(settings),
            PhotoLimits(max_bytes=settings.media_max_bytes, max_pixels=settings.media_max_pixels),
        )

    def add(self, data: bytes) -> StoredPhoto:
        """Process ``data`` and store the photo and its thumbnail. A refusal
        (``process_photo``'s errors) stores nothing."""
        processed = process_photo(data, self.limits)
        created = self.keep(processed)
        return StoredPhoto(
            sha256=processed.sha256,
            width=processed.width,
            height=processed.height,
            content_type=processed.content_type,
            size=len(processed.data),
            suggested_location=processed.suggested_location,
            created=created,
        )

    def keep(self, processed: ProcessedPhoto) -> bool:
        """Store a processed photo; whether it was new. The thumbnail goes
        first, so a photo that exists always has its thumbnail."""
        name = photo_name(processed.sha256)
        if self.store.exists(name):
            return False
        self.store.put(photo_name(processed.sha256, thumbnail=True), processed.thumbnail)
        self.store.put(name, processed.data)
        return True

    def remove(self, sha256: str) -> None:
        """Delete a photo and its thumbnail (an upload whose command was refused)."""
        self.store.delete(photo_name(sha256))
        self.store.delete(photo_name(sha256, thumbnail=True))

    def read(self, sha256: str, *, thumbnail: bool = False) -> bytes | None:
        if not SHA256.fullmatch(sha256):
            return None
        return self.store.get(photo_name(sha256, thumbnail=thumbnail))

    def exists(self, sha256: str) -> bool:
        return bool(SHA256.fullmatch(sha256)) and self.store.exists(photo_name(sha256))

    def describe(self, sha256: str) -> tuple[int, int, str] | None:
        """(width, height, content type) of a stored photo, read from its
        header; ``None`` when no such photo is stored."""
        data = self.read(sha256)
        if data is None:
            return None
        from PIL import Image

        with Image.open(io.BytesIO(data), formats=("JPEG",)) as image:
            width, height = image.size
        return width, height, CONTENT_TYPE

    def stored_hashes(self) -> set[str]:
        """The hashes of every stored photo (thumbnails not counted)."""
        found = set()
        for name in self.store.names():
            match = NAME.fullmatch(name)
            if match and match["suffix"] == PHOTO_SUFFIX:
                found.add(match["sha"])
        return found
