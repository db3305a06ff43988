"""Real servers on loopback for the notification tests: an SMTP server (aiosmtpd)
that keeps every message it receives, an SMS/Zalo HTTP gateway (a small
Starlette app under uvicorn) that checks its bearer token, honours
``Idempotency-Key`` and counts calls, and a Web Push service over TLS that
checks each request's VAPID JWT (RFC 8292) and decrypts its ``aes128gcm``
payload (RFC 8291) with the subscribing browser's private keys, as a real
push service and browser would between them. No code of ours is mocked."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import http_ece
import jwt
import uvicorn
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
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
def serve_in_thread(app: Starlette) -> Iterator[str]:
    """``app`` under uvicorn on a loopback port, in a thread; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@contextmanager
def gateway_server(gateway: Gateway | None = None) -> Iterator[tuple[str, Gateway]]:
    """The gateway under uvicorn on a loopback port, in a thread; yields its URL."""
    gateway = gateway or Gateway()
    with serve_in_thread(gateway.app()) as url:
        yield url, gateway


# -- Web Push -------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's push subscription: the receiver's key pair and auth secret,
    made as ``PushManager.subscribe`` makes them."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        """``PushSubscription.toJSON()``."""
        point = self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }


@dataclass
class PushService:
    """A push service: subscriptions by id, what it received (decrypted), and
    which subscriptions are gone (answered 410)."""

    application_server_key: str  # the VAPID public key subscriptions were made with
    base_url: str = ""
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def subscribe(self) -> Browser:
        browser = Browser(f"{self.base_url}/push/{uuid.uuid4().hex}")
        self.browsers[browser.endpoint.rsplit("/", 1)[1]] = browser
        return browser

    def wait(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} pushes, got {len(self.received)}")

    def _check_vapid(self, request: Request) -> str | None:
        """Why the request's VAPID authorisation is refused, or None."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            return "no vapid authorisation"
        parts = dict(item.strip().split("=", 1) for item in value.split(","))
        if parts.get("k") != self.application_server_key:
            return "not the key the subscription was made with"
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        origin = f"{request.url.scheme}://{request.url.netloc}"
        try:
            claims = jwt.decode(
                parts["t"], key, algorithms=["ES256"], audience=origin, options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError as error:
            return f"bad JWT: {error}"
        if claims["exp"] > time.time() + 24 * 3600:
            return "exp more than 24 h ahead"
        return None

    def app(self) -> Starlette:
        async def push(request: Request) -> Response:
            subscription = request.path_params["subscription"]
            why = self._check_vapid(request)
            if why is not None:
                with self.lock:
                    self.refused.append(why)
                return Response(why, status_code=403)
            if subscription in self.gone or subscription not in self.browsers:
                return Response(status_code=410)
            if request.headers.get("content-encoding") != "aes128gcm" or "ttl" not in request.headers:
                return Response("aes128gcm and TTL required", status_code=400)
            browser = self.browsers[subscription]
            body = await request.body()
            plain = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
            with self.lock:
                self.received.append(
                    {"subscription": subscription, "topic": request.headers.get("topic"), **json.loads(plain)}
                )
            return Response(status_code=201)

        return Starlette(routes=[Route("/push/{subscription}", push, methods=["POST"])])


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A TLS certificate for 127.0.0.1 and its key, as files in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "push-cert.pem", folder / "push-key.pem"
    cert_file.write_bytes(certificate.public_bytes(Encoding.PEM))
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return cert_file, key_file


@contextmanager
def push_server(application_server_key: str, folder: Path) -> Iterator[tuple[PushService, Path]]:
    """The push service under uvicorn with TLS on a loopback port; yields it
    and the certificate to trust."""
    cert_file, key_file = self_signed_certificate(folder)
    port = free_port()
    service = PushService(application_server_key, base_url=f"https://127.0.0.1:{port}")
    config = uvicorn.Config(
        service.app(), host="127.0.0.1", port=port, log_level="warning",
        ssl_certfile=str(cert_file), ssl_keyfile=str(key_file),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield service, cert_file
    finally:
        server.should_exit = True
        thread.join(5)
