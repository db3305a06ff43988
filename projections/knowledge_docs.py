"""The sources of the knowledge index as values: ``IndexedDoc`` (a source as
indexed, field by field the row of ``view_knowledge_docs``), ``document``
(one made from its passages, folded for search), ``Hit`` (one the search
found). The read model that stores and searches them is ``knowledge_index``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from ihanoi_core.domain.question_values import SourceKind
from ihanoi_core.knowledge.text import index_terms, syllables

# The columns of view_knowledge_docs: the fields of ``IndexedDoc``, in order.
DOC_COLUMNS = ("doc_id", "kind", "ref", "title", "fields", "agency", "names", "terms", "position")


@dataclass(frozen=True, slots=True)
class IndexedDoc:
    """A source as indexed: ``fields`` are its passages by name, ``names`` the
    folded terms of what it is called (its title, an article's keywords),
    ``terms`` the folded terms of all its text."""

    doc_id: str
    kind: SourceKind
    ref: str
    title: str
    fields: dict[str, str]
    agency: str | None
    names: str
    terms: str
    position: int = 0

    @property
    def phrases(self) -> str:
        """The bigrams of ``terms``: what the full-text index holds of the text
        (syllables are sought in names only, see ``search``)."""
        single = frozenset(syllables(self.title + " " + " ".join(self.fields.values())))
        return " ".join(term for term in self.terms.split() if term not in single)

    def row(self) -> tuple[Any, ...]:
        """The row of ``view_knowledge_docs``: the fields in ``DOC_COLUMNS`` order, the passages as JSON."""
        values = {name: getattr(self, name) for name in DOC_COLUMNS}
        return tuple({**values, "kind": self.kind.value, "fields": orjson.dumps(self.fields).decode()}.values())


@dataclass(frozen=True, slots=True)
class Hit:
    """A source the search found, with its text-search rank (higher is better)."""

    doc: IndexedDoc
    rank: float


def document(
    doc_id: str,
    kind: SourceKind,
    ref: str,
    title: str,
    fields: dict[str, str],
    agency: str | None,
    position: int,
    extra: Iterable[str] = (),
) -> IndexedDoc:
    names = index_terms(" . ".join([title, *fields.get("keywords", "").split("; ")]))
    terms = index_terms(" . ".join([title, *extra, *fields.values()]))
    return IndexedDoc(doc_id, kind, ref, title, fields, agency, names, terms, position)


def from_row(row: dict[str, Any]) -> IndexedDoc:
    """A source from its row of ``view_knowledge_docs``."""
    values = {name: row[name] for name in DOC_COLUMNS}
    decoded = {"kind": SourceKind(row["kind"]), "fields": orjson.loads(row["fields"]), "position": int(row["position"])}
    return IndexedDoc(**{**values, **decoded})
