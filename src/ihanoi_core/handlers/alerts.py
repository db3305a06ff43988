"""Handlers of the alert commands (``ihanoi_core.commands.alerts``).

An alert belongs to the agency of the staff member who drafts it (an
imported one, drafted by the system, to the agency the importer names). The
handlers compose the content — a template's defaults, then the alert's
current content, then what the command gives — and check it against the
directory's wards; they name each CAP message: its ``identifier`` is
``{jurisdiction}:{code}:{n}`` (the n-th message of the alert) and its
``sender`` ``{jurisdiction}:{agency}``, both free of the spaces, commas and
``<&`` CAP forbids there. An area's polygon and circles add the wards whose
centre they cover to the wards it names (``ihanoi_core.geometry.covered_wards``), at
drafting and revising, so the leader approves, and the event records, the
very wards the alert will reach.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypedDict

from ihanoi_core.commands.alerts import (
    ApproveAlert,
    CancelAlert,
    DraftAlert,
    FollowUpstream,
    IssueAlert,
    RejectAlert,
    ReviseAlert,
)
from ihanoi_core.directory import Directory
from ihanoi_core.directory.alerts import AlertTemplate
from ihanoi_core.domain.alert import Alert
from ihanoi_core.domain.alert_values import (
    ENGLISH,
    VIETNAMESE,
    AlertContent,
    AlertText,
    check_content,
)
from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import ForbiddenError, ValidationError
from ihanoi_core.geometry import with_covered_wards
from ihanoi_core.handlers.bus import CommandBus, CommandResult
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by_step, handles

REQUIRED = ("category", "urgency", "severity", "certainty", "expires")


class NextMessage(TypedDict):
    """What the alert's next CAP message is stamped with (``Alert.issue`` and
    ``Alert.cancel`` take it by these names)."""

    identifier: str
    sender: str
    sent: datetime


def next_message(alert: Alert, ctx: Context) -> NextMessage:
    """The identifier, sender and sending time of the alert's next CAP
    message. ``sent`` is as CAP states it: whole seconds, at the working
    calendar's offset (+07:00 in Hanoi)."""
    assert alert.agency is not None
    jurisdiction = ctx.directory.jurisdiction_id
    return NextMessage(
        identifier=f"{jurisdiction}:{alert.code}:{len(alert.messages) + 1}",
        sender=f"{jurisdiction}:{alert.agency}",
        sent=ctx.now.astimezone(ctx.calendar.zone).replace(microsecond=0),
    )


def template_defaults(template: AlertTemplate, now: datetime) -> dict[str, Any]:
    """What a template fills in: CAP codes, texts in both languages, and an
    ``expires`` its ``hours`` after now."""
    return {
        "category": template.category,
        "urgency": template.urgency,
        "severity": template.severity,
        "certainty": template.certainty,
        "response_type": template.response_type,
        "expires": now + timedelta(hours=template.hours),
        "template": template.code,
        "texts": (
            AlertText(
                VIETNAMESE, template.event_vi, template.headline_vi, template.description_vi, template.instruction_vi
            ),
            AlertText(
                ENGLISH, template.event_en, template.headline_en, template.description_en, template.instruction_en
            ),
        ),
    }


def compose(
    command: DraftAlert | ReviseAlert, base: dict[str, Any], directory: Directory, now: datetime
) -> AlertContent:
    """``base`` overlaid with what ``command`` gives, checked (``ValidationError``
    naming every missing or bad field)."""
    fields = dict(base)
    for name in ("category", "urgency", "severity", "certainty", "response_type", "onset", "expires", "web"):
        if (value := getattr(command, name)) is not None:
            fields[name] = value
    if command.texts:
        fields["texts"] = tuple(text.value() for text in command.texts)
    if command.areas:
        centres = {code: ward.centre for code, ward in directory.wards.items() if ward.centre is not None}
        fields["areas"] = tuple(with_covered_wards(area.value(), centres) for area in command.areas)
    missing = {
        name: "is required (or give a template)" for name in (*REQUIRED, "texts", "areas") if not fields.get(name)
    }
    if missing:
        raise ValidationError(missing)
    # Every name in ``fields`` is one of the content's: a template's, the alert's or the command's.
    content = AlertContent(**fields)
    return check_content(content, directory.wards, now=now)


def content_fields(content: AlertContent) -> dict[str, Any]:
    """The content's fields by name, as ``compose`` overlays them (its texts
    and areas stay values: ``dataclasses.asdict`` would turn them into dicts)."""
    return {field.name: getattr(content, field.name) for field in dataclasses.fields(content)}


@creates(DraftAlert)
def draft(command: DraftAlert, ctx: Context) -> Build:
    agency = ctx.own_agency("an alert belongs to its drafter's agency")
    base: dict[str, Any] = {}
    if command.template is not None:
        template = ctx.directory.alerts.template(command.template)
        if template is None:
            raise ValidationError({"template": f"no template {command.template!r} in the directory"})
        base = template_defaults(template, ctx.now)
    content = compose(command, base, ctx.directory, ctx.now)
    source = command.source.value() if command.source is not None else None
    return partial(Alert.draft, agency=agency, content=content, source=source)


@decides(ReviseAlert)
def revise(alert: Alert, command: ReviseAlert, ctx: Context) -> None:
    """Revise the alert with what ``command`` gives over its current content."""
    alert.revise(
        ctx.principal, compose(command, content_fields(alert.content), ctx.directory, ctx.now), timestamp=ctx.now
    )


decides_by_step(ApproveAlert, RejectAlert)


@decides(IssueAlert)
def issue(alert: Alert, command: IssueAlert, ctx: Context) -> None:
    alert.issue(ctx.principal, **next_message(alert, ctx), timestamp=ctx.now)


@decides(CancelAlert)
def cancel(alert: Alert, command: CancelAlert, ctx: Context) -> None:
    alert.cancel(ctx.principal, command.reason, **next_message(alert, ctx), timestamp=ctx.now)


@handles(FollowUpstream)
def follow_upstream(
    bus: CommandBus, principal: Principal, command: FollowUpstream, expected_version: int | None
) -> CommandResult:
    """An upstream Update goes the four-eyes way (a revision for a leader to
    approve); an upstream Cancel takes effect at once, as a leader's would
    (docs/alerts.md says why)."""
    if principal.role not in command.roles:
        raise ForbiddenError(command.name, principal.role.value, command.case)
    source = command.source.value()

    def decide(alert: Alert, now: datetime) -> None:
        if source == alert.source or source in alert.upstream:
            return  # applied already: nothing changes
        ctx = Context(principal, now, bus)
        if command.msg_type == "Update":
            revise(alert, command.revision or ReviseAlert(case=alert.id), ctx)
        else:
            reason = command.note or f"Hủy theo thông báo {source.identifier} của {source.sender}."
            if alert.messages:
                alert.cancel(principal, reason[:1000], **next_message(alert, ctx), timestamp=now)
            else:
                alert.reject(principal, reason[:1000], timestamp=now)
        alert.receive_upstream(principal, source, timestamp=now)

    return bus._act(principal, command.case, Alert, "follow_upstream", decide, expected_version)
