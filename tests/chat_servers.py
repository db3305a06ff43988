"""Local fakes of the Zalo OA API and the Messenger Send API, for the channel
tests: small Starlette apps under uvicorn on loopback (``serving``). Each
checks the access token, takes the documented request shape, honours
``X-Idempotency-Key`` (the real APIs do not document it; docs/channels.md)
and keeps what it delivered, once per key, with how often each key came."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.notification_servers import serve_in_thread

OA_TOKEN = "oa-test-access-token"
OA_REFRESH = "oa-test-refresh-token"
APP_SECRET = "zalo-app-secret"
PAGE_TOKEN = "page-test-access-token"


@dataclass
class ChatApi:
    """What the fake APIs received: every call, and each key's delivery."""

    calls: int = 0
    unauthorised: int = 0
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    # Seconds each call takes (a slow API, so a kill lands mid-batch).
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Zalo's OAuth side: the access tokens still valid, the refresh tokens not
    # yet spent (each is single use), the renewals answered.
    valid: set[str] = field(default_factory=lambda: {OA_TOKEN})
    unspent: set[str] = field(default_factory=lambda: {OA_REFRESH})
    renewals: int = 0
    # What the OA API answers for a token it no longer takes (-216 invalid, -124 expired).
    refused_token_error: int = -216

    def expire(self) -> None:
        """Every access token issued so far expires (Zalo's ~25 hours pass)."""
        with self.lock:
            self.valid.clear()

    def _renew(self, secret: str | None, form: Any) -> JSONResponse:
        with self.lock:
            if secret != APP_SECRET or form.get("grant_type") != "refresh_token" or not form.get("app_id"):
                return JSONResponse({"error": -14002, "error_name": "Invalid app", "error_description": "bad"})
            if form.get("refresh_token") not in self.unspent:
                return JSONResponse({"error": -14014, "error_name": "Invalid refresh token",
                                     "error_description": "refresh token is invalid or used"})  # fmt: skip
            self.unspent.discard(form["refresh_token"])
            self.renewals += 1
            access, refresh = f"oa-access-{self.renewals}", f"oa-refresh-{self.renewals}"
            self.valid.add(access)
            self.unspent.add(refresh)
        return JSONResponse({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})

    def texts(self, to: str) -> list[str]:
        with self.lock:
            return [body["text"] for body in self.delivered.values() if body["to"] == to]

    def _deliver(self, key: str | None, to: str, text: str) -> JSONResponse:
        if not key or not to or not text:
            return JSONResponse({"error": -201, "message": "invalid request"})
        with self.lock:
            self.deliveries[key] = self.deliveries.get(key, 0) + 1
            if key not in self.delivered:
                self.delivered[key] = {"to": to, "text": text}
        return JSONResponse({"error": 0, "message": "Success", "data": {"message_id": key}, "message_id": key})

    def app(self) -> Starlette:
        async def zalo(request: Request) -> JSONResponse:
            with self.lock:
                self.calls += 1
            if request.headers.get("access_token") not in self.valid:
                with self.lock:
                    self.unauthorised += 1
                return JSONResponse({"error": self.refused_token_error, "message": "Access token is invalid"})
            body = await request.json()
            if self.delay:
                await asyncio.sleep(self.delay)
            return self._deliver(
                request.headers.get("x-idempotency-key"), body["recipient"]["user_id"], body["message"]["text"]
            )

        async def messenger(request: Request) -> JSONResponse:
            with self.lock:
                self.calls += 1
            if request.query_params.get("access_token") != PAGE_TOKEN:
                with self.lock:
                    self.unauthorised += 1
                return JSONResponse({"error": {"message": "Invalid OAuth access token."}}, status_code=401)
            body = await request.json()
            assert body["messaging_type"] == "RESPONSE"
            return self._deliver(request.headers.get("x-idempotency-key"), body["recipient"]["id"],
                                 body["message"]["text"])  # fmt: skip

        async def renew(request: Request) -> JSONResponse:
            return self._renew(request.headers.get("secret_key"), await request.form())

        return Starlette(
            routes=[
                Route("/v4/oa/access_token", renew, methods=["POST"]),
                Route("/v3.0/oa/message/cs", zalo, methods=["POST"]),
                Route("/me/messages", messenger, methods=["POST"]),
            ]
        )


@contextmanager
def chat_api(api: ChatApi | None = None) -> Iterator[tuple[str, ChatApi]]:
    """Both fakes on one loopback port; yields the base URL (for both API URL settings)."""
    api = api or ChatApi()
    with serve_in_thread(api.app()) as url:
        yield url, api


@dataclass
class ChatCdn:
    """The channels' CDN, where a photo sent in a chat lies: ``/photo.jpg``
    (a phone's JPEG with GPS), ``/page.html`` (not an image), ``/big.jpg``
    (``big`` bytes), ``/missing.jpg`` (404), ``/slow.jpg`` (answers after
    ``slow`` seconds), ``/drip.jpg`` (its body a little at a time, ``slow``
    seconds in all), ``/bomb.png`` (pixels past the library's limit),
    ``/moved.jpg`` (redirects to the photo), ``/local.jpg`` (redirects to an
    ``ftp:`` URL, which urllib alone would follow)."""

    photo: bytes
    bomb: bytes = b""
    big: int = 0
    slow: float = 3.0
    fetched: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def serve(request: Request) -> Response:
            name = request.path_params["name"]
            self.fetched.append(name)
            if name == "photo.jpg":
                return Response(self.photo, media_type="image/jpeg")
            if name == "page.html":
                return Response(b"<html>not a photo</html>", media_type="text/html")
            if name == "big.jpg":
                return Response(self.photo + b"\0" * self.big, media_type="image/jpeg")
            if name == "bomb.png":
                return Response(self.bomb, media_type="image/png")
            if name == "slow.jpg":
                await asyncio.sleep(self.slow)
                return Response(self.photo, media_type="image/jpeg")
            if name == "drip.jpg":
                return StreamingResponse(self.drip(), media_type="image/jpeg")
            if name == "moved.jpg":  # a CDN's redirect to where the photo lies now
                return Response(status_code=302, headers={"Location": "/photo.jpg"})
            if name == "local.jpg":  # a redirect out of http(s)
                return Response(status_code=302, headers={"Location": "ftp://127.0.0.1/photo.jpg"})
            return Response(b"gone", status_code=404, media_type="text/plain")

        return Starlette(routes=[Route("/{name}", serve)])

    async def drip(self) -> AsyncIterator[bytes]:
        pieces = 10
        step = max(1, len(self.photo) // pieces)
        for start in range(0, len(self.photo), step):
            await asyncio.sleep(self.slow / pieces)
            yield self.photo[start : start + step]


@contextmanager
def chat_cdn(cdn: ChatCdn) -> Iterator[str]:
    """The CDN on a loopback port; yields its base URL."""
    with serve_in_thread(cdn.app()) as url:
        yield url
