"""Zalo OA, Messenger and hotline intake over real HTTP (issue #20), on SQLite
and PostgreSQL: the real server, webhook bodies in the channels' documented
shapes signed as they sign them (``tests/channel_payloads.py``), the real
dispatcher delivering replies to a local fake of the OA API
(``tests/chat_servers.py``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.values import Role
from ihanoi_core.settings import Settings
from ihanoi_core.simulation.photos import generated_photo
from ihanoi_projections.engine.database import open_view_database
from ihanoi_projections.notifications.dispatcher import run_dispatcher
from ihanoi_projections.notifications.notices import OUTBOX
from tests.channel_payloads import (
    HOTLINE_SECRET,
    MESSENGER_SECRET,
    MESSENGER_VERIFY,
    ZALO_APP_ID,
    ZALO_SECRET,
    messenger_event,
    now_ms,
    signed_call,
    signed_messenger,
    signed_zalo,
    zalo_event,
)
from tests.chat_servers import APP_SECRET, OA_REFRESH, OA_TOKEN, PAGE_TOKEN, ChatApi, ChatCdn, chat_api, chat_cdn
from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server

CITIZEN = "vneid:001099077777"
OTHER = "vneid:001099088888"
HOAN_KIEM = (21.0285, 105.8542)


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as opened_clients:
        yield opened_clients


@pytest.fixture(params=["sqlite", "postgres"])
def channels(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, str, ChatApi]]:
    url = (
        f"sqlite:///{tmp_path / 'ihanoi.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    )
    with chat_api() as (api_url, api):
        env = {
            "IHANOI_ZALO_APP_ID": ZALO_APP_ID,
            "IHANOI_ZALO_OA_SECRET_KEY": ZALO_SECRET,
            "IHANOI_MESSENGER_APP_SECRET": MESSENGER_SECRET,
            "IHANOI_MESSENGER_VERIFY_TOKEN": MESSENGER_VERIFY,
            "IHANOI_HOTLINE_SECRET": HOTLINE_SECRET,
        }
        server = start_server(url, tmp_path / "server.log", env)
        try:
            yield server, api_url, api
        finally:
            stop_server(server)


def opened(stack: ExitStack, server: LiveServer, role: Role | None = None, subject: str = CITIZEN,
           agency: str | None = None) -> httpx.Client:  # fmt: skip
    return stack.enter_context(server.client(role, subject, agency))


@contextmanager
def stored(server: LiveServer) -> Iterator[Ihanoi]:
    """The application on the server's store, to read the store itself."""
    app = Ihanoi(Settings(database_url=server.database_url, env="test", secret_key=SECRET))
    try:
        yield app
    finally:
        app.close()


def store_head(server: LiveServer) -> int:
    """The log's last position."""
    with stored(server) as app:
        return app.head_position()


def store_reports(server: LiveServer) -> int:
    """How many reports the store holds (each ``Report.Submitted``)."""
    with stored(server) as app:
        records = app.recorder.select_notifications(start=None, limit=1_000_000)
        return sum(1 for record in records if record.topic.endswith(":Report.Submitted"))


def zalo(client: httpx.Client, user: str, msg_id: str, kind: str, **content: Any) -> httpx.Response:
    body, headers = signed_zalo(zalo_event(user, msg_id, kind, **content))
    return client.post("/webhooks/zalo", content=body, headers=headers)


def category_number(client: httpx.Client, code: str) -> str:
    categories = sorted(item["service_code"] for item in client.get("/open311/v2/services.json").json())
    return str(categories.index(code) + 1)


@pytest.fixture
def cdn() -> Iterator[str]:
    """The channel's CDN on loopback, where the photos sent in the chat lie."""
    with chat_cdn(ChatCdn(photo=generated_photo("ổ gà", *HOAN_KIEM))) as url:
        yield url


def file_by_zalo(client: httpx.Client, user: str, prefix: str, pothole: str, photo: str) -> None:
    # Step: the guided flow: start, category, location, photo, confirm.
    steps: list[tuple[str, dict[str, Any]]] = [
        ("text", {"text": "Phản ánh ổ gà sâu trước số 12 Hàng Bài"}),
        ("text", {"text": pothole}),
        ("location", {"latitude": HOAN_KIEM[0], "longitude": HOAN_KIEM[1]}),
        ("image", {"url": photo}) if photo else ("text", {"text": "bỏ qua"}),
        ("text", {"text": "có"}),
    ]
    for number, (kind, content) in enumerate(steps):
        answer = zalo(client, user, f"{prefix}-{number}", kind, **content)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "recorded"}


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


@contextmanager
def flow_worker(server: LiveServer) -> Iterator[None]:
    """The real dispatcher with no channel to send to: it only runs the chat flow for recorded messages
    (keeping chat photos in the server's photo library, as ``make serve`` does)."""
    media = server.log_path.parent / "media"
    settings = Settings(database_url=server.database_url, env="test", secret_key=SECRET, media_dir=media)
    stopping = threading.Event()
    worker = threading.Thread(target=run_dispatcher, args=(settings, stopping), kwargs={"senders": {}}, daemon=True)
    worker.start()
    try:
        yield
    finally:
        stopping.set()
        worker.join(10)


def flow_done(server: LiveServer) -> bool:
    """Whether the flow ran for every message recorded (and projected) so far."""
    view = open_view_database(Settings(database_url=server.database_url, env="test", secret_key=SECRET))
    try:
        states = {row["state"] for row in view.query(f"SELECT state FROM {OUTBOX} WHERE channel = 'chat_intake'")}
    finally:
        view.close()
    return states == {"sent"}


def dispatch(server: LiveServer, api_url: str, api: ChatApi, expected: int) -> None:
    """Run the real dispatcher until the fake OA API has ``expected`` replies."""
    settings = Settings(
        database_url=server.database_url, env="test", secret_key=SECRET, zalo_access_token=OA_TOKEN,
        zalo_api_url=api_url, messenger_page_token=PAGE_TOKEN, messenger_api_url=api_url,
        zalo_refresh_token=OA_REFRESH, zalo_app_id=ZALO_APP_ID, zalo_app_secret=APP_SECRET, zalo_oauth_url=api_url,
    )  # fmt: skip
    stopping = threading.Event()
    worker = threading.Thread(target=run_dispatcher, args=(settings, stopping), daemon=True)
    worker.start()
    try:
        wait_for(lambda: len(api.delivered) >= expected)
        time.sleep(0.5)  # anything more would show up now
    finally:
        stopping.set()
        worker.join(10)


@pytest.mark.slow
def test_a_linked_zalo_user_files_a_report_through_the_guided_flow_and_sees_it_in_my_cases(
    channels: tuple[LiveServer, str, ChatApi], stack: ExitStack, cdn: str
) -> None:
    server, api_url, api = channels
    citizen = opened(stack, server, Role.CITIZEN, CITIZEN)
    hooks = opened(stack, server)
    pothole = category_number(hooks, "pothole")
    with flow_worker(server):
        code_a, code_b = chat(server, stack, citizen, hooks, pothole, cdn)
    # Step: the dispatcher sends every reply to the fake OA API, once each.
    deliver_replies(server, api_url, api, code_a, code_b)


def chat(server: LiveServer, stack: ExitStack, citizen: httpx.Client, hooks: httpx.Client, pothole: str,
         cdn: str) -> tuple[str, str]:  # fmt: skip
    """The two users' guided flows, with the flow worker running; the codes of their reports."""
    # Step: a sticker first: the OA answers with the help text.
    sticker = zalo(hooks, "zalo-user-linked", "sticker-1", "sticker", url="https://zalo-api.zadn.vn/sticker.png")
    assert sticker.json() == {"status": "recorded"}
    # Step: the citizen asks the app for a code and sends it to the OA.
    code = citizen.post("/api/v1/me/channel-link-code").json()["code"]
    assert zalo(hooks, "zalo-user-linked", "link-1", "text", text=f"liên kết {code}").json()["status"] == "recorded"
    # Step: the linked user files a report; an unlinked one files another.
    file_by_zalo(hooks, "zalo-user-linked", "a", pothole, f"{cdn}/photo.jpg")
    file_by_zalo(hooks, "zalo-user-unlinked", "b", pothole, f"{cdn}/missing.jpg")
    # Step: the linked citizen sees exactly their report, filed on channel zalo.
    mine = wait_for(lambda: citizen.get("/api/v1/me/cases").json()["items"])
    assert len(mine) == 1
    assert mine[0]["kind"] == "report"
    code_a = mine[0]["code"]
    report_a = citizen.get(f"/api/v1/reports/{mine[0]['case_id']}").json()
    assert report_a["channel"] == "zalo"
    assert report_a["category"] == "pothole"
    assert report_a["location"]["ward"] == "HOAN_KIEM"
    # The chat photo was fetched into our photo library: the report names our copy, not the CDN's URL.
    assert report_a["media_urls"] == []
    [photo] = report_a["photos"]
    served = citizen.get(f"/api/v1/reports/{mine[0]['case_id']}/photos/{photo['sha256']}")
    assert (served.status_code, served.headers["content-type"]) == (200, "image/jpeg")
    # Step: the unlinked user asks about the linked one's case by its code: nothing of it comes back.
    asked = zalo(hooks, "zalo-user-unlinked", "b-ask", "text", text=f"Tình trạng hồ sơ {code_a} thế nào?")
    assert asked.json() == {"status": "recorded"}
    # Step: another citizen's cases are theirs alone.
    assert opened(stack, server, Role.CITIZEN, OTHER).get("/api/v1/me/cases").json()["items"] == []
    # Step: officers see both threads' figures; no thread is left untriaged. The unlinked user's report
    # is filed by the flow worker after its last message was recorded: wait for the flow, then for the
    # read model to have every message and both cases (a missing case would time out here).
    wait_for(lambda: flow_done(server))
    officer = opened(stack, server, Role.OFFICER, "officer-1", "UBND_HOAN_KIEM")
    figures = wait_for(lambda: [row for row in officer.get("/api/v1/conversations/figures").json()
                                if (row["received"], row["cases"]) == (13, 2)])  # fmt: skip
    assert figures == [
        {"channel": "zalo", "conversations": 2, "received": 13, "sent": figures[0]["sent"], "cases": 2,
         "without_case": 0}
    ]  # fmt: skip
    # Step: an officer of the agency acknowledges the unlinked user's report: the thread hears of it.
    staff = opened(stack, server, Role.OFFICER, "officer-2", report_a["agency"])
    items = wait_for(lambda: [i for i in staff.get("/api/v1/worklist").json()["items"] if i["code"] != code_a])
    code_b = items[0]["code"]
    assert staff.post(f"/api/v1/reports/{items[0]['case_id']}/acknowledge", json={}).status_code == 200
    wait_for(lambda: flow_done(server))
    return code_a, code_b


def deliver_replies(server: LiveServer, api_url: str, api: ChatApi, code_a: str, code_b: str) -> None:
    """The replies and the status update, each sent once; what the two users read."""
    view = open_view_database(Settings(database_url=server.database_url, env="test", secret_key=SECRET))
    try:
        replies = f"SELECT notification_id FROM {OUTBOX} WHERE channel = 'zalo_oa'"
        status = f"SELECT 1 FROM {OUTBOX} WHERE kind = 'conversation_status'"
        rows = wait_for(lambda: view.query(replies) if view.query(status) else [])
        api.expire()  # a day went by: the dispatcher's access token is refused, renewed once, and used
        dispatch(server, api_url, api, len(rows))
        assert view.query("SELECT access_token FROM zalo_oa_tokens") == [{"access_token": "oa-access-1"}]
        states = {row["state"] for row in view.query(f"SELECT state FROM {OUTBOX} WHERE channel = 'zalo_oa'")}
    finally:
        view.close()
    assert states == {"sent"}
    assert set(api.delivered) == {row["notification_id"] for row in rows}
    assert set(api.deliveries.values()) == {1}
    assert api.renewals == 1
    linked_texts = " ".join(api.texts("zalo-user-linked"))
    assert code_a in linked_texts
    assert "Đã liên kết" in linked_texts
    assert "Xin chào!" in linked_texts  # the sticker's answer
    unlinked_texts = " ".join(api.texts("zalo-user-unlinked"))
    assert code_a not in unlinked_texts  # never anyone else's case
    assert f"{code_b} của bạn đã tiếp nhận" in unlinked_texts  # the status update, through the outbox
    assert "Không tải được ảnh" in unlinked_texts  # their photo was gone from the CDN: filed without it
    assert "zalo-user" not in server.log()  # no user id in the server's logs


@pytest.mark.slow
def test_a_bad_signature_a_stale_timestamp_and_a_replay_each_leave_nothing_new(
    channels: tuple[LiveServer, str, ChatApi], stack: ExitStack
) -> None:
    server, _, _ = channels
    hooks = opened(stack, server)
    event = zalo_event("zalo-user-x", "x-1", "text", text="Phản ánh rác")
    body, headers = signed_zalo(event)
    assert hooks.post("/webhooks/zalo", content=body, headers=headers).json() == {"status": "recorded"}
    head = store_head(server)
    # Step: a replay of the same delivery.
    replay = hooks.post("/webhooks/zalo", content=body, headers=headers)
    assert replay.status_code == 200
    assert replay.json() == {"status": "replayed"}
    # Step: the body changed under the signature, or signed with another secret.
    tampered = body.replace(b"Ph", b"ph")
    bad = hooks.post("/webhooks/zalo", content=tampered, headers=headers)
    assert bad.status_code == 403
    assert bad.json()["code"] == "bad_signature"
    forged = signed_zalo(zalo_event("zalo-user-x", "x-2", "text", text="x"), secret="not-the-secret")
    assert hooks.post("/webhooks/zalo", content=forged[0], headers=forged[1]).status_code == 403
    # Step: a correctly signed event from an hour ago.
    stale = signed_zalo(zalo_event("zalo-user-x", "x-3", "text", text="x", at=now_ms() - 3600_000))
    answer = hooks.post("/webhooks/zalo", content=stale[0], headers=stale[1])
    assert answer.status_code == 403
    assert answer.json()["code"] == "stale_delivery"
    # Step: the same for Messenger and the hotline.
    unsigned = signed_messenger(messenger_event("psid-1", "m-1", text="hi"), secret="wrong")
    assert hooks.post("/webhooks/messenger", content=unsigned[0], headers=unsigned[1]).status_code == 403
    old_call = signed_call("call-old", "0912345678", "rec/1", at=int(time.time()) - 3600)
    assert hooks.post("/webhooks/hotline", content=old_call[0], headers=old_call[1]).status_code == 403
    # Step: malformed bodies are problems, never a 500.
    garbage = hooks.post("/webhooks/zalo", content=b"{not json", headers=headers)
    assert garbage.status_code == 400
    assert garbage.headers["content-type"] == "application/problem+json"
    assert store_head(server) == head


@pytest.mark.slow
def test_messenger_handshake_and_a_hotline_call_turned_into_a_case(
    channels: tuple[LiveServer, str, ChatApi], stack: ExitStack
) -> None:
    server, api_url, api = channels
    hooks = opened(stack, server)
    # Step: Meta's subscription handshake.
    ok = hooks.get("/webhooks/messenger", params={"hub.mode": "subscribe", "hub.verify_token": MESSENGER_VERIFY,
                                                  "hub.challenge": "1158201444"})  # fmt: skip
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    wrong = hooks.get("/webhooks/messenger", params={"hub.mode": "subscribe", "hub.verify_token": "x",
                                                     "hub.challenge": "1"})  # fmt: skip
    assert wrong.status_code == 403
    # Step: a Messenger message is recorded once.
    body, headers = signed_messenger(messenger_event("psid-7", "m-7", text="xin chào"))
    assert hooks.post("/webhooks/messenger", content=body, headers=headers).json() == {"recorded": 1, "replayed": 0}
    assert hooks.post("/webhooks/messenger", content=body, headers=headers).json() == {"recorded": 0, "replayed": 1}
    # Step: the call centre reports a call; a retry is a no-op.
    call = signed_call("call-42", "+84 912 345 678", "recordings/2026/12/call-42.ogg")
    first = hooks.post("/webhooks/hotline", content=call[0], headers=call[1]).json()
    assert first["status"] == "recorded"
    # Not the caller's number in any of its forms (a fragment like "912" may occur in a random id).
    assert not any(form in str(first) for form in ("912 345 678", "912345678"))
    assert hooks.post("/webhooks/hotline", content=call[0], headers=call[1]).json()["status"] == "replayed"
    # Step: the call waits in the triage list; the operator files the report and reads its code to the caller.
    officer = opened(stack, server, Role.OFFICER, "operator-1", "UBND_HOAN_KIEM")
    waiting = wait_for(lambda: [t for t in officer.get("/api/v1/conversations").json() if t["channel"] == "hotline"])
    assert waiting[0]["conversation"] == first["conversation"]
    assert not any(form in str(waiting) for form in ("912 345 678", "912345678"))
    # Its times are RFC 3339 like every time the API answers: when the call came.
    heard = [datetime.fromisoformat(waiting[0][key]) for key in ("opened_at", "last_message_at")]
    assert all(abs(moment - datetime.now(UTC)) < timedelta(minutes=5) for moment in heard), waiting[0]
    report = {"category": "pothole", "description": "Người gọi báo ổ gà ở Hàng Bài",
              "location": {"ward": "HOAN_KIEM"}, "contact": {"phone": "0912345678"}}  # fmt: skip
    filed = officer.post(f"/api/v1/conversations/{first['conversation']}/report", json=report)
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    # Step: the case and the call are linked both ways; the call leaves the triage list.
    wait_for(lambda: not [t for t in officer.get("/api/v1/conversations").json() if t["channel"] == "hotline"])
    figures = {row["channel"]: row for row in officer.get("/api/v1/conversations/figures").json()}
    assert figures["hotline"]["cases"] == 1
    case = officer.get(f"/api/v1/reports/{code}").json()
    assert case["channel"] == "hotline"
    [of_case] = officer.get("/api/v1/conversations", params={"case": filed.json()["id"]}).json()
    assert of_case["conversation"] == first["conversation"]
    assert of_case["case_code"] == code
    # Step: a citizen may not read the triage list; a partner may not file for a call.
    assert opened(stack, server, Role.CITIZEN, CITIZEN).get("/api/v1/conversations").status_code == 403
    partner = opened(stack, server, Role.PARTNER, "partner-1")
    assert partner.post(f"/api/v1/conversations/{first['conversation']}/report", json=report).status_code == 403
    # Step: the Messenger user's reply goes out through the Send API; the caller's thread has none.
    dispatch(server, api_url, api, 1)
    assert [text.startswith("Xin chào") for text in api.texts("psid-7")] == [True]
    assert len(api.delivered) == 1


@pytest.mark.slow
def test_the_webhook_answers_before_the_flow_runs_and_the_worker_files_the_report_once(
    channels: tuple[LiveServer, str, ChatApi], stack: ExitStack
) -> None:
    server, _, _ = channels
    hooks = opened(stack, server)
    officer = opened(stack, server, Role.OFFICER, "officer-1", "UBND_HOAN_KIEM")
    pothole = category_number(hooks, "pothole")
    # Step: with no worker running, a whole guided flow is answered "recorded" at once, message by message.
    file_by_zalo(hooks, "zalo-user-early", "e", pothole, "")
    threads = wait_for(lambda: [t for t in officer.get("/api/v1/conversations").json() if t["channel"] == "zalo"])
    assert len(threads) == 1
    assert wait_for(lambda: not flow_done(server) and "pending")  # five messages wait for the flow
    time.sleep(1)  # the projections caught up meanwhile: still no report, no reply
    figures = officer.get("/api/v1/conversations/figures").json()
    assert [(row["received"], row["sent"], row["cases"]) for row in figures] == [(5, 0, 0)]
    assert store_reports(server) == 0
    # Step: the worker starts: the report is filed, once, and the five replies queued.
    with flow_worker(server):
        wait_for(lambda: flow_done(server))
    figures = wait_for(lambda: [row for row in officer.get("/api/v1/conversations/figures").json() if row["cases"]])
    assert [(row["received"], row["sent"], row["cases"]) for row in figures] == [(5, 5, 1)]
    assert store_reports(server) == 1
