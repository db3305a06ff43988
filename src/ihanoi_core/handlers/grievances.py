"""Handlers of the complaint and denunciation commands (``ihanoi_core.commands.grievances``).

The legal periods come from the directory (``directory.deadlines``), the agency
that resolves a second-time complaint from its ``parent`` links; which period
applies is the aggregate's rule policy. Enum inputs are checked here too, so a
library caller who builds a command with a string outside the enum gets a
``ValidationError`` as an HTTP caller gets a 422.
"""

from __future__ import annotations

from functools import partial

from ihanoi_core.commands import grievances
from ihanoi_core.domain.complaint import Complaint
from ihanoi_core.domain.denunciation import Denunciation
from ihanoi_core.domain.grievance import Grievance
from ihanoi_core.domain.grievance_values import ComplaintKind, Complexity, FilingInput
from ihanoi_core.domain.values import Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.table import Build, Context, creates, decides, decides_by_step


@creates(grievances.FileComplaint)
def file(command: grievances.FileComplaint, ctx: Context) -> Build:
    kind = command.complaint_kind()
    directory = ctx.directory
    errors: dict[str, str] = {}
    if directory.get_agency(command.respondent_agency) is None:
        errors["respondent_agency"] = f"unknown agency {command.respondent_agency!r}"
    if (ward := directory.get_ward(command.ward)) is None:
        errors["ward"] = f"unknown ward {command.ward!r}"
    if kind is ComplaintKind.DENUNCIATION:
        if command.decision_date is not None:
            errors["decision_date"] = "applies to complaints only"
        if command.first_case is not None:
            errors["first_case"] = "applies to complaints only"
    if errors:
        raise ValidationError(errors)
    assert ward is not None
    principal = ctx.principal
    first = _first_complaint(ctx, command.first_case) if command.first_case is not None else None
    resolver = _second_time_resolver(ctx, first) if first is not None else None
    filed = FilingInput(
        subject=command.subject,
        content=command.content,
        respondent_agency=command.respondent_agency,
        ward=command.ward,
        complainant=command.complainant.value(),
        owner=principal.subject if principal.role is Role.CITIZEN else None,
        deadlines=directory.deadlines,
        calendar=ctx.calendar,
    )
    if kind is ComplaintKind.DENUNCIATION:
        return partial(Denunciation.file, **filed)
    return partial(
        Complaint.file,
        **filed,
        remote=ward.remote,
        decision_date=command.decision_date,
        first=first,
        second_time_resolver=resolver,
    )


def _first_complaint(ctx: Context, first_case: str) -> Complaint:
    """The first-time complaint a second-time one is about: the filer's own."""
    first = ctx.bus.load_visible(ctx.principal, first_case, Complaint)
    if first is None:
        raise ValidationError({"first_case": "no such complaint of yours"})
    return first


def _second_time_resolver(ctx: Context, first: Complaint) -> str:
    """The agency that resolves a complaint about ``first``'s decision: the one
    above the agency that decided it (``parent`` in the directory). The Law on
    Complaints gives second-time competence to the next level up, e.g. the city
    People's Committee for a ward's or a department's decision."""
    decider = ctx.directory.get_agency(first.agency or "")
    if decider is None or decider.parent is None:
        raise ValidationError(
            {
                "first_case": f"the agency above {first.agency} is outside this directory; "
                "file the second-time complaint with it directly"
            }
        )
    return decider.parent


decides_by_step(grievances.AcceptComplaint, grievances.RefuseComplaint)


@decides(grievances.ForwardComplaint)
def forward(case: Grievance, command: grievances.ForwardComplaint, ctx: Context) -> None:
    if ctx.directory.get_agency(command.to_agency) is None:
        raise ValidationError({"to_agency": f"unknown agency {command.to_agency!r}"})
    case.forward(
        ctx.principal,
        command.to_agency,
        command.reason,
        deadlines=ctx.directory.deadlines,
        calendar=ctx.calendar,
        timestamp=ctx.now,
    )


decides_by_step(grievances.AssignComplaint, grievances.StartVerification, grievances.HoldDialogue)


@decides(grievances.ExtendComplaint)
def extend(case: Grievance, command: grievances.ExtendComplaint, ctx: Context) -> None:
    try:
        complexity = Complexity(command.complexity)
    except ValueError:
        raise ValidationError({"complexity": f"must be one of {', '.join(Complexity)}"}) from None
    case.extend(
        ctx.principal,
        command.reason,
        complexity=complexity,
        deadlines=ctx.directory.deadlines,
        calendar=ctx.calendar,
        timestamp=ctx.now,
    )


decides_by_step(
    grievances.ExtendPreliminaryCheck,
    grievances.DecideComplaint,
    grievances.ConcludeDenunciation,
    grievances.CloseComplaint,
    grievances.WithdrawComplaint,
    grievances.CommentComplaint,
)
