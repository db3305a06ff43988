"""Optional rephrasing of the switchboard's answers (off by default).

A ``Generator`` turns the extractive answer into friendlier words. It may
only rephrase: it is given the answer and the numbered passages it cites, and
must keep every marker ``[1]``, ``[2]`` … of the passages it was given.
``rephrase_checked`` discards a rephrasing that drops one (or any failure:
an endpoint down, a timeout, an empty reply) and the extractive answer is
used. Nothing here downloads a model: ``OpenAICompatibleGenerator`` calls an
endpoint the operator runs (``IHANOI_ANSWER_GENERATOR_URL``, e.g. a local
llama.cpp or vLLM server's ``/v1/chat/completions``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from ihanoi_core.domain.question_values import Citation

INSTRUCTIONS = (
    "Bạn là tổng đài viên của chính quyền. Viết lại câu trả lời dưới đây cho dễ hiểu, bằng tiếng Việt, "
    "KHÔNG thêm thông tin nào ngoài các đoạn nguồn, và GIỮ NGUYÊN mọi dấu trích dẫn như [1], [2]."
)


class Generator(Protocol):
    """Rephrases an answer; see the module docstring."""

    def rephrase(self, question: str, answer: str, passages: Sequence[str]) -> str: ...


def markers(citations: Sequence[Citation]) -> list[str]:
    return [f"[{number}]" for number in range(1, len(citations) + 1)]


def rephrase_checked(generator: Generator, question: str, answer: str, citations: Sequence[Citation]) -> str | None:
    """The rephrased answer when it keeps every citation marker, else None."""
    cited = "\n".join(
        f"{marker} {citation.quote}" for marker, citation in zip(markers(citations), citations, strict=True)
    )
    try:
        text = generator.rephrase(question, f"{answer}\n{cited}", [c.quote for c in citations]).strip()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not text or any(marker not in text for marker in markers(citations)):
        return None
    return text


class OpenAICompatibleGenerator:
    """A chat-completions endpoint (OpenAI's wire format) run by the operator."""

    def __init__(self, url: str, model: str = "local", timeout: float = 2.0) -> None:
        self.url = url
        self.model = model
        self.timeout = timeout

    def rephrase(self, question: str, answer: str, passages: Sequence[str]) -> str:
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": f"Câu hỏi: {question}\n\nCâu trả lời có trích dẫn:\n{answer}"},
            ],
        }
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read())
        except urllib.error.URLError as exc:
            raise OSError(str(exc)) from None
        content = reply["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise TypeError("the endpoint's message content is not text")
        return content
