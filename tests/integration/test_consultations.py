"""Public consultations (issue #18) on every store: one comment stream per
respondent, revised until closing; the audience decides who comments; closed
only after the announced end; the synthesis answers every comment or is
refused; the consultation's own stream holds nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.consultations import (
    AnswerComment,
    CloseConsultation,
    GiveComment,
    OpenConsultation,
    PublishSynthesis,
)
from ihanoi_core.domain.business_values import Audience, Outcome
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, RuleViolationError
from ihanoi_core.handlers.consultations import comments_of
from tests.conftest import FakeClock

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICER = Principal("officer-stc", Role.OFFICER, "STC")
LEADER = Principal("leader-stc", Role.LEADER, "STC")
BUSINESS = Principal("vneid:001088000111", Role.BUSINESS, "0100109106")
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
NEIGHBOUR = Principal("vneid:001099054321", Role.CITIZEN)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=HANOI))


def open_one(app: Ihanoi, clock: FakeClock, audience: Audience = Audience.EVERYONE) -> str:
    draft = OpenConsultation(title="Dự thảo quy định phí", summary="Lấy ý kiến", document_url="https://hanoi.gov.vn/d.pdf",
                             document_sha256="a" * 64, audience=audience, opens_at=clock.now + timedelta(hours=1),
                             closes_at=clock.now + timedelta(days=7))  # fmt: skip
    return str(app.handle(OFFICER, draft).case_id)


def test_comments_are_one_per_respondent_revised_until_closing_and_all_answered(app: Ihanoi, clock: FakeClock) -> None:
    case = open_one(app, clock)
    with pytest.raises(RuleViolationError):  # not open yet
        app.handle(CITIZEN, GiveComment(case=case, text="sớm"))
    clock.advance(hours=2)
    app.handle(CITIZEN, GiveComment(case=case, text="Ý kiến thứ nhất"))
    app.handle(BUSINESS, GiveComment(case=case, text="Ý kiến doanh nghiệp", section="Điều 2"))
    app.handle(CITIZEN, GiveComment(case=case, text="Ý kiến thứ nhất, sửa lại"))
    with pytest.raises(ForbiddenError):  # staff do not comment on their own draft
        app.handle(OFFICER, GiveComment(case=case, text="?"))
    assert [(c["number"], c["text"], c["revisions"]) for c in comments_of(app, OFFICER, case)] == [
        (1, "Ý kiến thứ nhất, sửa lại", 1), (2, "Ý kiến doanh nghiệp", 0)]  # fmt: skip
    assert [c["number"] for c in comments_of(app, BUSINESS, case)] == [2]
    assert comments_of(app, NEIGHBOUR, case) == []
    assert app.get_case(NEIGHBOUR, case)["comments"] == 2  # everyone reads it: a count, not who
    with pytest.raises(RuleViolationError):  # not before the announced end
        app.handle(OFFICER, CloseConsultation(case=case))
    clock.advance(days=7)
    with pytest.raises(RuleViolationError):
        app.handle(NEIGHBOUR, GiveComment(case=case, text="muộn"))
    app.handle(OFFICER, CloseConsultation(case=case))
    answer = AnswerComment(case=case, number=1, summary="Đề nghị sửa", outcome=Outcome.EXPLAINED, reply="Giữ nguyên")
    app.handle(OFFICER, answer)
    with pytest.raises(RuleViolationError, match="not yet: 2"):
        app.handle(LEADER, PublishSynthesis(case=case, summary="Báo cáo"))
    with pytest.raises(RuleViolationError):
        app.handle(OFFICER, AnswerComment(case=case, number=3, summary="?", outcome=Outcome.ACCEPTED, reply="?"))
    app.handle(
        OFFICER, AnswerComment(case=case, number=2, summary="Giảm phí", outcome=Outcome.ACCEPTED, reply="Tiếp thu")
    )
    app.handle(
        OFFICER, AnswerComment(case=case, number=1, summary="Đề nghị sửa", outcome=Outcome.ACCEPTED, reply="Tiếp thu")
    )
    assert app.handle(LEADER, PublishSynthesis(case=case, summary="Báo cáo")).status == "synthesis_published"
    answers = app.get_case(NEIGHBOUR, case)["answers"]
    assert [(a.number, a.outcome) for a in answers] == [(1, Outcome.ACCEPTED), (2, Outcome.ACCEPTED)]
    for event in app.events.get(app.resolve_case_id(case)):
        assert CITIZEN.subject not in repr(event)
        assert BUSINESS.subject not in repr(event)


def test_the_audience_decides_who_comments(app: Ihanoi, clock: FakeClock) -> None:
    case = open_one(app, clock, Audience.BUSINESSES)
    clock.advance(hours=2)
    with pytest.raises(ForbiddenError):
        app.handle(CITIZEN, GiveComment(case=case, text="Tôi là người dân"))
    app.handle(BUSINESS, GiveComment(case=case, text="Doanh nghiệp góp ý"))
