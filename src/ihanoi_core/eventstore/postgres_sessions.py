"""What the PostgreSQL pools (the events', the personal-data keys' and the read
models') do about sessions the server ended.

When the server ends every connection (a restart, a failover, an operator's
``pg_terminate_backend``), each pool finds out on its next checkout.
psycopg_pool's own check would then back off before each dead connection it
finds (1, 2, 4, 8 … s), so a pool holding ten stalled its first command for
31 s here. ``SweepingCheck`` checks every idle connection at the first dead one
instead, and the next attempt finds a fresh connection: 0.03 s for that command
(tests/integration/test_postgres_reconnect.py).

A server that ends a connection says so on its socket (an error message, then
the close), so the events' pool first asks the socket whether anything came
while the connection sat idle, and pings only if something did. The ping was a
round trip on every checkout: 15,194 of them for the 4,794 commands of ten
simulated days (the scenario of tests/integration/test_read_models_rebuild.py).
A session being ended may not have said so yet when its connection is handed
out; the library tries its reads and writes of the events again on a lost
connection, so a command or a case read costs a retry, not a failure. Our own
counts on the events table (the read models' status behind ``/readyz`` and
``/metrics``) are not tried again: in that moment they may say "not ready"
once. The personal-data keys' pool does the same as the events': each of its
statements does the same when run twice, so ``again_on_lost_session`` runs it
again on another connection, and no ping is needed (a key is read for every new
case, and for each personal field decoded in a fresh process). Nor does the
read models' pool: a query is read again, and a transaction (a projection
batch) whose BEGIN finds the session ended is begun on another connection
(``transaction_on_live_session``). Its pings were more than four round trips
in each live batch of ten events, and one before each query the API made.
"""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

_T = TypeVar("_T")


class SweepingCheck:
    """A pool's ``check``: ``ConnectionPool.check_connection``, and at a dead
    connection the pool's idle ones are all checked at once (``pool.check()``),
    since a server that ended one has most likely ended them all. For a pool
    whose every use is ``retried`` (run or begun again) on a lost connection,
    a connection whose server has sent nothing since it went idle passes
    without the ping."""

    def __init__(self, pool: ConnectionPool[Any] | None = None, *, retried: bool = False) -> None:
        self.pool = pool
        self.retried = retried

    def __call__(self, connection: psycopg.Connection[Any]) -> None:
        if self.retried and quiet(connection):
            return
        try:
            ConnectionPool.check_connection(connection)
        except Exception:
            if self.pool is not None:
                self.pool.check()
            raise


def again_on_lost_session(pool: ConnectionPool[Any], work: Callable[[psycopg.Connection[Any]], _T]) -> _T:
    """``work`` on a connection of ``pool``, and once more on another when the
    server ended the session under it (a restart, a failover,
    ``pg_terminate_backend``) after the pool's check lent it: for work that
    does the same when run twice. A pool that found no connection in time
    (PostgreSQL down) is not asked again: its timeout is the caller's wait."""
    with pool.connection() as connection:
        try:
            return work(connection)
        except psycopg.OperationalError:
            if not connection.broken:
                raise
    with pool.connection() as connection:
        return work(connection)


@contextmanager
def transaction_on_live_session(pool: ConnectionPool[Any]) -> Iterator[psycopg.Connection[Any]]:
    """A connection of ``pool`` inside a transaction, begun on another
    connection when the server had ended the session of the first: BEGIN is
    the first round trip on the connection, so nothing was done on it yet. The
    body is not run again; a session that ends during it fails the transaction
    (rolled back by the server), as one would after a ping at checkout."""
    for attempt in (1, 2):
        with pool.connection() as connection, ExitStack() as stack:
            transaction = connection.transaction()
            try:
                transaction.__enter__()
            except psycopg.OperationalError:
                if attempt == 2 or not connection.broken:
                    raise
                continue
            stack.push(transaction)
            yield connection
            return


def quiet(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection's socket has nothing to read: the server has
    neither ended it nor sent it anything (a notice, a notification) since its
    last answer. It costs a system call, not a round trip."""
    if connection.closed or connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    # Closed or failed sockets report POLLHUP or POLLERR whatever was asked.
    return not poller.poll(0)
