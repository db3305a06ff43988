"""Surveys in the simulation (DESIGN §3.4): drafted, given questions,
published, answered by citizens, closed, and their results summarised.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from uuid import UUID

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
from ihanoi_core.simulation.engine import NEVER, Citizen, Engine, Process
from ihanoi_core.simulation.texts import IMPROVEMENTS, SATISFACTION, SUGGESTION_TEXTS, SUGGESTIONS, SURVEY_TOPICS


@dataclass(slots=True)
class _Survey:
    case_id: UUID
    questions: tuple[Question, ...]
    anonymous: bool
    closes_at: datetime
    answered: list[tuple[Answer, ...]] = field(default_factory=list)


class SurveyStories(Engine):
    """The life of a survey, from draft to published results."""

    def _plan_surveys(self, first_day: date, days: int, start: datetime) -> None:
        """Surveys start in the first third of the period, in the morning."""
        span = max(1, days // 3)
        for index in range(self.surveys):
            day = first_day + timedelta(days=index * span // max(1, self.surveys))
            when = max(self._local(day, self.rng.uniform(8.5, 11)), start)
            # Closed, and its results published, well before the period ends.
            window = max(2, min(7, (days - (day - first_day).days) // 2))
            self._spawn(when, start, NEVER, f"survey-{index}", self._survey(index, window))

    def _survey(self, index: int, window_days: int) -> Process:
        """A survey from draft to published results (DESIGN §3.4)."""
        rng, app = self.rng, self.app
        agency, title, description, first_question = SURVEY_TOPICS[index % len(SURVEY_TOPICS)]
        if agency == "ward":
            agency = self._ward_committee(self._citizen().ward)
        if agency not in self.directory.agencies:
            agency = next(iter(self.directory.agencies))
        leader = self._leader(agency)
        anonymous = index % 2 == 1
        created = self._create(
            "survey",
            partial(
                app.handle,
                leader,
                CreateSurvey(title=title, description=description, anonymous=anonymous),
                idempotency_key=self._key(f"survey-{index}"),
            ),
        )
        if created is None:
            return
        case_id = created.case_id
        questions = (first_question, SATISFACTION, IMPROVEMENTS, SUGGESTIONS)
        yield self._office(rng.uniform(0.5, 4))
        staff = self._officer(agency)
        given = tuple(QuestionIn.of(question) for question in questions)
        if self._run(partial(app.handle, staff, SetSurveyQuestions(case=case_id, questions=given))) is None:
            return
        yield self._office(rng.uniform(0.5, 8))
        opens_at = self._now()
        closes_local = opens_at.astimezone(self.zone) + timedelta(days=window_days)
        closes_at = closes_local.replace(hour=17, minute=0, second=0, microsecond=0).astimezone(UTC)
        published = partial(app.handle, leader, PublishSurvey(case=case_id, opens_at=opens_at, closes_at=closes_at))
        if self._run(published) is None:
            return
        survey = _Survey(case_id, questions, anonymous, closes_at)
        window = (closes_at - opens_at).total_seconds()
        for number, citizen in enumerate(rng.sample(self.citizens, self.answers_per_survey)):
            when = self._waking(opens_at + timedelta(seconds=round(rng.uniform(0.01, 0.97) * window)))
            if when >= closes_at:
                when = closes_at - timedelta(seconds=rng.randint(300, 7200))
            answer = f"survey-{index}-answer-{number}"
            self._spawn(when, opens_at, NEVER, answer, self._answer(survey, citizen, self._key(answer)))
        yield self._office(rng.uniform(0.1, 2), closes_at)
        if self._run(partial(app.handle, leader, CloseSurvey(case=case_id))) is None:
            return
        yield self._office(rng.uniform(2, 16))
        summary = self._survey_summary(survey)
        self._run(partial(app.handle, leader, PublishSurveyResults(case=case_id, summary=summary)))

    def _answer(self, survey: _Survey, citizen: Citizen, token: str) -> Process:
        """One citizen's answers: mostly satisfied, a free-text remark now and then."""
        rng = self.rng
        answers: list[Answer] = []
        for question in survey.questions:
            if question.type is QuestionType.SINGLE_CHOICE:
                answers.append(Answer(question.id, choices=(rng.choice(question.options),)))
            elif question.type is QuestionType.MULTIPLE_CHOICE:
                picked = rng.sample(question.options, rng.randint(1, 3))
                answers.append(Answer(question.id, choices=tuple(picked)))
            elif question.type is QuestionType.RATING:
                answers.append(Answer(question.id, rating=rng.choices((1, 2, 3, 4, 5), (3, 7, 20, 40, 30))[0]))
            elif rng.random() < 0.4:
                answers.append(Answer(question.id, text=rng.choice(SUGGESTION_TEXTS)))
        command = AnswerSurvey(
            case=survey.case_id,
            answers=tuple(AnswerIn.of(answer) for answer in answers),
            respondent_token=token if survey.anonymous else None,
        )
        answered = partial(self.app.handle, citizen.principal, command)
        if self._create("survey_response", answered) is not None:
            survey.answered.append(tuple(answers))
        yield from ()  # A process of one step.

    def _survey_summary(self, survey: _Survey) -> str:
        """The summary the leader publishes, from the answers actually given."""
        count = len(survey.answered)
        if not count:
            return "Khảo sát không nhận được phiếu trả lời nào."
        ratings = [a.rating for answers in survey.answered for a in answers if a.rating is not None]
        satisfied = sum(1 for rating in ratings if rating >= 4)
        wishes: Counter[str] = Counter(
            choice
            for answers in survey.answered
            for answer in answers
            if answer.question_id == IMPROVEMENTS.id
            for choice in answer.choices
        )
        # Vietnamese writes a decimal comma: 4,2/5.
        average = f"{sum(ratings) / len(ratings):.1f}".replace(".", ",") if ratings else "-"
        top = wishes.most_common(1)[0][0] if wishes else "không có"
        return (
            f"{count} phiếu trả lời; mức hài lòng trung bình {average}/5, "
            f"{100 * satisfied / max(1, len(ratings)):.0f}% hài lòng trở lên. "
            f"Nội dung cần cải thiện được chọn nhiều nhất: {top}."
        )
