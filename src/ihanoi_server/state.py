"""What the server holds while it runs: built in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from ihanoi_core.application import Ihanoi
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.settings import Settings
from ihanoi_projections.queries import Queries
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.auth.sessions import CookieRules, SessionCache, SessionKeys
from ihanoi_server.auth.spent import SpentCredentials
from ihanoi_server.auth.tokens import TokenCache, TokenRules

T = TypeVar("T")


@dataclass
class ServerState:
    settings: Settings
    app: Ihanoi
    read_side: ReadSide
    token_rules: TokenRules
    keys: SessionKeys
    cookies: CookieRules
    spent: SpentCredentials
    tokens: TokenCache = field(default_factory=TokenCache)
    sessions: SessionCache = field(default_factory=SessionCache)

    @property
    def queries(self) -> Queries:
        """The application's queries, each checked against its access rule."""
        return Queries(self.app, self.read_side)

    @property
    def inline_calls(self) -> bool:
        """Whether application calls run on the event loop (see ``http.call_app``)."""
        return store_kind(self.settings) in ("sqlite", "memory")

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run one short call of the application or a database (see ``http.call_app``)."""
        if self.inline_calls:
            return function(*args)
        return await run_in_threadpool(function, *args)
