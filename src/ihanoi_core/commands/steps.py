"""Steps several kinds of case share, declared once: their name and input.

Rating, assigning, commenting, rejecting what was filed and withdrawing it
take the same input on every kind of case that has them, so the field bounds
HTTP enforces cannot drift apart between kinds (an alert's ``reject``, which
sends a draft back to its author, is another step); approving is a leader's
on every kind that has it (four eyes). A kind's command type takes the step
first and its family's base second (``class RateReport(RateStep,
ReportCommand)``): the family gives the aggregate and the default roles, the
step its own roles where it has them, and the command type keeps its
docstring, which is its summary in the API.
A step is no command by itself: it has no family and no handler.
"""

from __future__ import annotations

from typing import ClassVar

from ihanoi_core.commands.command import CaseCommand
from ihanoi_core.commands.values import Name, RatingComment, Stars, Text
from ihanoi_core.domain.values import Role
from ihanoi_core.permissions import CITIZEN, LEADER


class RateStep(CaseCommand, frozen=True, kw_only=True):
    """Rate the handling of one's own case from 1 to 5 stars, with an optional comment."""

    name: ClassVar[str] = "rate"
    roles: ClassVar[frozenset[Role]] = CITIZEN
    stars: Stars
    comment: RatingComment | None = None


class AssignStep(CaseCommand, frozen=True, kw_only=True):
    """Name the officer who handles the case (the family's roles)."""

    name: ClassVar[str] = "assign"
    assignee: Name


class CommentStep(CaseCommand, frozen=True, kw_only=True):
    """Add a note the filer can read (the family's roles)."""

    name: ClassVar[str] = "comment"
    note: Text


class RejectStep(CaseCommand, frozen=True, kw_only=True):
    """Refuse the case with a reason the filer can read (the family's roles)."""

    name: ClassVar[str] = "reject"
    reason: Text


class WithdrawStep(CaseCommand, frozen=True, kw_only=True):
    """The filer withdraws their own case, saying why."""

    name: ClassVar[str] = "withdraw"
    roles: ClassVar[frozenset[Role]] = CITIZEN
    reason: Text


class ApproveStep(CaseCommand, frozen=True, kw_only=True):
    """Approve what awaits approval: a leader other than its author (four eyes)."""

    name: ClassVar[str] = "approve"
    roles: ClassVar[frozenset[Role]] = LEADER
