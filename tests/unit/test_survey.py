"""The Survey and SurveyResponse aggregates on their own (no store): every
transition of DESIGN §3.4, every rule on questions and answers, one response
per respondent and anonymity by design."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4, uuid5

import pytest

from ihanoi_core.domain import VALUE_TYPES
from ihanoi_core.domain.questionnaire import (
    MAX_FREE_TEXT,
    MAX_QUESTIONS,
    Answer,
    Question,
    QuestionType,
    check_questions,
)
from ihanoi_core.domain.survey import ANONYMOUS_RESPONDENT, Survey, SurveyResponse, response_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import InvalidTransitionError, RuleViolationError, ValidationError
from ihanoi_core.eventstore.transcoder import OrjsonTranscoder

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
LEADER = Principal("leader-sxd", Role.LEADER, "SXD")
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)

DISTRICT = Question(
    "district", "Bạn sống ở đâu?", QuestionType.SINGLE_CHOICE, required=True, options=("Ba Đình", "Hoàn Kiếm")
)
SERVICES = Question(
    "services", "Dịch vụ đã dùng?", QuestionType.MULTIPLE_CHOICE, options=("Cấp nước", "Chiếu sáng", "Rác")
)
SATISFACTION = Question("satisfaction", "Mức độ hài lòng?", QuestionType.RATING, required=True)
IDEAS = Question("ideas", "Góp ý của bạn", QuestionType.FREE_TEXT)
QUESTIONS = (DISTRICT, SERVICES, SATISFACTION, IDEAS)
GOOD_ANSWERS = (Answer("district", choices=("Ba Đình",)), Answer("satisfaction", rating=4))


def draft(*, anonymous: bool = False, questions: tuple[Question, ...] = QUESTIONS) -> Survey:
    return Survey.draft(
        id=uuid4(),
        code="KS-261130-000001",
        actor=LEADER,
        agency="SXD",
        title="  Khảo sát chất lượng dịch vụ đô thị  ",
        description="Ý kiến của người dân về dịch vụ công",
        anonymous=anonymous,
        questions=questions,
        timestamp=NOW,
    )


def published(*, anonymous: bool = False) -> Survey:
    survey = draft(anonymous=anonymous)
    survey.publish(LEADER, opens_at=NOW, closes_at=NOW + timedelta(days=7), timestamp=NOW)
    return survey


def event_names(aggregate: Survey | SurveyResponse) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def errors_of(raised: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return raised.value.errors


# -- transitions ------------------------------------------------------------


def test_a_drafted_survey_belongs_to_the_agency_with_no_owner_and_no_deadline() -> None:
    survey = draft()
    assert survey.status == "draft"
    assert (survey.agency, survey.agencies, survey.owner, survey.due_at) == ("SXD", ("SXD",), None, None)
    assert survey.title == "Khảo sát chất lượng dịch vụ đô thị"
    assert survey.questions == QUESTIONS
    assert not survey.is_public
    assert event_names(survey) == ["Drafted"]


def test_a_survey_needs_a_title() -> None:
    with pytest.raises(RuleViolationError) as raised:
        Survey.draft(
            id=uuid4(),
            code="KS-1",
            actor=LEADER,
            agency="SXD",
            title="  ",
            description="",
            anonymous=False,
            questions=(),
            timestamp=NOW,
        )
    assert raised.value.rule == "title"


def test_questions_can_be_replaced_while_the_survey_is_a_draft() -> None:
    survey = draft(questions=())
    survey.set_questions(LEADER, (SATISFACTION,), timestamp=NOW)
    survey.set_questions(LEADER, (DISTRICT, SATISFACTION, IDEAS), timestamp=NOW)
    assert survey.questions == (DISTRICT, SATISFACTION, IDEAS)
    assert event_names(survey) == ["Drafted", "QuestionsSet", "QuestionsSet"]


def test_publishing_opens_the_answer_window_and_freezes_the_questions() -> None:
    survey = draft()
    closes_at = NOW + timedelta(days=7)
    survey.publish(LEADER, opens_at=NOW + timedelta(hours=1), closes_at=closes_at, timestamp=NOW)
    assert (survey.status, survey.opens_at, survey.closes_at) == ("published", NOW + timedelta(hours=1), closes_at)
    assert survey.is_public

    # The questions are frozen from publication on.
    with pytest.raises(InvalidTransitionError) as raised:
        survey.set_questions(LEADER, (IDEAS,), timestamp=NOW)
    assert raised.value.allowed_from == ("draft",)
    assert survey.questions == QUESTIONS
    with pytest.raises(InvalidTransitionError):
        survey.publish(LEADER, opens_at=NOW, closes_at=closes_at, timestamp=NOW)
    assert event_names(survey) == ["Drafted", "Published"]


def test_a_survey_without_questions_cannot_be_published() -> None:
    survey = draft(questions=())
    with pytest.raises(RuleViolationError) as raised:
        survey.publish(LEADER, opens_at=NOW, closes_at=NOW + timedelta(days=1), timestamp=NOW)
    assert raised.value.rule == "questions"
    assert survey.status == "draft"


@pytest.mark.parametrize(
    ("opens_at", "closes_at", "errors"),
    [
        (NOW, NOW, {"closes_at": "must be after opens_at"}),
        (NOW, NOW - timedelta(hours=1), {"closes_at": "must be after opens_at"}),
        (NOW - timedelta(days=9), NOW - timedelta(days=2), {"closes_at": "must be in the future"}),
        (NOW.replace(tzinfo=None), NOW + timedelta(days=1), {"opens_at": "must include a time zone"}),
        (NOW, (NOW + timedelta(days=1)).replace(tzinfo=None), {"closes_at": "must include a time zone"}),
    ],
)
def test_the_answer_window_must_be_a_future_time_zone_aware_interval(
    opens_at: datetime, closes_at: datetime, errors: dict[str, str]
) -> None:
    survey = draft()
    with pytest.raises(ValidationError) as raised:
        survey.publish(LEADER, opens_at=opens_at, closes_at=closes_at, timestamp=NOW)
    assert errors_of(raised) == errors
    assert survey.status == "draft"


def test_only_a_published_survey_can_be_closed() -> None:
    survey = draft()
    with pytest.raises(InvalidTransitionError):
        survey.close(LEADER, timestamp=NOW)
    survey = published()
    survey.close(LEADER, timestamp=NOW + timedelta(days=1))
    assert (survey.status, survey.closed_at) == ("closed", NOW + timedelta(days=1))
    with pytest.raises(InvalidTransitionError):
        survey.close(LEADER, timestamp=NOW)


def test_results_are_published_only_after_closing_and_end_the_survey() -> None:
    survey = published()
    with pytest.raises(InvalidTransitionError):
        survey.publish_results(LEADER, "Kết quả", timestamp=NOW)
    survey.close(LEADER, timestamp=NOW)
    with pytest.raises(RuleViolationError):
        survey.publish_results(LEADER, "   ", timestamp=NOW)
    survey.publish_results(LEADER, " 78% hài lòng ", timestamp=NOW + timedelta(days=8))
    assert (survey.status, survey.results_summary, survey.public_note) == (
        "results_published",
        "78% hài lòng",
        "78% hài lòng",
    )
    assert survey.is_final
    assert survey.is_public
    with pytest.raises(InvalidTransitionError):
        survey.publish_results(LEADER, "Lại", timestamp=NOW)
    assert event_names(survey) == ["Drafted", "Published", "Closed", "ResultsPublished"]


def test_replaying_the_events_rebuilds_the_same_survey() -> None:
    survey = published()
    survey.close(LEADER, timestamp=NOW + timedelta(days=1))
    rebuilt: Any = None
    for domain_event in survey.collect_events():
        rebuilt = domain_event.mutate(rebuilt)
    assert isinstance(rebuilt, Survey)
    assert vars(rebuilt) == {**vars(survey), "_pending_events": []}


# -- questions ----------------------------------------------------------------


def test_questions_are_stored_stripped_and_typed() -> None:
    given = Question("q1", "  Hài lòng?  ", "rating")  # type: ignore[arg-type]
    choice = Question("q2", "Quận?", QuestionType.SINGLE_CHOICE, options=(" Ba Đình ", "Tây Hồ"))
    (rating, single) = check_questions((given, choice))
    assert rating == Question("q1", "Hài lòng?", QuestionType.RATING)
    assert type(rating.type) is QuestionType
    assert single.options == ("Ba Đình", "Tây Hồ")


@pytest.mark.parametrize(
    ("question", "field", "problem"),
    [
        (replace(DISTRICT, options=("Ba Đình",)), "options", "needs 2 to 50 distinct options"),
        (replace(DISTRICT, options=()), "options", "needs 2 to 50 distinct options"),
        (replace(SERVICES, options=("Rác", "Rác ", "Nước")), "options", "must be distinct"),
        (replace(SERVICES, options=("Rác", " ")), "options", "must not be empty"),
        (replace(SERVICES, options=("Rác", "x" * 201)), "options", "exceeds 200 characters"),
        (replace(SATISFACTION, id="q", options=("1", "2")), "options", "a rating question takes no options"),
        (replace(IDEAS, options=("a", "b")), "options", "a free_text question takes no options"),
        (replace(IDEAS, text="   "), "text", "must not be empty"),
        (replace(IDEAS, text="x" * 1001), "text", "exceeds 1000 characters"),
        (replace(IDEAS, id=""), "id", "must be 1 to 32"),
        (replace(IDEAS, id="câu 1"), "id", "must be 1 to 32"),
        (replace(IDEAS, id="q" * 33), "id", "must be 1 to 32"),
        (replace(IDEAS, type="essay"), "type", "must be one of"),  # type: ignore[arg-type]
        (replace(IDEAS, required="yes"), "required", "must be true or false"),  # type: ignore[arg-type]
    ],
)
def test_a_malformed_question_is_refused_naming_its_field(question: Question, field: str, problem: str) -> None:
    with pytest.raises(ValidationError) as raised:
        draft(questions=(SATISFACTION, question))
    assert list(errors_of(raised)) == [f"questions[1].{field}"]
    assert problem in errors_of(raised)[f"questions[1].{field}"]


def test_question_ids_are_unique_and_their_number_bounded() -> None:
    with pytest.raises(ValidationError) as raised:
        check_questions((IDEAS, SATISFACTION, replace(SATISFACTION, text="Lần nữa?")))
    assert errors_of(raised) == {"questions[2].id": "duplicates question 'satisfaction'"}
    many = tuple(replace(IDEAS, id=f"q{n}") for n in range(MAX_QUESTIONS + 1))
    with pytest.raises(ValidationError) as raised:
        check_questions(many)
    assert list(errors_of(raised)) == ["questions"]
    assert len(check_questions(many[:MAX_QUESTIONS])) == MAX_QUESTIONS


def test_setting_malformed_questions_changes_nothing() -> None:
    survey = draft()
    with pytest.raises(ValidationError):
        survey.set_questions(LEADER, (replace(DISTRICT, options=()),), timestamp=NOW)
    assert survey.questions == QUESTIONS
    assert event_names(survey) == ["Drafted"]


# -- answers ------------------------------------------------------------------


def test_answers_are_kept_in_question_order_and_canonical_form() -> None:
    survey = published()
    checked = survey.check_answers(
        (
            Answer("ideas", text="  Cần thêm đèn đường  "),
            Answer("satisfaction", rating=5),
            Answer("services", choices=("Rác", "Cấp nước")),
            Answer("district", choices=("Hoàn Kiếm",)),
        )
    )
    assert checked == (
        Answer("district", choices=("Hoàn Kiếm",)),
        Answer("services", choices=("Cấp nước", "Rác")),
        Answer("satisfaction", rating=5),
        Answer("ideas", text="Cần thêm đèn đường"),
    )


def test_a_blank_answer_to_an_optional_question_is_dropped() -> None:
    survey = published()
    checked = survey.check_answers((*GOOD_ANSWERS, Answer("ideas", text="   "), Answer("services")))
    assert [a.question_id for a in checked] == ["district", "satisfaction"]


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ((Answer("district", choices=("Ba Đình",)),), {"answers.satisfaction": "is required"}),
        ((*GOOD_ANSWERS, Answer("district", choices=())), {"answers.district": "answered more than once"}),
        ((Answer("satisfaction", rating=3), Answer("district")), {"answers.district": "is required"}),
        ((*GOOD_ANSWERS, Answer("q9", text="?")), {"answers.q9": "no such question in this survey"}),
        (
            (Answer("district", choices=("Ba Đình", "Hoàn Kiếm")), Answer("satisfaction", rating=3)),
            {"answers.district": "choose exactly one option"},
        ),
        (
            (Answer("district", choices=("Tây Hồ",)), Answer("satisfaction", rating=3)),
            {"answers.district": "'Tây Hồ' is not an option of this question"},
        ),
        (
            (Answer("district", choices=("Ba Đình",), text="x"), Answer("satisfaction", rating=3)),
            {"answers.district": "a choice question takes choices only"},
        ),
        (
            (*GOOD_ANSWERS, Answer("services", choices=("Rác", "Rác"))),
            {"answers.services": "an option is chosen more than once"},
        ),
        (
            (*GOOD_ANSWERS, Answer("services", rating=2)),
            {"answers.services": "a choice question takes choices only"},
        ),
        (
            (Answer("district", choices=("Ba Đình",)), Answer("satisfaction", rating=0)),
            {"answers.satisfaction": "a rating is a whole number from 1 to 5"},
        ),
        (
            (Answer("district", choices=("Ba Đình",)), Answer("satisfaction", rating=6)),
            {"answers.satisfaction": "a rating is a whole number from 1 to 5"},
        ),
        (
            (Answer("district", choices=("Ba Đình",)), Answer("satisfaction", rating=True)),
            {"answers.satisfaction": "a rating is a whole number from 1 to 5"},
        ),
        (
            (Answer("district", choices=("Ba Đình",)), Answer("satisfaction", rating=4, text="tốt")),
            {"answers.satisfaction": "a rating question takes a rating only"},
        ),
        (
            (*GOOD_ANSWERS, Answer("ideas", text="x" * (MAX_FREE_TEXT + 1))),
            {"answers.ideas": "exceeds 2000 characters"},
        ),
        (
            (*GOOD_ANSWERS, Answer("ideas", choices=("a",), text="x")),
            {"answers.ideas": "a free-text question takes text only"},
        ),
        (
            (Answer("district", choices=("Ba Đình",)), Answer("satisfaction", rating=9), Answer("x")),
            {
                "answers.x": "no such question in this survey",
                "answers.satisfaction": "a rating is a whole number from 1 to 5",
            },
        ),
    ],
)
def test_an_answer_breaking_a_rule_is_refused_with_a_message_per_question(
    answers: tuple[Answer, ...], errors: dict[str, str]
) -> None:
    survey = published()
    with pytest.raises(ValidationError) as raised:
        survey.check_answers(answers)
    assert errors_of(raised) == errors


def test_free_text_may_be_exactly_the_maximum_length() -> None:
    survey = published()
    (*_, ideas) = survey.check_answers((*GOOD_ANSWERS, Answer("ideas", text="x" * MAX_FREE_TEXT)))
    assert ideas.text == "x" * MAX_FREE_TEXT


# -- responding ---------------------------------------------------------------


def test_a_citizens_response_is_keyed_by_survey_and_subject() -> None:
    survey = published()
    response = survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=None, timestamp=NOW)
    assert response.id == response_id(survey.id, CITIZEN.subject) == uuid5(survey.id, CITIZEN.subject)
    again = survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=None, timestamp=NOW + timedelta(hours=1))
    assert again.id == response.id
    (submitted,) = response.collect_events()
    assert type(submitted).__name__ == "Submitted"
    assert (submitted.survey_id, submitted.survey_code, submitted.actor) == (  # type: ignore[attr-defined]
        survey.id,
        survey.code,
        CITIZEN,
    )
    assert submitted.answers == GOOD_ANSWERS  # type: ignore[attr-defined]
    assert response.survey_id == survey.id


def test_responding_does_not_change_the_survey() -> None:
    survey = published()
    survey.collect_events()
    survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=None, timestamp=NOW)
    assert survey.collect_events() == []


def test_an_anonymous_response_is_keyed_by_token_and_records_no_subject() -> None:
    survey = published(anonymous=True)
    response = survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token="phieu-0042", timestamp=NOW)
    assert response.id == uuid5(survey.id, "phieu-0042")
    (submitted,) = response.collect_events()
    assert submitted.actor == ANONYMOUS_RESPONDENT  # type: ignore[attr-defined]
    stored = OrjsonTranscoder(VALUE_TYPES).encode(submitted.__dict__)
    assert CITIZEN.subject.encode() not in stored
    assert b"phieu-0042" not in stored


@pytest.mark.parametrize(
    ("anonymous", "token", "problem"),
    [
        (True, None, "an anonymous survey needs a token of 1 to 200 characters"),
        (True, "   ", "an anonymous survey needs a token of 1 to 200 characters"),
        (True, "t" * 201, "an anonymous survey needs a token of 1 to 200 characters"),
        (False, "phieu-0042", "only an anonymous survey takes a respondent token"),
    ],
)
def test_the_respondent_token_is_required_exactly_for_anonymous_surveys(
    anonymous: bool, token: str | None, problem: str
) -> None:
    survey = published(anonymous=anonymous)
    with pytest.raises(ValidationError) as raised:
        survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=token, timestamp=NOW)
    assert errors_of(raised) == {"respondent_token": problem}


@pytest.mark.parametrize(
    "moment",
    [NOW - timedelta(seconds=1), NOW + timedelta(days=7), NOW + timedelta(days=30)],
    ids=["before_opening", "at_closing", "after_closing"],
)
def test_answers_outside_the_window_are_refused(moment: datetime) -> None:
    survey = published()
    assert not survey.accepts_answers_at(moment)
    with pytest.raises(RuleViolationError) as raised:
        survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=None, timestamp=moment)
    assert raised.value.rule == "answer_window"


def test_answers_are_taken_from_the_opening_moment_until_just_before_closing() -> None:
    survey = published()
    for moment in (NOW, NOW + timedelta(days=7) - timedelta(microseconds=1)):
        assert survey.accepts_answers_at(moment)
        assert survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=None, timestamp=moment).answers


def test_a_draft_or_closed_survey_takes_no_answers() -> None:
    survey = draft()
    with pytest.raises(InvalidTransitionError) as raised:
        survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=None, timestamp=NOW)
    assert (raised.value.command, raised.value.status) == ("answer", "draft")
    survey = published()
    survey.close(LEADER, timestamp=NOW)
    with pytest.raises(InvalidTransitionError) as raised:
        survey.respond(CITIZEN, GOOD_ANSWERS, respondent_token=None, timestamp=NOW)
    assert raised.value.status == "closed"


# -- stored contract ------------------------------------------------------------


def test_questions_and_answers_round_trip_through_the_transcoder_exactly() -> None:
    transcoder = OrjsonTranscoder(VALUE_TYPES)
    state = {"questions": QUESTIONS, "answers": (*GOOD_ANSWERS, Answer("ideas", text="Tốt"))}
    decoded = transcoder.decode(transcoder.encode(state))
    assert decoded == state
    assert type(decoded["questions"]) is tuple
    assert type(decoded["questions"][0].type) is QuestionType
    assert type(decoded["answers"][0].choices) is tuple
    assert b'"~survey_question":' in transcoder.encode(state)


def test_survey_value_types_have_stable_names() -> None:
    assert {name: cls for name, cls in VALUE_TYPES.items() if name.startswith("survey_")} == {
        "survey_status": type(draft().status),
        "survey_question_type": QuestionType,
        "survey_question": Question,
        "survey_answer": Answer,
    }
