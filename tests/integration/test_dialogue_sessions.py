"""Dialogue sessions with businesses (issue #18) on every store: questions
registered beforehand (by a business, recorded without the person) and from
the floor, each answered on the record or turned into a business inquiry with
a deadline, minutes refused while a question is open, follow-ups tracked to
closure; everyone reads the session without which business asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import AnswerInquiry
from ihanoi_core.commands.dialogues import (
    AnswerSessionQuestion,
    CloseFollowUp,
    CloseSession,
    PublishMinutes,
    RecordSessionHeld,
    ReferQuestion,
    RegisterQuestion,
    ScheduleSession,
)
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import RuleViolationError, ValidationError
from tests.conftest import FakeClock

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
LEADER = Principal("leader-ubnd", Role.LEADER, "UBND_TP")
ORGANISER = Principal("officer-ubnd", Role.OFFICER, "UBND_TP")
STC = Principal("officer-stc", Role.OFFICER, "STC")
BUSINESS = Principal("vneid:001088000111", Role.BUSINESS, "0100109106")
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=HANOI))


def test_a_session_answers_or_refers_every_question_and_closes_after_its_follow_ups(
    app: Ihanoi, clock: FakeClock
) -> None:
    scheduled = ScheduleSession(title="Đối thoại doanh nghiệp quý IV", chair="Chủ tịch UBND Thành phố",
                                participants=("STC", "SXD"), held_at=clock.now + timedelta(days=3),
                                place="Hội trường UBND Thành phố")  # fmt: skip
    session = app.handle(LEADER, scheduled).case_id
    # Beforehand: a business registers its own question; staff one for another business.
    app.handle(BUSINESS, RegisterQuestion(case=session, text="Vướng mắc hoàn thuế giá trị gia tăng"))
    app.handle(ORGANISER, RegisterQuestion(case=session, text="Cấp phép xây nhà xưởng", tax_code="0300588569"))
    with pytest.raises(ValidationError):
        app.handle(ORGANISER, RegisterQuestion(case=session, text="?", tax_code="0300588560"))
    with pytest.raises(RuleViolationError):
        app.handle(ORGANISER, RegisterQuestion(case=session, text="Tại chỗ?", from_floor=True))
    with pytest.raises(RuleViolationError):
        app.handle(ORGANISER, RecordSessionHeld(case=session))
    # The meeting: held, a question from the floor, answers on the record, one referred.
    clock.advance(days=3)
    app.handle(ORGANISER, RecordSessionHeld(case=session))
    app.handle(ORGANISER, RegisterQuestion(case=session, text="Hỗ trợ mặt bằng sản xuất?", from_floor=True))
    app.handle(ORGANISER, AnswerSessionQuestion(case=session, number=2, answer="Sở Xây dựng hướng dẫn tại hội nghị"))
    with pytest.raises(RuleViolationError, match="not yet answered"):
        app.handle(LEADER, PublishMinutes(case=session, minutes="Biên bản"))
    app.handle(ORGANISER, AnswerSessionQuestion(case=session, number=3, answer="Thành phố đang lập quỹ đất"))
    with pytest.raises(ValidationError):  # an agency not taking part
        app.handle(ORGANISER, ReferQuestion(case=session, number=1, agency="SYT", topic="tax_fees"))
    app.handle(ORGANISER, ReferQuestion(case=session, number=1, agency="STC", topic="tax_fees"))
    inquiry_code = app.get_case(ORGANISER, session)["questions"][0].inquiry
    inquiry = app.get_case(BUSINESS, inquiry_code)  # the business sees the inquiry its question became
    assert (inquiry["agency"], inquiry["owner"], inquiry["status"]) == ("STC", None, "open")
    assert inquiry["due_at"] == datetime(2026, 11, 19, 9, 0, tzinfo=HANOI)  # 10 working days from Thursday 09:00
    app.handle(LEADER, PublishMinutes(case=session, minutes="Biên bản hội nghị đối thoại"))
    # Follow-ups to closure: not before the inquiry is answered.
    with pytest.raises(RuleViolationError, match="not answered"):
        app.handle(ORGANISER, CloseFollowUp(case=session, number=1))
    with pytest.raises(RuleViolationError, match="Follow-ups"):
        app.handle(ORGANISER, CloseSession(case=session))
    basis = "Luật Quản lý thuế số 38/2019/QH14 ngày 13/06/2019 của Quốc hội, Điều 75"
    app.handle(STC, AnswerInquiry(case=inquiry_code, answer="Hồ sơ hoàn thuế đã được giải quyết", legal_basis=basis))
    app.handle(ORGANISER, CloseFollowUp(case=session, number=1))
    assert app.handle(ORGANISER, CloseSession(case=session)).status == "closed"
    # Everyone reads it; nobody but the organisers sees which business asked.
    seen = app.get_case(CITIZEN, session)
    assert [q.business for q in seen["questions"]] == [None, None, None]
    assert [q.business for q in app.get_case(STC, session)["questions"]] == ["0100109106", "0300588569", None]
    assert not any(BUSINESS.subject in repr(event) for event in app.events.get(session))
