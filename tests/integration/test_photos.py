"""Photos through the library, on every store: processing refusals, the
store's content addressing, the events and the public read model, and the
operator's ``ihanoi media check`` and ``gc``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AttachReportPhoto, HideReportPhoto, RejectReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.report_values import PhotoStage
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import (
    CaseNotFoundError,
    PhotoRefusedError,
    PhotoStoreUnavailableError,
    PhotoTooLargeError,
    RuleViolationError,
    UnsupportedPhotoError,
    ValidationError,
)
from ihanoi_core.media.check import check_media, collect_garbage
from ihanoi_core.media.processing import PhotoLimits, process_photo
from ihanoi_core.media.store import LocalPhotoStore, photo_name
from ihanoi_core.settings import Settings
from ihanoi_core.simulation.photos import generated_photo
from ihanoi_projections.public_photos import PublicPhotosModel
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from tests.conftest import staff

AGENCY = "UBND_HOAN_KIEM"


def report(photos: tuple[str, ...] = ()) -> SubmitReport:
    return SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM"), photos=photos)


def test_processing_decides_by_content_and_refuses_bombs_and_oversized_files() -> None:
    limits = PhotoLimits(max_bytes=200_000, max_pixels=1_000_000)
    # Step: a PNG with transparency becomes an opaque JPEG; a WebP is accepted too.
    out = io.BytesIO()
    Image.new("RGBA", (100, 50), (0, 0, 255, 0)).save(out, "WEBP")
    webp = process_photo(out.getvalue(), limits)
    assert Image.open(io.BytesIO(webp.data)).format == "JPEG"
    assert (webp.width, webp.height) == (100, 50)
    # Step: not an image, or an image type we do not take (GIF), is refused by content.
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    for data in (b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7", gif.getvalue()):
        with pytest.raises(UnsupportedPhotoError):
            process_photo(data, limits)
    # Step: more pixels than the limit, just above or far above Pillow's own bomb thresholds.
    for side in (1001, 1500, 3000):
        bomb = io.BytesIO()
        Image.new("L", (side, side)).save(bomb, "PNG")
        with pytest.raises(PhotoRefusedError) as refused:
            process_photo(bomb.getvalue(), limits)
        assert refused.value.reason == "too_many_pixels"
    # Step: a truncated JPEG, and a file over the byte limit.
    photo = generated_photo("truncated")
    with pytest.raises(PhotoRefusedError):
        process_photo(photo[: len(photo) // 2], limits)
    with pytest.raises(PhotoTooLargeError):
        process_photo(bytes(200_001), limits)


def test_the_same_photo_is_stored_once_under_its_hash_atomically(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path / "media")
    name = photo_name("a" * 64)
    store.put(name, b"first")
    store.put(name, b"second")  # content-addressed: the first write stands
    assert store.get(name) == b"first"
    assert list(store.names()) == [name]
    assert not list((tmp_path / "media").rglob(".tmp-*"))
    with pytest.raises(ValueError, match="not a photo name"):
        store.path("../../etc/passwd")
    store.delete(name)
    assert store.get(name) is None


def test_a_directory_photos_cannot_be_written_in_is_named_at_the_check_and_on_a_write(tmp_path: Path) -> None:
    # A directory not made yet, under one that is: made on the first photo.
    LocalPhotoStore(tmp_path / "media" / "2026").check_writable()
    blocker = tmp_path / "occupied"
    blocker.write_text("a file")
    for root, reason in ((blocker, "it is not a directory"), (blocker / "media", f"{blocker} is not a directory")):
        store = LocalPhotoStore(root)
        with pytest.raises(PhotoStoreUnavailableError, match=f"Cannot keep photos in {root}: ") as refused:
            store.check_writable()
        assert refused.value.reason == reason
        # Step: written to all the same, the failure says where for the operator and nothing for the client.
        with pytest.raises(PhotoStoreUnavailableError) as failed:
            store.put(photo_name("b" * 64), b"bytes")
        assert str(tmp_path) not in failed.value.detail
        assert failed.value.reason.startswith(f"{root}/bb/bb: Not a directory")
        # Taking back what a refused request stored finds nothing to delete, and says nothing.
        store.delete(photo_name("b" * 64))
        assert store.get(photo_name("b" * 64)) is None
        assert blocker.read_text() == "a file"


def test_photos_on_a_report_hidden_and_withheld_by_the_public_read_model(settings: Settings) -> None:
    app = Ihanoi(settings)
    read_side = ReadSide(app, settings, start=False)
    citizen = Principal("vneid:001099012345", Role.CITIZEN)
    officer = staff(Role.OFFICER, AGENCY)
    try:
        first = app.photos.add(generated_photo("first", 21.03, 105.85))
        second = app.photos.add(generated_photo("second"))
        assert first.suggested_location == (21.03, 105.85)
        assert second.suggested_location is None
        # Step: filed with one photo; the officer attaches an "after" photo.
        case = app.handle(citizen, report((first.sha256,))).case_id
        app.handle(officer, AttachReportPhoto(case=case, photo=second.sha256, stage=PhotoStage.AFTER))
        with pytest.raises(RuleViolationError):  # attached already
            app.handle(officer, AttachReportPhoto(case=case, photo=second.sha256))
        with pytest.raises(ValidationError):  # never uploaded
            app.handle(citizen, report(("b" * 64,)))
        read_side.catch_up()
        model = read_side.model(PublicPhotosModel)
        assert [p.sha256 for p in model.for_cases([case])[case]] == [first.sha256, second.sha256]
        # Step: hidden, the first photo leaves the public model; the event keeps the reason.
        app.handle(officer, HideReportPhoto(case=case, photo=first.sha256, reason="Lộ biển số xe"))
        read_side.catch_up()
        assert not model.is_public(first.sha256)
        assert model.is_public(second.sha256)
        # Step: the same bytes on another report stay hidden: one file, one decision.
        other = app.handle(citizen, report((first.sha256,))).case_id
        read_side.catch_up()
        assert not model.is_public(first.sha256)
        assert other not in model.for_cases([other])
        history = [type(e).__name__ for e in app.events.get(case)]
        assert history == ["Submitted", "PhotoAttached", "PhotoAttached", "PhotoHidden"]
        # Step: a rejected report withholds every photo.
        app.handle(officer, RejectReport(case=case, reason="Không thuộc phạm vi"))
        read_side.catch_up()
        assert not model.is_public(second.sha256)
        # Step: the citizen's photo event seals who attached it; the photo's role stays plain.
        attached: Any = next(e for e in app.events.get(case) if type(e).__name__ == "PhotoAttached")
        assert attached.photo.uploaded_by is Role.CITIZEN
        stored = app.recorder.select_events(case)
        assert all(b"vneid:001099012345" not in record.state for record in stored)
    finally:
        read_side.close()
        app.close()


def test_a_hidden_photo_is_read_through_the_queries_by_staff_and_auditors_only(settings: Settings) -> None:
    app = Ihanoi(settings)
    queries = Queries(app)
    citizen = Principal("vneid:001099012345", Role.CITIZEN)
    neighbour = Principal("vneid:001099054321", Role.CITIZEN)
    officer = staff(Role.OFFICER, AGENCY)
    auditor = Principal("auditor-city", Role.AUDITOR)
    try:
        shown = app.photos.add(generated_photo("shown"))
        hidden = app.photos.add(generated_photo("hidden"))
        elsewhere = app.photos.add(generated_photo("elsewhere"))
        case = app.handle(citizen, report((shown.sha256, hidden.sha256))).case_id
        app.handle(officer, HideReportPhoto(case=case, photo=hidden.sha256, reason="Lộ biển số xe"))
        # Step: the reporter reads the shown photo and its thumbnail, never the hidden one.
        assert queries.case_photo(citizen, case, shown.sha256) == app.photos.read(shown.sha256)
        assert queries.case_photo(citizen, case, shown.sha256, thumbnail=True) == app.photos.read(
            shown.sha256, thumbnail=True
        )
        with pytest.raises(CaseNotFoundError):
            queries.case_photo(citizen, case, hidden.sha256)
        # Step: staff and auditors read the hidden photo too.
        for reader in (officer, auditor):
            assert queries.case_photo(reader, case, hidden.sha256) == app.photos.read(hidden.sha256)
        # Step: a photo of no report of theirs, or a report they cannot see, is not found.
        with pytest.raises(CaseNotFoundError):
            queries.case_photo(officer, case, elsewhere.sha256)
        with pytest.raises(CaseNotFoundError):
            queries.case_photo(neighbour, case, shown.sha256)
    finally:
        app.close()


def test_media_check_finds_a_lost_photo_and_gc_removes_only_old_unreferenced_ones(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ihanoi.db'}", env="test")
    app = Ihanoi(settings)
    try:
        kept = app.photos.add(generated_photo("kept"))
        lost = app.photos.add(generated_photo("lost"))
        orphan = app.photos.add(generated_photo("orphan"))
        app.handle(Principal("vneid:1", Role.CITIZEN), report((kept.sha256, lost.sha256)))
        assert check_media(app).ok
        # Step: gc leaves a fresh orphan alone (its report may still come), then takes it once old.
        assert collect_garbage(app, older_than_seconds=3600) == []
        old = tmp_path / "ihanoi-media" / orphan.sha256[:2] / orphan.sha256[2:4] / photo_name(orphan.sha256)
        os.utime(old, (1, 1))
        assert collect_garbage(app, older_than_seconds=3600) == [orphan.sha256]
        assert not app.photos.exists(orphan.sha256)
        assert app.photos.exists(kept.sha256)
        app.photos.remove(lost.sha256)  # a file lost on disk
    finally:
        app.close()
    # Step: the operator's command finds it and exits 1.
    env = {**os.environ, "IHANOI_DATABASE_URL": settings.database_url, "IHANOI_ENV": "test"}
    run = subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", "media", "check", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert lost.sha256 in run.stdout
    found = json.loads(run.stdout.splitlines()[0])
    assert (found["referenced"], found["missing"]) == (2, [lost.sha256])
