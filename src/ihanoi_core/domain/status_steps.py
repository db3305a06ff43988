"""The event bodies of steps that only move a case to another status: closing
a report, a grievance or a survey, starting work on a report. Such an event
carries nothing but who acted and when; its body sets the status and, for
some, stamps the time it happened.

The case declares the body as its own event, so it keeps its topic, and its
command checks the step and triggers it (``Case._take_step``)::

    _close = event("Closed")(entering(S.CLOSED))
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ihanoi_core.domain.values import Principal

if TYPE_CHECKING:
    from ihanoi_core.domain.case import Case


def entering(status: str, stamp: str | None = None) -> Callable[[Case, Principal, datetime], None]:
    """The body of a status step's event: set ``status`` and, with ``stamp``,
    record the event's time in that attribute (``closed_at``)."""

    def body(self: Case, actor: Principal, timestamp: datetime) -> None:
        self.status = status
        if stamp is not None:
            setattr(self, stamp, timestamp)

    return body
