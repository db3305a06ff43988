"""The Q&A switchboard (tổng đài hỏi đáp): reads a question and answers it
from the sources it can cite, or says it cannot.

``Switchboard.resolve`` is the application's answerer (``Ihanoi.answerer``):

1. A case code (``PA-261128-483920``, any of the platform's prefixes) answers
   from the asker's *own* case, through the application's permission rules
   (``Ihanoi.get_case``): a code that is not theirs, or a question relayed by
   staff for an unknown caller, is handed off, and says nothing of that case.
   "Hồ sơ của tôi" without a code answers from the asker's own latest cases
   (when they have none, the sources are searched as for any question).
2. Otherwise the question is analysed (``Lexicon``: folded, synonyms added,
   stopwords and place names dropped) and searched in ``knowledge_index``
   (BM25 on SQLite, ``ts_rank`` on PostgreSQL). The candidates are scored on
   how much of the question a source covers and how much of the source's
   title the question names; the best score is the confidence.
3. Below the directory's ``confidence_threshold`` the question is handed off
   (to the agency of the procedure it seems to be about, when that is one
   agency): the switchboard never answers when unsure. Above it, what the
   question asks (``intent_of``: documents, fee, period, agency) picks the
   passages of the source, quoted as the source says them, each cited.
4. A ``Generator`` (off by default) may rephrase the extractive answer; a
   rephrasing that drops a citation is discarded (``generator``).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.case import Case
from ihanoi_core.domain.question_values import Citation, SourceKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError
from ihanoi_core.events.catalogue import AGGREGATES
from ihanoi_core.knowledge.answers import MAIN_FIELD, Resolution, Source, cite, compose, intent_of
from ihanoi_core.knowledge.generator import Generator, OpenAICompatibleGenerator, rephrase_checked
from ihanoi_core.knowledge.text import Analysed, Lexicon, syllables
from ihanoi_projections.case_status import CaseStatus
from ihanoi_projections.knowledge_docs import Hit, IndexedDoc
from ihanoi_projections.knowledge_index import KnowledgeIndexModel

# The code prefix of every kind of case (``code_prefix``, declared on each
# aggregate); the base's placeholder names no case anyone files.
CASE_PREFIXES = sorted(
    {kind.code_prefix for kind in AGGREGATES if issubclass(kind, Case) and kind.code_prefix != Case.code_prefix}
)
CASE_CODE = re.compile(
    rf"(?<![A-Z0-9])({'|'.join(CASE_PREFIXES)})[-\s]?(\d{{6}})[-\s]?(\d{{6}})(?![0-9])", re.IGNORECASE
)
# "My cases" without a code: the asker's own latest cases answer (folded phrases).
OWN_CASES = re.compile(r"\b(ho so|phan anh|don|khieu nai|to cao) (cua )?(toi|em|minh|nha toi|chau)\b")
OWN_CASES_SHOWN = 3
CANDIDATES = 20
# How the two coverages make a score: the question's meaningful units a source
# holds, and the source's title units the question names.
QUESTION_WEIGHT = 0.55
TITLE_WEIGHT = 0.45
NAMED_TITLE_SHARE = 0.25
# Likewise when the source holds less than 70 % of what the question asks
# ("giá vàng hôm nay": one word in common is not an answer).
COVERED_QUESTION_SHARE = 0.7
STATUS_WORDS = {
    "submitted": "đã tiếp nhận",
    "acknowledged": "đã chuyển cơ quan xử lý",
    "assigned": "đã giao cán bộ",
    "in_progress": "đang xử lý",
    "resolved": "đã xử lý xong",
    "closed": "đã đóng",
    "rejected": "bị từ chối",
    "handed_off": "đang chờ cán bộ trả lời",
    "answered": "đã được trả lời",
    "answered_by_staff": "đã được cán bộ trả lời",
}


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate source and how well it answers the question."""

    hit: Hit
    question_coverage: float
    title_coverage: float
    # The question says a qualifier ("cấp lại", "nước ngoài") the source does not.
    misses_qualifier: bool = False

    @property
    def confidence(self) -> float:
        """The weighted coverages, scaled down when the question names less than
        a quarter of the source's title: a source that only mentions what is
        asked in passing (a passport among a procedure's documents) is not its
        answer. The title coverage is the best of the source's names (an
        article's keywords are names too). A source that does not say a
        qualifier the question says (``questions.qualifiers``) answers nothing."""
        if self.misses_qualifier:
            return 0.0
        named = min(1.0, self.title_coverage / NAMED_TITLE_SHARE)
        covered = min(1.0, self.question_coverage / COVERED_QUESTION_SHARE)
        return (QUESTION_WEIGHT * self.question_coverage + TITLE_WEIGHT * self.title_coverage) * named * covered


class Switchboard:
    """See the module docstring."""

    def __init__(
        self,
        app: Ihanoi,
        index: KnowledgeIndexModel,
        generator: Generator | None = None,
        my_cases: Callable[[Principal], list[CaseStatus]] | None = None,
    ) -> None:
        """``my_cases``: a citizen's own cases, latest first (``Queries.my_cases``),
        for "hồ sơ của tôi đến đâu rồi" asked without a code."""
        self.app = app
        self.index = index
        self.generator = generator
        self.my_cases = my_cases
        directory = app.directory
        self.threshold = directory.questions.confidence_threshold
        self.lexicon = Lexicon(directory.questions, [ward.name for ward in directory.wards.values()])
        known: set[str] = set()
        for doc in index.catalogue():
            known.update(syllables(doc.title + " " + " ".join(doc.fields.values())))
        for synonym in directory.questions.synonyms:
            for said in synonym.say:
                known.update(syllables(said))
        self.lexicon.learn(known)
        self._titles: OrderedDict[str, tuple[frozenset[str], ...]] = OrderedDict()

    # -- the answerer -------------------------------------------------------

    def resolve(self, principal: Principal, text: str) -> Resolution:
        if (match := CASE_CODE.search(text)) is not None:
            return self._case(principal, "-".join(match.groups()).upper())
        analysed = self.lexicon.analyse(text)
        if OWN_CASES.search(analysed.folded) is not None and (own := self._own_cases(principal)) is not None:
            return own
        intent = intent_of(analysed.folded)
        ranked = self.rank(analysed)
        sources = tuple(self._citation(scored) for scored in ranked[:3])
        if not ranked or ranked[0].confidence < self.threshold:
            top = ranked[0] if ranked else None
            confidence = top.confidence if top else 0.0
            agency = top.hit.doc.agency if top and top.hit.doc.kind is SourceKind.PROCEDURE else None
            reason = "not_found" if top is None else "low_confidence"
            return Resolution(confidence=confidence, intent=intent, reason=reason, agency=agency, ranked=sources)
        best = ranked[0]
        answer, citations = compose(self._source(best), intent)
        related = tuple(
            self._citation(scored)
            for scored in ranked[1:3]
            if scored.confidence >= self.threshold and scored.hit.doc.doc_id != best.hit.doc.doc_id
        )
        citations = (*citations, *related)
        generated = False
        if self.generator is not None:
            rephrased = rephrase_checked(self.generator, text, answer, citations)
            if rephrased is not None:
                answer, generated = rephrased, True
        return Resolution(
            confidence=best.confidence,
            intent=intent,
            answer=answer,
            citations=citations,
            generated=generated,
            ranked=sources,
        )

    # -- retrieval ------------------------------------------------------------

    def rank(self, analysed: Analysed) -> list[Scored]:
        """The candidates for a question, best first."""
        units = analysed.units
        if not units:
            return []
        scored = []
        # Phrases (bigrams) find the candidates; single syllables only when the
        # question has no phrase ("sinh" alone is in thousands of texts).
        bigrams = [unit for unit in analysed.search if unit not in analysed.syllables]
        for hit in self.index.search(bigrams or analysed.search, bigrams, CANDIDATES):
            terms = frozenset(hit.doc.terms.split())
            held = units & terms
            title = max(
                (len(names & units) / len(names) for names in self._names(hit.doc) if names),
                default=0.0,
            )
            unsaid = any(qualifier not in terms for qualifier in analysed.qualifiers)
            scored.append(Scored(hit, len(held) / len(units), title, unsaid))
        best_rank = max((s.hit.rank for s in scored), default=0.0) or 1.0
        # The text-search rank breaks ties only (a hundredth of a point at most).
        return sorted(scored, key=lambda s: (-(s.confidence + 0.01 * s.hit.rank / best_rank), s.hit.doc.doc_id))

    def search(self, text: str, limit: int = 10) -> list[tuple[Citation, float]]:
        """Public FAQ search: the sources for ``text``, each cited by its main
        passage, with its score; nothing is recorded."""
        return [(self._citation(s), round(s.confidence, 4)) for s in self.rank(self.lexicon.analyse(text))[:limit]]

    def _names(self, doc: IndexedDoc) -> tuple[frozenset[str], ...]:
        """What a source is called: its title and an article's keywords, each as units."""
        names = self._titles.get(doc.doc_id)
        if names is None:
            keywords = doc.fields.get("keywords", "")
            names = tuple(self.lexicon.content_units(name) for name in (doc.title, *keywords.split("; ")) if name)
            self._titles[doc.doc_id] = names
            if len(self._titles) > 50_000:
                self._titles.popitem(last=False)
        return names

    def _source(self, scored: Scored) -> Source:
        doc = scored.hit.doc
        return Source(doc.kind, doc.ref, doc.title, doc.fields, doc.agency, scored.confidence)

    def _citation(self, scored: Scored) -> Citation:
        source = self._source(scored)
        return cite(source, MAIN_FIELD[source.kind])

    # -- case codes -----------------------------------------------------------

    def _own_cases(self, principal: Principal) -> Resolution | None:
        """The asker's latest cases (not their questions), each cited; None
        (the sources are searched instead) when there is no citizen, no read
        model or no case."""
        if principal.role is not Role.CITIZEN or self.my_cases is None:
            return None
        cases = [case for case in self.my_cases(principal) if case.kind != "question"][:OWN_CASES_SHOWN]
        if not cases:
            return None
        citations = []
        for case in cases:
            line = f"Hồ sơ {case.code}: {STATUS_WORDS.get(case.status, case.status)}"
            if case.due_at is not None:
                line += f"; hạn xử lý: {case.due_at.astimezone(self.app.timezone):%H:%M %d/%m/%Y}"
            source = Source(SourceKind.CASE, case.code, case.kind, {"status": line + "."}, None, 1.0)
            citations.append(cite(source, "status"))
        answer = "\n".join(citation.quote for citation in citations)
        return Resolution(confidence=1.0, intent="case_status", answer=answer, citations=tuple(citations))

    def _case(self, principal: Principal, code: str) -> Resolution:
        if principal.role is not Role.CITIZEN:
            return Resolution(confidence=0.0, intent="case_status", reason="case_code_for_unknown_asker")
        try:
            case = self.app.get_case(principal, code)
        except CaseNotFoundError:
            return Resolution(confidence=0.0, intent="case_status", reason="case_not_found")
        status = STATUS_WORDS.get(case["status"], case["status"])
        agency = self.app.directory.get_agency(case.get("agency") or "")
        line = f"Hồ sơ {case['code']}: {status}"
        if agency is not None:
            line += f"; cơ quan xử lý: {agency.name}"
        due: Any = case.get("due_at")
        if isinstance(due, datetime):
            line += f"; hạn xử lý: {due.astimezone(self.app.timezone):%H:%M %d/%m/%Y}"
        source = Source(SourceKind.CASE, case["code"], case["kind"], {"status": line + "."}, None, 1.0)
        answer, citations = compose(source, "case_status")
        return Resolution(confidence=1.0, intent="case_status", answer=answer, citations=citations)


def verify_citation(index: KnowledgeIndexModel, citation: Citation) -> bool:
    """Whether a citation names a source indexed now whose passage holds its quote."""
    doc = index.get(citation.kind, citation.ref)
    return doc is not None and citation.quote in doc.fields.get(citation.field, "")


def install_switchboard(
    app: Ihanoi, index: KnowledgeIndexModel, my_cases: Callable[[Principal], list[CaseStatus]] | None = None
) -> Switchboard:
    """The switchboard over ``index``, made the application's answerer, with
    the generator the settings name (none by default)."""
    settings = app.settings
    generator = None
    if settings.answer_generator_url is not None:
        generator = OpenAICompatibleGenerator(
            settings.answer_generator_url, settings.answer_generator_model, settings.answer_generator_timeout
        )
    switchboard = Switchboard(app, index, generator, my_cases)
    app.answerer = switchboard
    return switchboard
