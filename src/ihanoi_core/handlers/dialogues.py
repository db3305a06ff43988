"""Handlers of the dialogue session commands (``ihanoi_core.commands.dialogues``).

A session belongs to the agency of the leader who schedules it; the agencies
taking part must be in the directory. A business registering a question is
recorded by the system (``REGISTRATION``) with its tax code, not the person.
Referring a question creates a business inquiry of the named agency (one
taking part) for the question's business — with the question's text, the
session's code and a clock from ``business_inquiry_answer`` — then records
its code on the session; a retry by the same person finds the same inquiry.
A follow-up closes only once that inquiry is answered.
"""

from __future__ import annotations

from functools import partial

from ihanoi_core.commands.dialogues import (
    AnswerSessionQuestion,
    CloseFollowUp,
    CloseSession,
    PublishMinutes,
    RecordSessionHeld,
    ReferQuestion,
    RegisterQuestion,
    ScheduleSession,
)
from ihanoi_core.domain import tax_code
from ihanoi_core.domain.business_inquiry import BusinessInquiry
from ihanoi_core.domain.business_values import InquiryStatus
from ihanoi_core.domain.dialogue_session import DialogueSession
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import RuleViolationError, ValidationError
from ihanoi_core.handlers.business import answer_clock
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by_step

REGISTRATION = Principal("dialogues:registration", Role.SYSTEM)


@creates(ScheduleSession)
def schedule(command: ScheduleSession, ctx: Context) -> Build:
    agency = ctx.own_agency("a session belongs to its organiser's agency")
    unknown = [code for code in command.participants if ctx.directory.get_agency(code) is None]
    if unknown:
        raise ValidationError({"participants": f"unknown agencies: {', '.join(unknown)}"})
    return partial(
        DialogueSession.schedule,
        agency=agency,
        title=command.title,
        chair=command.chair,
        participants=tuple(dict.fromkeys(command.participants)),
        held_at=command.held_at,
        place=command.place,
    )


@decides(RegisterQuestion)
def register(session: DialogueSession, command: RegisterQuestion, ctx: Context) -> None:
    business = tax_code.normalise(command.tax_code) if command.tax_code is not None else None
    actor = ctx.principal
    if actor.role is Role.BUSINESS:
        if business not in (None, actor.organisation) or command.from_floor:
            raise ValidationError({"tax_code": "a business registers its own questions, beforehand"})
        business, actor = actor.organisation, REGISTRATION
    session.register_question(actor, command.text, command.from_floor, business, timestamp=ctx.now)


@decides(ReferQuestion)
def refer(session: DialogueSession, command: ReferQuestion, ctx: Context) -> None:
    asked = session.question(command.number)
    if asked.business is None:
        raise ValidationError({"number": "the question names no business to answer (register it with its tax code)"})
    if command.agency not in session.agencies:
        raise ValidationError({"agency": "refer the question to an agency taking part in the session"})
    if ctx.directory.business.topic(command.topic) is None:
        raise ValidationError({"topic": f"unknown topic {command.topic!r}"})
    build = partial(
        BusinessInquiry.submit,
        business=asked.business,
        business_kind=command.business_kind,
        topic=command.topic,
        procedure=None,
        text=asked.text,
        agency=command.agency,
        clock=answer_clock(ctx),
        calendar=ctx.calendar,
        session=session.code,
    )
    key = f"dialogue:{session.id}:{command.number}"
    created = ctx.bus._create(ctx.principal, BusinessInquiry, ReferQuestion.roles, key, build, now=ctx.now)
    session.refer_question(ctx.principal, command.number, created.code, timestamp=ctx.now)


@decides(CloseFollowUp)
def close_follow_up(session: DialogueSession, command: CloseFollowUp, ctx: Context) -> None:
    asked = session.question(command.number)
    if asked.inquiry is not None:
        inquiry = ctx.bus._load(ctx.bus.resolve_case_id(asked.inquiry), BusinessInquiry)
        if inquiry.status == InquiryStatus.OPEN:
            raise RuleViolationError(session.id, "follow_up", f"The inquiry {asked.inquiry} is not answered yet.")
    session.close_follow_up(ctx.principal, command.number, timestamp=ctx.now)


decides_by_step(RecordSessionHeld, AnswerSessionQuestion, PublishMinutes, CloseSession)
