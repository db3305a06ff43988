"""Live case changes for streams: each stream's buffer on its event loop.

The reading happens on the read side: ``ihanoi_projections.engine.live_tail.LiveTail``
follows the log in one thread per server and hands each subscriber the
``CaseChange``s it accepts. Here a stream ``subscribe``s with a filter and
gets a ``Subscription``: a bounded buffer filled from the tail's thread and
read on the stream's event loop, in log order. A subscriber that falls too
far behind is ended (``Subscription.overflowed``) and should reconnect with
its last position — the log, not this buffer, is the record, so nothing is
lost. One whose token expires is ended the same way (``expired``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from ihanoi_core.application import Ihanoi
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.live_tail import Accepts, CaseChange, LiveTail

QUEUE_SIZE = 1000


class Subscription:
    """One stream's bounded buffer of live changes, filled by the tail thread
    and read on the event loop that created it."""

    def __init__(self, accepts: Accepts, max_size: int, loop: asyncio.AbstractEventLoop) -> None:
        self.accepts = accepts
        self.max_size = max_size
        self.overflowed = False
        self.expired = False
        self.ended = False
        self._loop = loop
        self._items: deque[CaseChange] = deque()
        self._ready = asyncio.Event()

    def offer(self, changes: list[CaseChange]) -> None:
        """From any thread: queue ``changes`` for the stream."""
        self._call_soon(self._put, changes)

    def end(self) -> None:
        """From any thread: no more changes will come (the server is stopping)."""
        self._call_soon(self._finish)

    async def get(self) -> CaseChange | None:
        """The next change, or None once the subscription has ended (check
        ``overflowed`` to tell a slow consumer from a stopping server)."""
        while not self._items:
            if self.ended:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def _call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # The loop is closed: nobody is reading any more.
            self.ended = True

    def _put(self, changes: list[CaseChange]) -> None:
        if self.ended:
            return
        if len(self._items) + len(changes) > self.max_size:
            # Too slow: drop what is buffered and end; the stream tells the
            # client to resume from the last position it actually received.
            self.overflowed = True
            self._items.clear()
            self._finish()
            return
        self._items.extend(changes)
        self._ready.set()

    def _finish(self) -> None:
        self.ended = True
        self._ready.set()


class LiveFeed:
    """The server's live tail, and the streams' subscriptions to it."""

    def __init__(self, app: Ihanoi, settings: Settings, *, queue_size: int = QUEUE_SIZE) -> None:
        self.tail = LiveTail(app, settings)
        self.queue_size = queue_size

    def start(self) -> LiveFeed:
        """Follow the log from its current head."""
        self.tail.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following and end every subscription (their streams close)."""
        self.tail.stop(timeout)

    def head(self) -> int:
        """The position of the newest entry in the log."""
        return self.tail.head()

    def subscribe(self, accepts: Accepts) -> Subscription:
        """On the event loop: receive every change ``accepts`` approves that the
        tail reads from now on (``LiveTail.attach``)."""
        subscription = Subscription(accepts, self.queue_size, asyncio.get_running_loop())
        if not self.tail.attach(subscription):
            subscription.ended = True
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.tail.detach(subscription)
