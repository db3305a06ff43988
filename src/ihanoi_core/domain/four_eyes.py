"""The four-eyes review (nguyên tắc bốn mắt) an alert and a knowledge article
share: whoever writes or revises the content is its author, and a leader who
is not the author approves it before it goes out. A revision of content that
went out already takes the "revision" statuses (``revising``,
``revision_approved``) while what went out stays in force.

``FourEyesReview`` is a mixin of ``Alert`` and ``KnowledgeArticle``; each
declares the shared event body as its own (``_approve = event("Approved")(…)``)
so the event keeps its topic, as ``report_exits`` does for ``Report``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from ihanoi_core.domain.values import Principal
from ihanoi_core.errors import RuleViolationError

if TYPE_CHECKING:
    from ihanoi_core.domain.case import Case

    _Case = Case
else:
    _Case = object


class FourEyesReview(_Case):
    """Authoring and approving content under the four-eyes rule."""

    # What the content is, in the four-eyes error ("An alert").
    REVIEWED: ClassVar[str]

    if TYPE_CHECKING:
        author: str
        approver: str | None

    @property
    def has_gone_out(self) -> bool:
        """Whether the content went out once (issued, published)."""
        raise NotImplementedError

    def approve(self, actor: Principal, *, timestamp: datetime) -> None:
        """Approve the content; the approver must not be who wrote it."""
        self._require("approve")
        if actor.subject == self.author:
            raise RuleViolationError(
                self.id, "four_eyes", f"{self.REVIEWED} is approved by a leader other than the person who wrote it."
            )
        self._approve(actor=actor, timestamp=timestamp)

    def _approve(self, actor: Principal, timestamp: datetime) -> None:
        self.approver = actor.subject
        self.status = self._stage("approved", "revision_approved")

    def _take_revision(self, actor: Principal) -> None:
        """What every revision event sets: a new author, any approval withdrawn."""
        self.author = actor.subject
        self.approver = None
        self.status = self._stage("draft", "revising")

    def _stage(self, first: str, again: str) -> str:
        """This kind's status ``again`` once the content went out, else ``first``
        (both kinds name these statuses alike)."""
        name = again if self.has_gone_out else first
        return next(status for status in self.STATUSES if status == name)
