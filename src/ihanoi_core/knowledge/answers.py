"""What the switchboard answers, and how an extractive answer is written.

An ``Answerer`` (the switchboard: ``ihanoi_projections.queries.questions``)
reads a question and gives a ``Resolution``: an answer with its citations and
confidence, or the reason it hands the question off. The command that
records a question asks the application's answerer (``Ihanoi.answerer``);
without one every question is handed off.

Intents are deterministic and come first: what a citizen asks *about* a
procedure — the documents to bring (``documents``), the fee (``fee``), how
long it takes (``processing``), where to file (``agency``) — is read from
words of the question, and the answer is that field of the catalogue, quoted
as the catalogue says it. ``field_texts`` writes each field of a procedure
once, and both the index and the answers quote it, so a citation's quote is
always a passage of its source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ihanoi_core.directory import Directory, Procedure
from ihanoi_core.domain.question_values import Citation, SourceKind
from ihanoi_core.domain.values import Principal
from ihanoi_core.knowledge.text import syllables

# Folded phrases that say what is asked about a procedure, most specific first.
INTENT_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fee", ("le phi", "phi", "bao nhieu tien", "mat tien", "ton tien", "het bao nhieu", "chi phi", "gia")),
    ("processing", ("bao lau", "may ngay", "bao nhieu ngay", "thoi gian", "thoi han", "khi nao co", "mat bao lau")),
    ("documents", ("giay to", "ho so", "can gi", "mang gi", "chuan bi gi", "can nhung gi", "thanh phan")),
    ("agency", ("o dau", "nop dau", "co quan nao", "noi nao", "cho nao", "ai giai quyet")),
)
UNIT_WORDS = {"working_hours": "giờ làm việc", "working_days": "ngày làm việc", "calendar_days": "ngày"}


def intent_of(folded: str) -> str:
    """What the question asks about a source: one of ``fee``, ``processing``,
    ``documents``, ``agency`` or ``general``."""
    padded = f" {folded} "
    for intent, phrases in INTENT_PHRASES:
        if any(f" {phrase} " in padded for phrase in phrases):
            return intent
    return "general"


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def field_texts(procedure: Procedure, directory: Directory) -> dict[str, str]:
    """Each field of a procedure as one passage, in the catalogue's words."""
    agency = directory.get_agency(procedure.agency)
    where = (
        agency.name
        if agency is not None
        else {
            "ward": "Ủy ban nhân dân phường nơi nộp hồ sơ",
            "ward_police": "Công an phường nơi nộp hồ sơ",
        }.get(procedure.agency, procedure.agency)
    )
    rule = procedure.processing
    fee = "Miễn lệ phí" if procedure.fee == 0 else f"Lệ phí: {money(procedure.fee)}"
    documents = "; ".join(procedure.required_documents)
    return {
        "name": procedure.name,
        "documents": f"Thành phần hồ sơ: {documents}.",
        "fee": f"{fee}." + (f" {procedure.fee_note}" if procedure.fee_note else ""),
        "processing": f"Thời hạn giải quyết: {rule.amount} {UNIT_WORDS.get(rule.unit.value, rule.unit.value)}.",
        "agency": f"Cơ quan giải quyết: {where}.",
        "legal_basis": f"Căn cứ pháp lý: {rule.legal_basis}.",
    }


@dataclass(frozen=True, slots=True)
class Source:
    """A source the index found: its kind, reference, title, passages by field
    and the agency that answers for it (None: decided by the ward, or none)."""

    kind: SourceKind
    ref: str
    title: str
    fields: Mapping[str, str]
    agency: str | None
    score: float


# Which passages answer each intent, per kind of source (first found wins).
FIELDS_FOR: Mapping[str, tuple[str, ...]] = {
    "fee": ("fee",),
    "processing": ("processing",),
    "documents": ("documents",),
    "agency": ("agency",),
    "general": ("documents", "fee", "processing"),
}
MAIN_FIELD: Mapping[SourceKind, str] = {
    SourceKind.ARTICLE: "body",
    SourceKind.REPORT: "answer",
    SourceKind.CASE: "status",
    SourceKind.PROCEDURE: "name",
    SourceKind.BUSINESS_ANSWER: "answer",
}


def cite(source: Source, field_name: str) -> Citation:
    quote = source.fields[field_name]
    return Citation(source.kind, source.ref, source.title, field_name, quote, round(source.score, 4))


def compose(source: Source, intent: str) -> tuple[str, tuple[Citation, ...]]:
    """The extractive answer from ``source`` for ``intent``: its passages,
    each cited."""
    if source.kind is SourceKind.PROCEDURE:
        names = [name for name in FIELDS_FOR[intent] if name in source.fields]
        citations = tuple(cite(source, name) for name in names)
        lines = [f"{source.title}:"] + [source.fields[name] for name in names]
        return "\n".join(lines), citations
    name = MAIN_FIELD[source.kind]
    citation = cite(source, name)
    if source.kind is SourceKind.REPORT:
        return f"Phản ánh {source.ref} ({source.title}) đã được trả lời: {citation.quote}", (citation,)
    if source.kind in (SourceKind.ARTICLE, SourceKind.BUSINESS_ANSWER):
        basis = source.fields.get("legal_basis")
        extra = (cite(source, "legal_basis"),) if basis else ()
        return f"{source.title}\n{citation.quote}" + (f"\nCăn cứ: {basis}" if basis else ""), (citation, *extra)
    return citation.quote, (citation,)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the answerer decided. With ``answer`` and ``citations``, the
    question is answered; else it is handed off for ``reason`` (to
    ``agency``, or the directory's hand-off agency). ``ranked``: every source
    considered, best first (the evaluation reads it)."""

    confidence: float
    intent: str
    answer: str | None = None
    citations: tuple[Citation, ...] = ()
    generated: bool = False
    reason: str | None = None
    agency: str | None = None
    ranked: tuple[Citation, ...] = field(default=())

    @property
    def handed_off(self) -> bool:
        return self.answer is None


class Answerer(Protocol):
    """Reads a question for ``principal`` (a case code answers from their own cases only)."""

    def resolve(self, principal: Principal, text: str) -> Resolution: ...


def words_of(text: str) -> str:
    """The folded syllables of ``text`` joined by spaces (for phrase tests)."""
    return " ".join(syllables(text))
