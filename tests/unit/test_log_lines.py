"""A log line reaches stderr in one write.

Nothing else writing to that stderr can then cut into a line: not the
standard library's handler in the same process (uvicorn's lines, under a lock
of its own), nor another process under the same supervisor. With
``PYTHONUNBUFFERED`` set, as container images often have it, ``print`` writes
the text and its newline separately, and another line can land between them.
"""

from __future__ import annotations

import io
import logging
import sys

import orjson
import pytest
import structlog

from ihanoi_server.logging import configure_logging


class Writes(io.StringIO):
    """A stream that keeps each ``write`` call apart."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return len(text)


def test_a_structlog_line_is_one_write_of_json_and_its_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = Writes()
    monkeypatch.setattr(sys, "stderr", stderr)
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # basicConfig's, should the root have none
    try:
        configure_logging("INFO")
        structlog.get_logger("ihanoi.test").info("case_filed", category="pothole")
    finally:
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(level)

    [line] = stderr.calls
    assert line.endswith("\n")
    assert line.count("\n") == 1
    record = orjson.loads(line)
    assert (record["event"], record["category"], record["level"]) == ("case_filed", "pothole", "info")
