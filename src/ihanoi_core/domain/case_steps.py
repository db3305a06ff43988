"""The checks every case step shares: whether a step is valid from the
current status (``TRANSITIONS``, ``UNTIL_FINAL``), a non-empty bounded text,
the late explanation a late step must give, and the two step shapes built
from them (``_take_step``, ``_issue_answer``) that check, then trigger the
step's ``@event`` method ``_<step>``.

``CaseSteps`` is a plain mixin of ``Case``: it holds no state and declares no
event, so it changes no stored event's topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import InvalidTransitionError, RuleViolationError, ValidationError


class CaseSteps:
    """Status and text checks of ``Case``, and the step shapes built on them."""

    STATUSES: ClassVar[tuple[str, ...]] = ()  # every status of the kind, in order
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset()
    # step -> the statuses it is valid from. A step missing here is not a step
    # of this kind, except those valid until the case is final (UNTIL_FINAL).
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset({"comment", "assign"})
    MAX_ANSWER: ClassVar[int] = 4000  # the longest answer ``_issue_answer`` records
    # The longest text ``_take_step`` accepts, by the text's name, where a kind allows other than 4,000 characters.
    TEXT_LIMITS: ClassVar[Mapping[str, int]] = {}

    if TYPE_CHECKING:
        # Provided by ``Case`` (and its ``Aggregate`` base).
        status: str
        due_at: datetime | None

        @property
        def id(self) -> UUID: ...

        def is_late(self, at: datetime) -> bool: ...

    @classmethod
    def valid_from(cls, step: str) -> tuple[str, ...]:
        """The statuses ``step`` may be taken from (empty: not a step of this kind)."""
        if step in cls.TRANSITIONS:
            return tuple(cls.TRANSITIONS[step])
        if step in cls.UNTIL_FINAL:
            return tuple(sorted(set(cls.STATUSES) - cls.FINAL_STATUSES))
        return ()

    def _require(self, command: str, *allowed: str) -> None:
        """Raise ``InvalidTransitionError`` unless the status is one of
        ``allowed`` (by default: the step's row of ``TRANSITIONS``)."""
        allowed = allowed or self.TRANSITIONS.get(command) or self.valid_from(command)
        if self.status not in allowed:
            raise InvalidTransitionError(self.id, command, self.status, tuple(allowed))

    def _take_step(self, step: str, actor: Principal, timestamp: datetime, **texts: str) -> None:
        """A step needing nothing but to be valid now and, with ``texts``, a
        non-empty text each (a reason, a note; at most ``TEXT_LIMITS`` long): check
        them in that order, then trigger its event method ``_<step>`` (status-only
        ones: ``status_steps``)."""
        self._require(step)
        limits = self.TEXT_LIMITS
        checked = {
            name: self._require_text(self.id, name, text, limits.get(name, 4000)) for name, text in texts.items()
        }
        getattr(self, f"_{step}")(actor=actor, timestamp=timestamp, **checked)

    def _take_step_when_due(self, step: str, actor: Principal, timestamp: datetime, due: str, refusal: str) -> None:
        """A step valid now that may be taken only once the time the case holds
        in its attribute ``due`` has come (refused with ``refusal`` before)."""
        self._require(step)
        if timestamp < getattr(self, due):
            raise RuleViolationError(self.id, due, refusal)
        getattr(self, f"_{step}")(actor=actor, timestamp=timestamp)

    @staticmethod
    def _require_text(case_id: UUID | None, rule: str, text: str, max_length: int = 4000) -> str:
        text = text.strip()
        if not text:
            raise RuleViolationError(case_id, rule, f"{rule.replace('_', ' ')} must not be empty.")
        if len(text) > max_length:
            raise RuleViolationError(case_id, rule, f"{rule.replace('_', ' ')} exceeds {max_length} characters.")
        return text

    def _explain_lateness(self, late: bool, late_explanation: str | None, why: str) -> str | None:
        """The late explanation (giải trình, issue #16) a late step must give —
        recorded in its event and shown to the citizen — or ``None`` on time
        (one given on time is not recorded). Missing when late: a
        ``ValidationError`` on ``late_explanation`` (422) saying ``why`` the
        case is late, nothing stored."""
        if not late:
            return None
        if late_explanation is None or not late_explanation.strip():
            raise ValidationError({"late_explanation": f"required: {why}; explain the delay (giải trình)"})
        return self._require_text(self.id, "late_explanation", late_explanation)

    def _past_due(self) -> str:
        """Why a case past its due time is late, for the refusal that asks why."""
        return "this case is late" + (f" (due {self.due_at.isoformat()})" if self.due_at is not None else "")

    def _issue_answer(
        self,
        step: str,
        field: str,
        actor: Principal,
        text: str,
        late_explanation: str | None,
        timestamp: datetime,
        **more: object,
    ) -> None:
        """Take ``step``, answering the case with ``text`` (its event's ``field``) and ``more``, late ones explained."""
        self._require(step)
        fields = {field: self._require_text(self.id, field, text, self.MAX_ANSWER), **more}
        explanation = self._explain_lateness(self.is_late(timestamp), late_explanation, self._past_due())
        getattr(self, f"_{step}")(actor=actor, **fields, late_explanation=explanation, timestamp=timestamp)
