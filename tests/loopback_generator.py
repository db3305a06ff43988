"""A loopback stand-in for an OpenAI-compatible chat-completions endpoint
(a local llama.cpp or vLLM server): a real Starlette app served by uvicorn on
127.0.0.1, answering with whatever the test sets in ``reply`` (or failing
with ``status``), and keeping the requests it received."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class LoopbackGenerator:
    def __init__(self) -> None:
        self.reply = ""
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        app = Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/chat/completions"

    async def complete(self, request: Request) -> JSONResponse:
        self.requests.append(await request.json())
        if self.status != 200:
            return JSONResponse({"error": {"message": "unavailable"}}, status_code=self.status)
        message = {"role": "assistant", "content": self.reply}
        return JSONResponse({"object": "chat.completion", "choices": [{"index": 0, "message": message}]})

    def __enter__(self) -> LoopbackGenerator:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
