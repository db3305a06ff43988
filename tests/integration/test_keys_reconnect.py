"""The personal-data keys' pool on PostgreSQL lends an idle connection
without a ping (a key is read for every new case and for each personal field
a fresh process decodes), and when the server ends the session under a
connection it has just lent (a restart, a failover, ``pg_terminate_backend``
in that moment), it reads or writes again on another: nothing fails and
nothing is written twice.

The session is ended by a proxy on loopback in front of the real PostgreSQL,
which closes a connection as its next message arrives: the moment no check of
the pool can see coming."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from psycopg.conninfo import make_conninfo

from ihanoi_core.eventstore.keys import KeyRow
from ihanoi_core.eventstore.keys_sql import PostgresKeyTable
from ihanoi_core.eventstore.urls import postgres_conninfo


class CuttingProxy:
    """Forwards TCP connections to PostgreSQL; ``cut_next()`` makes it close,
    instead of forwarding, the next message any already open connection sends,
    and note that message's type (its first byte)."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.armed: set[socket.socket] = set()
        self.cut: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_next(self) -> None:
        with self.lock:
            self.armed = set(self.open)

    def close(self) -> None:
        self.listener.close()
        with self.lock:
            for client in self.open:
                client.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.open.add(client)
            threading.Thread(target=self._forward, args=(client, server), daemon=True).start()
            threading.Thread(target=self._back, args=(server, client), daemon=True).start()

    def _forward(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                with self.lock:
                    cutting = client in self.armed
                    if cutting:
                        self.armed = set()
                        self.cut.append(data[:1])
                if cutting:
                    break
                server.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open.discard(client)
            for end in (client, server):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    @staticmethod
    def _back(server: socket.socket, client: socket.socket) -> None:
        try:
            while data := server.recv(65536):
                client.sendall(data)
        except OSError:
            pass


@pytest.fixture
def proxy() -> Iterator[CuttingProxy]:
    started = CuttingProxy()
    yield started
    started.close()


@pytest.mark.postgres
def test_a_key_read_or_written_as_the_server_ends_its_session_is_read_or_written_again(
    postgres_url: str, proxy: CuttingProxy
) -> None:
    conninfo = make_conninfo(postgres_conninfo(postgres_url), host="127.0.0.1", port=proxy.port)
    table = PostgresKeyTable(conninfo, pool_size=2)
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
