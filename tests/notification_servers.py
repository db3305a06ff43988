"""Real servers on loopback for the notification tests: an SMTP server (aiosmtpd)
that keeps every message it receives, and an SMS/Zalo HTTP gateway (a small
Starlette app under uvicorn) that checks its bearer token, honours
``Idempotency-Key`` and counts calls. No code of ours is mocked."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

GATEWAY_TOKEN = "gateway-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 OK"

    def text(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def wait(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


@contextmanager
def smtp_server() -> Iterator[tuple[str, Mailbox]]:
    """A real SMTP server on a loopback port; yields its smtp:// URL and mailbox."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", mailbox
    finally:
        controller.stop()


@dataclass
class Gateway:
    """The gateway's record: every call, and what it delivered once per key."""

    calls: int = 0
    unauthorised: int = 0
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    # Answer this status to the next N calls (a gateway having trouble).
    fail_next: int = 0
    fail_status: int = 503
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def messages(request: Request) -> JSONResponse:
            with self.lock:
                self.calls += 1
            if request.headers.get("authorization") != f"Bearer {GATEWAY_TOKEN}":
                with self.lock:
                    self.unauthorised += 1
                return JSONResponse({"error": "unauthorised"}, status_code=401)
            key = request.headers.get("idempotency-key")
            if not key:
                return JSONResponse({"error": "Idempotency-Key required"}, status_code=400)
            body = await request.json()
            if self.delay:
                await asyncio.sleep(self.delay)
            with self.lock:
                if self.fail_next > 0:
                    self.fail_next -= 1
                    return JSONResponse({"error": "try later"}, status_code=self.fail_status)
                if key in self.delivered:  # Seen: answer as before, deliver nothing.
                    return JSONResponse({"id": key, "duplicate": True})
                self.delivered[key] = body
                self.deliveries[key] = self.deliveries.get(key, 0) + 1
            return JSONResponse({"id": key}, status_code=201)

        return Starlette(routes=[Route("/messages", messages, methods=["POST"])])


@contextmanager
def gateway_server(gateway: Gateway | None = None) -> Iterator[tuple[str, Gateway]]:
    """The gateway under uvicorn on a loopback port, in a thread; yields its URL."""
    gateway = gateway or Gateway()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(gateway.app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", gateway
    finally:
        server.should_exit = True
        thread.join(5)
