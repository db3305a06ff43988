"""Knowledge articles from a TOML file: the sample the project ships
(``ihanoi_core/data/knowledge.toml``, for the demo and the evaluation) or a
city's own, imported by ``ihanoi knowledge import``.

Each ``[[articles]]`` entry has a ``key`` (its name in the file), the
``agency`` it belongs to, ``title``, ``body``, ``legal_basis``, ``source``
and optional ``keywords`` and ``procedure``. Importing drafts each for its
agency, as the system on behalf of the file; with ``approver`` (a leader's
subject) it is also approved — by that leader, the four-eyes rule still
holding — and published. Each draft's idempotency key is the file's key, so
importing the same file twice drafts nothing new.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
from msgspec import Meta

from ihanoi_core.commands.questions import ApproveArticle, DraftArticle, PublishArticle
from ihanoi_core.domain.question_values import ArticleStatus
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError

if TYPE_CHECKING:
    from ihanoi_core.application import Ihanoi

Key = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[a-z0-9_-]+$")]


class ArticleEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    key: Key
    agency: str
    title: str
    body: str
    legal_basis: str
    source: str
    keywords: tuple[str, ...] = ()
    procedure: str | None = None


class ArticleFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    articles: tuple[ArticleEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Imported:
    key: str
    code: str
    status: str


def read_articles(path: Path | None = None) -> tuple[ArticleEntry, ...]:
    """The entries of ``path`` (the shipped sample when None); ``ValidationError`` naming the problem."""
    if path is None:
        text = resources.files("ihanoi_core.data").joinpath("knowledge.toml").read_text(encoding="utf-8")
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise ValidationError({"file": f"cannot read {path}: {reason}"}) from None
    try:
        return msgspec.convert(tomllib.loads(text), ArticleFile).articles
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ValidationError({"file": str(exc)}) from None


def import_articles(app: Ihanoi, entries: tuple[ArticleEntry, ...], *, approver: str | None = None) -> list[Imported]:
    """Draft (and with ``approver``, approve and publish) each entry."""
    done = []
    for entry in entries:
        if app.directory.get_agency(entry.agency) is None:
            raise ValidationError({f"articles.{entry.key}.agency": f"unknown agency {entry.agency!r}"})
        system = Principal(f"import:{entry.key}", Role.SYSTEM, entry.agency)
        draft = DraftArticle(
            title=entry.title,
            text=entry.body,
            legal_basis=entry.legal_basis,
            source=entry.source,
            procedure=entry.procedure,
            keywords=entry.keywords,
        )
        result = app.handle(system, draft, idempotency_key=f"knowledge:{entry.key}")
        status = result.status
        if approver is not None and status in (ArticleStatus.DRAFT, ArticleStatus.REVISING):
            app.handle(Principal(approver, Role.LEADER, entry.agency), ApproveArticle(case=result.case_id))
            status = app.handle(system, PublishArticle(case=result.case_id)).status
        done.append(Imported(entry.key, result.code, status))
    return done
