"""Conversations from the channels (issue #20) on memory, SQLite and
PostgreSQL: the guided flow files a report through the command table, a
retried or racing delivery records nothing more, a link code works once and
only until it expires, a hotline call becomes a case the operator files, and
erasing the channel user shreds the thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.channels.flow import Inbound
from ihanoi_core.channels.payloads import Delivery
from ihanoi_core.commands.questions import AskQuestion
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.conversation import Conversation, MessageSeen, conversation_id, message_key
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError
from tests.conftest import FakeClock

CITIZEN = Principal("vneid:001099055555", Role.CITIZEN)
OPERATOR = Principal("operator-1", Role.OFFICER, "UBND_HOAN_KIEM")
DPO = Principal("dpo-01", Role.DPO)
HOAN_KIEM = (21.0285, 105.8542)


def say(app: Ihanoi, user: str, message_id: str, message: Inbound) -> None:
    """A delivery, then the flow for it (the dispatcher's part, ``process_messages``)."""
    app.process_messages(app.receive_message(Delivery("zalo", user, message_id, 0, message)).conversation)


def thread(app: Ihanoi, user: str, channel: str = "zalo") -> Conversation:
    found = app._conversation(conversation_id(channel, f"{channel}:{user}"))
    assert found is not None
    return found


def file_report(app: Ihanoi, user: str) -> Conversation:
    pothole = str(sorted(app.directory.categories).index("pothole") + 1)
    for number, message in enumerate(
        [
            Inbound("text", text="phan anh o ga"),
            Inbound("text", text=pothole),
            Inbound("location", latitude=HOAN_KIEM[0], longitude=HOAN_KIEM[1]),
            Inbound("text", text="bỏ qua"),
            Inbound("text", text="Có"),
        ]
    ):
        say(app, user, f"{user}-{number}", message)
    return thread(app, user)


def test_the_guided_flow_files_a_contact_only_report_for_an_unlinked_user(app: Ihanoi) -> None:
    conversation = file_report(app, "u-1")
    # Step: one report, linked from the thread; nobody owns it.
    assert conversation.step == "idle"
    assert [kind for _, _, kind in conversation.cases] == ["report"]
    _, code, _ = conversation.cases[0]
    report = app.get_case(OPERATOR, code)
    assert report["channel"] == "zalo"
    assert report["category"] == "pothole"
    assert report["location"].ward == "HOAN_KIEM"
    assert report.get("owner") is None
    assert any(code in text for text in conversation.replies.values())


def test_a_delivery_only_records_and_the_flow_runs_each_message_once(app: Ihanoi) -> None:
    pothole = str(sorted(app.directory.categories).index("pothole") + 1)
    steps = ["phan anh o ga", pothole, None, "bỏ qua", "có"]
    for number, text in enumerate(steps):
        message = (
            Inbound("text", text=text) if text else Inbound("location", latitude=HOAN_KIEM[0], longitude=HOAN_KIEM[1])
        )
        app.receive_message(Delivery("zalo", "u-12", f"u-12-{number}", 0, message))
    # Step: recorded, nothing decided yet: no reply, no report.
    waiting = thread(app, "u-12")
    assert (waiting.received, len(waiting.pending), waiting.replies, waiting.cases) == (5, 5, {}, ())
    # Step: the flow runs for the five messages in order and files one report.
    stream = waiting.id
    [code] = app.process_messages(stream)
    done = thread(app, "u-12")
    assert (done.pending, [case[1] for case in done.cases]) == ({}, [code])
    # Step: running it again (a worker that died before marking its row) does nothing.
    head = app.recorder.max_notification_id()
    assert app.process_messages(stream) == []
    assert app.recorder.max_notification_id() == head


def test_a_retried_delivery_records_nothing(app: Ihanoi) -> None:
    say(app, "u-2", "m-1", Inbound("text", text="phản ánh"))
    version = thread(app, "u-2").version
    head = app.recorder.max_notification_id()
    # Step: the channel delivers the same message again.
    outcome = app.receive_message(Delivery("zalo", "u-2", "m-1", 0, Inbound("text", text="phản ánh")))
    assert outcome.replayed
    assert thread(app, "u-2").version == version
    assert app.recorder.max_notification_id() == head


@pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
def test_racing_retries_of_one_message_record_it_once(app: Ihanoi) -> None:
    say(app, "u-3", "m-0", Inbound("sticker", attachment="https://zalo.example/s.png"))
    barrier = threading.Barrier(4)
    outcomes = []

    def deliver() -> None:
        barrier.wait()
        outcomes.append(app.receive_message(Delivery("zalo", "u-3", "m-1", 0, Inbound("text", text="xin chào"))))

    workers = [threading.Thread(target=deliver) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    # Step: four racing copies: one recorded, three replays; one message on the thread.
    assert sorted(outcome.replayed for outcome in outcomes) == [False, True, True, True]
    assert thread(app, "u-3").received == 2
    assert app._stored(message_key("zalo", "m-1"), MessageSeen) is not None


def test_a_link_code_links_once_and_only_before_it_expires(app: Ihanoi, clock: FakeClock) -> None:
    code, _ = app.issue_link_code(CITIZEN)
    say(app, "u-4", "m-4", Inbound("text", text=f"Liên kết {code}"))
    assert thread(app, "u-4").subject == CITIZEN.subject
    # Step: the same code from another user does nothing.
    say(app, "u-5", "m-5", Inbound("text", text=f"link {code}"))
    assert thread(app, "u-5").subject is None
    # Step: a code past its ten minutes does nothing either.
    late, _ = app.issue_link_code(CITIZEN)
    clock.advance(minutes=11)
    say(app, "u-6", "m-6", Inbound("text", text=f"link {late}"))
    assert thread(app, "u-6").subject is None
    # Step: only citizens get codes.
    with pytest.raises(ForbiddenError):
        app.issue_link_code(OPERATOR)


def test_a_linked_users_report_is_the_citizens_own(app: Ihanoi) -> None:
    code, _ = app.issue_link_code(CITIZEN)
    say(app, "u-7", "link", Inbound("text", text=f"liên kết {code}"))
    conversation = file_report(app, "u-7")
    report = app.get_case(CITIZEN, conversation.cases[0][0])
    assert report["code"] == conversation.cases[0][1]


def test_a_linked_users_question_is_their_own_question_case(app: Ihanoi) -> None:
    code, _ = app.issue_link_code(CITIZEN)
    say(app, "u-10", "u-10-link", Inbound("text", text=f"liên kết {code}"))
    say(app, "u-10", "u-10-ask", Inbound("text", text="Làm giấy phép xây dựng cần giấy tờ gì?"))
    conversation = thread(app, "u-10")
    [(case_id, question_code, kind)] = conversation.cases
    assert kind == "question"
    question = app.get_case(CITIZEN, case_id)
    assert question["channel"] == "zalo"
    # Step: no switchboard index here: handed off, and the thread is told so with the code.
    assert any(question_code in text for text in conversation.replies.values())
    # Step: an unlinked user's question is looked up only: no case.
    say(app, "u-11", "u-11-ask", Inbound("text", text="Làm giấy phép xây dựng cần giấy tờ gì?"))
    assert thread(app, "u-11").cases == ()


def test_a_hotline_call_becomes_the_case_the_operator_files(app: Ihanoi) -> None:
    first = app.record_call("call-9", "+84 912 345 678", "recordings/call-9.ogg")
    assert app.record_call("call-9", "0912345678", "recordings/call-9.ogg").replayed
    command = SubmitReport(category="pothole", description="Người gọi báo ổ gà", location=LocationIn(ward="HOAN_KIEM"))
    result = app.convert_conversation(OPERATOR, first.conversation, command)
    again = app.convert_conversation(OPERATOR, first.conversation, command)
    call = app._conversation(first.conversation)
    assert call is not None
    assert call.channel == "hotline"
    assert call.external_user is not None
    assert "912345678" not in call.external_user  # the number is a keyed hash
    assert [code for _, code, _ in call.cases] == [result.code, again.code]
    assert app.get_case(OPERATOR, result.code)["channel"] == "hotline"
    with pytest.raises(ForbiddenError):
        app.convert_conversation(CITIZEN, first.conversation, command)
    # Step: the caller also asks something: an inquiry for the switchboard, relayed by the operator.
    asked = app.convert_conversation(OPERATOR, first.conversation, AskQuestion(text="Khi nào sửa xong đường?"))
    question = app.get_case(Principal("inspector-1", Role.AUDITOR), asked.code)  # handed to the answering agency
    assert question["channel"] == "hotline"
    call = app._conversation(first.conversation)
    assert call is not None
    assert [kind for _, _, kind in call.cases] == ["report", "report", "question"]


def test_erasing_a_citizen_erases_the_threads_they_linked(app: Ihanoi) -> None:
    code, _ = app.issue_link_code(CITIZEN)
    say(app, "u-12", "u-12-link", Inbound("text", text=f"liên kết {code}"))
    say(app, "u-12", "u-12-start", Inbound("text", text="phản ánh nhà số 5 phố Huế xả rác"))
    stream = conversation_id("zalo", "zalo:u-12")
    app.erase_subject(DPO, CITIZEN.subject, reason="Yêu cầu của chủ thể", legal_basis="Luật 91/2025/QH15")
    # Step: the thread reads erased, and what the user wrote no longer opens (its key is gone too).
    assert app._get(stream).external_user == "[erased]"
    texts = [
        getattr(event, "text", "") for event in app.events.get(stream) if type(event).__name__ == "MessageReceived"
    ]
    assert texts == [None, None]


def test_a_hotline_caller_is_erased_by_their_number(app: Ihanoi) -> None:
    call = app.record_call("call-77", "+84 912 777 888", "recordings/call-77.ogg")
    app.erase_subject(DPO, "tel:0912777888", reason="Yêu cầu qua tổng đài", legal_basis="Luật 91/2025/QH15")
    erased = app._conversation(call.conversation)
    assert erased is not None
    assert erased.external_user == "[erased]"


def test_erasing_the_channel_user_shreds_the_thread(app: Ihanoi, clock: FakeClock) -> None:
    say(app, "u-8", "m-8", Inbound("location", latitude=HOAN_KIEM[0], longitude=HOAN_KIEM[1]))
    stream = conversation_id("zalo", "zalo:u-8")
    reply = next(iter(thread(app, "u-8").replies))
    assert app.conversation_reply(stream, reply) is not None
    app.erase_subject(DPO, "zalo:u-8", reason="Yêu cầu của chủ thể", legal_basis="Luật 91/2025/QH15")
    erased = thread(app, "u-8")
    assert erased.external_user == "[erased]"
    assert erased.received == 1  # the thread's shape stays; what the user sent is gone
    assert app.conversation_reply(stream, reply) is None  # queued replies find no address: cancelled
    # Step: read again from the stored events alone (another process): the same.
    assert app._get(stream).external_user == "[erased]"
    assert [type(event).__name__ for event in app.events.get(stream)][-1] == "PersonalDataErased"
    # The replies' text was sealed under the same key: it reads erased too (a reply may echo the user).
    replies = [event.text for event in app.events.get(stream) if type(event).__name__ == "ReplyQueued"]  # type: ignore[attr-defined]
    assert replies
    assert set(replies) == {"[erased]"}
    assert erased.replies == {}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
