"""The catalogue in the knowledge index is directory data, indexed again by
the first process that finds it changed (a new directory deployed). Processes
that find it so at the same moment (the partitions of a parallel rebuild, the
servers' first searches beside the projection worker) index it once between
them: the later one waits for the earlier one's transaction and then finds
nothing to do. On PostgreSQL the later one used to insert the same rows again
and fail on their primary key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import ViewDatabase, open_view_database
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from tests.integration.conftest import projection_context


def waiting_on_a_lock(views: ViewDatabase) -> Callable[[], bool]:
    """Whether a session is waiting on a lock taken while the knowledge index
    is written (PostgreSQL). SQLite has no such view: its writers queue on the
    database file's lock, which ``BEGIN IMMEDIATE`` takes."""
    if views.dialect != "postgres":
        return lambda: True
    return lambda: bool(
        views.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE ?",
            ("%knowledge%",),
        )
    )


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_two_processes_finding_the_catalogue_changed_at_once_index_it_once(
    app: Ihanoi, settings: Settings, views: ViewDatabase
) -> None:
    indexed = KnowledgeIndexModel(views, projection_context(app))
    Projector(app, views, [indexed])  # creates the tables
    indexed.ensure_catalogue()
    # Step: the directory's catalogue differs from the one indexed.
    with views.transaction() as cursor:
        cursor.execute("UPDATE view_knowledge_meta SET value = 'an older catalogue' WHERE key = 'catalogue'")
    first = KnowledgeIndexModel(views, projection_context(app))
    other = open_view_database(settings)
    second = KnowledgeIndexModel(other, projection_context(app))
    failures: list[BaseException] = []

    def search_in_another_process() -> None:
        try:
            second.ensure_catalogue()
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    searcher = threading.Thread(target=search_in_another_process)
    try:
        # The first indexes the catalogue in a batch's transaction, which is
        # still open when the second finds the catalogue changed.
        with views.transaction() as cursor:
            first.flush(cursor)
            searcher.start()
            waited = waiting_on_a_lock(other)  # this thread's own connection of it
            deadline = time.monotonic() + 10
            while not waited() and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.2)
        searcher.join(30)
        assert not searcher.is_alive()
        assert failures == []
        rows = views.query("SELECT kind, count(*) AS n FROM view_knowledge_docs GROUP BY kind")
        assert [(row["kind"], row["n"]) for row in rows] == [("procedure", len(app.directory.procedures))]
        hits = first.search(["cap", "doi"], [])
        assert hits
        assert second.search(["cap", "doi"], []) == hits
    finally:
        other.close()
