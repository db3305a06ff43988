"""Chat webhooks (issue #20): signed Zalo OA deliveries recorded per second by
the real server, beside the same server refusing an unsigned POST to the same
route in the same run (the route's floor: parsing, routing, the problem
answer, no signature check, no save).

Each delivery is a new ``user_send_text`` message of one of 200 users, signed
as Zalo signs (``X-ZEvent-Signature``), with a fresh timestamp: the server
verifies it and records the message with its index in one transaction (the
guided flow and the replies run later, in the dispatcher). A second figure
replays deliveries already recorded (a retry storm): verified, found, nothing
saved. 16 client threads, one uvicorn process, SQLite.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

from benchmarks.common import Figure, concurrent_rate, print_figures
from benchmarks.http import free_port, start_server
from ihanoi_core.channels.signatures import zalo_signature

APP_ID = "360846524940903967"
OA_SECRET = "benchmark-oa-secret-key"
CLIENTS = 16
USERS = 200


def signed(user: int, number: int, stamp: str) -> tuple[bytes, dict[str, str]]:
    event = {
        "app_id": APP_ID,
        "event_name": "user_send_text",
        "sender": {"id": f"bench-user-{user}"},
        "recipient": {"id": "388613280878808645"},
        "message": {"msg_id": f"bench-{number}", "text": "xin chào"},
        "timestamp": stamp,
    }
    body = orjson.dumps(event)
    return body, {"X-ZEvent-Signature": zalo_signature(APP_ID, body, stamp, OA_SECRET),
                  "Content-Type": "application/json"}  # fmt: skip


def run() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="ihanoi-channels-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"IHANOI_ZALO_APP_ID": APP_ID, "IHANOI_ZALO_OA_SECRET_KEY": OA_SECRET}
    server = start_server(f"sqlite:///{folder / 'bench.db'}", port, env)
    local = threading.local()
    numbers = itertools.count()
    recorded: list[tuple[bytes, dict[str, str]]] = []

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=30)
        found: httpx.Client = local.client
        return found

    def bare() -> int:
        answer = client().post("/webhooks/zalo", content=b"{}", headers={"Content-Type": "application/json"})
        assert answer.status_code == 403
        return 1

    def deliver() -> int:
        number = next(numbers)
        body, headers = signed(number % USERS, number, str(int(time.time() * 1000)))
        answer = client().post("/webhooks/zalo", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        if len(recorded) < 2000:
            recorded.append((body, headers))
        return 1

    def replay() -> int:
        body, headers = recorded[next(numbers) % len(recorded)]
        answer = client().post("/webhooks/zalo", content=body, headers=headers)
        assert answer.json() == {"status": "replayed"}, answer.text
        return 1

    try:
        deliveries = concurrent_rate(deliver, CLIENTS)
        replays = concurrent_rate(replay, CLIENTS)
        ceiling = concurrent_rate(bare, CLIENTS)  # last, on a server as warm as for the others
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
    figures = [
        Figure(f"Zalo deliveries recorded/s ({CLIENTS} clients)", deliveries, "msg/s", "unsigned POST refused/s",
               ceiling, 100),
        Figure(f"Zalo replayed deliveries/s ({CLIENTS} clients)", replays, "msg/s", "unsigned POST refused/s",
               ceiling),
    ]  # fmt: skip
    print_figures("Chat webhooks (one uvicorn process, SQLite)", figures)
    return figures


if __name__ == "__main__":
    run()
