"""Handlers of the dossier commands (``ihanoi_core.commands.service_requests``).

The procedure catalogue of the directory decides the agency, the fee and the
processing period of a new dossier; the review period is ``dossier_review``.
Every due time is computed with the application's calendar.
"""

from __future__ import annotations

from functools import partial

from ihanoi_core.commands import service_requests
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by, decides_by_step


@creates(service_requests.SubmitDossier)
def submit(command: service_requests.SubmitDossier, ctx: Context) -> Build:
    directory = ctx.directory
    found = directory.get_procedure(command.procedure)
    if found is None:
        raise ValidationError({"procedure": f"unknown procedure {command.procedure!r}"})
    if directory.get_ward(command.ward) is None:
        raise ValidationError({"ward": f"unknown ward {command.ward!r}"})
    agency = directory.procedure_agency(command.procedure, command.ward).code
    return partial(
        ServiceRequest.submit,
        procedure=found.code,
        procedure_name=found.name,
        agency=agency,
        ward=command.ward,
        applicant=command.applicant.value(),
        documents=tuple(document.value() for document in command.documents),
        channel=command.channel,
        fee=found.fee,
        processing_rule=found.processing,
        review_rule=directory.deadline("dossier_review"),
        calendar=ctx.calendar,
    )


decides_by_step(
    service_requests.ReceiveDossier, service_requests.RejectDossier, service_requests.StartDossierProcessing
)


@decides(service_requests.RequestDossierSupplement)
def request_supplement(
    dossier: ServiceRequest, command: service_requests.RequestDossierSupplement, ctx: Context
) -> None:
    dossier.request_supplement(ctx.principal, tuple(command.missing), command.note, timestamp=ctx.now)


@decides(service_requests.SupplementDossier)
def supplement(dossier: ServiceRequest, command: service_requests.SupplementDossier, ctx: Context) -> None:
    documents = tuple(document.value() for document in command.documents)
    dossier.supplement(ctx.principal, documents, calendar=ctx.calendar, timestamp=ctx.now)


# RequestDossierPayment: the payment process manager (ihanoi_core.payments.process) creates the payment with it.
decides_by_step(service_requests.ConfirmDossierPayment, service_requests.SuspendDossier, service_requests.ResumeDossier)


@decides(service_requests.ForwardDossier)
def forward(dossier: ServiceRequest, command: service_requests.ForwardDossier, ctx: Context) -> None:
    if ctx.directory.get_agency(command.to_agency) is None:
        raise ValidationError({"to_agency": f"unknown agency {command.to_agency!r}"})
    dossier.forward(
        ctx.principal, command.to_agency, command.working_days, command.note, calendar=ctx.calendar, timestamp=ctx.now
    )


decides_by(service_requests.ReturnDossier, ServiceRequest.return_from_forwarding)
decides_by_step(
    service_requests.ApologizeForDossierDelay,
    service_requests.MarkDossierResultReady,
    service_requests.ReturnDossierResult,
    service_requests.WithdrawDossier,
    service_requests.RateDossier,
    service_requests.AssignDossier,
    service_requests.CommentDossier,
)
