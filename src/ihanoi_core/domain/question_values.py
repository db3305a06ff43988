"""The values of the Q&A switchboard (tổng đài hỏi đáp): a question's status
and channel, an article's status, and a citation.

A ``Citation`` names the source an answer comes from — a procedure of the
catalogue, a published knowledge article, the public answer of a resolved
report, a business inquiry's answer published anonymised, or the asker's own
case — with the passage quoted (``quote``: the
text that holds the fact, as the source says it), the field of the source it
comes from (``documents``, ``fee``, ``processing`` …) and its retrieval score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ihanoi_core.domain.personal import ERASED, Personal


class QuestionStatus(StrEnum):
    """Where a question is.

    ``answered``: the switchboard answered it from its sources;
    ``handed_off``: a person of ``agency`` must answer it by ``due_at``;
    ``answered_by_staff``: they did."""

    ANSWERED = "answered"
    HANDED_OFF = "handed_off"
    ANSWERED_BY_STAFF = "answered_by_staff"


class QuestionChannel(StrEnum):
    """Where a question came in: the app, the web portal, Zalo, the hotline
    (a hotline operator types what the caller asks), Messenger."""

    APP = "app"
    WEB = "web"
    ZALO = "zalo"
    HOTLINE = "hotline"
    MESSENGER = "messenger"


class ArticleStatus(StrEnum):
    """Where a knowledge article is. ``revising`` and ``revision_approved``:
    a published article with a revision on its way (the published text stays
    what the public reads until the revision is published)."""

    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    REVISING = "revising"
    REVISION_APPROVED = "revision_approved"
    RETIRED = "retired"


class SourceKind(StrEnum):
    """What a citation points at."""

    PROCEDURE = "procedure"
    ARTICLE = "article"
    REPORT = "report"
    CASE = "case"
    # A business inquiry's answer, published anonymised with the business's consent.
    BUSINESS_ANSWER = "business_answer"


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a fact of an answer comes from: ``kind`` and ``ref`` (a
    procedure code, an article's or report's case code, the asker's case
    code), its title, the field of the source, the passage quoted and the
    retrieval score."""

    kind: SourceKind
    ref: str
    title: str
    field: str
    quote: str
    score: float


@dataclass(frozen=True, slots=True)
class ArticleContent:
    """What an article says, with its legal basis and source (a URL or a
    document reference): both required, an answer engine never cites
    unsourced text. ``procedure``: the catalogue procedure it is about, if any."""

    title: str
    body: str
    legal_basis: str
    source: str
    procedure: str | None = None
    keywords: tuple[str, ...] = ()


# The asker's subject and the question's text are the asker's personal data.
QUESTION_PERSONAL_DATA: Mapping[str, Mapping[str, Personal]] = {
    "Asked": {"asker": Personal("asker", None, names_subject=True), "text": Personal("asker", ERASED)},
}
QUESTION_ERASED_STATE: Mapping[str, object] = {"owner": None, "text": ERASED}

VALUE_TYPES: dict[str, type] = {
    "question_status": QuestionStatus,
    "question_channel": QuestionChannel,
    "article_status": ArticleStatus,
    "source_kind": SourceKind,
    "citation": Citation,
    "article_content": ArticleContent,
}
