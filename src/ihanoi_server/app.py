"""The Starlette application factory.

``create_app(settings)`` wires routes, error handling and middleware; the
``Ihanoi`` application and its read side are built in the lifespan (nothing at
import time) and closed on shutdown.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from ihanoi_core.application import Ihanoi
from ihanoi_core.errors import IhanoiError, PhotoStoreUnavailableError
from ihanoi_core.eventstore.probe import store_error_types, store_unreachable
from ihanoi_core.eventstore.settings_env import master_keys
from ihanoi_core.settings import Settings
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.queries import Queries
from ihanoi_projections.queries.questions import install_switchboard
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.api import (
    accountability,
    alerts,
    audit,
    business,
    complaints,
    consent,
    consultations,
    conversations,
    dialogues,
    me,
    notifications,
    payments,
    photos,
    privacy,
    procedures,
    public_alerts,
    public_reports,
    questions,
    reports,
    service_requests,
    session,
    streams,
    surveys,
    webhooks,
    worklist,
)
from ihanoi_server.auth.identity_provider import IdentityProvider, KeyFetchMiddleware
from ihanoi_server.auth.session_cookie import SessionCookieMiddleware
from ihanoi_server.auth.sessions import CookieRules, SessionKeys
from ihanoi_server.auth.spent import SpentCredentials
from ihanoi_server.auth.tokens import TokenRules
from ihanoi_server.dashboard import routes as dashboard
from ihanoi_server.live import LiveFeed
from ihanoi_server.logging import configure_logging
from ihanoi_server.map import routes as public_map
from ihanoi_server.observability import Metrics, ObservabilityMiddleware, healthz, metrics, readyz
from ihanoi_server.open311 import routes as open311
from ihanoi_server.openapi import explorer
from ihanoi_server.openapi.document import routes as openapi_routes
from ihanoi_server.problems import STORE_RETRY_AFTER_SECONDS, problem, problem_for
from ihanoi_server.public import home
from ihanoi_server.public import ranking as public_ranking
from ihanoi_server.public import routes as public
from ihanoi_server.state import ServerState

log = structlog.get_logger("ihanoi.http")


def all_routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *openapi_routes,
        *explorer.routes,
        *session.routes,
        # Before any resource's own routes, so ``/worklist/stream`` is never read as a case id.
        *streams.routes,
        *reports.routes,
        *photos.routes,
        *public_reports.routes,
        *complaints.routes,
        *service_requests.routes,
        *surveys.routes,
        *alerts.routes,
        *public_alerts.routes,
        *procedures.routes,
        *questions.routes,
        *conversations.routes,
        *webhooks.routes,
        *business.routes,
        *consultations.routes,
        *dialogues.routes,
        *payments.routes,
        *me.routes,
        *privacy.routes,
        *consent.routes,
        *notifications.routes,
        *worklist.routes,
        *accountability.routes,
        *dashboard.routes,
        *public_map.routes,
        *audit.routes,
        *open311.routes,
        *home.routes,
        *public.routes,
        *public_ranking.routes,
    ]


async def on_ihanoi_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, IhanoiError)
    if isinstance(error, PhotoStoreUnavailableError):
        log.error("photo_store_unavailable", reason=error.reason)
    return problem_for(error)


async def on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "no_such_route", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    response = problem(error.status_code, code, str(error.detail))
    if error.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (RFC 9110 §15.5.6: a 405
    lists them in ``Allow``). Starlette names only the first route that matched
    the path, but one path may have a route per method (Open311's requests)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


async def on_store_error(request: Request, error: Exception) -> Response:
    """503 with ``Retry-After`` when the store did not answer (the request may be
    sent again; a command with the same ``Idempotency-Key``); any other error of
    the same types is unexpected."""
    if not store_unreachable(error):
        return await on_unexpected_error(request, error)
    log.warning("store_unreachable", error=type(error).__name__, detail=str(error).strip().partition("\n")[0])
    detail = "The store did not answer in time; try again shortly (a command with the same Idempotency-Key)."
    response = problem(503, "store_unreachable", detail)
    response.headers["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
    return response


async def on_unexpected_error(request: Request, error: Exception) -> Response:
    log.error("unexpected_error", error=type(error).__name__, exc_info=error)
    request_id = request.scope.get("ihanoi.request_id", "")
    return problem(500, "internal_error", f"Something went wrong on our side; quote request id {request_id}.")


def create_app(
    settings: Settings,
    *,
    freeze_startup_objects: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The server. ``freeze_startup_objects`` (``ihanoi serve``) moves what start-up
    built out of the garbage collector's reach (``gc.freeze``): a process-wide
    choice, for the process that runs only this app. ``clock`` is the time the
    application decides with (received, due, overdue), for an embedding program
    or a test that replays a day on a chosen calendar; tokens are always checked
    against the real time."""
    configure_logging(settings.log_level)
    settings.jwt_secret  # noqa: B018 - fail at start-up, not on the first request, without a key
    master_keys(settings)  # likewise without the master key of personal fields
    metrics_registry = Metrics()
    # Its keys are fetched by the middleware, in a worker thread, never on the event loop.
    identity_provider = IdentityProvider.from_settings(settings, fetch_on_lookup=False)
    middleware = [Middleware(ObservabilityMiddleware, metrics=metrics_registry)]
    if identity_provider is not None:
        middleware.append(Middleware(KeyFetchMiddleware, provider=identity_provider))
    # Inside the observability middleware, so a refused cookie is logged with its request id.
    middleware.append(Middleware(SessionCookieMiddleware))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ihanoi = Ihanoi(settings) if clock is None else Ihanoi(settings, clock=clock)
        # Refuse now, naming the directory, rather than on the first photo.
        ihanoi.photos.store.check_writable()
        read_side = ReadSide(ihanoi, settings)
        # The Q&A switchboard answers questions as they are asked, from the knowledge index.
        install_switchboard(ihanoi, read_side.model(KnowledgeIndexModel), Queries(ihanoi, read_side).my_cases)
        rules = TokenRules(
            settings.jwt_secret if settings.hs256_tokens_accepted else None,
            settings.token_max_ttl,
            frozenset(ihanoi.directory.agencies),
            identity_provider,
        )
        app.state.ihanoi = ServerState(
            settings=settings,
            app=ihanoi,
            read_side=read_side,
            token_rules=rules,
            keys=SessionKeys.from_secret(settings.jwt_secret),
            cookies=CookieRules.from_settings(settings),
            spent=SpentCredentials(read_side.database),
        )
        # One tail of the log per server feeds every live stream (ihanoi_server.live).
        app.state.live = LiveFeed(ihanoi, settings).start()
        # The first deadline of a year loads its holiday tables: not on the first request.
        ihanoi.calendar.is_working_day(datetime.now(ihanoi.timezone).date())
        if freeze_startup_objects:
            # Modules, the directory, caches: tens of thousands of long-lived objects
            # that every full collection would walk again (a pause of tens of
            # milliseconds on each, measured with `make bench`).
            gc.collect()
            gc.freeze()
        log.info(
            "started",
            store=settings.database_url.split(":", 1)[0],
            identity_provider=settings.oidc_issuer,
            hs256_tokens=settings.hs256_tokens_accepted,
        )
        try:
            yield
        finally:
            await run_in_threadpool(app.state.live.stop)
            read_side.close()
            ihanoi.close()
            log.info("stopped")

    app = Starlette(
        routes=all_routes(),
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={
            **dict.fromkeys(store_error_types(settings), on_store_error),
            IhanoiError: on_ihanoi_error,
            HTTPException: on_http_error,
            Exception: on_unexpected_error,
        },
    )
    app.state.metrics = metrics_registry
    return app
