"""``Queries.open_surveys`` on all three stores: the surveys a citizen may
answer now — published, inside their answer window, not answered by them yet —
and nobody else's list (issue #13 item 5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.surveys import AnswerIn, AnswerSurvey, CloseSurvey, CreateSurvey, PublishSurvey, QuestionIn
from ihanoi_core.domain.questionnaire import QuestionType
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock

LEADER = Principal("leader-hk", Role.LEADER, "UBND_HOAN_KIEM")
QUESTION = QuestionIn(id="q1", text="Bạn hài lòng không?", type=QuestionType.RATING, required=True)


@pytest.fixture
def read_side(app: Ihanoi) -> Iterator[ReadSide]:
    side = ReadSide(app, start=False)
    yield side
    side.close()


def survey(app: Ihanoi, clock: FakeClock, title: str, *, opens_in: int = 0, anonymous: bool = False) -> str:
    created = app.handle(LEADER, CreateSurvey(title=title, anonymous=anonymous, questions=(QUESTION,)))
    opens = clock.now + timedelta(days=opens_in)
    app.handle(LEADER, PublishSurvey(case=created.case_id, opens_at=opens, closes_at=opens + timedelta(days=7)))
    return created.code


def listed(queries: Queries, read_side: ReadSide, who: Principal) -> list[str]:
    read_side.catch_up()
    return [found.code for found in queries.open_surveys(who)]


def test_a_citizen_lists_the_open_surveys_they_have_not_answered(
    app: Ihanoi, clock: FakeClock, read_side: ReadSide, citizen: Principal, other_citizen: Principal
) -> None:
    queries = Queries(app, read_side)
    # Step: three published surveys (one opening tomorrow), one still a draft, one closed.
    open_now, anonymous = survey(app, clock, "Chợ Hàng Da"), survey(app, clock, "Vỉa hè", anonymous=True)
    tomorrow = survey(app, clock, "Cây xanh", opens_in=1)
    app.handle(LEADER, CreateSurvey(title="Bản nháp", questions=(QUESTION,)))
    closed = survey(app, clock, "Đèn đường")
    app.handle(LEADER, CloseSurvey(case=closed))
    assert sorted(listed(queries, read_side, citizen)) == sorted([open_now, anonymous])
    # Step: once answered, a survey leaves that citizen's list (an anonymous one cannot know who answered).
    rating = AnswerIn(question_id="q1", rating=4)
    app.handle(citizen, AnswerSurvey(case=open_now, answers=(rating,)))
    app.handle(citizen, AnswerSurvey(case=anonymous, answers=(rating,), respondent_token="invitation-1"))
    assert listed(queries, read_side, citizen) == [anonymous]
    assert sorted(listed(queries, read_side, other_citizen)) == sorted([open_now, anonymous])
    # Step: a day later the third one opens.
    clock.advance(days=1)
    assert tomorrow in listed(queries, read_side, citizen)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.LEADER, Role.AUDITOR, Role.PARTNER, Role.ADMIN])
def test_roles_that_cannot_answer_a_survey_have_no_list(app: Ihanoi, read_side: ReadSide, role: Role) -> None:
    with pytest.raises(ForbiddenError):
        Queries(app, read_side).open_surveys(Principal("someone", role, "UBND_HOAN_KIEM"))
