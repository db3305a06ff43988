"""Live case streams (Server-Sent Events) against the real server on SQLite and
PostgreSQL: who receives which change, in which order, and what a reconnect
with ``Last-Event-ID`` delivers. The SSE lines are parsed here, by hand.

The tests share one server per store (``module_server``) and follow data of
their own. No live stream can be handed a change an earlier test wrote (the
tail could still be reading it): the first test reads every change it writes
off its own streams, the replay test writes in Ba Đình, which no later test
follows, and its replay from position 0 is by a citizen with no earlier case.
The shutdown test has a server of its own."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_projections.engine import live_tail
from ihanoi_projections.engine.live_tail import CaseChange
from ihanoi_server.live import LiveFeed
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import LiveServer, stop_server

HOAN_KIEM = "UBND_HOAN_KIEM"
BA_DINH = "UBND_BA_DINH"
CITIZEN = "vneid:001099012345"
OTHER_CITIZEN = "vneid:001099099999"
REPLAYING_CITIZEN = "vneid:001099033333"
EVENT_FIELDS = {"position", "case_id", "code", "kind", "event", "status", "agency", "due_at", "public_note", "at"}
DENOUNCER = {"name": "Trần Thị Bình", "national_id": "001188076543", "phone": "0987654321",
             "address": "Số 7 phố Lò Sũ"}  # fmt: skip


@dataclass
class Event:
    id: str | None
    event: str
    data: dict[str, Any]
    raw: str


class Stream:
    """An open SSE connection: ``next()`` is the next event, skipping comments
    and field-only blocks (``retry:``); a read timeout fails the test."""

    def __init__(self, client: httpx.Client, path: str, last_event_id: int | None = None) -> None:
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        self._context = client.stream("GET", path, headers=headers)
        self.response = self._context.__enter__()
        assert self.response.status_code == 200, self.response.read()
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self._lines = self.response.iter_lines()

    def next(self) -> Event:
        fields: dict[str, str] = {}
        raw: list[str] = []
        for line in self._lines:
            if line == "":
                if "data" in fields:
                    data = json.loads(fields["data"])
                    return Event(fields.get("id"), fields.get("event", "message"), data, "\n".join(raw))
                fields.clear()
                raw.clear()
                continue
            if line.startswith(":"):
                continue
            raw.append(line)
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = fields[name] + "\n" + value if name == "data" and "data" in fields else value
        raise AssertionError("the stream ended")

    def take(self, count: int) -> list[Event]:
        return [self.next() for _ in range(count)]

    def close(self) -> None:
        self._context.__exit__(None, None, None)

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


@pytest.fixture
def clients(module_server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    made = {
        "citizen": module_server.client(Role.CITIZEN, CITIZEN),
        "other_citizen": module_server.client(Role.CITIZEN, OTHER_CITIZEN),
        "officer": module_server.client(Role.OFFICER, "officer-hk-01", HOAN_KIEM),
        "leader": module_server.client(Role.LEADER, "leader-hk-01", HOAN_KIEM),
        "other_officer": module_server.client(Role.OFFICER, "officer-bd-01", BA_DINH),
        # A citizen with no case before the test that replays "everything of theirs".
        "replaying_citizen": module_server.client(Role.CITIZEN, REPLAYING_CITIZEN),
    }
    yield made
    for client in made.values():
        client.close()


def file_report(client: httpx.Client, ward: str = "HOAN_KIEM") -> dict[str, Any]:
    response = client.post(
        "/api/v1/reports",
        json={"category": "pothole", "description": "Ổ gà trước số 12", "location": {"ward": ward}},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def act(client: httpx.Client, case_id: str, command: str, body: dict[str, Any] | None = None) -> int:
    response = client.post(f"/api/v1/reports/{case_id}/{command}", json=body or {})
    assert response.status_code == 200, response.text
    position: int = response.json()["position"]
    return position


def test_a_citizen_follows_their_case_live_and_a_reconnect_delivers_exactly_what_was_missed(
    clients: dict[str, httpx.Client],
) -> None:
    citizen, officer = clients["citizen"], clients["officer"]
    # Step: the citizen, another citizen and both agencies' officers start following.
    mine = Stream(citizen, "/api/v1/me/stream")
    others = Stream(clients["other_citizen"], "/api/v1/me/stream")
    worklist = Stream(officer, "/api/v1/worklist/stream")
    elsewhere = Stream(clients["other_officer"], "/api/v1/worklist/stream")
    with mine, others, worklist, elsewhere:
        # Step: the citizen files a report; the ward officer acknowledges and assigns it.
        case = file_report(citizen)
        acknowledged = act(officer, case["id"], "acknowledge")
        assigned = act(officer, case["id"], "assign", {"assignee": "officer-hk-01"})

        # Step: the citizen receives each change, in order, with nothing personal in it.
        submitted, ack, assign = mine.take(3)
        assert [e.data["event"] for e in (submitted, ack, assign)] == ["Submitted", "Acknowledged", "Assigned"]
        assert [e.data["status"] for e in (submitted, ack, assign)] == ["submitted", "acknowledged", "assigned"]
        assert (ack.id, assign.id) == (str(acknowledged), str(assigned))
        assert int(submitted.id or 0) < acknowledged
        for event in (submitted, ack, assign):
            assert event.event == "case"
            assert set(event.data) == EVENT_FIELDS
            assert event.data["position"] == int(event.id or 0)
            assert (event.data["case_id"], event.data["code"]) == (case["id"], case["code"])
            assert (event.data["kind"], event.data["agency"]) == ("report", HOAN_KIEM)
            assert CITIZEN not in event.raw
        last_seen = int(assign.id or 0)
        mine.close()

        # Step: while the citizen is away, work starts and a public note is added.
        started = act(officer, case["id"], "start")
        commented = act(officer, case["id"], "comment", {"note": "Đội duy tu đã có mặt"})

        # Step: reconnecting with Last-Event-ID delivers exactly the two missed
        # changes, then the live ones, with no repeat in between.
        with Stream(citizen, "/api/v1/me/stream", last_event_id=last_seen) as resumed:
            missed = resumed.take(2)
            assert [(e.id, e.data["event"]) for e in missed] == [
                (str(started), "Started"),
                (str(commented), "Commented"),
            ]
            assert missed[1].data["public_note"] == "Đội duy tu đã có mặt"
            resolved = act(officer, case["id"], "resolve", {"answer": "Đã vá ổ gà"})
            live = resumed.next()
            assert (live.id, live.data["event"], live.data["status"]) == (str(resolved), "Resolved", "resolved")

        # Step: the handling agency's worklist stream saw every change of the case, in order.
        names = [e.data["event"] for e in worklist.take(6)]
        assert names == ["Submitted", "Acknowledged", "Assigned", "Started", "Commented", "Resolved"]

        # Step: the other citizen and the other agency saw none of it: the first
        # event each receives is their own new report, filed after everything above.
        theirs = file_report(clients["other_citizen"], ward="BA_DINH")
        first_of_other_citizen = others.next()
        assert (first_of_other_citizen.data["case_id"], first_of_other_citizen.data["event"]) == (
            theirs["id"],
            "Submitted",
        )
        first_of_other_agency = elsewhere.next()
        assert (first_of_other_agency.data["case_id"], first_of_other_agency.data["agency"]) == (theirs["id"], BA_DINH)


def test_a_resume_through_the_query_string_replays_the_whole_history_after_that_position(
    clients: dict[str, httpx.Client],
) -> None:
    # In Ba Đình: no later test of this module follows that worklist, so nothing
    # of this case can reach their live streams on the shared server.
    citizen, officer = clients["replaying_citizen"], clients["other_officer"]
    # Step: a report goes through three changes with nobody following.
    case = file_report(citizen, ward="BA_DINH")
    act(officer, case["id"], "acknowledge")
    rejected = act(officer, case["id"], "reject", {"reason": "Trùng với phản ánh đã xử lý"})

    # Step: `?last_event_id=0` replays everything of the citizen's, once, in log order.
    with Stream(citizen, "/api/v1/me/stream?last_event_id=0") as replay:
        events = replay.take(3)
        assert [e.data["event"] for e in events] == ["Submitted", "Acknowledged", "Rejected"]
        assert events[-1].id == str(rejected)
        positions = [int(e.id or 0) for e in events]
        assert positions == sorted(set(positions))

    # Step: the Last-Event-ID header wins over the query string (EventSource
    # keeps the URL it was opened with but sends the newest id it has seen).
    with Stream(citizen, "/api/v1/me/stream?last_event_id=0", last_event_id=positions[1]) as resumed:
        assert resumed.next().id == str(rejected)


def test_a_denunciation_on_the_worklist_stream_never_names_the_denouncer(
    clients: dict[str, httpx.Client],
) -> None:
    with Stream(clients["leader"], "/api/v1/worklist/stream") as worklist:
        # Step: a citizen files a denunciation with the ward; its leader accepts it.
        filed = clients["citizen"].post(
            "/api/v1/complaints",
            json={
                "kind": "denunciation",
                "subject": "Cán bộ địa chính nhận tiền",
                "content": "Ông X nhận 20 triệu đồng để xác nhận hồ sơ.",
                "respondent_agency": HOAN_KIEM,
                "ward": "HOAN_KIEM",
                "complainant": DENOUNCER,
            },
        )
        assert filed.status_code == 201, filed.text
        accepted = clients["leader"].post(f"/api/v1/complaints/{filed.json()['id']}/accept", json={})
        assert accepted.status_code == 200, accepted.text

        # Step: the leader's stream carries both changes and nothing that identifies the denouncer.
        events = worklist.take(2)
        assert [(e.data["kind"], e.data["event"]) for e in events] == [
            ("denunciation", "Filed"),
            ("denunciation", "Accepted"),
        ]
        for event in events:
            assert set(event.data) == EVENT_FIELDS
            for personal in (*DENOUNCER.values(), CITIZEN, "Người tố cáo"):
                assert personal not in event.raw


def test_streams_answer_problems_before_they_start(module_server: LiveServer) -> None:
    with module_server.client() as anonymous:
        missing = anonymous.get("/api/v1/me/stream")
        assert (missing.status_code, missing.headers["content-type"]) == (401, "application/problem+json")
    with module_server.client(Role.OFFICER, "officer-hk-01", HOAN_KIEM) as officer:
        assert officer.get("/api/v1/me/stream").json()["code"] == "forbidden"
    with module_server.client(Role.CITIZEN, CITIZEN) as citizen:
        assert citizen.get("/api/v1/worklist/stream").status_code == 403
        bad = citizen.get("/api/v1/me/stream", headers={"Last-Event-ID": "yesterday"})
        assert (bad.status_code, bad.json()["code"]) == (400, "bad_last_event_id")


def test_open_streams_end_when_the_server_stops(live_server: LiveServer) -> None:
    with live_server.client(Role.CITIZEN, CITIZEN) as citizen:
        stream = Stream(citizen, "/api/v1/me/stream")
        # Step: the server is stopped while a client follows; the stream ends
        # (the read returns) instead of holding the shutdown.
        stop_server(live_server)
        # uvicorn re-raises the SIGTERM it handled; SIGKILL would mean it hung.
        assert live_server.process.returncode in (0, -signal.SIGTERM), live_server.log()
        farewell = stream.next()
        assert (farewell.event, farewell.data["reason"]) == ("reconnect", "server_stopping")
        with pytest.raises(AssertionError, match="the stream ended"):
            stream.next()
        stream.close()
    assert "ASGI callable returned without completing response" not in live_server.log()


# -- the fan-out in process: a slow subscriber ---------------------------------------------


def test_a_subscriber_that_falls_too_far_behind_is_ended_and_told_to_reconnect() -> None:
    app = Ihanoi()
    citizen = Principal(CITIZEN, Role.CITIZEN)
    feed = LiveFeed(app, app.settings, queue_size=2)

    async def scenario() -> tuple[bool, object]:
        subscription = feed.subscribe(lambda change: True)
        # Step: three changes arrive for a buffer of two that nobody reads.
        for _ in range(3):
            app.handle(
                citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM"))
            )
            feed.tail.follow()
        await asyncio.sleep(0)
        return subscription.overflowed, await subscription.get()

    overflowed, received = asyncio.run(scenario())
    # Step: the subscription ended without delivering a partial, gapped sequence.
    assert (overflowed, received) == (True, None)
    app.close()


def test_a_subscriber_whose_filter_fails_is_ended_with_the_error_logged_and_the_others_still_receive() -> None:
    app = Ihanoi()
    citizen = Principal(CITIZEN, Role.CITIZEN)
    feed = LiveFeed(app, app.settings)

    def broken(change: CaseChange) -> bool:
        raise KeyError(change.code)

    async def scenario() -> tuple[bool, CaseChange | None, object]:
        failing, healthy = feed.subscribe(broken), feed.subscribe(lambda change: True)
        # Step: a case is filed and the tail reads it while one filter raises.
        app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM")))
        feed.tail.follow()
        await asyncio.sleep(0)
        return failing.ended, await asyncio.wait_for(healthy.get(), 5), await failing.get()

    with capture_logs() as logs:
        ended, received, after_end = asyncio.run(scenario())
    # Step: the broken stream ended; the other one got the change; the error is logged with its traceback.
    assert (ended, after_end) == (True, None)
    assert received is not None
    assert received.event == "Submitted"
    [failure] = [entry for entry in logs if entry["event"] == "live_filter_failed"]
    assert failure["exc_info"] is True
    app.close()


def test_a_tail_nobody_listens_to_reads_the_head_once_however_many_saves_wake_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Ihanoi()
    citizen = Principal(CITIZEN, Role.CITIZEN)
    feed = LiveFeed(app, app.settings)
    heads: list[int] = []
    head_position = app.head_position

    def counted_head() -> int:
        heads.append(head_position())
        return heads[-1]

    monkeypatch.setattr(app, "head_position", counted_head)

    def report() -> int:
        filed = app.handle(
            citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM"))
        )
        assert filed.position is not None
        return filed.position

    # Step: the first wake moves the tail to the head; the saves that wake it
    # again within PARKED_MOVE_SECONDS do not make it read the head again.
    first = report()
    feed.tail.follow()
    for _ in range(5):
        latest = report()
        feed.tail.follow()
    assert (feed.tail.position, heads) == (first, [first])
    # Step: after that, the next wake moves it to the newest head.
    time.sleep(live_tail.PARKED_MOVE_SECONDS)
    feed.tail.follow()
    assert (feed.tail.position, heads) == (latest, [first, latest])
    app.close()


def test_the_tail_skips_the_log_while_nobody_listens_and_delivers_after_the_head_a_new_stream_read() -> None:
    app = Ihanoi()
    citizen = Principal(CITIZEN, Role.CITIZEN)
    feed = LiveFeed(app, app.settings)
    reads: list[int | None] = []
    select_notifications = app.recorder.select_notifications

    def counted(start: int | None, *args: Any, **kwargs: Any) -> Any:
        reads.append(start)
        return select_notifications(start, *args, **kwargs)

    app.recorder.select_notifications = counted  # type: ignore[method-assign]

    def report() -> CommandResult:
        return app.handle(
            citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM"))
        )

    async def scenario() -> tuple[int, list[tuple[int, str]], list[CommandResult]]:
        # Step: with no subscriber the tail moves to the head without reading events.
        report()
        head = report().position
        feed.tail.follow()
        assert feed.tail.position == head
        assert reads == []
        # Step: a stream subscribes, then reads the head (as open_stream does); the
        # tail delivers exactly the changes after it.
        subscription = feed.subscribe(lambda change: True)
        assert feed.head() == head
        later = [report(), report()]
        while feed.tail.follow():
            pass
        assert reads[:1] == [head]  # read on from the head, not from the start
        await asyncio.sleep(0)
        received: list[Any] = []
        while len(received) < len(later):
            change = await asyncio.wait_for(subscription.get(), 5)
            assert change is not None
            received.append((change.position, str(change.case_id)))
        return head, received, later

    head, received, later = asyncio.run(scenario())
    assert [case_id for _, case_id in received] == [str(filed.case_id) for filed in later]
    assert all(head < position <= later[-1].position for position, _ in received)
    app.close()


def test_a_stream_ends_when_the_token_that_opened_it_expires(module_server: LiveServer) -> None:
    token = module_server.token(Role.CITIZEN, "vneid:001099055555", ttl=6)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=module_server.base_url, headers=headers, timeout=10, verify=LOOPBACK_TLS) as citizen:
        filed = file_report(citizen)
        stream = Stream(citizen, "/api/v1/me/stream", last_event_id=0)
        first = stream.next()
        assert first.data["case_id"] == filed["id"]
        # Step: the token runs out while the stream is open: it says why and ends.
        farewell = stream.next()
        assert (farewell.event, farewell.data["reason"]) == ("reconnect", "token_expired")
        assert farewell.data["last_event_id"] >= int(first.id or 0) > 0
        with pytest.raises(AssertionError, match="the stream ended"):
            stream.next()
        stream.close()
        # Step: the expired token opens nothing new.
        assert citizen.get("/api/v1/me/stream").status_code == 401
