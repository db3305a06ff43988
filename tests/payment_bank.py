"""A bank on loopback for the payment tests: a small Starlette app under
uvicorn, in a thread, that does what a real bank or gateway does for us.

``POST /transfers`` books a transfer into the platform's account (amount,
the payer's transfer purpose) and confirms it to the platform the way a
gateway does: it signs the callback (HMAC-SHA256 of ``<timestamp>.<raw
body>`` with the shared secret) and posts it over real HTTP to
``/webhooks/payments/{provider}``, ``copies`` times at once. A test may make
it misbehave: sign with another secret, send an old timestamp, or ``replay``
the last callback as it was sent. Its answer lists the platform's answers.
``GET /statement.csv`` is its statement of the account: every transfer booked.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ihanoi_core.payments.signatures import sign
from tests.conftest import LOOPBACK_TLS
from tests.notification_servers import serve_in_thread


@dataclass
class Bank:
    """The bank's ledger and what it needs to reach the platform."""

    platform_url: str
    provider: str
    secret: str
    booked: list[dict[str, Any]] = field(default_factory=list)
    last_sent: tuple[str, bytes] | None = None
    numbers: int = 0

    def app(self) -> Starlette:
        async def transfer(request: Request) -> JSONResponse:
            order = orjson.loads(await request.body())
            if order.get("replay"):
                assert self.last_sent is not None
                timestamp, body = self.last_sent
                signature = sign(self.secret, timestamp, body)
            else:
                self.numbers += 1
                transaction = order.get("transaction_id") or f"FT{self.numbers:08d}"
                booked = {
                    "transaction_id": transaction,
                    "booked_at": datetime.now(UTC).isoformat(),
                    "amount": int(order["amount"]),
                    "description": f"CT DEN:{transaction} {order['purpose']}",
                }
                self.booked.append(booked)
                body = orjson.dumps({**booked, "paid_at": booked["booked_at"]})
                timestamp = str(int(time.time()) - int(order.get("age", 0)))
                signature = sign(order.get("secret", self.secret), timestamp, body)
                self.last_sent = (timestamp, body)
            headers = {"Content-Type": "application/json", "X-Timestamp": timestamp, "X-Signature": signature}
            url = f"{self.platform_url}/webhooks/payments/{self.provider}"
            async with httpx.AsyncClient(timeout=30, verify=LOOPBACK_TLS) as client:
                answers = await asyncio.gather(
                    *(client.post(url, content=body, headers=headers) for _ in range(int(order.get("copies", 1))))
                )
            return JSONResponse(
                {"answers": [{"status": answer.status_code, "body": answer.json()} for answer in answers]}
            )

        async def statement(request: Request) -> Response:
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=["transaction_id", "booked_at", "amount", "description"])
            writer.writeheader()
            writer.writerows(self.booked)
            return Response(out.getvalue(), media_type="text/csv")

        return Starlette(
            routes=[
                Route("/transfers", transfer, methods=["POST"]),
                Route("/statement.csv", statement, methods=["GET"]),
            ]
        )


@contextmanager
def bank_server(bank: Bank) -> Iterator[str]:
    """The bank under uvicorn on a loopback port, in a thread; yields its URL."""
    with serve_in_thread(bank.app()) as url:
        yield url
