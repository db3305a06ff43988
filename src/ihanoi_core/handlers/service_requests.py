"""Handlers of the dossier commands (``ihanoi_core.commands.service_requests``).

The procedure catalogue of the directory decides the agency, the fee and the
processing period of a new dossier; the review period is ``dossier_review``.
Every due time is computed with the application's calendar.
"""

from __future__ import annotations

from uuid import UUID

from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    AssignDossier,
    CommentDossier,
    ConfirmDossierPayment,
    ForwardDossier,
    MarkDossierResultReady,
    RateDossier,
    ReceiveDossier,
    RejectDossier,
    RequestDossierPayment,
    RequestDossierSupplement,
    ResumeDossier,
    ReturnDossier,
    ReturnDossierResult,
    StartDossierProcessing,
    SubmitDossier,
    SupplementDossier,
    SuspendDossier,
    WithdrawDossier,
)
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.table import Build, Context, creates, decides


@creates(SubmitDossier)
def submit(command: SubmitDossier, ctx: Context) -> Build:
    directory = ctx.directory
    found = directory.get_procedure(command.procedure)
    if found is None:
        raise ValidationError({"procedure": f"unknown procedure {command.procedure!r}"})
    if directory.get_ward(command.ward) is None:
        raise ValidationError({"ward": f"unknown ward {command.ward!r}"})
    agency = directory.procedure_agency(command.procedure, command.ward).code
    review_rule = directory.deadline("dossier_review")
    applicant = command.applicant.value()
    documents = tuple(document.value() for document in command.documents)

    def build(case_id: UUID, code: str) -> ServiceRequest:
        return ServiceRequest.submit(
            id=case_id,
            code=code,
            actor=ctx.principal,
            procedure=found.code,
            procedure_name=found.name,
            agency=agency,
            ward=command.ward,
            applicant=applicant,
            documents=documents,
            channel=command.channel,
            fee=found.fee,
            processing_rule=found.processing,
            review_rule=review_rule,
            calendar=ctx.calendar,
            timestamp=ctx.now,
        )

    return build


@decides(ReceiveDossier)
def receive(dossier: ServiceRequest, command: ReceiveDossier, ctx: Context) -> None:
    dossier.receive(ctx.principal, calendar=ctx.calendar, timestamp=ctx.now)


@decides(RejectDossier)
def reject(dossier: ServiceRequest, command: RejectDossier, ctx: Context) -> None:
    dossier.reject(ctx.principal, command.reason, timestamp=ctx.now)


@decides(StartDossierProcessing)
def start_processing(dossier: ServiceRequest, command: StartDossierProcessing, ctx: Context) -> None:
    dossier.start_processing(ctx.principal, timestamp=ctx.now)


@decides(RequestDossierSupplement)
def request_supplement(dossier: ServiceRequest, command: RequestDossierSupplement, ctx: Context) -> None:
    dossier.request_supplement(ctx.principal, tuple(command.missing), command.note, timestamp=ctx.now)


@decides(SupplementDossier)
def supplement(dossier: ServiceRequest, command: SupplementDossier, ctx: Context) -> None:
    documents = tuple(document.value() for document in command.documents)
    dossier.supplement(ctx.principal, documents, calendar=ctx.calendar, timestamp=ctx.now)


@decides(RequestDossierPayment)
def request_payment(dossier: ServiceRequest, command: RequestDossierPayment, ctx: Context) -> None:
    dossier.request_payment(ctx.principal, command.amount, command.note, timestamp=ctx.now)


@decides(ConfirmDossierPayment)
def confirm_payment(dossier: ServiceRequest, command: ConfirmDossierPayment, ctx: Context) -> None:
    dossier.confirm_payment(ctx.principal, command.reference, calendar=ctx.calendar, timestamp=ctx.now)


@decides(SuspendDossier)
def suspend(dossier: ServiceRequest, command: SuspendDossier, ctx: Context) -> None:
    dossier.suspend(ctx.principal, command.reason, timestamp=ctx.now)


@decides(ResumeDossier)
def resume(dossier: ServiceRequest, command: ResumeDossier, ctx: Context) -> None:
    dossier.resume(ctx.principal, command.note, calendar=ctx.calendar, timestamp=ctx.now)


@decides(ForwardDossier)
def forward(dossier: ServiceRequest, command: ForwardDossier, ctx: Context) -> None:
    if ctx.directory.get_agency(command.to_agency) is None:
        raise ValidationError({"to_agency": f"unknown agency {command.to_agency!r}"})
    dossier.forward(
        ctx.principal, command.to_agency, command.working_days, command.note, calendar=ctx.calendar, timestamp=ctx.now
    )


@decides(ReturnDossier)
def return_from_forwarding(dossier: ServiceRequest, command: ReturnDossier, ctx: Context) -> None:
    dossier.return_from_forwarding(ctx.principal, command.note, timestamp=ctx.now)


@decides(ApologizeForDossierDelay)
def apologize(dossier: ServiceRequest, command: ApologizeForDossierDelay, ctx: Context) -> None:
    dossier.apologize(ctx.principal, command.reason, command.new_due, calendar=ctx.calendar, timestamp=ctx.now)


@decides(MarkDossierResultReady)
def mark_result_ready(dossier: ServiceRequest, command: MarkDossierResultReady, ctx: Context) -> None:
    dossier.mark_result_ready(ctx.principal, command.note, timestamp=ctx.now)


@decides(ReturnDossierResult)
def return_result(dossier: ServiceRequest, command: ReturnDossierResult, ctx: Context) -> None:
    dossier.return_result(ctx.principal, timestamp=ctx.now)


@decides(WithdrawDossier)
def withdraw(dossier: ServiceRequest, command: WithdrawDossier, ctx: Context) -> None:
    dossier.withdraw(ctx.principal, command.reason, timestamp=ctx.now)


@decides(RateDossier)
def rate(dossier: ServiceRequest, command: RateDossier, ctx: Context) -> None:
    dossier.rate(ctx.principal, command.stars, command.comment, timestamp=ctx.now)


@decides(AssignDossier)
def assign(dossier: ServiceRequest, command: AssignDossier, ctx: Context) -> None:
    dossier.assign(ctx.principal, command.assignee, timestamp=ctx.now)


@decides(CommentDossier)
def comment(dossier: ServiceRequest, command: CommentDossier, ctx: Context) -> None:
    dossier.comment(ctx.principal, command.note, timestamp=ctx.now)
