"""The ``[questions]`` table of the directory: how the Q&A switchboard
(tổng đài hỏi đáp) hands off and what words it knows.

- ``handoff_agency``: who answers a question nobody's source answers (a
  question about a procedure goes to that procedure's agency when it is one
  agency, not "the ward");
- ``confidence_threshold``: below it the switchboard does not answer but
  hands off (it never gives a confident wrong answer), with its ``basis``;
- ``synonyms``: abbreviations and everyday names citizens use, each mapped to
  the words of the catalogue (``gplx`` → ``giấy phép lái xe``, ``sổ đỏ`` →
  ``giấy chứng nhận quyền sử dụng đất``); written with or without
  diacritics, they are matched folded (``ihanoi_core.text.fold``);
- ``stopwords``: words of how people ask (``cho hỏi``, ``thủ tục``, ``gì``)
  that say nothing about what is asked, so they count for nothing when the
  switchboard decides how sure it is;
- ``qualifiers``: words that make it another procedure (``cấp lại``, ``nước
  ngoài``, ``thi bằng lái``): a source that does not say them does not answer
  a question that does, however much else they share.

The handing-off period is the ``question_answer`` rule of ``[deadlines]``,
with its basis, like every other period.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

Phrase = Annotated[str, Meta(min_length=1, max_length=200)]


class Synonym(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Words citizens say (``say``) for words the sources use (``means``)."""

    say: tuple[Phrase, ...]
    means: Phrase


class QuestionDirectory(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The ``[questions]`` table (see module docstring)."""

    handoff_agency: str | None = None
    confidence_threshold: Annotated[float, Meta(ge=0, le=1)] = 0.6
    basis: str = "project default, configurable: measured on the evaluation set in benchmarks/questions.py"
    synonyms: tuple[Synonym, ...] = ()
    stopwords: tuple[Phrase, ...] = ()
    qualifiers: tuple[Phrase, ...] = ()


def question_problems(questions: QuestionDirectory, agencies: set[str], deadlines: set[str]) -> list[tuple[str, str]]:
    """What a schema cannot check: a known hand-off agency, and a
    ``question_answer`` period when questions may be handed off."""
    problems: list[tuple[str, str]] = []
    if questions.handoff_agency is not None:
        if questions.handoff_agency not in agencies:
            problems.append(("questions.handoff_agency", f"unknown agency {questions.handoff_agency!r}"))
        if "question_answer" not in deadlines:
            problems.append(("deadlines.question_answer", "is required when questions.handoff_agency is set"))
    return problems
