"""The outbox's pluggable triggers: kinds of notice decided outside ``outbox``.

A trigger sees every change the outbox reads (``apply``) and adds steps to
its batch, in log order. A step is either one of the outbox's own (a
``Notice`` to one person) or a ``TriggerStep``, whose ``decide`` runs when the
outbox decides its batch (``OutboxModel.prepare``), in log order with every
other step, so it sees the recipients as of its event. A trigger may keep
tables of its own (derived state, cleared and rebuilt with the outbox) and
names the subject keys it needs loaded before deciding (``wanted``).

The triggers (registered with ``register`` by their modules, which the
package's ``__init__`` imports, so that every outbox has them):

- ``reminders``: an officer's deadline reminder and missed deadline, to the
  assignee, and a missed one to the leaders of the agency (issue #14 item 4);
- ``surveys``: invitations to a published survey's audience;
- ``area``: new reports to the people subscribed to their area;
- ``conversations``: replies to chat threads and their reports' status (issue #20);
- ``payment_notices``: a fee due, with its payment's code and where to pay,
  and the paid fee's receipt (issue #19);
- ``legal``: the column that remembers a legally required notice's
  ``NoticeDelivered`` was recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row

if TYPE_CHECKING:
    from ihanoi_projections.notifications.outbox import OutboxModel

STAFF = "view_notification_staff"
SURVEY_IDENTITY = "view_notification_survey_identity"
REPORT_AREAS = "view_notification_report_areas"
CONVERSATION_CASES = "view_notification_conversation_cases"
PAYMENT_REQUESTS_SEEN = "view_notification_payment_requests"
# The tables of every trigger, cleared with the outbox's derived state on a rebuild.
TRIGGER_TABLES: tuple[str, ...] = (STAFF, SURVEY_IDENTITY, REPORT_AREAS, CONVERSATION_CASES, PAYMENT_REQUESTS_SEEN)


class TriggerStep:
    """A step of the outbox's batch that a trigger decides itself."""

    def decide(self, model: OutboxModel) -> None:
        raise NotImplementedError


@dataclass(slots=True)
class Remember(TriggerStep):
    """A person's change a trigger keeps in its batch (``into``: key -> value)
    in log order, so the steps after it are decided as of it."""

    into: dict[str, Any]
    key: str
    value: Any

    def decide(self, model: OutboxModel) -> None:
        self.into[self.key] = self.value


@dataclass(slots=True, eq=False)
class Trigger:
    """Base of a trigger (module docstring) of the outbox ``model``; every hook
    does nothing by default."""

    model: OutboxModel

    def schema(self) -> Sequence[str]:
        return ()

    def apply(self, change: Change) -> None:
        """Add this change's steps to ``self.model.batch_steps``."""

    def wanted(self, steps: Sequence[Any]) -> list[str]:
        """The subject keys the steps of this batch need (queries allowed)."""
        return []

    def flush(self, cursor: Cursor) -> None:
        """Write the trigger's own derived state, in the outbox's transaction."""

    def discard(self) -> None:
        """Forget the batch (rolled back)."""

    def rows(self) -> list[Row]:
        """The trigger's derived rows, for a rebuild's comparison."""
        return []

    def forget(self, key: str) -> None:
        """The person of ``key`` was erased: drop what the trigger keeps of them
        (a rebuild never writes it: their events read as erased)."""


@dataclass(slots=True)
class Erased(TriggerStep):
    """A person's ``Contactability`` was erased: every trigger forgets them."""

    contactability: str

    def decide(self, model: OutboxModel) -> None:
        key = model.erased_key(self.contactability)
        if key is not None:
            for trigger in model.triggers:
                trigger.forget(key)


T = TypeVar("T", bound=type[Trigger])
# Registered by their modules, which the package imports (``__init__``).
TRIGGERS: list[type[Trigger]] = []


def register(trigger: T) -> T:
    """Plug a trigger class into every outbox built from now on."""
    if trigger not in TRIGGERS:
        TRIGGERS.append(trigger)
    return trigger


def build_triggers(model: OutboxModel) -> list[Trigger]:
    return [trigger(model) for trigger in TRIGGERS]


@register
class ErasureTrigger(Trigger):
    """Queues ``Erased`` when a ``Contactability`` is erased (before the
    outbox's own step, which makes the person nobody)."""

    def apply(self, change: Change) -> None:
        if change.event_name == "PersonalDataErased" and type(change.case).__name__ == "Contactability":
            self.model.add_step(Erased(str(change.case.id)))
