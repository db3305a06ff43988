"""Handlers of the field-report commands (``ihanoi_core.commands.reports``).

Routing and deadlines come from the directory: category + ward → agency;
acknowledge within ``report_acknowledge``; resolve within the category's (or
the default) period for the priority; reopen within ``report_reopen_window``.
A supporter is recorded by their pseudonym for the report (``CommandBus.pseudonym``).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ihanoi_core.commands import reports
from ihanoi_core.directory.answers import check_answers
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_values import Photo, PhotoStage
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by_step


@creates(reports.SubmitReport)
def submit(command: reports.SubmitReport, ctx: Context) -> Build:
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
    max_photos = ctx.bus.settings.media_max_per_report
    if len(command.photos) > max_photos:
        raise ValidationError({"photos": f"a report carries at most {max_photos} photos"})
    if len(set(command.photos)) != len(command.photos):
        raise ValidationError({"photos": "each photo may be named once"})
    photos = [
        stored_photo(ctx, sha256, PhotoStage.EVIDENCE, f"photos[{index}]")
        for index, sha256 in enumerate(command.photos)
    ]

    def build(*, id: UUID, code: str, actor: Principal, timestamp: datetime) -> Report:
        report = Report.submit(
            id=id,
            code=code,
            actor=actor,
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
            timestamp=timestamp,
        )
        # Saved with the report, in the same transaction.
        for photo in photos:
            report.attach_photo(actor, photo, max_photos=max_photos, timestamp=timestamp)
        return report

    return build


def stored_photo(ctx: Context, sha256: str, stage: PhotoStage, field: str) -> Photo:
    """The photo ``sha256`` names, as an event records it; 422 unless it was uploaded."""
    described = ctx.bus.photos.describe(sha256)
    if described is None:
        raise ValidationError({field: "no uploaded photo has this sha256; upload it first (POST /api/v1/media)"})
    width, height, content_type = described
    return Photo(
        sha256=sha256,
        width=width,
        height=height,
        content_type=content_type,
        stage=stage,
        uploaded_by=ctx.principal.role,
    )


def check_stage(principal: Principal, stage: PhotoStage) -> None:
    """Before and after photos are the agency's record of its work; a citizen adds evidence."""
    if principal.role is Role.CITIZEN and stage is not PhotoStage.EVIDENCE:
        raise ValidationError({"stage": "a citizen attaches evidence photos; before and after are the agency's"})


@decides(reports.AttachReportPhoto)
def attach_photo(report: Report, command: reports.AttachReportPhoto, ctx: Context) -> None:
    stage = PhotoStage(command.stage)
    check_stage(ctx.principal, stage)
    photo = stored_photo(ctx, command.photo, stage, "photo")
    report.attach_photo(ctx.principal, photo, max_photos=ctx.bus.settings.media_max_per_report, timestamp=ctx.now)


decides_by_step(reports.HideReportPhoto)


@decides(reports.AcknowledgeReport)
def acknowledge(report: Report, command: reports.AcknowledgeReport, ctx: Context) -> None:
    priority = command.priority or report.priority
    report.acknowledge(
        ctx.principal,
        priority=priority,
        resolve_rule=ctx.directory.report_deadline(report.category, priority),
        calendar=ctx.calendar,
        timestamp=ctx.now,
    )


decides_by_step(reports.AssignReport, reports.StartReport, reports.CommentReport)


@decides(reports.ResolveReport)
def resolve(report: Report, command: reports.ResolveReport, ctx: Context) -> None:
    window = ctx.directory.deadline("report_reopen_window")
    report.resolve(
        ctx.principal,
        command.answer,
        reopen_window=window,
        calendar=ctx.calendar,
        timestamp=ctx.now,
        late_explanation=command.late_explanation,
    )


decides_by_step(reports.CloseReport, reports.RejectReport)


@decides(reports.MarkReportDuplicate)
def mark_duplicate(report: Report, command: reports.MarkReportDuplicate, ctx: Context) -> None:
    original = ctx.bus.load_visible(ctx.principal, command.original, Report)
    if original is None:
        raise ValidationError({"original": "no such report is visible to you"})
    note = f"Trùng với phản ánh {original.code}"  # "A duplicate of report …"
    report.mark_duplicate(ctx.principal, original.id, original.code, note, timestamp=ctx.now)


@decides(reports.TransferReport)
def transfer(report: Report, command: reports.TransferReport, ctx: Context) -> None:
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


@decides(reports.DeclareReportNotResponsible)
def declare_not_responsible(report: Report, command: reports.DeclareReportNotResponsible, ctx: Context) -> None:
    responsible = command.responsible.strip()
    # "Not within our competence; the body responsible: …"
    note = f"Không thuộc thẩm quyền; đơn vị chịu trách nhiệm: {responsible}"
    report.declare_not_responsible(ctx.principal, responsible, note, timestamp=ctx.now)


@decides(reports.ReopenReport)
def reopen(report: Report, command: reports.ReopenReport, ctx: Context) -> None:
    report.reopen(
        ctx.principal,
        command.reason,
        resolve_rule=ctx.directory.report_deadline(report.category, report.priority),
        calendar=ctx.calendar,
        timestamp=ctx.now,
    )


decides_by_step(reports.RateReport)


@decides(reports.SupportReport)
def support(report: Report, command: reports.SupportReport, ctx: Context) -> None:
    supporter = ctx.bus.pseudonym(report.id, ctx.principal.subject)
    report.support(ctx.principal, supporter, timestamp=ctx.now)
