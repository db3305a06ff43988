"""The docs' walk-throughs run as pasted against ``make serve``: each doc's
``sh`` blocks, in order, through bash, against a real server seeded by
``ihanoi demo`` with the settings ``make serve`` exports (read from the
Makefile), with the CLI of this checkout (``.venv/bin/ihanoi``).

``tests/unit/test_doc_walkthroughs.py`` checks each command against the
OpenAPI document without running it; this runs them. Every curl reports its
status on the side: none may be 5xx or unanswered, the 4xx answers must be
the refusals the doc shows on purpose (``REFUSALS``, in order), and nothing
the script runs may fail otherwise (an unset variable, a jq that got no JSON,
a CLI error, a command not found), nor the server log a traceback. A stream (``curl -N``) is cut after three
seconds, as its reader would stop it, and the minute business.md waits for
its consultation to end is four seconds here.

Three docs are run by hand, for what a test cannot give them: alerts.md
imports the upstream CAP files of its reader's own feed; deadlines.md and
notifications.md start workers that run until they are stopped.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
MAKE_SERVE_EXPORT = re.compile(r"^serve: export (IHANOI_\w+) \?= (.*)$", re.M)
# Where every walk-through expects `make serve`.
SERVED_AT = "http://127.0.0.1:8000"
RUN = ["business.md", "channels.md", "http-api.md", "payments.md", "photos.md", "privacy.md", "questions.md"]
RUN += ["sessions.md"]
BY_HAND = {"alerts.md", "deadlines.md", "notifications.md", "architecture.md", "audit.md", "configuration.md"}
BY_HAND |= {"events.md", "legal-basis.md", "operations.md"}  # the last six have no walk-through
# Lines that start what the test has started already: `make serve` and its two steps.
ALREADY_RUNNING = (".venv/bin/ihanoi demo --if-empty && .venv/bin/ihanoi serve &",)
# A minute its reader waits out, as seconds here: the consultation's end and the session's time.
SHORTER_WAITS = {"business.md": (("date -d '+1 minute'", "date -d '+3 seconds'"), ("sleep 60", "sleep 4"))}
# The refusals each walk-through shows on purpose, in order (ids and codes as placeholders).
REFUSALS: dict[str, list[tuple[int, str, str]]] = {
    "business.md": [
        (422, "POST", "/api/v1/business-inquiries"),  # a wrong check digit in the tax code
        (409, "POST", "/api/v1/consultations/{code}/close"),  # before its announced end
        (409, "POST", "/api/v1/consultations/{code}/publish-synthesis"),  # a comment not yet answered
    ],
    "http-api.md": [
        (412, "POST", "/api/v1/reports/{code}/assign"),  # If-Match names an older version
        (401, "GET", "/api/v1/me/stream"),  # no token
        (403, "POST", "/api/v1/reports/{code}/resolve"),  # a citizen
        (404, "GET", "/api/v1/reports/{code}"),  # PA-000000-000000
        (409, "POST", "/api/v1/reports/{code}/close"),  # not resolved yet
        (422, "POST", "/api/v1/reports/{code}/rate"),  # nine stars
        (415, "POST", "/api/v1/reports"),  # text/plain
    ],
    "payments.md": [(401, "POST", "/webhooks/payments/demo")] * 2,  # a forged signature, an hour-old timestamp
    "photos.md": [(404, "GET", "/public/photos/{sha256}")],  # hidden
    "privacy.md": [(409, "DELETE", "/api/v1/me/consents/survey_identity")],  # withdrawing what was never given
    "sessions.md": [
        *[(403, "POST", "/api/v1/reports/{id}/comment")] * 2,  # without the CSRF token; from another site
        (401, "GET", "/api/v1/worklist/stream"),  # a stream ticket used twice
    ],
}
PLACEHOLDERS = (
    (re.compile(r"[0-9a-f]{64}"), "{sha256}"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "{id}"),
    (re.compile(r"[A-Z]{2}-\d{6}-\d{6}"), "{code}"),
)
PRELUDE = """set -uo pipefail
make() { :; }
curl() { command curl "$@" --max-time 3 --write-out '%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n'; }
"""
RESPONSE = re.compile(r"^HTTP (\d{3}) (\S+) (\S+)$", re.M)
BROKEN = re.compile(r"command not found|jq: error|parse error|unbound variable|Traceback|^error: |No such file", re.M)


def placeholders(path: str) -> str:
    for pattern, placeholder in PLACEHOLDERS:
        path = pattern.sub(placeholder, path)
    return path


def make_serve_env() -> dict[str, str]:
    """What ``make serve`` exports, as the Makefile says."""
    return dict(MAKE_SERVE_EXPORT.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("make-serve")
    env = {
        **make_serve_env(),
        "IHANOI_DATABASE_URL": f"sqlite:///{folder / 'ihanoi.db'}",
        "IHANOI_SECRET_KEY": SECRET,
        "IHANOI_MEDIA_DIR": str(folder / "media"),
    }
    shell_env = {**{k: v for k, v in os.environ.items() if not k.startswith("IHANOI_")}, **env}
    seeded = subprocess.run(
        [str(ROOT / ".venv/bin/ihanoi"), "demo", "--if-empty"], env=shell_env, cwd=folder,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    server = start_server(env["IHANOI_DATABASE_URL"], folder / "server.log", extra_env=env)
    yield server, shell_env
    stop_server(server)


def test_every_doc_is_run_here_or_said_to_be_run_by_hand() -> None:
    docs = {path.name for path in (ROOT / "docs").glob("*.md")}
    assert docs == set(RUN) | BY_HAND
    assert not set(RUN) & BY_HAND
    assert all(SH_BLOCK.search((ROOT / "docs" / name).read_text(encoding="utf-8")) for name in RUN)


@pytest.mark.parametrize("name", RUN)
def test_the_walk_through_runs_as_pasted(name: str, served: tuple[LiveServer, dict[str, str]], tmp_path: Path) -> None:
    server, env = served
    doc = (ROOT / "docs" / name).read_text(encoding="utf-8")
    script = "\n".join(SH_BLOCK.findall(doc))
    for line in ALREADY_RUNNING:
        script = script.replace(line, ":")
    for longer, shorter in SHORTER_WAITS.get(name, ()):
        assert longer in script, f"{name} no longer says {longer!r}"
        script = script.replace(longer, shorter)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")

    done = subprocess.run(
        ["bash", "-c", PRELUDE + script.replace(SERVED_AT, server.base_url)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip

    responses = RESPONSE.findall(done.stderr)
    assert responses, done.stderr
    failed = [f"{code} {method} {url}" for code, method, url in responses if code[0] not in "234"]
    assert not failed, f"{name}: server errors or no answer:\n" + "\n".join(failed)
    refused = [
        (int(code), method, placeholders(urlsplit(url).path)) for code, method, url in responses if code[0] == "4"
    ]
    assert refused == REFUSALS.get(name, []), f"{name}: the refusals it shows changed: {refused}"
    broken = [line for line in done.stderr.splitlines() if BROKEN.search(line)]
    assert not broken, f"{name}: " + "\n".join(broken)
    assert "Traceback" not in server.log()
