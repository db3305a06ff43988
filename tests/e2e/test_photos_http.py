"""Photos through the real server, on SQLite and on PostgreSQL: uploaded as a
citizen's app and an officer would, refused when they are not photos or too
big, served publicly only while they may be, and never in the event log.

Every photo is drawn with Pillow here (no image files in the repository).
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from PIL import ExifTags, Image

from ihanoi_core.domain.values import Role
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env
from ihanoi_core.simulation.photos import gps_exif
from tests.e2e.conftest import LiveServer

CITIZEN = "vneid:001099012345"
WARD = "HOAN_KIEM"
AGENCY = "UBND_HOAN_KIEM"
REPORT = {"category": "pothole", "description": "Ổ gà sâu trước số 12 Hàng Bài", "location": {"ward": WARD}}
LATITUDE, LONGITUDE = 21.0245, 105.8412


def jpeg_with_gps(colour: tuple[int, int, int] = (180, 60, 40), size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG with the EXIF a phone writes: GPS position, camera make and model, orientation."""
    exif = gps_exif(LATITUDE, LONGITUDE)
    exif[ExifTags.Base.Orientation] = 6  # taken rotated: stored upright
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(colour: tuple[int, int, int, int] = (0, 120, 200, 128)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), colour).save(out, "PNG")
    return out.getvalue()


def decompression_bomb() -> bytes:
    """A few kilobytes of PNG that decode to 400 megapixels of one colour."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


class Clients:
    """Clients of the live server as principals, all closed at the end of the test."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.opened: list[httpx.Client] = []

    def __call__(self, role: Role | None = None, subject: str = CITIZEN, agency: str | None = None) -> httpx.Client:
        client = self.server.client(role, subject, agency)
        self.opened.append(client)
        return client


@pytest.fixture
def clients(live_server: LiveServer) -> Iterator[Clients]:
    opened = Clients(live_server)
    yield opened
    for client in opened.opened:
        client.close()


def media_files(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file())


def stored_payloads(server: LiveServer, tmp_path: Path) -> list[bytes]:
    """Every stored event's payload, as the store holds it."""
    if server.database_url.startswith("sqlite"):
        with sqlite3.connect(tmp_path / "ihanoi.db") as connection:
            return [bytes(row[0]) for row in connection.execute("SELECT state FROM stored_events")]
    schema = postgres_env(server.database_url).get("POSTGRES_SCHEMA", "public")
    with psycopg.connect(postgres_conninfo(server.database_url)) as connection:
        return [bytes(row[0]) for row in connection.execute(f'SELECT state FROM "{schema}".cases_events')]


def event_count(server: LiveServer, tmp_path: Path) -> int:
    return len(stored_payloads(server, tmp_path))


def wait_public(client: httpx.Client, path: str, status: int) -> httpx.Response:
    """The public answer once the read model has caught up with the last write."""
    deadline = time.monotonic() + 10
    while True:
        answer = client.get(path)
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def upload(client: httpx.Client, *files: bytes, name: str = "photo.jpg") -> httpx.Response:
    return client.post("/api/v1/media", files=[("photo", (name, data, "image/jpeg")) for data in files])


def test_a_photo_comes_back_upright_without_any_exif_and_its_gps_is_offered(
    clients: Clients, live_server: LiveServer, tmp_path: Path
) -> None:
    citizen = clients(Role.CITIZEN, CITIZEN)
    public = clients()
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has GPS

    # Step: the app uploads the photo first; the answer offers its GPS point as the location.
    answer = upload(citizen, original)
    assert answer.status_code == 201, answer.text
    [photo] = answer.json()["photos"]
    assert photo["suggested_location"] == {"latitude": pytest.approx(LATITUDE), "longitude": pytest.approx(LONGITUDE)}
    assert (photo["width"], photo["height"], photo["content_type"]) == (480, 640, "image/jpeg")  # rotated upright

    # Step: the citizen files the report naming the photo by its hash.
    filed = citizen.post("/api/v1/reports", json={**REPORT, "photos": [photo["sha256"]]})
    assert filed.status_code == 201, filed.text
    case = citizen.get(f"/api/v1/reports/{filed.json()['id']}").json()
    assert [p["sha256"] for p in case["photos"]] == [photo["sha256"]]
    assert case["photos"][0]["uploaded_by"] == "citizen"
    assert case["photos"][0]["stage"] == "evidence"

    # Step: the public fetches it: a JPEG with no EXIF at all, no GPS, no camera.
    served = wait_public(public, f"/public/photos/{photo['sha256']}", 200)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in served.headers["cache-control"]
    assert served.headers["etag"] == f'"{photo["sha256"]}"'
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "JPEG"
    assert image.size == (480, 640)
    assert not image.getexif()
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert b"Exif" not in served.content
    assert b"Phone of a citizen" not in served.content
    assert (
        public.get(f"/public/photos/{photo['sha256']}", headers={"If-None-Match": served.headers["etag"]}).status_code
        == 304
    )
    thumbnail = public.get(f"/public/photos/{photo['sha256']}/thumbnail")
    assert thumbnail.status_code == 200
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 320

    # Step: the stored events hold the hash, never the bytes of either photo.
    payloads = b"".join(stored_payloads(live_server, tmp_path))
    assert photo["sha256"].encode() in payloads
    for data in (original, served.content, thumbnail.content):
        for offset in range(0, len(data) - 64, 997):
            assert data[offset : offset + 64] not in payloads


def test_a_report_filed_as_multipart_and_an_officers_after_photo(clients: Clients, live_server: LiveServer) -> None:
    citizen = clients(Role.CITIZEN, CITIZEN)
    officer = clients(Role.OFFICER, "officer-hk", AGENCY)

    # Step: one request with the report's JSON and two photos.
    filed = citizen.post(
        "/api/v1/reports",
        data={"report": json.dumps(REPORT)},
        files=[("photo", ("a.jpg", jpeg_with_gps(), "image/jpeg")), ("photo", ("b.png", png(), "image/png"))],
    )
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert len(body["photos"]) == 2
    assert body["photos"][0]["suggested_location"] is not None
    assert body["photos"][1]["suggested_location"] is None
    case_id = body["id"]

    # Step: the officer adds an "after" photo of the fix; a citizen may not call theirs "after".
    after = officer.post(f"/api/v1/reports/{case_id}/photos", data={"stage": "after"},
                         files={"photo": ("after.jpg", jpeg_with_gps((20, 200, 20)), "image/jpeg")})  # fmt: skip
    assert after.status_code == 201, after.text
    assert after.json()["version"] == 4
    refused = citizen.post(f"/api/v1/reports/{case_id}/photos", data={"stage": "after"},
                           files={"photo": ("x.jpg", jpeg_with_gps((1, 2, 3)), "image/jpeg")})  # fmt: skip
    assert refused.status_code == 422
    assert "stage" in refused.json()["errors"]
    case = officer.get(f"/api/v1/reports/{case_id}").json()
    assert [(p["stage"], p["uploaded_by"]) for p in case["photos"]] == [
        ("evidence", "citizen"), ("evidence", "citizen"), ("after", "officer"),
    ]  # fmt: skip

    # Step: another citizen cannot attach to someone else's report (it does not exist for them).
    stranger = clients(Role.CITIZEN, "vneid:001099099999")
    assert (
        stranger.post(f"/api/v1/reports/{case_id}/photos", files={"photo": ("x.jpg", png(), "image/png")}).status_code
        == 404
    )


def test_what_is_not_a_photo_is_refused_and_nothing_is_stored(
    clients: Clients, live_server: LiveServer, tmp_path: Path
) -> None:
    citizen = clients(Role.CITIZEN, CITIZEN)
    media = tmp_path / "media"
    filed = citizen.post("/api/v1/reports", json=REPORT)
    case_id = filed.json()["id"]
    before_files, before_events = media_files(media) if media.exists() else [], event_count(live_server, tmp_path)

    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    for label, data in (("svg", svg), ("html", html), ("garbage", b"\xff\xd8\xff\xe0 not a jpeg at all")):
        # Step: disguised as a JPEG by name and declared type, refused by content.
        answer = upload(citizen, data, name="pothole.jpg")
        assert answer.status_code in (415, 422), (label, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        attached = citizen.post(f"/api/v1/reports/{case_id}/photos", files={"photo": ("p.jpg", data, "image/jpeg")})
        assert attached.status_code in (415, 422), (label, attached.text)

    # Step: a decompression bomb (400 megapixels in a few kilobytes) is refused from its header.
    bomb = decompression_bomb()
    assert len(bomb) < 100_000
    answer = upload(citizen, bomb, name="bomb.png")
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "photo_refused"

    # Step: a 50 MB file is refused with 413 once the cap is passed.
    huge = b"\xff\xd8\xff\xe0" + bytes(50 * 1024 * 1024)
    try:
        answer = upload(citizen, huge)
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "photo_too_large"
    except httpx.TransportError:
        pass  # the server answered 413 and closed before the client finished sending
    # Step: sent in chunks, with no Content-Length to refuse it by: cut off past the cap.
    head = b'--x\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    answer = citizen.post(
        f"/api/v1/reports/{case_id}/photos",
        content=(chunk for chunk in [head, *(bytes(1024 * 1024) for _ in range(50))]),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert answer.status_code == 413, answer.text

    # Step: nothing of any of them was stored, and no event was written.
    assert (media_files(media) if media.exists() else []) == before_files
    assert event_count(live_server, tmp_path) == before_events
    assert live_server.process.poll() is None


def test_a_photo_store_that_stops_taking_photos_answers_503_files_nothing_and_tells_the_operator_why(
    clients: Clients, live_server: LiveServer, tmp_path: Path
) -> None:
    citizen = clients(Role.CITIZEN, CITIZEN)
    media = tmp_path / "media"
    assert upload(citizen, png((10, 20, 30, 255))).status_code == 201
    before = event_count(live_server, tmp_path)

    # Step: the media directory is gone from under the running server (a volume unmounted), a file in its place.
    shutil.rmtree(media)
    media.write_bytes(b"")
    answer = upload(citizen, jpeg_with_gps((90, 90, 200)))
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "photo_store_unavailable"
    assert str(tmp_path) not in answer.text
    # A report filed with a photo is not filed without it.
    filed = citizen.post("/api/v1/reports", data={"report": json.dumps(REPORT)},
                         files={"photo": ("a.png", png((40, 50, 60, 255)), "image/png")})  # fmt: skip
    assert filed.status_code == 503, filed.text
    assert event_count(live_server, tmp_path) == before
    # The operator's log says where and what, once a request, with no traceback.
    failures = [line for line in live_server.log().splitlines() if '"photo_store_unavailable"' in line]
    assert len(failures) == 2, failures
    assert f"{media}/" in failures[0]
    assert "Not a directory" in failures[0]
    assert "Traceback" not in live_server.log()

    # Step: the directory is back: the same photo is taken.
    media.unlink()
    assert upload(citizen, jpeg_with_gps((90, 90, 200))).status_code == 201
    assert live_server.process.poll() is None


def test_hidden_photos_and_the_count_limit(clients: Clients, live_server: LiveServer, tmp_path: Path) -> None:
    citizen = clients(Role.CITIZEN, CITIZEN)
    officer = clients(Role.OFFICER, "officer-hk", AGENCY)
    public = clients()
    auditor = clients(Role.AUDITOR, "inspector-01")
    photos = [p["sha256"] for p in upload(citizen, jpeg_with_gps((200, 10, 10)), png()).json()["photos"]]
    filed = citizen.post("/api/v1/reports", json={**REPORT, "photos": photos})
    case_id, code = filed.json()["id"], filed.json()["code"]
    assert wait_public(public, f"/public/photos/{photos[0]}", 200).status_code == 200

    # Step: an officer hides the first photo (a face) with a reason.
    hidden = officer.post(
        f"/api/v1/reports/{case_id}/hide-photo", json={"photo": photos[0], "reason": "Lộ mặt người đi đường"}
    )
    assert hidden.status_code == 200, hidden.text
    assert (
        citizen.post(f"/api/v1/reports/{case_id}/hide-photo", json={"photo": photos[1], "reason": "x"}).status_code
        == 403
    )

    # Step: never served publicly again, nor named by Open311; staff and auditors still see it.
    assert wait_public(public, f"/public/photos/{photos[0]}", 404).status_code == 404
    assert public.get(f"/public/photos/{photos[0]}/thumbnail").status_code == 404
    assert public.get(f"/public/photos/{photos[1]}").status_code == 200
    [request] = public.get(f"/open311/v2/requests/{code}.json").json()
    assert request["media_url"].endswith(f"/public/photos/{photos[1]}")
    listed = public.get("/open311/v2/requests.json").text
    assert photos[0] not in listed
    assert officer.get(f"/api/v1/reports/{case_id}/photos/{photos[0]}").status_code == 200
    assert auditor.get(f"/api/v1/reports/{case_id}/photos/{photos[0]}").status_code == 200
    assert citizen.get(f"/api/v1/reports/{case_id}/photos/{photos[0]}").status_code == 404
    own = citizen.get(f"/api/v1/reports/{case_id}/photos/{photos[1]}/thumbnail")
    assert own.status_code == 200
    assert own.headers["cache-control"].startswith("private")
    assert public.get(f"/public/photos/{'0' * 64}").status_code == 404
    # The report's public page shows the photo still public and never the hidden one.
    page = public.get(f"/public/reports/{code}")
    assert page.status_code == 200, page.text
    assert f"/public/photos/{photos[1]}" in page.text
    assert photos[0] not in page.text

    # Step: the count limit: ten photos per report; the eleventh is refused, nothing stored for it.
    more = [p["sha256"] for p in upload(citizen, *(png((i, 2 * i, 3 * i, 255)) for i in range(1, 9))).json()["photos"]]
    for sha in more:
        assert citizen.post(f"/api/v1/reports/{case_id}/attach-photo", json={"photo": sha}).status_code == 200
    eleventh = citizen.post(
        f"/api/v1/reports/{case_id}/photos", files={"photo": ("p.png", png((9, 9, 9, 255)), "image/png")}
    )
    assert eleventh.status_code == 409, eleventh.text
    assert eleventh.json()["code"] == "rule_violation"
    names = media_files(tmp_path / "media")
    assert len([n for n in names if n.endswith(".thumb.jpg")]) == 10
    too_many = citizen.post("/api/v1/reports", json={**REPORT, "photos": [*photos, *more, "a" * 64]})
    assert too_many.status_code == 422


def test_a_denunciations_evidence_is_never_public_and_open311_media_is_attached(
    clients: Clients, live_server: LiveServer
) -> None:
    partner = clients()
    # Step: an Open311 partner posts a request with a media file part.
    posted = partner.post(
        "/open311/v2/requests.json",
        params={"api_key": "partner-key-1"},
        data={"service_code": "traffic_light_fault", "lat": str(LATITUDE), "long": str(LONGITUDE)},
        files={"media": ("pothole.jpg", jpeg_with_gps(), "image/jpeg")},
    )
    assert posted.status_code == 200, posted.text
    [created] = posted.json()
    [request] = partner.get(f"/open311/v2/requests/{created['service_request_id']}.json").json()
    assert request["media_url"]
    assert "/public/photos/" in request["media_url"]
    photo = partner.get(request["media_url"].split(live_server.base_url, 1)[1])
    assert photo.status_code == 200
    assert not Image.open(io.BytesIO(photo.content)).getexif()

    # Step: a file that is not a photo is an Open311 error, not a silently dropped part.
    refused = partner.post(
        "/open311/v2/requests.json",
        params={"api_key": "partner-key-1"},
        data={"service_code": "traffic_light_fault", "lat": str(LATITUDE), "long": str(LONGITUDE)},
        files={"media": ("pothole.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")},
    )
    assert refused.status_code == 400
    assert "media" in refused.text

    # Step: complaints and denunciations take no photos at all: the photo routes are for reports only.
    citizen = clients(Role.CITIZEN, CITIZEN)
    sha = upload(citizen, png()).json()["photos"][0]["sha256"]
    denunciation = citizen.post("/api/v1/complaints", json=denunciation_body())
    assert denunciation.status_code == 201, denunciation.text
    case_id = denunciation.json()["id"]
    assert citizen.post(f"/api/v1/reports/{case_id}/attach-photo", json={"photo": sha}).status_code == 404
    assert (
        citizen.post(f"/api/v1/reports/{case_id}/photos", files={"photo": ("p.png", png(), "image/png")}).status_code
        == 404
    )
    assert partner.get(f"/public/photos/{sha}").status_code == 404  # uploaded but on no public report


def denunciation_body() -> dict[str, Any]:
    return {
        "kind": "denunciation",
        "subject": "Cán bộ phường nhận tiền để bỏ qua vi phạm xây dựng",
        "content": "Tôi tố cáo việc cán bộ địa chính phường nhận tiền của chủ công trình số 5.",
        "respondent_agency": AGENCY,
        "ward": WARD,
        "complainant": {"name": "Trần Thị Bình", "national_id": "001199000111", "phone": "0987654321"},
    }
