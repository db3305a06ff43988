"""When PostgreSQL ends the session under a connection a pool has just lent
(a restart, a failover, ``pg_terminate_backend`` in that moment), the read or
write is run again on another: nothing fails and nothing is written twice.

- The personal-data keys' pool lends an idle connection without a ping (a key
  is read for every new case and for each personal field a fresh process
  decodes): its every statement does the same when run twice.
- The read models' pool lends one without a ping too: a query is one
  statement, without BEGIN and COMMIT, read again like a key; a transaction
  (a projection batch) whose BEGIN finds the session ended is begun on another
  connection, its body run once.

The session is ended by a proxy on loopback in front of the real PostgreSQL
(``tests/postgres_wire.py``), which closes a connection as its next message
arrives: the moment no check of the pool can see coming."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from ihanoi_core.eventstore.keys import KeyRow
from ihanoi_core.eventstore.keys_sql import PostgresKeyTable
from ihanoi_core.eventstore.urls import postgres_conninfo
from ihanoi_projections.engine.database import PostgresViewDatabase
from tests.postgres_wire import CuttingProxy, client_messages, cutting_proxy


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[CuttingProxy]:
    """A proxy in front of this test's PostgreSQL."""
    server = urlsplit(postgres_url)
    with cutting_proxy((server.hostname or "127.0.0.1", server.port or 5432)) as started:
        yield started


def through(proxy: CuttingProxy, url: str) -> str:
    """``url`` with the proxy's address in place of PostgreSQL's."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(
        parts._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}" if credentials else f"127.0.0.1:{proxy.port}")
    )


@pytest.mark.postgres
def test_a_key_read_or_written_as_the_server_ends_its_session_is_read_or_written_again(
    postgres_url: str, proxy: CuttingProxy
) -> None:
    table = PostgresKeyTable(postgres_conninfo(through(proxy, postgres_url)), pool_size=2)
    try:
        table.create()
        key = table.insert(KeyRow("key-1", "master-1", b"wrapped", 1, None), "subject-1")
        assert table.find_subject("subject-1") == key

        # Step: the session ends as the pool lends its connection for a read.
        # What reaches the server first is the read itself (a Parse), not a ping.
        proxy.cut_next()
        assert table.find_subject("subject-1") == key
        assert proxy.cut == [b"P"]

        # Step: and as it lends one for a write: written once, on another connection.
        proxy.cut_next()
        table.bind([("stream-1", key)])
        assert len(proxy.cut) == 2
        assert table.stream_key("stream-1") == key
        assert table.streams(key) == ["stream-1"]

        # Step: a transaction (a key's destruction) the same.
        proxy.cut_next()
        table.destroy(key, 2)
        assert len(proxy.cut) == 3
        assert table.get(key) == KeyRow(key, None, None, 1, 2)
    finally:
        table.close()


@pytest.mark.postgres
def test_a_read_model_query_or_transaction_is_begun_again_when_the_server_ends_its_session(
    postgres_url: str, proxy: CuttingProxy, tmp_path: Path
) -> None:
    views = PostgresViewDatabase(through(proxy, postgres_url), pool_size=1)
    try:
        with views.transaction() as cursor:
            cursor.record_position("case_status", 42, 1.0, 7)
        query = "SELECT position, events FROM projection_tracking WHERE name = 'case_status'"

        # Step: the SELECT alone, without a ping, a BEGIN or a COMMIT.
        with views.pool.connection() as connection:  # the pool's one connection
            pass
        trace = tmp_path / "trace.txt"
        rows: list[object] = []
        assert queries_sent(connection, lambda: rows.extend(views.query(query)), trace) == [f'"{query}"']
        assert rows == [{"position": 42, "events": 7}]

        # Step: the session ends as the SELECT arrives: read again on another connection.
        proxy.cut_next()
        assert views.query(query) == [{"position": 42, "events": 7}]
        assert proxy.cut == [b"Q"]

        # Step: and as a transaction's BEGIN arrives: begun on another, its body run once.
        bodies_run = 0
        proxy.cut_next()
        with views.transaction() as cursor:
            bodies_run += 1
            cursor.record_position("case_status", 43, 2.0, 1)
        assert (proxy.cut, bodies_run) == ([b"Q", b"Q"], 1)
        assert views.query(query) == [{"position": 43, "events": 8}]

        # Step: a session that ends inside the transaction fails it, and nothing of it is kept.
        proxy.cut_next(skip=1)
        with pytest.raises(psycopg.OperationalError), views.transaction() as cursor:
            cursor.record_position("case_status", 44, 3.0, 1)
        assert views.query(query) == [{"position": 43, "events": 8}]
    finally:
        views.close()


def queries_sent(connection: psycopg.Connection[object], action: Callable[[], object], trace: Path) -> list[str]:
    """The texts of the simple queries the client sends during ``action``."""
    return [text for kind, text in client_messages(connection, action, trace) if kind == "Query"]
