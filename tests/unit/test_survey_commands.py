"""The survey command types: what a body decodes into (with the bounds HTTP
enforces), the domain values their inputs give, and the steps and roles they
declare."""

from __future__ import annotations

import msgspec
import pytest

from ihanoi_core.commands.command import command_from_body, summary_of
from ihanoi_core.commands.surveys import (
    AnswerIn,
    AnswerSurvey,
    PublishSurvey,
    PublishSurveyResults,
    QuestionIn,
    SetSurveyQuestions,
)
from ihanoi_core.domain.questionnaire import Answer, Question, QuestionType
from ihanoi_core.domain.values import Role

DISTRICT = Question("district", "Quận?", QuestionType.SINGLE_CHOICE, required=True, options=("Ba Đình", "Hoàn Kiếm"))


def test_inputs_give_the_domain_values_and_back() -> None:
    assert QuestionIn.of(DISTRICT).value() == DISTRICT
    answer = Answer("district", choices=("Ba Đình",))
    assert AnswerIn.of(answer).value() == answer


def test_a_body_decodes_into_the_command_with_its_bounds() -> None:
    body = b'{"questions": [{"id": "district", "text": "Qu\\u1eadn?", "type": "single_choice", "options": ["a", "b"]}]}'
    decoded = command_from_body(SetSurveyQuestions, "KS-1", msgspec.json.decode(body, type=SetSurveyQuestions.body()))
    assert isinstance(decoded, SetSurveyQuestions)
    assert decoded.questions == (QuestionIn("district", "Quận?", QuestionType.SINGLE_CHOICE, options=("a", "b")),)
    too_many = {"answers": [{"question_id": f"q{n}"} for n in range(101)]}
    bad_id = {"questions": [{"id": "no spaces", "text": "x", "type": "rating"}]}
    for command_type, data in (
        (AnswerSurvey, too_many),
        (SetSurveyQuestions, bad_id),
        (PublishSurvey, {"opens_at": "2026-12-01T08:00:00", "closes_at": "2026-12-08T08:00:00+07:00"}),
        (PublishSurveyResults, {"summary": ""}),
        (AnswerSurvey, {"answers": [], "respondent_token": "x" * 201}),
    ):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(msgspec.json.encode(data), type=command_type.body())


def test_each_command_names_its_step_and_who_runs_it() -> None:
    assert (SetSurveyQuestions.name, SetSurveyQuestions.step()) == ("questions", "set_questions")
    assert (AnswerSurvey.name, AnswerSurvey.step()) == ("responses", "answer")
    assert SetSurveyQuestions.roles_for("survey") == {Role.OFFICER, Role.LEADER}
    assert PublishSurveyResults.roles_for("survey") == {Role.LEADER}
    assert AnswerSurvey.roles_for("survey") == {Role.CITIZEN}
    assert PublishSurveyResults.valid_from("survey") == ("closed",)
    assert summary_of(PublishSurveyResults) == "Publish the summary of a closed survey's results."
