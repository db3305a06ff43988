"""The PostgreSQL wire, as tests see it: the messages a client sends (libpq's
own trace), and a TCP proxy on loopback in front of the real PostgreSQL that
can end a session the moment its next message arrives, which is what a restart
or a failover does to a connection a pool has just lent and no check of the
pool can see coming."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def client_messages(
    connection: psycopg.Connection[object], action: Callable[[], object], trace: Path
) -> list[tuple[str, str]]:
    """The type and content of each protocol message the client sends to the
    server during ``action``, as libpq's own trace records them."""
    with trace.open("w") as out:
        connection.pgconn.trace(out.fileno())
        try:
            action()
        finally:
            connection.pgconn.untrace()
    sent = [line.split("\t") for line in trace.read_text().splitlines()]
    return [(fields[3], fields[4].strip() if len(fields) > 4 else "") for fields in sent if fields[1] == "F"]


class CuttingProxy:
    """Forwards TCP connections to PostgreSQL; ``cut_next()`` makes it close,
    instead of forwarding, the next message any already open connection sends
    (after ``skip`` more), and note that message's type (its first byte)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.armed: set[socket.socket] = set()
        self.skip = 0
        self.cut: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_next(self, skip: int = 0) -> None:
        with self.lock:
            self.armed = set(self.open)
            self.skip = skip

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
                    cutting = client in self.armed and not self.skip
                    if client in self.armed and self.skip:
                        self.skip -= 1
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


@contextmanager
def cutting_proxy(upstream: tuple[str, int]) -> Iterator[CuttingProxy]:
    started = CuttingProxy(upstream)
    try:
        yield started
    finally:
        started.close()
