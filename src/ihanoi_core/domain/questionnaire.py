"""A survey's questionnaire: questions, answers and the checks that keep them
well formed (a choice question lists 2 to 50 distinct options, a rating is
1 to 5, free text is bounded; an answer fits its question).

``Question`` and ``Answer`` travel inside the survey's events, so each is
registered with the transcoder by a stable name (``VALUE_TYPES``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ihanoi_core.errors import ValidationError


class QuestionType(StrEnum):
    """The kinds of question a survey asks (as Decidim's forms, reduced to four)."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    RATING = "rating"
    FREE_TEXT = "free_text"


@dataclass(frozen=True, slots=True)
class Question:
    """One question. ``id`` is short and stable (``"q1"``, ``"satisfaction"``):
    answers refer to it. Choice questions list their ``options``; the others
    take none."""

    id: str
    text: str
    type: QuestionType
    required: bool = False
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer to one question: ``choices`` for a choice question, ``rating``
    (1–5) for a rating question, ``text`` for a free-text question."""

    question_id: str
    choices: tuple[str, ...] = ()
    rating: int | None = None
    text: str | None = None

    @property
    def is_blank(self) -> bool:
        """Nothing was answered (a blank optional answer is simply dropped)."""
        return not self.choices and self.rating is None and not (self.text or "").strip()


VALUE_TYPES: dict[str, type] = {
    "survey_question_type": QuestionType,
    "survey_question": Question,
    "survey_answer": Answer,
}

CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
QUESTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
MAX_QUESTIONS = 100
MAX_QUESTION_TEXT = 1000
MAX_OPTIONS = 50
MAX_OPTION_TEXT = 200
MAX_FREE_TEXT = 2000


def check_questions(questions: Iterable[Question]) -> tuple[Question, ...]:
    """The questions with text and options stripped; ``ValidationError`` naming
    each bad field (``questions[2].options``) when any is malformed."""
    questions = tuple(questions)
    errors: dict[str, str] = {}
    if len(questions) > MAX_QUESTIONS:
        errors["questions"] = f"a survey has at most {MAX_QUESTIONS} questions"
    checked: list[Question] = []
    seen: set[str] = set()
    for index, question in enumerate(questions):
        key = f"questions[{index}]"
        if not isinstance(question, Question):
            errors[key] = "must be a Question"
            continue
        if not isinstance(question.id, str) or not QUESTION_ID.fullmatch(question.id):
            errors[f"{key}.id"] = "must be 1 to 32 letters, digits, '_', '-' or '.'"
        elif question.id in seen:
            errors[f"{key}.id"] = f"duplicates question {question.id!r}"
        seen.add(str(question.id))
        text = question.text.strip() if isinstance(question.text, str) else ""
        if not text:
            errors[f"{key}.text"] = "must not be empty"
        elif len(text) > MAX_QUESTION_TEXT:
            errors[f"{key}.text"] = f"exceeds {MAX_QUESTION_TEXT} characters"
        if not isinstance(question.required, bool):
            errors[f"{key}.required"] = "must be true or false"
        try:
            kind = QuestionType(question.type)
        except ValueError:
            errors[f"{key}.type"] = f"must be one of {', '.join(QuestionType)}"
            continue
        options = tuple(o.strip() if isinstance(o, str) else "" for o in question.options)
        if problem := _options_problem(kind, options):
            errors[f"{key}.options"] = problem
        checked.append(Question(id=question.id, text=text, type=kind, required=question.required, options=options))
    if errors:
        raise ValidationError(errors)
    return tuple(checked)


def _options_problem(kind: QuestionType, options: tuple[str, ...]) -> str | None:
    if kind not in CHOICE_TYPES:
        return f"a {kind} question takes no options" if options else None
    if not all(options):
        return "options must not be empty"
    if any(len(option) > MAX_OPTION_TEXT for option in options):
        return f"an option exceeds {MAX_OPTION_TEXT} characters"
    if len(set(options)) != len(options):
        return "options must be distinct"
    if not 2 <= len(options) <= MAX_OPTIONS:
        return f"a choice question needs 2 to {MAX_OPTIONS} distinct options"
    return None


def check_answer(question: Question, answer: Answer) -> Answer | str:
    """The answer in canonical form, or what is wrong with it."""
    choices = tuple(answer.choices)
    if question.type in CHOICE_TYPES:
        if answer.rating is not None or answer.text is not None:
            return "a choice question takes choices only"
        unknown = [choice for choice in choices if choice not in question.options]
        if unknown:
            return f"{unknown[0]!r} is not an option of this question"
        if len(set(choices)) != len(choices):
            return "an option is chosen more than once"
        if question.type is QuestionType.SINGLE_CHOICE and len(choices) != 1:
            return "choose exactly one option"
        # Options' order, so equal answers are stored equal.
        ordered = tuple(option for option in question.options if option in choices)
        return Answer(question_id=question.id, choices=ordered)
    if question.type is QuestionType.RATING:
        if choices or answer.text is not None:
            return "a rating question takes a rating only"
        if type(answer.rating) is not int or not 1 <= answer.rating <= 5:
            return "a rating is a whole number from 1 to 5"
        return Answer(question_id=question.id, rating=answer.rating)
    if choices or answer.rating is not None:
        return "a free-text question takes text only"
    if not isinstance(answer.text, str):
        return "must be text"
    text = answer.text.strip()
    if len(text) > MAX_FREE_TEXT:
        return f"exceeds {MAX_FREE_TEXT} characters"
    return Answer(question_id=question.id, text=text)
