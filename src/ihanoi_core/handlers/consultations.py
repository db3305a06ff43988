"""Handlers of the consultation commands (``ihanoi_core.commands.consultations``).

A consultation belongs to the agency of the staff member who opens it. A
comment is not an event on the consultation: it is the respondent's own
``ConsultationComment`` stream (given, then revised), saved in one atomic
write with the consultation's numbering of it when it is first given — an
event whose actor is the system, so the consultation's stream holds nothing
personal. The audience decides who may comment: businesses, citizens or both.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ihanoi_core.commands.consultations import (
    AnswerComment,
    CloseConsultation,
    GiveComment,
    OpenConsultation,
    PublishSynthesis,
)
from ihanoi_core.domain.business_values import Audience
from ihanoi_core.domain.consultation import Consultation, ConsultationComment, comment_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ConflictError, ForbiddenError, RuleViolationError, ValidationError
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.handlers.table import Build, Context, creates, decides_by_step, handles
from ihanoi_core.permissions import authorize

NUMBERING = Principal("consultations:comments", Role.SYSTEM)
AUDIENCE_ROLES = {
    Audience.BUSINESSES: frozenset({Role.BUSINESS}),
    Audience.CITIZENS: frozenset({Role.CITIZEN}),
    Audience.EVERYONE: frozenset({Role.BUSINESS, Role.CITIZEN}),
}


@creates(OpenConsultation)
def open_consultation(command: OpenConsultation, ctx: Context) -> Build:
    agency = ctx.own_agency("a consultation belongs to its opener's agency")
    return partial(
        Consultation.open,
        agency=agency,
        title=command.title,
        summary=command.summary,
        document_url=command.document_url,
        document_sha256=command.document_sha256,
        audience=command.audience,
        opens_at=command.opens_at,
        closes_at=command.closes_at,
    )


@handles(GiveComment)
def give_comment(
    bus: CommandBus, principal: Principal, command: GiveComment, expected_version: int | None
) -> CommandResult:
    """Give or revise the respondent's comment; the result names the
    consultation (its status and version) with the comment's number."""
    if expected_version is not None:
        # A 422, not a crash: HTTP passes an If-Match header through as the expected version.
        raise ValidationError({"expected_version": "a comment is the respondent's own stream: send no If-Match"})
    consultation = bus._load(bus.resolve_case_id(command.case), Consultation)
    authorize(principal, consultation, GiveComment.step(), consultation.id)
    if principal.role not in AUDIENCE_ROLES[consultation.audience]:
        raise ForbiddenError("comment_outside_audience", principal.role.value, consultation.id)
    now = bus.clock()
    if not consultation.takes_comments_at(now):
        raise RuleViolationError(consultation.id, "comment_window", "This consultation is not taking comments now.")
    own_id = comment_id(consultation.id, principal.subject)
    comment = _own_comment(bus, own_id)
    if comment is None:
        comment = ConsultationComment(
            id=own_id,
            consultation_id=consultation.id,
            actor=principal,
            section=command.section,
            text=command.text,
            timestamp=now,
        )
        consultation.register_comment(NUMBERING, own_id, timestamp=now)
    else:
        comment.revise(principal, command.section, command.text, timestamp=now)
    try:
        recordings = bus._store(consultation, comment)
    except IntegrityError:
        raise ConflictError(consultation.id) from None
    return bus._result(consultation, recordings[-1].notification.id, created=comment.version == 1)


def _own_comment(bus: CommandBus, own_id: UUID) -> ConsultationComment | None:
    return bus._stored(own_id, ConsultationComment, cached=True)


def comments_of(bus: CommandBus, principal: Principal, ref: UUID | str) -> list[dict[str, Any]]:
    """The comments of a consultation as ``principal`` may read them: its
    agency's staff and auditors every one, numbered, with the synthesis's
    answer; a respondent their own. Nobody's subject is in them."""
    consultation = bus._load(bus.resolve_case_id(ref), Consultation)
    if principal.role is Role.AUDITOR or (principal.is_staff and principal.agency in consultation.agencies):
        numbered = list(enumerate(consultation.comments, 1))
    elif principal.role in (Role.CITIZEN, Role.BUSINESS):
        own = comment_id(consultation.id, principal.subject)
        numbered = [(number, ref) for number, ref in enumerate(consultation.comments, 1) if ref == own]
    else:
        raise ForbiddenError("read_consultation_comments", principal.role.value, consultation.id)
    answers = {answer.number: answer for answer in consultation.answers}
    views = []
    for number, comment_ref in numbered:
        comment: ConsultationComment = bus._load(comment_ref, ConsultationComment)  # type: ignore[type-var]
        answer = answers.get(number)
        views.append(
            {
                "number": number,
                "section": comment.section,
                "text": comment.text,
                "revisions": comment.revisions,
                "updated_at": comment.modified_on,
                "outcome": answer.outcome.value if answer else None,
                "reply": answer.reply if answer else None,
            }
        )
    return views


decides_by_step(CloseConsultation, AnswerComment, PublishSynthesis)
