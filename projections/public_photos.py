"""public_photos: which photos anyone may see, for ``GET /public/photos/{sha}``.

One row per photo attached to a report (``PhotoAttached``), saying whether
staff hid it (``PhotoHidden``) and whether its report is shown: a rejected
report (possibly spam or abuse) keeps its photos withheld, as
``public_reports`` withholds its text. A photo is public when some shown
report carries it and **no** report hid it: the same bytes are one file, so a
face hidden on one report is not served through another. Only reports carry
photos: complaints and denunciations never do, so a denunciation's evidence
can never be served publicly.

The server serves a photo publicly only when ``is_public`` says so; the
public feed and Open311 name them per report (``for_cases``). The table holds
no personal data: the hash, the report, what the photo shows and its size —
not who attached it.

Like the other latest-state models, it remembers which reports changed during
a batch and rewrites their rows from each report's state at the end of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_values import ReportStatus
from ihanoi_projections.engine.base import CaseRowsModel, ViewTable
from ihanoi_projections.engine.database import Row
from ihanoi_projections.engine.rows import from_row

VIEW_TABLE = ViewTable(
    "view_public_photos",
    {
        "case_id": "TEXT NOT NULL",
        "sha256": "TEXT NOT NULL",
        "code": "TEXT NOT NULL",
        "stage": "TEXT NOT NULL",
        "width": "BIGINT NOT NULL",
        "height": "BIGINT NOT NULL",
        "ordinal": "BIGINT NOT NULL",
        "hidden": "BIGINT NOT NULL",
        "shown": "BIGINT NOT NULL",
    },
    key="case_id, sha256",
    # Serving a photo asks by hash alone.
    indexes={"sha": "sha256"},
)


@dataclass(frozen=True, slots=True)
class PublicPhoto:
    """A photo anyone may see, of the report ``code``."""

    sha256: str
    case_id: UUID
    code: str
    stage: str
    width: int
    height: int


class PublicPhotosModel(CaseRowsModel):
    name = "public_photos"
    view_table = VIEW_TABLE
    kinds = (Report,)

    def rows_of(self, report: Report) -> list[tuple[Any, ...]]:
        shown = int(report.status != ReportStatus.REJECTED)
        hidden = report.hidden_photo_hashes
        return [
            (
                str(report.id),
                photo.sha256,
                report.code,
                str(photo.stage),
                photo.width,
                photo.height,
                ordinal,
                int(photo.sha256 in hidden),
                shown,
            )
            for ordinal, photo in enumerate(report.photos)
        ]

    # -- queries ------------------------------------------------------------

    def is_public(self, sha256: str) -> bool:
        """Whether anyone may see the photo ``sha256``: a shown report carries
        it and no report hid it."""
        rows = self.database.query(
            "SELECT MAX(hidden) AS hidden, MAX(shown) AS shown FROM view_public_photos WHERE sha256 = ?", (sha256,)
        )
        return bool(rows) and rows[0]["shown"] == 1 and rows[0]["hidden"] == 0

    def for_cases(self, case_ids: Sequence[UUID]) -> dict[UUID, list[PublicPhoto]]:
        """The public photos of each report, in the order they were attached."""
        if not case_ids:
            return {}
        rows = self.database.query(
            f"SELECT * FROM view_public_photos WHERE case_id IN ({', '.join('?' * len(case_ids))})"
            " AND shown = 1 AND sha256 NOT IN (SELECT sha256 FROM view_public_photos WHERE hidden = 1)"
            " ORDER BY case_id, ordinal",
            [str(case_id) for case_id in case_ids],
        )
        found: dict[UUID, list[PublicPhoto]] = {}
        for row in rows:
            photo = record(row)
            found.setdefault(photo.case_id, []).append(photo)
        return found

    def rows(self) -> list[Row]:
        """Every row, ordered: for comparing a rebuild with the live table."""
        return self.database.query("SELECT * FROM view_public_photos ORDER BY case_id, ordinal")


def record(row: Row) -> PublicPhoto:
    return from_row(PublicPhoto, row)
