"""Handlers of the field-report commands (``ihanoi_core.commands.reports``).

Routing and deadlines come from the directory: category + ward → agency;
acknowledge within ``report_acknowledge``; resolve within the category's (or
the default) period for the priority; reopen within ``report_reopen_window``.
A supporter is recorded by their pseudonym for the report (``CommandBus.pseudonym``).
"""

from __future__ import annotations

from uuid import UUID

from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    CloseReport,
    CommentReport,
    DeclareReportNotResponsible,
    MarkReportDuplicate,
    RateReport,
    RejectReport,
    ReopenReport,
    ResolveReport,
    StartReport,
    SubmitReport,
    SupportReport,
    TransferReport,
)
from ihanoi_core.directory.answers import check_answers
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.values import Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by


@creates(SubmitReport)
def submit(command: SubmitReport, ctx: Context) -> Build:
    directory = ctx.directory
    category = directory.categories.get(command.category)
    if category is None:
        raise ValidationError({"category": f"unknown report category {command.category!r}"})
    attributes = check_answers(category, command.attributes)
    location = command.location.value()
    if directory.wards.get(location.ward) is None:
        raise ValidationError({"location.ward": f"unknown ward {location.ward!r}"})
    principal = ctx.principal
    agency = directory.route(command.category, location.ward).code
    reporter = principal.subject if principal.role is Role.CITIZEN and not command.anonymous else None
    acknowledge_rule = directory.deadline("report_acknowledge")
    contact = command.contact.value() if command.contact is not None else None

    def build(case_id: UUID, code: str) -> Report:
        return Report.submit(
            id=case_id,
            code=code,
            actor=principal,
            category=command.category,
            description=command.description,
            location=location,
            agency=agency,
            priority=command.priority,
            channel=command.channel,
            reporter=reporter,
            contact=contact,
            media_urls=tuple(command.media_urls),
            attributes=attributes,
            acknowledge_rule=acknowledge_rule,
            calendar=ctx.calendar,
            timestamp=ctx.now,
        )

    return build


@decides(AcknowledgeReport)
def acknowledge(report: Report, command: AcknowledgeReport, ctx: Context) -> None:
    priority = command.priority or report.priority
    report.acknowledge(
        ctx.principal,
        priority=priority,
        resolve_rule=ctx.directory.report_deadline(report.category, priority),
        calendar=ctx.calendar,
        timestamp=ctx.now,
    )


decides_by(AssignReport, Report.assign)
decides_by(StartReport, Report.start)
decides_by(CommentReport, Report.comment)


@decides(ResolveReport)
def resolve(report: Report, command: ResolveReport, ctx: Context) -> None:
    window = ctx.directory.deadline("report_reopen_window")
    report.resolve(ctx.principal, command.answer, reopen_window=window, calendar=ctx.calendar, timestamp=ctx.now)


decides_by(CloseReport, Report.close)
decides_by(RejectReport, Report.reject)


@decides(MarkReportDuplicate)
def mark_duplicate(report: Report, command: MarkReportDuplicate, ctx: Context) -> None:
    original = ctx.bus.load_visible(ctx.principal, command.original, Report)
    if original is None:
        raise ValidationError({"original": "no such report is visible to you"})
    note = f"Trùng với phản ánh {original.code}"  # "A duplicate of report …"
    report.mark_duplicate(ctx.principal, original.id, original.code, note, timestamp=ctx.now)


@decides(TransferReport)
def transfer(report: Report, command: TransferReport, ctx: Context) -> None:
    if ctx.directory.agencies.get(command.to_agency) is None:
        raise ValidationError({"to_agency": f"unknown agency {command.to_agency!r}"})
    report.transfer(
        ctx.principal,
        command.to_agency,
        command.reason,
        acknowledge_rule=ctx.directory.deadline("report_acknowledge"),
        calendar=ctx.calendar,
        timestamp=ctx.now,
    )


@decides(DeclareReportNotResponsible)
def declare_not_responsible(report: Report, command: DeclareReportNotResponsible, ctx: Context) -> None:
    responsible = command.responsible.strip()
    # "Not within our competence; the body responsible: …"
    note = f"Không thuộc thẩm quyền; đơn vị chịu trách nhiệm: {responsible}"
    report.declare_not_responsible(ctx.principal, responsible, note, timestamp=ctx.now)


@decides(ReopenReport)
def reopen(report: Report, command: ReopenReport, ctx: Context) -> None:
    report.reopen(
        ctx.principal,
        command.reason,
        resolve_rule=ctx.directory.report_deadline(report.category, report.priority),
        calendar=ctx.calendar,
        timestamp=ctx.now,
    )


decides_by(RateReport, Report.rate)


@decides(SupportReport)
def support(report: Report, command: SupportReport, ctx: Context) -> None:
    supporter = ctx.bus.pseudonym(report.id, ctx.principal.subject)
    report.support(ctx.principal, supporter, timestamp=ctx.now)
