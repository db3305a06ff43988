"""A photo sent in a chat is kept (issue #20 follow-up), on memory, SQLite and
PostgreSQL: when the flow files the report, the image is fetched from the
channel's CDN (a real server on loopback) into the photo library — EXIF and
GPS stripped like an upload — and the report names our copy, not the CDN's
URL. A photo that cannot be fetched or kept (missing, not an image, too
large, too slow, a decompression bomb, not http) leaves the report without
it, and the reply says so."""

from __future__ import annotations

import functools
import io
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import pytest
from PIL import ExifTags, Image

from ihanoi_core.application import Ihanoi
from ihanoi_core.channels.flow import Inbound
from ihanoi_core.channels.payloads import Delivery
from ihanoi_core.channels.photos import PhotoFetchError, fetch_photo
from ihanoi_core.domain.conversation import Conversation, conversation_id
from ihanoi_core.domain.report import Report
from ihanoi_core.settings import Settings
from ihanoi_core.simulation.photos import gps_exif
from tests.chat_servers import ChatCdn, chat_cdn
from tests.conftest import FakeClock

HOAN_KIEM = (21.0285, 105.8542)
NOT_KEPT = "Không tải được ảnh bạn gửi; phản ánh được gửi không kèm ảnh."
MAX_BYTES = 300_000
TIMEOUT = 1.0


# Both made once (bytes, never changed): the bomb's 400 megapixels took ~1 s of CPU
# in each test's CDN set-up. Each test still has a CDN and a count of its own.
@functools.cache
def phone_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 60, 40)).save(out, "JPEG", exif=gps_exif(*HOAN_KIEM))
    return out.getvalue()


@functools.cache
def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


@pytest.fixture
def cdn() -> Iterator[tuple[str, ChatCdn]]:
    served = ChatCdn(photo=phone_jpeg(), bomb=bomb(), big=MAX_BYTES, slow=3 * TIMEOUT)
    with chat_cdn(served) as url:
        yield url, served


@pytest.fixture
def chat_app(settings: Settings, clock: FakeClock) -> Iterator[Ihanoi]:
    limited = replace(settings, media_max_bytes=MAX_BYTES, channel_photo_timeout_seconds=TIMEOUT)
    application = Ihanoi(limited, clock=clock)
    yield application
    application.close()


def file_with_photo(app: Ihanoi, user: str, photo_url: str) -> Conversation:
    pothole = str(sorted(app.directory.categories).index("pothole") + 1)
    steps = [
        Inbound("text", text="phản ánh ổ gà trước cổng trường"),
        Inbound("text", text=pothole),
        Inbound("location", latitude=HOAN_KIEM[0], longitude=HOAN_KIEM[1]),
        Inbound("image", attachment=photo_url),
        Inbound("text", text="có"),
    ]
    for number, message in enumerate(steps):
        app.receive_message(Delivery("zalo", user, f"{user}-{number}", 0, message))
    app.process_messages(conversation_id("zalo", f"zalo:{user}"))  # the dispatcher's part
    found = app._conversation(conversation_id("zalo", f"zalo:{user}"))
    assert found is not None
    return found


def filed_report(app: Ihanoi, conversation: Conversation) -> Report:
    assert [kind for _, _, kind in conversation.cases] == ["report"]
    report = app._get(UUID(conversation.cases[0][0]))
    assert isinstance(report, Report)
    return report


def test_a_chat_photo_is_kept_in_the_library_without_its_gps(chat_app: Ihanoi, cdn: tuple[str, ChatCdn]) -> None:
    url, served = cdn
    conversation = file_with_photo(chat_app, "u-photo", f"{url}/photo.jpg")
    report = filed_report(chat_app, conversation)
    # Step: the report names our copy, not the CDN's expiring URL.
    assert report.media_urls == ()
    assert len(report.photos) == 1
    kept = chat_app.photos.read(report.photos[0].sha256)
    assert kept is not None
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG"
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # stripped like an upload
    assert chat_app.photos.read(report.photos[0].sha256, thumbnail=True) is not None
    assert served.fetched == ["photo.jpg"]  # fetched once, at "confirm"
    assert NOT_KEPT not in conversation.replies.values()


@pytest.mark.parametrize(
    "name", ["missing.jpg", "page.html", "big.jpg", "slow.jpg", "drip.jpg", "bomb.png"], ids=lambda n: n.split(".")[0]
)
def test_a_photo_that_cannot_be_kept_leaves_the_report_without_it(
    chat_app: Ihanoi, cdn: tuple[str, ChatCdn], name: str
) -> None:
    url, served = cdn
    started = time.monotonic()
    conversation = file_with_photo(chat_app, f"u-{name}", f"{url}/{name}")
    elapsed = time.monotonic() - started
    report = filed_report(chat_app, conversation)
    assert (report.photos, report.media_urls) == ((), ())
    assert NOT_KEPT in conversation.replies.values()
    assert any(report.code in text for text in conversation.replies.values())  # filed all the same
    assert served.fetched == [name]
    # The webhook's answer waits at most about the timeout, however slow the CDN (it takes 3 s here).
    assert elapsed < served.slow


def test_only_http_urls_are_fetched(cdn: tuple[str, ChatCdn]) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/a.jpg", "data:image/png;base64,AAAA"):
        with pytest.raises(PhotoFetchError) as refused:
            fetch_photo(url, max_bytes=MAX_BYTES, timeout=TIMEOUT)
        assert refused.value.reason == "scheme"
    # Step: a redirect is followed to another http URL, never out of http(s).
    base, served = cdn
    assert fetch_photo(f"{base}/moved.jpg", max_bytes=MAX_BYTES, timeout=TIMEOUT) == served.photo
    with pytest.raises(PhotoFetchError) as refused:
        fetch_photo(f"{base}/local.jpg", max_bytes=MAX_BYTES, timeout=TIMEOUT)
    assert refused.value.reason == "redirect_scheme"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
