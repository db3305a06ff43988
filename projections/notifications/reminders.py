"""Officers' deadline reminders as notices (issue #14 item 4, docs/deadlines.md).

The deadline watcher records ``DeadlineReminded`` (75 % of the time used, or
the last working hour) and ``DeadlineMissed`` on the case, with the agency and
the assignee holding it then. This trigger turns them into notices:

- ``deadline_reminder`` and ``deadline_missed`` to the **assignee** named in
  the event (an officer's subject id, as ``Assigned`` records it);
- ``deadline_missed_agency`` to every **leader of the agency** named in the
  event, when the miss happened (not to the assignee twice, should the
  leader hold the case).

Who is a leader of which agency comes from the log too: staff prove their
channels through the same ``Contactability`` commands as citizens, and each
of those events carries its actor (subject, role, agency); the trigger keeps
the latest role and agency of each person who acted on their own settings in
``view_notification_staff`` (keyed by the subject's pseudonym, no name). A
leader who never set up a channel has nowhere to be reached, and is not
listed. A reminder is work, not an optional notice: it needs no consent and
cannot be opted out of, but waits for the end of quiet hours.

A notice says the case's code, its kind and its due time — not the
description nor the citizen's name (the message goes to staff by e-mail or
SMS, outside the system's access rules). A denunciation's notice names
the case by its code alone, as every notice does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.contactability import Contactability
from ihanoi_core.domain.values import Role
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.notifications.notices import Notice
from ihanoi_projections.notifications.triggers import STAFF, Remember, Trigger, TriggerStep, register

if TYPE_CHECKING:
    from ihanoi_projections.notifications.outbox import OutboxModel

REMINDER_EVENTS = frozenset({"DeadlineReminded", "DeadlineMissed"})
STAFF_ROLES = frozenset({Role.OFFICER, Role.LEADER})


@dataclass(slots=True)
class LeadersNotice(TriggerStep):
    """A missed deadline, to the leaders of ``agency`` as of the miss."""

    trigger: RemindersTrigger
    agency: str
    notice: Notice
    skip: str | None  # the assignee's key: they have their own notice

    def decide(self, model: OutboxModel) -> None:
        for key in sorted(self.trigger.leaders(self.agency)):
            if key != self.skip:
                model.decide(self.notice.to(key))


@register
@dataclass(slots=True)
class RemindersTrigger(Trigger):
    """Deadline reminders and misses to the assignee and the agency's leaders (module docstring)."""

    # This batch's staff changes so far, in log order: key -> (role, agency).
    batch: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # The leaders of the agencies this batch notifies, as last written.
    stored: dict[str, set[str]] = field(default_factory=dict)

    def schema(self) -> Sequence[str]:
        return (
            f"CREATE TABLE IF NOT EXISTS {STAFF} (subject_key TEXT PRIMARY KEY, role TEXT, agency TEXT)",
            f"CREATE INDEX IF NOT EXISTS {STAFF}_agency ON {STAFF} (agency, role)",
        )

    def apply(self, change: Change) -> None:
        aggregate = change.case
        if isinstance(aggregate, Contactability):
            actor = getattr(change.event, "actor", None)
            if aggregate.subject is None or actor is None or actor.subject != aggregate.subject:
                return
            role = Role(actor.role)
            self.model.add_step(
                Remember(
                    self.batch,
                    self.model.context.subject_key(aggregate.subject) or "",
                    (role.value, actor.agency) if role in STAFF_ROLES else (None, None),
                )
            )
        elif isinstance(aggregate, Case) and change.event_name in REMINDER_EVENTS:
            self._reminder(change, aggregate)

    def _reminder(self, change: Change, case: Case) -> None:
        event = change.event
        missed = change.event_name == "DeadlineMissed"
        params: dict[str, Any] = {
            "code": case.code,
            "case_kind": case.kind,
            "threshold": "missed" if missed else event.threshold,
            "agency": event.agency,
            "due_at": None if event.due_at is None else event.due_at.isoformat(),
        }
        assignee = None if event.assignee is None else self.model.context.subject_key(event.assignee)
        kind = "deadline_missed" if missed else "deadline_reminder"
        notice = Notice.about(change, case, kind, params, subject_key=assignee or "")
        if assignee is not None:
            self.model.add_step(notice)
        if missed and event.agency:
            notice = notice.to("", "deadline_missed_agency")
            self.model.add_step(LeadersNotice(self, event.agency, notice, assignee))

    def wanted(self, steps: Sequence[Any]) -> list[str]:
        agencies = sorted({step.agency for step in steps if isinstance(step, LeadersNotice)})
        self.stored = {agency: set() for agency in agencies}
        for start in range(0, len(agencies), 500):
            chunk = agencies[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.model.database.query(
                f"SELECT subject_key, agency FROM {STAFF} WHERE role = ? AND agency IN ({marks})",
                [Role.LEADER.value, *chunk],
            ):
                self.stored[row["agency"]].add(row["subject_key"])
        keys = [key for found in self.stored.values() for key in found]
        keys.extend(step.key for step in steps if isinstance(step, Remember) and step.into is self.batch)
        return keys

    def leaders(self, agency: str) -> set[str]:
        """The leaders of ``agency`` as of the step being decided."""
        found = {key for key in self.stored.get(agency, ()) if key not in self.batch}
        found.update(key for key, (role, at) in self.batch.items() if role == Role.LEADER.value and at == agency)
        return found

    def flush(self, cursor: Cursor) -> None:
        # Only staff are listed: someone who last acted as a citizen is not.
        cursor.executemany(
            f"DELETE FROM {STAFF} WHERE subject_key = ?", [(key,) for key, (role, _) in self.batch.items() if not role]
        )
        cursor.executemany(
            f"INSERT INTO {STAFF} (subject_key, role, agency) VALUES (?, ?, ?) ON CONFLICT (subject_key)"
            " DO UPDATE SET role = excluded.role, agency = excluded.agency",
            [(key, role, agency) for key, (role, agency) in self.batch.items() if role],
        )
        self.discard()

    def discard(self) -> None:
        self.batch = {}
        self.stored = {}

    def forget(self, key: str) -> None:
        self.batch[key] = (None, None)

    def rows(self) -> list[Row]:
        return [{"staff": row} for row in self.model.database.query(f"SELECT * FROM {STAFF} ORDER BY subject_key")]
