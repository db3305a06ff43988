"""The Question and KnowledgeArticle aggregates: an answer never without a
citation, a hand-off with its due time stored in the event, staff answering
only a handed-off question, and the four-eyes rule on articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from uuid import uuid4

import pytest

from ihanoi_core.domain.knowledge_article import KnowledgeArticle
from ihanoi_core.domain.question import Question
from ihanoi_core.domain.question_values import ArticleContent, Citation, QuestionChannel, SourceKind
from ihanoi_core.domain.values import Clock, DeadlineRule, Principal, Role, TimeUnit
from ihanoi_core.errors import InvalidTransitionError, RuleViolationError

NOW = datetime(2026, 7, 15, 2, 30, tzinfo=UTC)
CITIZEN = Principal("vneid:1", Role.CITIZEN)
DESK = Principal("desk", Role.OFFICER, "TTPVHCC")
RULE = DeadlineRule(8, TimeUnit.WORKING_HOURS, "project default")
CITATION = Citation(SourceKind.PROCEDURE, "birth_registration", "Đăng ký khai sinh", "fee", "Miễn lệ phí.", 0.9)


class OneDayCalendar:
    """Due a day after the start (the working calendar is tested on its own)."""

    zone: tzinfo = UTC

    def due(self, clock: Clock) -> datetime:
        return clock.started_at + timedelta(days=1)

    def pause_time(self, paused_at: datetime, resumed_at: datetime) -> tuple[int, int]:
        return 0, 0


def asked() -> Question:
    return Question.ask(id=uuid4(), code="HD-260715-000001", actor=CITIZEN, asker=CITIZEN.subject,
                        channel=QuestionChannel.APP, text="khai sinh có mất phí không", timestamp=NOW)  # fmt: skip


def test_an_answer_without_a_citation_is_refused() -> None:
    question = asked()
    with pytest.raises(RuleViolationError):
        question.auto_answer(CITIZEN, answer="Miễn phí.", citations=(), confidence=0.9, intent="fee",
                             generated=False, timestamp=NOW)  # fmt: skip
    question.auto_answer(CITIZEN, answer="Miễn lệ phí.", citations=(CITATION,), confidence=0.91234, intent="fee",
                         generated=False, timestamp=NOW)  # fmt: skip
    assert (question.status, question.confidence, question.agency, question.due_at) == ("answered", 0.9123, None, None)
    with pytest.raises(InvalidTransitionError):
        question.answer(DESK, "x", "y", timestamp=NOW)


def test_a_hand_off_stores_its_due_time_and_staff_answer_stops_the_clock() -> None:
    question = asked()
    question.hand_off(CITIZEN, agency="TTPVHCC", reason="low_confidence", confidence=0.2, candidates=(CITATION,),
                      clock=Clock(NOW, RULE), calendar=OneDayCalendar(), timestamp=NOW)  # fmt: skip
    assert (question.status, question.agency, question.due_at) == ("handed_off", "TTPVHCC", NOW + timedelta(days=1))
    assert question.clock_key is not None
    question.answer(DESK, "Miễn lệ phí khi đăng ký đúng hạn.", "Luật Hộ tịch 2014", timestamp=NOW)
    assert question.status == "answered_by_staff"
    assert question.due_at is None
    assert question.clock is None
    question.give_feedback(CITIZEN, False, timestamp=NOW)
    assert question.helpful is False


def test_an_article_is_approved_by_someone_other_than_its_author_and_published_text_stays_until_republished() -> None:
    content = ArticleContent(title="Đổi GPLX", body="Tại công an.", legal_basis="b", source="s")
    author, leader = Principal("a", Role.LEADER, "CATP"), Principal("b", Role.LEADER, "CATP")
    article = KnowledgeArticle.draft(id=uuid4(), code="BV-1", actor=author, agency="CATP", content=content,
                                     timestamp=NOW)  # fmt: skip
    with pytest.raises(RuleViolationError):
        article.approve(author, timestamp=NOW)
    article.approve(leader, timestamp=NOW)
    article.publish(author, timestamp=NOW)
    article.revise(author, ArticleContent(title="Đổi GPLX", body="Mới.", legal_basis="b", source="s"), timestamp=NOW)
    assert (article.status, article.published) == ("revising", content)
    with pytest.raises(RuleViolationError):
        KnowledgeArticle.draft(id=uuid4(), code="BV-2", actor=author, agency="CATP", timestamp=NOW,
                               content=ArticleContent(title="x", body="y", legal_basis=" ", source="s"))  # fmt: skip
