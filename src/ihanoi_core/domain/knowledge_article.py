"""KnowledgeArticle (bài viết hỏi đáp): an answer an agency stands behind,
which the Q&A switchboard may cite.

Lifecycle: ``draft → approved → published → retired``. Staff of the agency
draft it — title, body, legal basis and source, each required, since the
switchboard never cites unsourced text; a leader of that agency who did not
write it approves it (four eyes, as for alerts); staff publish it. A
published article is revised (``revising``), the revision approved by another
leader (``revision_approved``) and published again; until then the published
text is what the public reads (``published``). A leader retires an article
with a reason: it leaves the index at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import event

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.checked_commands import Fields, checked_creation
from ihanoi_core.domain.four_eyes import FourEyesReview
from ihanoi_core.domain.question_values import ArticleContent, ArticleStatus
from ihanoi_core.domain.question_values import ArticleStatus as S
from ihanoi_core.domain.values import Principal

MAX_TITLE = 300
MAX_BODY = 8000


def check_article(case_id: UUID | None, content: ArticleContent) -> ArticleContent:
    """The content with its texts trimmed; ``RuleViolationError`` for an empty
    or too long title, body, legal basis or source."""
    return ArticleContent(
        title=Case._require_text(case_id, "title", content.title, MAX_TITLE),
        body=Case._require_text(case_id, "body", content.body, MAX_BODY),
        legal_basis=Case._require_text(case_id, "legal_basis", content.legal_basis, 1000),
        source=Case._require_text(case_id, "source", content.source, 1000),
        procedure=content.procedure,
        keywords=tuple(word.strip() for word in content.keywords if word.strip()),
    )


class KnowledgeArticle(FourEyesReview, Case):
    """An article of the switchboard's knowledge (see module docstring)."""

    kind: ClassVar[str] = "article"
    REVIEWED: ClassVar[str] = "An article"
    code_prefix: ClassVar[str] = "BV"
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({S.RETIRED})
    TEXT_LIMITS: ClassVar[Mapping[str, int]] = {"reason": 1000}
    TRANSITIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "revise": (S.DRAFT, S.APPROVED, S.PUBLISHED, S.REVISING, S.REVISION_APPROVED),
        "approve": (S.DRAFT, S.REVISING),
        "publish": (S.APPROVED, S.REVISION_APPROVED),
        "retire": (S.PUBLISHED, S.REVISING, S.REVISION_APPROVED),
    }
    UNTIL_FINAL: ClassVar[frozenset[str]] = frozenset()

    STATUSES: ClassVar[tuple[str, ...]] = tuple(ArticleStatus)

    @event("Drafted")
    def __init__(
        self, *, id: UUID, code: str, actor: Principal, agency: str, content: ArticleContent, timestamp: datetime
    ) -> None:
        self._begin(code, S.DRAFT, agency)
        self.content = content
        self.author = actor.subject
        self.approver: str | None = None
        self.published: ArticleContent | None = None
        self.retire_reason: str | None = None

    @checked_creation(__init__)
    @staticmethod
    def draft(fields: Fields) -> Fields:
        """Draft an article of ``agency``."""
        return fields | {"content": check_article(fields["id"], fields["content"])}

    def revise(self, actor: Principal, content: ArticleContent, *, timestamp: datetime) -> None:
        """Replace the working text (an approval given is withdrawn)."""
        self._require("revise")
        self._revise(actor=actor, content=check_article(self.id, content), timestamp=timestamp)

    @event("Revised")
    def _revise(self, actor: Principal, content: ArticleContent, timestamp: datetime) -> None:
        self.content = content
        self._take_revision(actor)

    _approve = event("Approved")(FourEyesReview._approve)

    @property
    def has_gone_out(self) -> bool:
        return self.published is not None

    def publish(self, actor: Principal, *, timestamp: datetime) -> None:
        """Make the approved text the one the switchboard cites."""
        self._require("publish")
        self._publish(actor=actor, content=self.content, timestamp=timestamp)

    @event("Published")
    def _publish(self, actor: Principal, content: ArticleContent, timestamp: datetime) -> None:
        self.published = content
        self.status = S.PUBLISHED

    def retire(self, actor: Principal, reason: str, *, timestamp: datetime) -> None:
        """Withdraw the article from the switchboard, with a reason."""
        self._take_step("retire", actor, timestamp, reason=reason)

    @event("Retired")
    def _retire(self, actor: Principal, reason: str, timestamp: datetime) -> None:
        self.retire_reason = reason
        self.public_note = reason
        self.status = S.RETIRED
