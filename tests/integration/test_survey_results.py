"""survey_results on all three stores: response counts and per-question tallies
of a survey answered by several citizens, the survey's status as it moves on,
no answer texts or respondents stored, and a rebuild equal to the incremental
result."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.surveys import (
    AnswerIn,
    AnswerSurvey,
    CloseSurvey,
    CreateSurvey,
    PublishSurvey,
    PublishSurveyResults,
    QuestionIn,
    SetSurveyQuestions,
)
from ihanoi_core.domain.questionnaire import QuestionType
from ihanoi_core.domain.values import Principal, Role
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.survey_results import OptionCount, QuestionResult, SurveyResultsModel
from tests.conftest import FakeClock
from tests.integration.conftest import projection_context

LEADER = Principal("leader-sxd", Role.LEADER, "SXD")
OFFICER = Principal("officer-sxd", Role.OFFICER, "SXD")

WARD = QuestionIn(
    "ward", "Bạn sống ở phường nào?", QuestionType.SINGLE_CHOICE, required=True,
    options=("Ba Đình", "Hoàn Kiếm", "Tây Hồ"),
)  # fmt: skip
TRANSPORT = QuestionIn(
    "transport", "Bạn đi lại bằng gì?", QuestionType.MULTIPLE_CHOICE,
    options=("Xe buýt", "Xe máy", "Đi bộ", "Ô tô"),
)  # fmt: skip
SATISFACTION = QuestionIn("satisfaction", "Mức độ hài lòng với vỉa hè?", QuestionType.RATING, required=True)
IDEAS = QuestionIn("ideas", "Góp ý của bạn", QuestionType.FREE_TEXT)
QUESTIONS = (WARD, TRANSPORT, SATISFACTION, IDEAS)


def citizen_number(n: int) -> Principal:
    return Principal(f"vneid:0010990{n:05d}", Role.CITIZEN)


def answers(ward: str, transport: tuple[str, ...], stars: int, idea: str | None = None) -> tuple[AnswerIn, ...]:
    given = [AnswerIn("ward", choices=(ward,)), AnswerIn("satisfaction", rating=stars)]
    if transport:
        given.append(AnswerIn("transport", choices=transport))
    if idea is not None:
        given.append(AnswerIn("ideas", text=idea))
    return tuple(given)


# Six citizens' answers: ward, means of transport (optional), stars, idea (optional).
ANSWERS = (
    answers("Ba Đình", ("Xe buýt", "Đi bộ"), 4, "Nhà tôi ở số 5 phố Tràng Tiền, gọi 0912345678"),
    answers("Ba Đình", ("Xe máy",), 5),
    answers("Hoàn Kiếm", ("Xe buýt", "Xe máy", "Đi bộ"), 2, "Vỉa hè bị lấn chiếm"),
    answers("Ba Đình", (), 4),
    answers("Hoàn Kiếm", ("Đi bộ",), 1, "   "),
    answers("Ba Đình", ("Xe buýt",), 4),
)


@pytest.fixture
def model(app: Ihanoi, views: ViewDatabase) -> SurveyResultsModel:
    return SurveyResultsModel(views, projection_context(app))


def open_survey(app: Ihanoi, clock: FakeClock, *, anonymous: bool = False) -> UUID:
    created = app.handle(
        LEADER, CreateSurvey(title="Khảo sát vỉa hè", description="", anonymous=anonymous, questions=QUESTIONS)
    )
    app.handle(LEADER, PublishSurvey(case=created.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=7)))
    return created.case_id


def test_results_count_responses_and_tally_each_question_in_option_order(
    app: Ihanoi, views: ViewDatabase, model: SurveyResultsModel, clock: FakeClock
) -> None:
    projector = Projector(app, views, [model], batch_size=2)

    # Step: a leader drafts a survey with one question, then an officer sets all four.
    created = app.handle(LEADER, CreateSurvey(title="Khảo sát vỉa hè", description="", questions=(IDEAS,)))
    app.handle(OFFICER, SetSurveyQuestions(case=created.case_id, questions=QUESTIONS))
    projector.catch_up()
    draft = model.results(created.case_id)
    assert draft is not None
    assert (draft.code, draft.title, draft.status, draft.agency) == (
        created.code, "Khảo sát vỉa hè", "draft", "SXD",
    )  # fmt: skip
    assert [q.question_id for q in draft.questions] == ["ward", "transport", "satisfaction", "ideas"]
    assert draft.responses == 0
    assert draft.questions[0].options == (
        OptionCount("Ba Đình", 0), OptionCount("Hoàn Kiếm", 0), OptionCount("Tây Hồ", 0),
    )  # fmt: skip
    assert (draft.questions[2].distribution, draft.questions[2].average) == ((0, 0, 0, 0, 0), None)

    # Step: it is published and six citizens answer, the projector catching up halfway.
    app.handle(LEADER, PublishSurvey(case=created.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=7)))
    for n, given in enumerate(ANSWERS):
        app.handle(citizen_number(n), AnswerSurvey(case=created.case_id, answers=given))
        if n == 2:
            projector.catch_up()
    projector.catch_up()

    # Step: the tallies: every option in order (Tây Hồ with 0), ratings 1 to 5 with
    # their mean, free text counted only when given.
    results = model.results(created.case_id)
    assert results is not None
    assert (results.status, results.responses) == ("published", 6)
    ward, transport, satisfaction, ideas = results.questions
    assert ward == QuestionResult(
        "ward", WARD.text, QuestionType.SINGLE_CHOICE, answers=6,
        options=(OptionCount("Ba Đình", 4), OptionCount("Hoàn Kiếm", 2), OptionCount("Tây Hồ", 0)),
    )  # fmt: skip
    assert transport == QuestionResult(
        "transport", TRANSPORT.text, QuestionType.MULTIPLE_CHOICE, answers=5,
        options=(
            OptionCount("Xe buýt", 3), OptionCount("Xe máy", 2), OptionCount("Đi bộ", 3), OptionCount("Ô tô", 0),
        ),
    )  # fmt: skip
    assert (satisfaction.type, satisfaction.answers, satisfaction.distribution) == (
        QuestionType.RATING, 6, (1, 1, 0, 3, 1),
    )  # fmt: skip
    assert satisfaction.average == pytest.approx((4 + 5 + 2 + 4 + 1 + 4) / 6)
    assert satisfaction.options == ()
    # The blank idea of the fifth citizen is dropped when answering.
    assert (ideas.type, ideas.answers, ideas.options, ideas.distribution, ideas.average) == (
        QuestionType.FREE_TEXT, 2, (), (), None,
    )  # fmt: skip

    # Step: closing and publishing the summary move the status; the tallies stay.
    app.handle(LEADER, CloseSurvey(case=created.case_id))
    published = app.handle(LEADER, PublishSurveyResults(case=created.case_id, summary="Đa số hài lòng"))
    projector.catch_up()
    final = model.results(created.case_id)
    assert final is not None
    assert (final.status, final.responses, final.questions) == ("results_published", 6, results.questions)
    assert final.position == published.position
    assert model.results(uuid4()) is None


def test_results_store_neither_answer_texts_nor_who_answered(
    app: Ihanoi, views: ViewDatabase, model: SurveyResultsModel, clock: FakeClock
) -> None:
    projector = Projector(app, views, [model], batch_size=4)
    survey_id = open_survey(app, clock)
    for n, given in enumerate(ANSWERS):
        app.handle(citizen_number(n), AnswerSurvey(case=survey_id, answers=given))
    projector.catch_up()

    rows = model.rows()
    stored = " ".join(str(value) for row in rows for value in row.values())
    assert "Ba Đình" in stored  # the scan does read the tallies
    texts = [a.text for given in ANSWERS for a in given if a.text and a.text.strip()]
    subjects = [citizen_number(n).subject for n in range(len(ANSWERS))]
    assert texts
    assert [leak for leak in (*texts, "0912345678", *subjects) if leak in stored] == []


def test_tallies_built_in_small_batches_equal_a_rebuild_from_zero(
    app: Ihanoi, views: ViewDatabase, model: SurveyResultsModel, clock: FakeClock
) -> None:
    projector = Projector(app, views, [model], batch_size=3)

    # Step: two surveys, one anonymous by design, answered while the projector runs.
    named = open_survey(app, clock)
    anonymous = open_survey(app, clock, anonymous=True)
    projector.catch_up()
    for n, given in enumerate(ANSWERS):
        app.handle(citizen_number(n), AnswerSurvey(case=named, answers=given))
        app.handle(citizen_number(n), AnswerSurvey(case=anonymous, answers=given, respondent_token=f"invitation-{n}"))
        if n % 2:
            projector.catch_up()
    app.handle(LEADER, CloseSurvey(case=named))
    projector.catch_up()
    incremental = model.rows()
    named_results, anonymous_results = model.results(named), model.results(anonymous)
    assert named_results is not None
    assert anonymous_results is not None
    assert (named_results.status, named_results.responses, anonymous_results.responses) == ("closed", 6, 6)
    assert anonymous_results.questions == named_results.questions

    # Step: a rebuild from zero, in batches of another size, gives the same rows.
    projector.reset()
    assert model.rows() == []
    Projector(app, views, [model], batch_size=5).catch_up()
    assert model.rows() == incremental
