"""Handlers of the switchboard's commands (``ihanoi_core.commands.questions``).

Asking records the question and, in the same atomic save, what the
application's answerer (``Ihanoi.answerer``) resolved: the answer with its
citations, or the hand-off — to the agency the answerer names (the one agency
of a procedure the question was about) or else the directory's
``questions.handoff_agency`` — with a due time counted on the working
calendar from the directory's ``question_answer`` rule. With no answerer
(a library embedding without read models) every question is handed off.

A citizen asks as themself (they own the question and see it under "my
cases"); staff relaying a call or a Zalo message ask for someone the
platform does not know, so the question has no owner.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import UUID

from ihanoi_core.commands.questions import (
    AnswerQuestion,
    ApproveArticle,
    AskQuestion,
    DraftArticle,
    GiveFeedback,
    PromoteQuestion,
    PublishArticle,
    RetireArticle,
    ReviseArticle,
)
from ihanoi_core.domain.knowledge_article import KnowledgeArticle
from ihanoi_core.domain.question import Question
from ihanoi_core.domain.question_values import ArticleContent
from ihanoi_core.domain.values import Clock, Principal, Role
from ihanoi_core.errors import RuleViolationError, ValidationError
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by_step
from ihanoi_core.knowledge.answers import Resolution


@creates(AskQuestion)
def ask(command: AskQuestion, ctx: Context) -> Build:
    answerer = ctx.bus.answerer
    if answerer is None:
        resolution = Resolution(confidence=0.0, intent="general", reason="no_index")
    else:
        resolution = answerer.resolve(ctx.principal, command.text)
    asker = ctx.principal.subject if ctx.principal.role is Role.CITIZEN else None
    agency = resolution.agency or ctx.directory.questions.handoff_agency
    if resolution.handed_off and (agency is None or "question_answer" not in ctx.directory.deadlines):
        raise RuleViolationError(None, "handoff", "The directory names no agency or period for handed-off questions.")

    def build(*, id: UUID, code: str, actor: Principal, timestamp: datetime) -> Question:
        question = Question.ask(
            id=id, code=code, actor=actor, asker=asker, channel=command.channel, text=command.text, timestamp=timestamp
        )
        if resolution.answer is not None:
            question.auto_answer(
                actor,
                answer=resolution.answer,
                citations=resolution.citations,
                confidence=resolution.confidence,
                intent=resolution.intent,
                generated=resolution.generated,
                timestamp=timestamp,
            )
        else:
            assert agency is not None
            question.hand_off(
                actor,
                agency=agency,
                reason=resolution.reason or "not_found",
                confidence=resolution.confidence,
                candidates=resolution.ranked[:3],
                clock=Clock(timestamp, ctx.directory.deadline("question_answer")),
                calendar=ctx.calendar,
                timestamp=timestamp,
            )
        return question

    return build


decides_by_step(GiveFeedback, AnswerQuestion)


@decides(PromoteQuestion)
def promote(question: Question, command: PromoteQuestion, ctx: Context) -> None:
    article = ctx.bus.load_visible(ctx.principal, command.article, KnowledgeArticle)
    if article is None:
        raise ValidationError({"article": f"no knowledge article {command.article!r} of your agency"})
    question.promote(ctx.principal, article.code, timestamp=ctx.now)


def _content(command: DraftArticle | ReviseArticle, base: ArticleContent | None, ctx: Context) -> ArticleContent:
    procedure = command.procedure if command.procedure is not None else (base.procedure if base else None)
    if procedure is not None and ctx.directory.get_procedure(procedure) is None:
        raise ValidationError({"procedure": f"no procedure {procedure!r} in the catalogue"})
    return ArticleContent(
        title=command.title if command.title is not None else (base.title if base else ""),
        body=command.text if command.text is not None else (base.body if base else ""),
        legal_basis=command.legal_basis if command.legal_basis is not None else (base.legal_basis if base else ""),
        source=command.source if command.source is not None else (base.source if base else ""),
        procedure=procedure,
        keywords=tuple(command.keywords) if command.keywords is not None else (base.keywords if base else ()),
    )


@creates(DraftArticle)
def draft(command: DraftArticle, ctx: Context) -> Build:
    agency = ctx.own_agency("an article belongs to its drafter's agency")
    return partial(KnowledgeArticle.draft, agency=agency, content=_content(command, None, ctx))


@decides(ReviseArticle)
def revise(article: KnowledgeArticle, command: ReviseArticle, ctx: Context) -> None:
    article.revise(ctx.principal, _content(command, article.content, ctx), timestamp=ctx.now)


decides_by_step(ApproveArticle, PublishArticle, RetireArticle)
