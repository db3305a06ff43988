"""What an operator checks of the photo store against the log.

``check_media``: every photo an event names (``PhotoAttached``) must be in
the store with its thumbnail — a missing one is a lost file (a restore that
forgot the media directory, a disk fault); stored photos no event names are
uploads never filed (``POST /api/v1/media`` before a report that was not sent)
or left by a refused command that raced a twin upload. ``collect_garbage``
removes those unreferenced photos once they are older than a grace period, so
an upload still waiting for its report is never taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.report import Report
from ihanoi_core.media.store import photo_name

# The stored topic of ``Report.PhotoAttached`` (a class ``@event`` makes, unknown to type checkers).
PHOTO_ATTACHED = f"{Report.__module__}:{Report.__qualname__}.PhotoAttached"
BATCH = 1000


@dataclass(frozen=True)
class MediaCheck:
    """Photos named by events, photos stored, and the differences."""

    referenced: frozenset[str]
    stored: frozenset[str]
    missing: tuple[str, ...]
    missing_thumbnails: tuple[str, ...]
    unreferenced: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.missing_thumbnails


def referenced_photos(app: Ihanoi) -> frozenset[str]:
    """The hash of every photo a ``PhotoAttached`` event names, from the whole log."""
    found: set[str] = set()
    start = 0
    while batch := app.recorder.select_notifications(
        start=start, limit=BATCH, topics=(PHOTO_ATTACHED,), inclusive_of_start=False
    ):
        for notification in batch:
            event: Any = app.mapper.to_domain_event(notification)
            found.add(event.photo.sha256)
        start = batch[-1].id
    return frozenset(found)


def check_media(app: Ihanoi) -> MediaCheck:
    referenced = referenced_photos(app)
    stored = frozenset(app.photos.stored_hashes())
    store = app.photos.store
    return MediaCheck(
        referenced=referenced,
        stored=stored,
        missing=tuple(sorted(referenced - stored)),
        missing_thumbnails=tuple(
            sorted(sha for sha in referenced & stored if not store.exists(photo_name(sha, thumbnail=True)))
        ),
        unreferenced=tuple(sorted(stored - referenced)),
    )


def collect_garbage(app: Ihanoi, *, older_than_seconds: float, dry_run: bool = False) -> list[str]:
    """Remove stored photos no event names that were stored more than
    ``older_than_seconds`` ago; the hashes removed (or, with ``dry_run``, that would be)."""
    check = check_media(app)
    cutoff = time.time() - older_than_seconds
    removed = []
    for sha in check.unreferenced:
        stored_at = app.photos.store.modified(photo_name(sha))
        if stored_at is not None and stored_at < cutoff:
            removed.append(sha)
            if not dry_run:
                app.photos.remove(sha)
    return removed
