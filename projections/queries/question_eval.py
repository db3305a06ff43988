"""Evaluating the switchboard on a labelled question set.

An evaluation set is a TOML file of ``[[questions]]``: ``text`` as a citizen
writes it, ``sources`` — what answers it, each ``procedure:<code>`` or
``article:<key>`` (a key of the shipped sample articles,
``ihanoi_core/data/knowledge.toml``) — or none at all: the question must be
handed off; and ``part``, ``tune`` (what the threshold and the directory's
words were tuned on) or ``held`` (kept aside, for the test).

A question counts as found at rank k when the switchboard *answered* it and
one of its sources is among the first k it ranked; a handed-off answerable
question counts as not found. Hand-off precision is the share of handed-off
questions that had to be; ``answered_unanswerable`` must be zero.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import msgspec

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.question_values import Citation, SourceKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.knowledge.articles import read_articles
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.queries.questions import Switchboard

ASKER = Principal("eval:citizen", Role.CITIZEN)


class EvalQuestion(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    text: str
    sources: tuple[str, ...] = ()
    part: str = "tune"


class EvalFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    questions: tuple[EvalQuestion, ...]


def read_eval_set(path: Path) -> list[EvalQuestion]:
    """The questions of an evaluation set; a ``ValueError`` naming the file and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {path}: it is not UTF-8 text") from None
    try:
        return list(msgspec.convert(tomllib.loads(text), EvalFile).questions)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ValueError(f"{path}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Figures:
    answerable: int
    unanswerable: int
    recall_at_1: float
    recall_at_3: float
    mrr: float
    handoff_precision: float
    handoff_recall: float
    answered_unanswerable: int
    misses: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def table(self) -> str:
        lines = [
            f"answerable questions    {self.answerable}",
            f"must hand off           {self.unanswerable}",
            f"recall@1                {self.recall_at_1:.3f}",
            f"recall@3                {self.recall_at_3:.3f}",
            f"MRR                     {self.mrr:.3f}",
            f"hand-off precision      {self.handoff_precision:.3f}",
            f"unanswerables handed off {self.handoff_recall:.3f} ({self.answered_unanswerable} answered)",
        ]
        return "\n".join(lines + [f"  miss: {miss}" for miss in self.misses])


def label_of(citation: Citation, article_keys: dict[str, str]) -> str:
    """A citation as the evaluation set names sources."""
    if citation.kind is SourceKind.ARTICLE:
        return f"article:{article_keys.get(citation.title, citation.ref)}"
    return f"{citation.kind.value}:{citation.ref}"


def evaluate(app: Ihanoi, index: KnowledgeIndexModel, questions: list[EvalQuestion]) -> Figures:
    """Run every question through a switchboard over ``index`` (nothing is recorded)."""
    switchboard = Switchboard(app, index)
    article_keys = {entry.title: entry.key for entry in read_articles()}
    found_1 = found_3 = 0
    reciprocal = 0.0
    handed_off = handed_off_rightly = answered_wrongly = 0
    misses = []
    answerable = [q for q in questions if q.sources]
    for question in questions:
        resolution = switchboard.resolve(ASKER, question.text)
        if resolution.handed_off:
            handed_off += 1
            handed_off_rightly += not question.sources
            if question.sources:
                misses.append(f"{question.text!r} handed off ({resolution.confidence:.2f})")
            continue
        if not question.sources:
            answered_wrongly += 1
            misses.append(f"{question.text!r} answered from {resolution.citations[0].ref} (must hand off)")
            continue
        labels = [label_of(citation, article_keys) for citation in resolution.ranked]
        rank = next((i + 1 for i, label in enumerate(labels) if label in question.sources), None)
        if rank is None:
            misses.append(f"{question.text!r} → {labels[:3]} (expected {list(question.sources)})")
            continue
        found_1 += rank == 1
        found_3 += rank <= 3
        reciprocal += 1 / rank
    unanswerable = len(questions) - len(answerable)
    total = len(answerable) or 1
    return Figures(
        answerable=len(answerable),
        unanswerable=unanswerable,
        recall_at_1=found_1 / total,
        recall_at_3=found_3 / total,
        mrr=reciprocal / total,
        handoff_precision=handed_off_rightly / handed_off if handed_off else 1.0,
        handoff_recall=(unanswerable - answered_wrongly) / unanswerable if unanswerable else 1.0,
        answered_unanswerable=answered_wrongly,
        misses=tuple(misses),
    )
