"""Handlers of the business inquiry commands (``ihanoi_core.commands.business``).

Submitting checks the tax code (check digit and all; it must be the business
the person acts for), the topic and the procedure against the directory, and
routes: the procedure's agency when it is one agency (not "the ward"), else
the topic's, else ``business.default_agency``. The clock counts the
``business_inquiry_answer`` rule on the working calendar; a follow-up after
the answer starts it again.
"""

from __future__ import annotations

from functools import partial

from ihanoi_core.commands.business import (
    AnswerInquiry,
    AskFollowUp,
    AssignInquiry,
    ConsentPublication,
    PublishInquiry,
    RateInquiry,
    SubmitBusinessInquiry,
)
from ihanoi_core.domain import tax_code
from ihanoi_core.domain.business_inquiry import BusinessInquiry
from ihanoi_core.domain.values import Clock
from ihanoi_core.errors import RuleViolationError, ValidationError
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by_step

ANSWER_RULE = "business_inquiry_answer"


def answer_clock(ctx: Context) -> Clock:
    if ANSWER_RULE not in ctx.directory.deadlines:
        raise RuleViolationError(None, "business", f"The directory has no {ANSWER_RULE!r} period.")
    return Clock(ctx.now, ctx.directory.deadline(ANSWER_RULE))


def route(command: SubmitBusinessInquiry, ctx: Context) -> str:
    """The agency that answers (see the module docstring); ``ValidationError``
    for an unknown topic or procedure."""
    directory = ctx.directory
    topic = directory.business.topic(command.topic)
    if topic is None:
        known = ", ".join(t.code for t in directory.business.topics) or "none"
        raise ValidationError({"topic": f"unknown topic {command.topic!r} (known: {known})"})
    candidates = [topic.agency, directory.business.default_agency]
    if command.procedure is not None:
        procedure = directory.get_procedure(command.procedure)
        if procedure is None:
            raise ValidationError({"procedure": f"no procedure {command.procedure!r} in the catalogue"})
        candidates.insert(0, procedure.agency)
    agency = next((code for code in candidates if code is not None and code in directory.agencies), None)
    if agency is None:
        raise RuleViolationError(None, "routing", "The directory names no agency for this topic.")
    return agency


@creates(SubmitBusinessInquiry)
def submit(command: SubmitBusinessInquiry, ctx: Context) -> Build:
    business = tax_code.normalise(command.tax_code)
    if business != ctx.principal.organisation:
        raise ValidationError({"tax_code": "is not the tax code of the business you act for (your token's)"})
    kind = command.business_kind
    if kind is None:
        raise ValidationError({"business_kind": "required (enterprise or household): your token does not say it"})
    return partial(
        BusinessInquiry.submit,
        business=business,
        business_kind=kind,
        topic=command.topic,
        procedure=command.procedure,
        text=command.text,
        agency=route(command, ctx),
        clock=answer_clock(ctx),
        calendar=ctx.calendar,
    )


@decides(AskFollowUp)
def follow_up(inquiry: BusinessInquiry, command: AskFollowUp, ctx: Context) -> None:
    clock = answer_clock(ctx)
    inquiry.ask_follow_up(ctx.principal, command.text, clock=clock, calendar=ctx.calendar, timestamp=ctx.now)


decides_by_step(AnswerInquiry, AssignInquiry, ConsentPublication, PublishInquiry, RateInquiry)
