"""knowledge_index: what the Q&A switchboard may cite, searchable in Vietnamese.

One row per source (``view_knowledge_docs``): each procedure of the
directory's catalogue (its name, documents, fee, period, agency and legal
basis, each a passage ``ihanoi_core.knowledge.answers.field_texts`` writes),
each published knowledge article (its published text: a revision on its way
changes nothing until it is published; a retired article leaves), the
public answer of each resolved report (the category and the answer note —
never the reporter nor the description), and each business inquiry published
with its business's consent (the question and answer as staff worded them for
everyone, the legal basis and the topic — never the person, the tax code, the
business's own text). Nothing personal is indexed.

The searchable text is the source folded by ``ihanoi_core.knowledge.text``
(no diacritics, đ as d) with syllable bigrams, in Python, the same for both
dialects:

- SQLite: an FTS5 table over the names and the text's bigrams, ranked by
  ``bm25()``. Its own
  ``remove_diacritics`` is not used: it does not fold đ.
- PostgreSQL: ``tsvector`` columns of ``to_tsvector('simple', …)`` over the
  same names and bigrams, GIN indexes, ranked by ``ts_rank``. PostgreSQL's ``unaccent``
  extension (available on the local PostgreSQL 15) folds đ too, but needs
  ``CREATE EXTENSION`` rights and would fold the stored text differently
  from the question; folding in Python keeps one definition of a match.

The catalogue is directory data, not events: it is (re)indexed with each
batch whenever the directory's catalogue differs from the one indexed (a
fingerprint in ``view_knowledge_meta``), and before the first search. Like
every read model it is rebuilt from zero by ``ihanoi projections rebuild``.
The sources as values (``IndexedDoc``, ``document``, ``Hit``) are in ``knowledge_docs``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import orjson

from ihanoi_core.domain.business_inquiry import BusinessInquiry
from ihanoi_core.domain.business_values import InquiryStatus
from ihanoi_core.domain.knowledge_article import KnowledgeArticle
from ihanoi_core.domain.question_values import SourceKind
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_values import ReportStatus
from ihanoi_core.knowledge.answers import field_texts
from ihanoi_projections.engine.base import ReadModel
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.knowledge_docs import DOC_COLUMNS, Hit, IndexedDoc, document, from_row

ANSWERED_REPORTS = frozenset({ReportStatus.RESOLVED, ReportStatus.CLOSED})
PREFIXES: dict[type, str] = {KnowledgeArticle: "article", Report: "report", BusinessInquiry: "inquiry"}
# The meta key saying each full-text row has its doc row's rowid (SQLite).
ALIGNED = "full_text_rowids"


class KnowledgeIndexModel(ReadModel):
    name = "knowledge_index"
    tables = ("view_knowledge_docs", "view_knowledge_meta")
    kinds = (KnowledgeArticle, Report, BusinessInquiry)
    partitionable: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._latest: dict[UUID, tuple[Any, int]] = {}
        self._catalogue_checked = False

    # -- schema ---------------------------------------------------------------

    @property
    def postgres(self) -> bool:
        return self.database.dialect == "postgres"

    def schema(self) -> Sequence[str]:
        columns = (
            "doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL, title TEXT NOT NULL,"
            " fields TEXT NOT NULL, agency TEXT, names TEXT NOT NULL, terms TEXT NOT NULL, position BIGINT NOT NULL"
        )
        meta = "CREATE TABLE IF NOT EXISTS view_knowledge_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        if self.postgres:
            return (
                f"CREATE TABLE IF NOT EXISTS view_knowledge_docs ({columns},"
                " names_tsv TSVECTOR NOT NULL, tsv TSVECTOR NOT NULL)",
                "CREATE INDEX IF NOT EXISTS view_knowledge_docs_names ON view_knowledge_docs USING GIN (names_tsv)",
                "CREATE INDEX IF NOT EXISTS view_knowledge_docs_tsv ON view_knowledge_docs USING GIN (tsv)",
                meta,
            )
        return (
            f"CREATE TABLE IF NOT EXISTS view_knowledge_docs ({columns})",
            "CREATE VIRTUAL TABLE IF NOT EXISTS view_knowledge_fts USING fts5("
            "doc_id UNINDEXED, names, terms, tokenize = 'unicode61 remove_diacritics 0')",
            meta,
        )

    def clear(self, cursor: Cursor) -> None:
        super().clear(cursor)
        if not self.postgres:
            cursor.execute("DELETE FROM view_knowledge_fts")
        self._catalogue_checked = False

    # -- changes --------------------------------------------------------------

    def apply(self, change: Change) -> None:
        case = change.case
        if isinstance(case, self.kinds):
            self._latest[case.id] = (case, change.position)

    def doc_of(self, case: Any, position: int) -> IndexedDoc | None:
        """The source a case gives, or None when it gives none (now)."""
        if isinstance(case, KnowledgeArticle):
            content = case.published
            if content is None or case.is_final:
                return None
            fields = {"body": content.body, "legal_basis": content.legal_basis, "source": content.source}
            if content.keywords:
                fields["keywords"] = "; ".join(content.keywords)
            return document(
                f"article:{case.id}", SourceKind.ARTICLE, case.code, content.title, fields, case.agency, position
            )
        if isinstance(case, Report):
            if case.status not in ANSWERED_REPORTS or not case.public_note:
                return None
            category = self.context.directory.get_category(case.category)
            title = category.name_vi if category is not None else case.category
            fields = {"answer": case.public_note}
            return document(f"report:{case.id}", SourceKind.REPORT, case.code, title, fields, case.agency, position)
        if isinstance(case, BusinessInquiry):
            if case.status != InquiryStatus.PUBLISHED or not case.public_question or not case.public_answer:
                return None
            topic = self.context.directory.business.topic(case.topic)
            fields = {
                "question": case.public_question,
                "answer": case.public_answer,
                "legal_basis": case.legal_basis or "",
                "topic": topic.name if topic else case.topic,
            }
            return document(
                f"inquiry:{case.id}",
                SourceKind.BUSINESS_ANSWER,
                case.code,
                case.public_question[:300],
                fields,
                case.agency,
                position,
            )
        return None

    def catalogue(self) -> list[IndexedDoc]:
        directory = self.context.directory
        docs = []
        for procedure in directory.procedures.values():
            agency = procedure.agency if procedure.agency in directory.agencies else None
            fields = field_texts(procedure, directory)
            docs.append(
                document(
                    f"procedure:{procedure.code}",
                    SourceKind.PROCEDURE,
                    procedure.code,
                    procedure.name,
                    fields,
                    agency,
                    0,
                )
            )
        return docs

    def _catalogue_fingerprint(self, docs: Sequence[IndexedDoc]) -> str:
        digest = hashlib.sha256()
        for doc in docs:
            digest.update(orjson.dumps(doc.row()))
        return digest.hexdigest()

    def _align_full_text(self, cursor: Cursor) -> None:
        """SQLite: give each row of the full-text table the rowid of its doc's
        row (``remove`` finds it by the doc's primary key; the table's own
        ``doc_id`` is not indexed, and a delete by it read the whole index: 2.5 ms
        a change at 10,000 sources, for every change of every report). Done once
        for an index written before, recorded in ``view_knowledge_meta`` — on
        PostgreSQL too, with nothing to move, so the read model's rows are the
        same on both stores (``ihanoi audit replay`` compares them)."""
        if cursor.execute(f"SELECT 1 FROM view_knowledge_meta WHERE key = '{ALIGNED}'").fetchone():
            return
        if not self.postgres:
            self._move_full_text_rows(cursor)
        cursor.execute(
            f"INSERT INTO view_knowledge_meta (key, value) VALUES ('{ALIGNED}', 'docs') ON CONFLICT (key) DO NOTHING"
        )

    def _move_full_text_rows(self, cursor: Cursor) -> None:
        cursor.execute(
            # One row per doc (a row of a doc no longer indexed is dropped), whatever was there.
            "CREATE TEMP TABLE knowledge_fts_rows AS SELECT docs.rowid AS docs_rowid, fts.doc_id, fts.names,"
            " fts.terms FROM view_knowledge_fts AS fts JOIN view_knowledge_docs AS docs USING (doc_id)"
            " GROUP BY docs.rowid"
        )
        cursor.execute("DELETE FROM view_knowledge_fts")
        cursor.execute(
            "INSERT INTO view_knowledge_fts (rowid, doc_id, names, terms)"
            " SELECT docs_rowid, doc_id, names, terms FROM temp.knowledge_fts_rows"
        )
        cursor.execute("DROP TABLE temp.knowledge_fts_rows")

    def _sync_catalogue(self, cursor: Cursor) -> None:
        """Index the directory's catalogue if it is not the one indexed. Other
        processes may find it changed at the same moment (the partitions of a
        parallel rebuild, servers' first searches beside the projection worker):
        on PostgreSQL they take turns on a transaction lock, so each reads the
        fingerprint its predecessor committed (SQLite's writers already queue
        on ``BEGIN IMMEDIATE``). Without it the later one inserted the same rows
        again and failed on their primary key."""
        if self.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ihanoi knowledge catalogue'))")
        self._align_full_text(cursor)
        docs = self.catalogue()
        fingerprint = self._catalogue_fingerprint(docs)
        row = cursor.execute("SELECT value FROM view_knowledge_meta WHERE key = 'catalogue'").fetchone()
        if row is None or row["value"] != fingerprint:
            stale = cursor.execute("SELECT doc_id FROM view_knowledge_docs WHERE kind = 'procedure'").fetchall()
            self.remove(cursor, [r["doc_id"] for r in stale])
            self.write(cursor, docs)
            cursor.execute(
                "INSERT INTO view_knowledge_meta (key, value) VALUES ('catalogue', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (fingerprint,),
            )
        self._catalogue_checked = True

    def ensure_catalogue(self) -> None:
        """Index the catalogue now if this process has not checked it yet."""
        if not self._catalogue_checked:
            with self.database.transaction() as cursor:
                self._sync_catalogue(cursor)

    def remove(self, cursor: Cursor, doc_ids: Sequence[str]) -> None:
        rows = [(doc_id,) for doc_id in doc_ids]
        if not self.postgres:  # first: its rowid is the doc row's (``_align_full_text``)
            cursor.executemany(
                "DELETE FROM view_knowledge_fts WHERE rowid = (SELECT rowid FROM view_knowledge_docs WHERE doc_id = ?)",
                rows,
            )
        cursor.executemany("DELETE FROM view_knowledge_docs WHERE doc_id = ?", rows)

    def write(self, cursor: Cursor, docs: Sequence[IndexedDoc]) -> None:
        """Insert ``docs`` (none of which is indexed yet)."""
        columns = ", ".join(DOC_COLUMNS)
        if self.postgres:
            cursor.executemany(
                f"INSERT INTO view_knowledge_docs ({columns}, names_tsv, tsv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " to_tsvector('simple', ?), to_tsvector('simple', ?))",
                [(*doc.row(), doc.names, doc.phrases) for doc in docs],
            )
            return
        cursor.executemany(
            f"INSERT INTO view_knowledge_docs ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [doc.row() for doc in docs],
        )
        cursor.executemany(
            "INSERT INTO view_knowledge_fts (rowid, doc_id, names, terms)"
            " SELECT rowid, doc_id, ?, ? FROM view_knowledge_docs WHERE doc_id = ?",
            [(doc.names, doc.phrases, doc.doc_id) for doc in docs],
        )

    def flush(self, cursor: Cursor) -> None:
        if not self._catalogue_checked:
            self._sync_catalogue(cursor)
        changed: list[str] = []
        docs: list[IndexedDoc] = []
        for aggregate_id, (case, position) in self._latest.items():
            prefix = PREFIXES[type(case)]
            changed.append(f"{prefix}:{aggregate_id}")
            if (doc := self.doc_of(case, position)) is not None:
                docs.append(doc)
        self.remove(cursor, changed)
        self.write(cursor, docs)
        self.discard()

    def discard(self) -> None:
        self._latest.clear()

    # -- queries --------------------------------------------------------------

    def search(self, names: Sequence[str], terms: Sequence[str], limit: int = 20) -> list[Hit]:
        """The sources whose names hold any of ``names``, or whose text holds
        any of ``terms`` (folded syllables and bigrams), best text-search rank
        first. A question's syllables are sought in names and its bigrams in
        the whole text: a syllable alone ("sinh") is in thousands of texts, and
        ranking every one of them is what would make a search slow."""
        names = [term for term in names if term.isalnum()]
        terms = [term for term in terms if term.isalnum()]
        if not names and not terms:
            return []
        self.ensure_catalogue()
        columns = "doc_id, kind, ref, title, fields, agency, names, terms, position"
        if self.postgres:
            # Each half on its own GIN index, ranked on its own: ranking every
            # row that matches either would read the whole text of thousands.
            halves = [
                f"(SELECT {columns}, ts_rank({column}, q) AS rank FROM view_knowledge_docs,"
                f" to_tsquery('simple', ?) AS q WHERE {column} @@ q ORDER BY rank DESC, doc_id LIMIT ?)"
                for column, words in (("names_tsv", names), ("tsv", terms))
                if words
            ]
            params: list[Any] = []
            for words in (names, terms):
                if words:
                    params += [" | ".join(words), limit]
            found: dict[str, Hit] = {}
            with self.database.transaction() as cursor:
                # The planner guesses an OR of many lexemes matches most rows and
                # scans the table, reading every text; the GIN indexes read only
                # the rows that match (measured: 26 ms → 5 ms on 10,000 articles).
                cursor.execute("SET LOCAL enable_seqscan = off")
                rows = cursor.execute(" UNION ALL ".join(halves), params).fetchall()
            for row in rows:
                rank = float(row["rank"]) + (found[row["doc_id"]].rank if row["doc_id"] in found else 0.0)
                found[row["doc_id"]] = Hit(from_row(row), rank)
            return sorted(found.values(), key=lambda hit: (-hit.rank, hit.doc.doc_id))[:limit]
        parts = []
        if names:
            parts.append("names : (" + " OR ".join(f'"{term}"' for term in names) + ")")
        if terms:
            parts.append("terms : (" + " OR ".join(f'"{term}"' for term in terms) + ")")
        ranked = self.database.query(
            "SELECT doc_id, bm25(view_knowledge_fts) AS rank FROM view_knowledge_fts"
            " WHERE view_knowledge_fts MATCH ? ORDER BY rank LIMIT ?",
            (" OR ".join(parts), limit),
        )
        if not ranked:
            return []
        rank_of = {row["doc_id"]: -float(row["rank"]) for row in ranked}
        marks = ", ".join("?" * len(rank_of))
        rows = self.database.query(
            f"SELECT {columns} FROM view_knowledge_docs WHERE doc_id IN ({marks})", tuple(rank_of)
        )
        hits = [Hit(from_row(row), rank_of[row["doc_id"]]) for row in rows]
        return sorted(hits, key=lambda hit: (-hit.rank, hit.doc.doc_id))

    def get(self, kind: SourceKind, ref: str) -> IndexedDoc | None:
        """The indexed source ``ref`` of ``kind`` (a citation's), if indexed now."""
        self.ensure_catalogue()
        rows = self.database.query(
            "SELECT doc_id, kind, ref, title, fields, agency, names, terms, position FROM view_knowledge_docs"
            " WHERE kind = ? AND ref = ?",
            (kind.value, ref),
        )
        return from_row(rows[0]) if rows else None

    def rows(self) -> list[Row]:
        """Every source indexed and the catalogue's fingerprint, ordered: for
        comparing a rebuild with the live tables."""
        self.ensure_catalogue()
        return [
            *self.database.query(f"SELECT {', '.join(DOC_COLUMNS)} FROM view_knowledge_docs ORDER BY doc_id"),
            *self.database.query("SELECT key, value FROM view_knowledge_meta ORDER BY key"),
        ]

    def count(self) -> int:
        self.ensure_catalogue()
        return int(self.database.query("SELECT COUNT(*) AS n FROM view_knowledge_docs")[0]["n"])

    def load(self, docs: Sequence[IndexedDoc]) -> None:
        """Index ``docs`` directly, outside the log (the benchmark's 10,000
        filler articles); a rebuild removes them."""
        with self.database.transaction() as cursor:
            self.remove(cursor, [doc.doc_id for doc in docs])
            self.write(cursor, docs)
        if self.postgres:  # The planner's statistics, as autovacuum would gather them after a bulk load.
            with self.database.transaction() as cursor:
                cursor.execute("ANALYZE view_knowledge_docs")
