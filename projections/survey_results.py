"""survey_results: how many answered each survey, and what, question by question.

Two tables. ``view_survey_results`` has one row per survey: code, title,
status, agency and its questions (JSON, in order, as the survey shows them).
``view_survey_tallies`` has counters keyed by survey, question and answer:

* question ``''``, answer ``''``: the number of responses to the survey;
* question ``q``, answer ``''``: the number of responses that answered ``q``;
* question ``q``, answer ``o``: how often option ``o`` was chosen (choice
  questions) or how many gave ``o`` stars, ``'1'`` to ``'5'`` (rating).

``''`` can be neither a question id nor an option, as the survey checks both,
so the markers never collide with real answers. Keeping every counter of a
survey in one table lets ``results`` read them with one statement: a
consistent set even while a batch commits.

A batch adds up its responses in memory and applies the sums with
``tally = tally + excluded.tally`` upserts. Free-text answers are counted and
never stored: they may contain personal data. Nothing here says who answered.

Questions change only in draft, before any answer can exist (see
``ihanoi_core.domain.survey``), so a survey's tallies always refer to the
questions its row shows. The row keeps every status, drafts included: callers
publish results only of surveys that are public.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from ihanoi_core.domain.questionnaire import CHOICE_TYPES, QuestionType
from ihanoi_core.domain.survey import Survey, SurveyResponse, SurveyStatus
from ihanoi_projections.engine.base import ReadModel, ViewTable, micros
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.engine.rows import from_row

RATINGS = ("1", "2", "3", "4", "5")
WHOLE_SURVEY = ""  # the question id of the response counter
ANSWERED = ""  # the answer of a question's "answered at all" counter

RESULTS = ViewTable(
    "view_survey_results",
    {
        "survey_id": "TEXT PRIMARY KEY",
        "code": "TEXT NOT NULL",
        "title": "TEXT NOT NULL",
        "status": "TEXT NOT NULL",
        "agency": "TEXT",
        "questions": "TEXT NOT NULL",
        "position": "BIGINT NOT NULL",
    },
    unique={"code": "code"},
    # The answer window, added after the table: an older view database
    # gets the columns, and its surveys their windows on a rebuild.
    added={"opens_at": "BIGINT", "closes_at": "BIGINT", "anonymous": "BIGINT"},
)
TALLIES = ViewTable(
    "view_survey_tallies",
    {
        "survey_id": "TEXT NOT NULL",
        "question_id": "TEXT NOT NULL",
        "answer": "TEXT NOT NULL",
        "tally": "BIGINT NOT NULL",
    },
    key="survey_id, question_id, answer",
)
UPSERT_RESULT = RESULTS.upsert()
# A batch's counts add to those already stored.
ADD_TALLIES = TALLIES.insert(
    " ON CONFLICT (survey_id, question_id, answer) DO UPDATE SET tally = view_survey_tallies.tally + excluded.tally"
)


@dataclass(frozen=True, slots=True)
class OpenSurvey:
    """A published survey taking answers now (``GET /api/v1/surveys``)."""

    survey_id: UUID
    code: str
    title: str
    agency: str | None
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    questions: int


@dataclass(frozen=True, slots=True)
class OptionCount:
    """How many respondents chose one option of a choice question."""

    option: str
    count: int


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """The tally of one question. ``answers`` counts the responses that answered
    it; ``options`` (choice questions) lists every option in order, unchosen ones
    with 0; ``distribution`` (rating) counts 1 to 5 stars and ``average`` is
    their mean, ``None`` before the first rating. Free text has ``answers`` only."""

    question_id: str
    text: str
    type: QuestionType
    answers: int
    options: tuple[OptionCount, ...] = ()
    distribution: tuple[int, ...] = ()
    average: float | None = None


@dataclass(frozen=True, slots=True)
class SurveyResults:
    """What the responses to a survey add up to."""

    survey_id: UUID
    code: str
    title: str
    status: str
    agency: str | None
    responses: int
    questions: tuple[QuestionResult, ...]
    position: int


class SurveyResultsModel(ReadModel):
    name = "survey_results"
    kinds = (Survey, SurveyResponse)
    tables = (RESULTS.name, TALLIES.name)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._surveys: dict[UUID, tuple[Any, ...]] = {}
        self._tallies: Counter[tuple[str, str, str]] = Counter()

    def schema(self) -> Sequence[str]:
        return (*RESULTS.schema(), *TALLIES.schema())

    def apply(self, change: Change) -> None:
        case: Any = change.case
        kind = case.kind  # cheaper than isinstance() against the aggregates' ABC metaclass
        if kind == Survey.kind:
            self._surveys[case.id] = (
                str(case.id),
                case.code,
                case.title,
                str(case.status),
                case.agency,
                questions_json(case),
                change.position,
                micros(case.opens_at),
                micros(case.closes_at),
                int(case.anonymous),
            )
        elif kind == SurveyResponse.kind and change.created:
            # Only a response's first event counts it; it has no other events yet.
            survey = str(case.survey_id)
            self._tallies[survey, WHOLE_SURVEY, ANSWERED] += 1
            for answer in case.answers:
                self._tallies[survey, answer.question_id, ANSWERED] += 1
                for choice in answer.choices:
                    self._tallies[survey, answer.question_id, choice] += 1
                if answer.rating is not None:
                    self._tallies[survey, answer.question_id, str(answer.rating)] += 1

    def flush(self, cursor: Cursor) -> None:
        cursor.executemany(UPSERT_RESULT, list(self._surveys.values()))
        # Sorted: two workers racing on one batch then lock rows in the same order,
        # and the loser fails on its tracking row rather than in a deadlock.
        cursor.executemany(ADD_TALLIES, [(*key, tally) for key, tally in sorted(self._tallies.items())])
        self.discard()

    def discard(self) -> None:
        self._surveys.clear()
        self._tallies.clear()

    # -- queries ------------------------------------------------------------

    def results(self, survey_id: UUID) -> SurveyResults | None:
        """The survey's response count and each question's tally, in question
        order; ``None`` for a survey this model has not seen."""
        surveys = self.database.query("SELECT * FROM view_survey_results WHERE survey_id = ?", (str(survey_id),))
        if not surveys:
            return None
        survey = surveys[0]
        tallies = {
            (row["question_id"], row["answer"]): int(row["tally"])
            for row in self.database.query(
                "SELECT question_id, answer, tally FROM view_survey_tallies WHERE survey_id = ?",
                (str(survey_id),),
            )
        }
        return SurveyResults(
            survey_id=survey_id,
            code=survey["code"],
            title=survey["title"],
            status=survey["status"],
            agency=survey["agency"],
            responses=tallies.get((WHOLE_SURVEY, ANSWERED), 0),
            questions=tuple(question_result(question, tallies) for question in orjson.loads(survey["questions"])),
            position=int(survey["position"]),
        )

    def open_surveys(self, now: datetime) -> list[OpenSurvey]:
        """Published surveys whose answer window holds ``now``, closing soonest first."""
        rows = self.database.query(
            "SELECT survey_id, code, title, agency, anonymous, opens_at, closes_at, questions FROM view_survey_results"
            " WHERE status = ? AND opens_at <= ? AND closes_at > ? ORDER BY closes_at, code",
            (str(SurveyStatus.PUBLISHED), micros(now), micros(now)),
        )
        return [from_row(OpenSurvey, row, questions=len(orjson.loads(row["questions"]))) for row in rows]

    def rows(self) -> list[Row]:
        """Every row of both tables, ordered: for comparing a rebuild with the live tables."""
        surveys = self.database.query("SELECT * FROM view_survey_results ORDER BY survey_id")
        tallies = self.database.query("SELECT * FROM view_survey_tallies ORDER BY survey_id, question_id, answer")
        return [{"table": "view_survey_results", **row} for row in surveys] + [
            {"table": "view_survey_tallies", **row} for row in tallies
        ]


def questions_json(survey: Survey) -> str:
    """The questions as the results show them: id, text, type and options."""
    return orjson.dumps(
        [{"id": q.id, "text": q.text, "type": str(q.type), "options": list(q.options)} for q in survey.questions]
    ).decode()


def question_result(question: dict[str, Any], tallies: dict[tuple[str, str], int]) -> QuestionResult:
    """One question's result from its definition and the survey's counters."""
    question_id: str = question["id"]
    kind = QuestionType(question["type"])
    options: tuple[OptionCount, ...] = ()
    distribution: tuple[int, ...] = ()
    average: float | None = None
    if kind in CHOICE_TYPES:
        options = tuple(OptionCount(option, tallies.get((question_id, option), 0)) for option in question["options"])
    elif kind is QuestionType.RATING:
        distribution = tuple(tallies.get((question_id, stars), 0) for stars in RATINGS)
        if rated := sum(distribution):
            average = sum(stars * count for stars, count in enumerate(distribution, start=1)) / rated
    return QuestionResult(
        question_id=question_id,
        text=question["text"],
        type=kind,
        answers=tallies.get((question_id, ANSWERED), 0),
        options=options,
        distribution=distribution,
        average=average,
    )
