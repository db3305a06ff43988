"""Request ids, access logs and Prometheus metrics, as one ASGI middleware,
plus ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ihanoi_core.eventstore.probe import store_unreachable
from ihanoi_projections.notifications.admin import STATES, ChannelStatus, outbox_status
from ihanoi_projections.read_side import ProjectionStatus
from ihanoi_projections.read_side import status as projection_status
from ihanoi_server.http import json_response, state
from ihanoi_server.problems import problem
from ihanoi_server.state import ServerState

log = structlog.get_logger("ihanoi.http")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
READY_LAG_EVENTS = 1000
# How long a scrape of /metrics waits for the figures it reads from the store
# before it answers without them (Prometheus gives a scrape 10 s by default).
STORE_WAIT_SECONDS = 2.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ihanoi_http_requests", "HTTP requests", ("method", "route", "status"), registry=self.registry
        )
        self.latency = Histogram(
            "ihanoi_http_request_seconds",
            "HTTP request latency",
            ("method", "route"),
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.lag = Gauge(
            "ihanoi_projection_lag_events", "Events not yet applied", ("projection",), registry=self.registry
        )
        self.outbox = Gauge(
            "ihanoi_notifications_outbox", "Notices in the outbox", ("channel", "state"), registry=self.registry
        )
        self.outbox_oldest = Gauge(
            "ihanoi_notifications_oldest_due_seconds",
            "Age of the oldest due notice",
            ("channel",),
            registry=self.registry,
        )
        self.store_up = Gauge(
            "ihanoi_store_up",
            "Whether the store answered the last scrape in time (1) or not (0: no lag or outbox figures)",
            registry=self.registry,
        )
        self.store_figures: asyncio.Future[StoreFigures] | None = None

    async def refresh(self, server: ServerState) -> None:
        """Set the figures read from the store, if it answers within
        ``STORE_WAIT_SECONDS``; else drop them and say so in ``ihanoi_store_up``.
        One read at a time: a scrape while one is still waiting waits on it."""
        if self.store_figures is None or self.store_figures.done():
            self.store_figures = asyncio.ensure_future(run_in_threadpool(read_store_figures, server))
            # A read that ends after its scrape gave up is not awaited: its error is taken here.
            self.store_figures.add_done_callback(lambda done: done.cancelled() or done.exception())
        reading = self.store_figures
        figures = None
        if (await asyncio.wait({reading}, timeout=STORE_WAIT_SECONDS))[0]:
            error = reading.exception()
            if error is None:
                figures = reading.result()
            elif store_unreachable(error):
                log.warning("store_unreachable", route="/metrics", error=type(error).__name__)
            else:  # a fault of ours, not the store's absence
                raise error
        self.show(figures)

    def show(self, figures: StoreFigures | None) -> None:
        self.store_up.set(figures is not None)
        for gauge in (self.lag, self.outbox, self.outbox_oldest):
            gauge.clear()
        for item in figures.projections if figures else ():
            self.lag.labels(item.name).set(item.lag_events)
        for channel in figures.channels if figures else ():
            for outbox_state in STATES:
                self.outbox.labels(channel.channel, outbox_state).set(getattr(channel, outbox_state))
            self.outbox_oldest.labels(channel.channel).set(channel.oldest_due_seconds)


@dataclass(frozen=True, slots=True)
class StoreFigures:
    """What /metrics reads from the store: each projection's lag, the outbox."""

    projections: list[ProjectionStatus]
    channels: list[ChannelStatus]


def read_store_figures(server: ServerState) -> StoreFigures:
    return StoreFigures(
        projection_status(server.app, server.read_side.database), outbox_status(server.read_side.database)
    )


def route_name(scope: Scope) -> str:
    """The route template (``/api/v1/reports/{id}``) the router matched, never
    the raw path (which holds ids)."""
    route = scope.get("route")
    return route.path if isinstance(route, Route) else "unmatched"


class ObservabilityMiddleware:
    """Gives each request an id (``X-Request-ID``), logs one line per request
    and records its metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope["ihanoi.request_id"] = request_id
        started = time.perf_counter()
        status_code = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_name(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status_code)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            log.info("request", method=method, route=route, status=status_code, ms=round(elapsed * 1000, 2))
            structlog.contextvars.unbind_contextvars("request_id")


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: the store answers and every projection is within a bound of the head."""
    server = state(request)

    def check() -> list[Any]:
        return projection_status(server.app, server.read_side.database)

    try:
        statuses = await run_in_threadpool(check)
    except Exception as error:  # The store is unreachable: not ready, whatever the cause.
        return problem(503, "store_unreachable", f"The store did not answer ({type(error).__name__}).")
    unhealthy = {s.name: s.health for s in statuses if not s.healthy}
    if unhealthy:
        detail = "Read models disagree with the log; see `ihanoi projections check`."
        return problem(503, "projections_inconsistent", detail, extra={"inconsistent": unhealthy})
    behind = {s.name: s.lag_events for s in statuses if s.lag_events > READY_LAG_EVENTS}
    if behind or not server.read_side.runner.running:
        return problem(503, "projections_behind", "Read models are not caught up.", extra={"behind": behind})
    return json_response({"status": "ready", "projections": {s.name: s.position for s in statuses}})


async def metrics(request: Request) -> Response:
    """Prometheus text: requests, latencies, projection lag, the notification
    outbox. It answers while the store does not, without the last two."""
    registry_metrics: Metrics = request.app.state.metrics
    await registry_metrics.refresh(state(request))
    return Response(generate_latest(registry_metrics.registry), media_type=CONTENT_TYPE_LATEST)
