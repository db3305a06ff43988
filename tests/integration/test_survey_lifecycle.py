"""Scenario tests: a survey from draft to published results (DESIGN §3.4), one
response per citizen guaranteed by the store itself, anonymity by design and
survey visibility — on POPO, a real SQLite file and the real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import uuid5

import pytest
from msgspec.structs import replace

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
from ihanoi_core.domain.questionnaire import Answer, Question, QuestionType
from ihanoi_core.domain.survey import ANONYMOUS_RESPONDENT
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import (
    AlreadyAnsweredError,
    CaseNotFoundError,
    ConflictError,
    ForbiddenError,
    InvalidTransitionError,
    RuleViolationError,
    ValidationError,
    VersionMismatchError,
)
from ihanoi_core.handlers.bus import CommandResult
from tests.conftest import FakeClock
from tests.integration.conftest import event_names

AGENCY = "SXD"
LEADER = Principal("leader-sxd", Role.LEADER, AGENCY)
OFFICER = Principal("officer-sxd", Role.OFFICER, AGENCY)
OTHER_LEADER = Principal("leader-syt", Role.LEADER, "SYT")
PARTNER = Principal("partner-app", Role.PARTNER)

DISTRICT = QuestionIn("district", "Quận?", QuestionType.SINGLE_CHOICE, required=True, options=("Ba Đình", "Hoàn Kiếm"))
SATISFACTION = QuestionIn("satisfaction", "Mức độ hài lòng với vỉa hè?", QuestionType.RATING, required=True)
IDEAS = QuestionIn("ideas", "Góp ý", QuestionType.FREE_TEXT)
QUESTIONS = (DISTRICT, SATISFACTION, IDEAS)
# As the survey holds them.
QUESTION_VALUES: tuple[Question, ...] = tuple(question.value() for question in QUESTIONS)


def answers(stars: int = 4) -> tuple[AnswerIn, ...]:
    return (AnswerIn("district", choices=("Ba Đình",)), AnswerIn("satisfaction", rating=stars))


def stored(given: tuple[AnswerIn, ...]) -> tuple[Answer, ...]:
    """The answers as a response holds them."""
    return tuple(answer.value() for answer in given)


def citizen_number(n: int) -> Principal:
    return Principal(f"vneid:0010990{n:05d}", Role.CITIZEN)


def open_survey(app: Ihanoi, clock: FakeClock, *, anonymous: bool = False, days: int = 7) -> CommandResult:
    created = app.handle(
        LEADER, CreateSurvey(title="Khảo sát vỉa hè", description="", anonymous=anonymous, questions=QUESTIONS)
    )
    closes_at = clock.now + timedelta(days=days)
    return app.handle(LEADER, PublishSurvey(case=created.case_id, opens_at=clock.now, closes_at=closes_at))


def stored_states(app: Ihanoi) -> list[bytes]:
    return [n.state for n in app.recorder.select_notifications(start=1, limit=10_000)]


def test_a_survey_goes_from_draft_to_published_results_with_one_response_per_citizen(
    app: Ihanoi, clock: FakeClock
) -> None:
    # Step: a leader drafts a survey for their agency; an officer of the agency sets its questions.
    created = app.handle(LEADER, CreateSurvey(title="Khảo sát vỉa hè", description="Ý kiến về vỉa hè"))
    assert created.code.startswith("KS-261130-")
    assert (created.kind, created.status, created.created) == ("survey", "draft", True)
    app.handle(OFFICER, SetSurveyQuestions(case=created.case_id, questions=(SATISFACTION,)))
    app.handle(OFFICER, SetSurveyQuestions(case=created.case_id, questions=QUESTIONS), expected_version=2)
    assert app.get_survey(OFFICER, created.code)["questions"] == QUESTION_VALUES

    # Step: the leader publishes it for a week; every citizen can now read it.
    week = clock.now + timedelta(days=7)
    published = app.handle(
        LEADER, PublishSurvey(case=created.case_id, opens_at=clock.now, closes_at=week), expected_version=3
    )
    assert published.status == "published"
    seen = app.get_survey(citizen_number(0), created.code)
    assert (seen["status"], seen["accepting_answers"], seen["questions"]) == ("published", True, QUESTION_VALUES)

    # Step: twenty citizens answer; each response is its own record keyed by survey and citizen.
    clock.advance(hours=2)
    results = [
        app.handle(citizen_number(n), AnswerSurvey(case=created.case_id, answers=answers(1 + n % 5))) for n in range(20)
    ]
    assert {r.kind for r in results} == {"survey_response"}
    assert {r.code for r in results} == {created.code}
    assert [r.case_id for r in results] == [uuid5(created.case_id, citizen_number(n).subject) for n in range(20)]
    assert results[-1].position > results[0].position > published.position
    (submitted,) = app.events.get(results[3].case_id)
    assert (submitted.survey_id, submitted.actor) == (created.case_id, citizen_number(3))  # type: ignore[attr-defined]
    assert submitted.answers == stored(answers(4))  # type: ignore[attr-defined]

    # Step: a second answer by the same citizen is refused and nothing new is stored.
    before = app.recorder.max_notification_id()
    with pytest.raises(AlreadyAnsweredError) as raised:
        app.handle(citizen_number(3), AnswerSurvey(case=created.case_id, answers=answers(5)))
    assert isinstance(raised.value, ConflictError)
    assert raised.value.response_id == results[3].case_id
    assert app.recorder.max_notification_id() == before
    assert len(list(app.events.get(results[3].case_id))) == 1

    # Step: the leader closes it; answering a closed survey is refused.
    clock.advance(days=1)
    closed = app.handle(LEADER, CloseSurvey(case=created.case_id))
    assert closed.status == "closed"
    with pytest.raises(InvalidTransitionError):
        app.handle(citizen_number(99), AnswerSurvey(case=created.case_id, answers=answers()))
    assert app.get_survey(citizen_number(0), created.case_id)["accepting_answers"] is False

    # Step: the leader publishes the results; the survey's own stream never held an answer.
    done = app.handle(LEADER, PublishSurveyResults(case=created.case_id, summary="20 ý kiến, trung bình 3/5"))
    assert done.status == "results_published"
    assert app.get_survey(citizen_number(0), created.code)["results_summary"] == "20 ý kiến, trung bình 3/5"
    assert event_names(app, created.case_id) == [
        "Drafted",
        "QuestionsSet",
        "QuestionsSet",
        "Published",
        "Closed",
        "ResultsPublished",
    ]
    assert [e.actor for e in app.events.get(created.case_id)] == [  # type: ignore[attr-defined]
        LEADER,
        OFFICER,
        OFFICER,
        LEADER,
        LEADER,
        LEADER,
    ]


def test_a_draft_survey_is_seen_only_by_its_agency_and_auditors(
    app: Ihanoi, clock: FakeClock, citizen: Principal, auditor: Principal
) -> None:
    created = app.handle(LEADER, CreateSurvey(title="Khảo sát", description="", questions=QUESTIONS))

    # Step: citizens, partners and other agencies cannot see a draft, nor answer it.
    for outsider in (citizen, PARTNER, OTHER_LEADER):
        with pytest.raises(CaseNotFoundError):
            app.get_survey(outsider, created.case_id)
    with pytest.raises(CaseNotFoundError):
        app.handle(citizen, AnswerSurvey(case=created.case_id, answers=answers()))
    with pytest.raises(CaseNotFoundError):
        app.handle(
            OTHER_LEADER,
            PublishSurvey(case=created.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=1)),
        )

    # Step: the agency's staff and auditors see it.
    assert app.get_survey(OFFICER, created.case_id)["status"] == "draft"
    assert app.get_survey(auditor, created.code)["title"] == "Khảo sát"
    assert event_names(app, created.case_id) == ["Drafted"]


def test_a_published_survey_is_public_but_only_its_leader_runs_it_and_only_citizens_answer(
    app: Ihanoi, clock: FakeClock, citizen: Principal, auditor: Principal
) -> None:
    survey = open_survey(app, clock)
    before = event_names(app, survey.case_id)

    # Step: citizens and partners read it; the other agency still does not.
    assert app.get_survey(citizen, survey.code)["status"] == "published"
    assert app.get_survey(PARTNER, survey.case_id)["title"] == "Khảo sát vỉa hè"
    with pytest.raises(CaseNotFoundError):
        app.get_survey(OTHER_LEADER, survey.case_id)

    # Step: whoever sees it but may not run a command is forbidden, not told it is missing.
    with pytest.raises(ForbiddenError):
        app.handle(citizen, CloseSurvey(case=survey.case_id))
    with pytest.raises(ForbiddenError):
        app.handle(OFFICER, CloseSurvey(case=survey.case_id))
    with pytest.raises(ForbiddenError):
        app.handle(auditor, PublishSurveyResults(case=survey.case_id, summary="x"))
    for not_a_citizen in (PARTNER, OFFICER, LEADER, auditor):
        with pytest.raises(ForbiddenError):
            app.handle(not_a_citizen, AnswerSurvey(case=survey.case_id, answers=answers()))

    # Step: its questions are frozen; a stale version is refused.
    with pytest.raises(InvalidTransitionError):
        app.handle(OFFICER, SetSurveyQuestions(case=survey.case_id, questions=(IDEAS,)))
    with pytest.raises(VersionMismatchError):
        app.handle(LEADER, CloseSurvey(case=survey.case_id), expected_version=1)
    assert event_names(app, survey.case_id) == before
    assert app.recorder.max_notification_id() == survey.position


def test_only_a_leader_of_a_known_agency_creates_a_survey_and_a_key_creates_it_once(
    app: Ihanoi, citizen: Principal
) -> None:
    # Step: citizens and officers may not create surveys; a leader without a known agency cannot.
    for role in (citizen, OFFICER):
        with pytest.raises(ForbiddenError):
            app.handle(role, CreateSurvey(title="x", description=""))
    with pytest.raises(ValidationError) as raised:
        app.handle(Principal("leader-x", Role.LEADER, "NO_SUCH_AGENCY"), CreateSurvey(title="x", description=""))
    assert list(raised.value.errors) == ["agency"]
    with pytest.raises(ValidationError) as raised:
        app.handle(
            LEADER, CreateSurvey(title="x", description="", questions=(replace(SATISFACTION, options=("a", "b")),))
        )
    assert list(raised.value.errors) == ["questions[0].options"]
    assert app.recorder.max_notification_id() in (None, 0)

    # Step: a retried create with the same idempotency key returns the first survey.
    first = app.handle(LEADER, CreateSurvey(title="Khảo sát", description=""), idempotency_key="ks-1")
    again = app.handle(LEADER, CreateSurvey(title="Khảo sát", description=""), idempotency_key="ks-1")
    assert (again.case_id, again.code) == (first.case_id, first.code)
    assert (first.created, again.created) == (True, False)


def test_a_survey_without_questions_or_with_a_bad_window_is_not_published(app: Ihanoi, clock: FakeClock) -> None:
    empty = app.handle(LEADER, CreateSurvey(title="Khảo sát", description=""))
    with pytest.raises(RuleViolationError):
        app.handle(
            LEADER, PublishSurvey(case=empty.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=1))
        )
    app.handle(OFFICER, SetSurveyQuestions(case=empty.case_id, questions=QUESTIONS))
    with pytest.raises(ValidationError) as raised:
        app.handle(
            LEADER, PublishSurvey(case=empty.case_id, opens_at=clock.now, closes_at=clock.now - timedelta(days=1))
        )
    assert raised.value.errors == {"closes_at": "must be after opens_at"}
    assert event_names(app, empty.case_id) == ["Drafted", "QuestionsSet"]


def test_answers_outside_the_window_or_breaking_a_rule_are_refused_and_not_stored(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: a survey published today that opens tomorrow for two days.
    created = app.handle(LEADER, CreateSurvey(title="Khảo sát", description="", questions=QUESTIONS))
    tomorrow = clock.now + timedelta(days=1)
    app.handle(LEADER, PublishSurvey(case=created.case_id, opens_at=tomorrow, closes_at=tomorrow + timedelta(days=2)))
    before = app.recorder.max_notification_id()

    # Step: too early.
    with pytest.raises(RuleViolationError) as early:
        app.handle(citizen, AnswerSurvey(case=created.case_id, answers=answers()))
    assert early.value.rule == "answer_window"

    # Step: in the window, but the answers break rules: one message per question.
    clock.advance(days=1)
    with pytest.raises(ValidationError) as raised:
        app.handle(
            citizen,
            AnswerSurvey(
                case=created.case_id,
                answers=(
                    AnswerIn("district", choices=("Tây Hồ",)),
                    AnswerIn("ideas", text="x" * 2001),
                    AnswerIn("q9", rating=1),
                ),
            ),
        )
    assert set(raised.value.errors) == {"answers.district", "answers.satisfaction", "answers.ideas", "answers.q9"}
    with pytest.raises(ValidationError):
        app.handle(citizen, AnswerSurvey(case=created.case_id, answers=answers(), respondent_token="not-anonymous"))

    # Step: too late, although nobody closed it.
    clock.advance(days=2)
    with pytest.raises(RuleViolationError):
        app.handle(citizen, AnswerSurvey(case=created.case_id, answers=answers()))
    assert app.recorder.max_notification_id() == before

    # Step: the refused attempts did not use up the citizen's one response.
    clock.advance(days=-1)
    assert app.handle(citizen, AnswerSurvey(case=created.case_id, answers=answers())).status == "submitted"


def test_an_anonymous_survey_stores_no_subject_and_takes_one_response_per_token(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    survey = open_survey(app, clock, anonymous=True)

    # Step: a citizen answers with the token of their invitation.
    given = (*answers(), AnswerIn("ideas", text="Lát lại vỉa hè"))
    result = app.handle(citizen, AnswerSurvey(case=survey.case_id, answers=given, respondent_token="phieu-0042"))
    assert result.case_id == uuid5(survey.case_id, "phieu-0042")
    (submitted,) = app.events.get(result.case_id)
    assert submitted.actor == ANONYMOUS_RESPONDENT  # type: ignore[attr-defined]

    # Step: nothing stored anywhere names the citizen (nor the token).
    states = stored_states(app)
    assert any("Lát lại vỉa hè".encode() in state for state in states)
    assert not any(citizen.subject.encode() in state for state in states)
    assert not any(b"phieu-0042" in state for state in states)

    # Step: the same token cannot answer twice; a survey answered anonymously needs a token.
    with pytest.raises(AlreadyAnsweredError):
        app.handle(
            citizen_number(7), AnswerSurvey(case=survey.case_id, answers=answers(), respondent_token="phieu-0042")
        )
    with pytest.raises(ValidationError) as raised:
        app.handle(citizen, AnswerSurvey(case=survey.case_id, answers=answers()))
    assert list(raised.value.errors) == ["respondent_token"]
    other = app.handle(citizen, AnswerSurvey(case=survey.case_id, answers=answers(), respondent_token="phieu-0043"))
    assert other.created


def test_racing_answers_of_one_citizen_save_exactly_one(app: Ihanoi, clock: FakeClock, citizen: Principal) -> None:
    survey = open_survey(app, clock)
    app.get_survey(citizen, survey.case_id)  # Warm the application up before the race.
    racers = 8
    barrier = threading.Barrier(racers)
    outcomes: list[object] = []
    lock = threading.Lock()

    def answer(stars: int) -> None:
        barrier.wait()
        try:
            outcome: object = app.handle(citizen, AnswerSurvey(case=survey.case_id, answers=answers(stars)))
        except Exception as error:  # Recorded and asserted on below.
            outcome = error
        with lock:
            outcomes.append(outcome)

    # Step: eight threads answer for the same citizen at the same moment.
    threads = [threading.Thread(target=answer, args=(1 + n % 5,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Step: exactly one wins; every other one is told the citizen already answered.
    wins = [o for o in outcomes if isinstance(o, CommandResult)]
    assert len(outcomes) == racers
    assert len(wins) == 1
    assert all(isinstance(o, AlreadyAnsweredError) for o in outcomes if o is not wins[0])
    assert len(list(app.events.get(wins[0].case_id))) == 1


def test_an_answer_takes_neither_an_expected_version_nor_an_idempotency_key(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    survey = open_survey(app, clock)
    command = AnswerSurvey(case=survey.code, answers=answers())

    # Step: an answer makes a response of its own: there is no version to expect, and
    # answering once per respondent is already what a key would give.
    with pytest.raises(ValidationError) as refused:  # a 422 over HTTP (an If-Match header)
        app.handle(citizen, command, expected_version=survey.version)
    assert set(refused.value.errors) == {"expected_version"}
    with pytest.raises(TypeError):
        app.handle(citizen, command, idempotency_key="answer-1")
    assert app.recorder.max_notification_id() == survey.position

    # Step: by the survey's code, without either, it is saved.
    assert app.handle(citizen, command).case_id == uuid5(survey.case_id, citizen.subject)
