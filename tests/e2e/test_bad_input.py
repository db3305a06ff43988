"""A catalogue of bad requests against the real server: each gets the right
4xx as problem+json, and the event store stays byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from ihanoi_core.domain.values import Role
from ihanoi_core.eventstore.urls import postgres_env, sqlite_path
from tests.cli_in_process import run_cli
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, LiveServer

VALID = {"category": "pothole", "description": "Ổ gà", "location": {"ward": "HOAN_KIEM"}}


def store_fingerprint(database_url: str) -> str:
    """SHA-256 over every stored event row, in log order."""
    digest = hashlib.sha256()
    if database_url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(database_url)) as conn:
            rows = conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
            ).fetchall()
    else:
        env = postgres_env(database_url)
        schema = env.get("POSTGRES_SCHEMA", "public")
        with psycopg.connect(database_url.split("?")[0]) as conn:
            rows = conn.execute(
                f'SELECT notification_id, originator_id, originator_version, topic, state FROM "{schema}".cases_events'
                " ORDER BY notification_id"
            ).fetchall()
    for row in rows:
        digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def server(module_server: LiveServer) -> LiveServer:
    """The module's server (tests/e2e/conftest.py), on SQLite and PostgreSQL."""
    return module_server


@pytest.fixture(scope="module")
def case(server: LiveServer) -> dict[str, Any]:
    """One report, acknowledged, to aim commands at."""
    with server.client(Role.CITIZEN) as citizen:
        created = citizen.post("/api/v1/reports", json=VALID).json()
    agency = "UBND_HOAN_KIEM"
    with server.client(Role.OFFICER, "officer-1", agency) as officer:
        acknowledged = officer.post(f"/api/v1/reports/{created['id']}/acknowledge", json={})
        assert acknowledged.status_code == 200, acknowledged.text
    return {**created, "agency": agency, "version": acknowledged.json()["version"]}


def forged_token() -> str:
    from ihanoi_core.domain.values import Principal
    from ihanoi_server.auth.tokens import issue_token

    return issue_token("not-the-server-secret-not-the-server-secret", Principal("vneid:1", Role.CITIZEN))


def expired_token() -> str:
    from ihanoi_core.domain.values import Principal
    from ihanoi_server.auth.tokens import issue_token

    return issue_token(SECRET, Principal("vneid:1", Role.CITIZEN), ttl_seconds=60, now=time.time() - 3600)


def json_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


# (name, method, path template, headers kind, body bytes or JSON, expected status, expected code)
CATALOGUE: list[tuple[str, str, str, str, Any, int, str]] = [
    ("malformed JSON", "POST", "/api/v1/reports", "citizen", b'{"category": "pothole",', 400, "malformed_json"),
    ("truncated JSON, unknown first key", "POST", "/api/v1/reports", "citizen", b'{"broken": ', 400,
     "malformed_json"),
    ("truncated JSON, wrong first value", "POST", "/api/v1/reports", "citizen", b'{"category": 12, ', 400,
     "malformed_json"),
    ("truncated JSON to a command", "POST", "/api/v1/reports/{id}/assign", "officer", b'{"nobody": [', 400,
     "malformed_json"),
    ("not an object", "POST", "/api/v1/reports", "citizen", b"[1, 2, 3]", 422, "validation_error"),
    ("wrong type", "POST", "/api/v1/reports", "citizen", {**VALID, "description": 12}, 422, "validation_error"),
    ("missing field", "POST", "/api/v1/reports", "citizen", {"category": "pothole"}, 422, "validation_error"),
    ("unknown field", "POST", "/api/v1/reports", "citizen", {**VALID, "is_admin": True}, 422, "validation_error"),
    ("unknown category", "POST", "/api/v1/reports", "citizen", {**VALID, "category": "x"}, 422, "validation_error"),
    ("unknown ward", "POST", "/api/v1/reports", "citizen", {**VALID, "location": {"ward": "NOWHERE"}}, 422,
     "validation_error"),
    ("latitude out of range", "POST", "/api/v1/reports", "citizen",
     {**VALID, "location": {"ward": "HOAN_KIEM", "latitude": 123.0}}, 422, "validation_error"),
    ("5,000-char string", "POST", "/api/v1/reports", "citizen", {**VALID, "description": "x" * 5000}, 422,
     "validation_error"),
    ("NUL character", "POST", "/api/v1/reports", "citizen", {**VALID, "description": "a\u0000b"}, 422,
     "validation_error"),
    ("invalid UTF-8", "POST", "/api/v1/reports", "citizen", b'{"category": "\xff\xfe"}', 400, "invalid_utf8"),
    ("10 MB body", "POST", "/api/v1/reports", "citizen", b"{" + b" " * (10 * 1024 * 1024) + b"}", 413,
     "body_too_large"),
    ("wrong content type", "POST", "/api/v1/reports", "citizen-text", b"category=pothole", 415,
     "unsupported_media_type"),
    ("no token", "POST", "/api/v1/reports", "none", VALID, 401, "unauthenticated"),
    ("forged token", "POST", "/api/v1/reports", "forged", VALID, 401, "unauthenticated"),
    ("expired token", "POST", "/api/v1/reports", "expired", VALID, 401, "unauthenticated"),
    ("garbage token", "POST", "/api/v1/reports", "garbage", VALID, 401, "unauthenticated"),
    ("token valid until 10^30", "POST", "/api/v1/reports", "everlasting", VALID, 401, "token_lifetime_too_long"),
    ("officer of an unknown agency", "POST", "/api/v1/reports/{id}/assign", "unknown-agency-officer",
     {"assignee": "a"}, 401, "unknown_agency"),
    ("stars out of range", "POST", "/api/v1/reports/{id}/rate", "citizen", {"stars": 9}, 422, "validation_error"),
    ("wrong state", "POST", "/api/v1/reports/{id}/close", "officer", {}, 409, "invalid_transition"),
    ("stale If-Match", "POST", "/api/v1/reports/{id}/assign", "officer-stale", {"assignee": "a"}, 412,
     "version_mismatch"),
    ("bad If-Match", "POST", "/api/v1/reports/{id}/assign", "officer-bad-etag", {"assignee": "a"}, 400,
     "bad_if_match"),
    ("If-Match past any version", "POST", "/api/v1/reports/{id}/assign", "officer-huge-etag", {"assignee": "a"},
     412, "version_mismatch"),
    ("weak If-Match of the current version", "POST", "/api/v1/reports/{id}/assign", "officer-weak-etag",
     {"assignee": "a"}, 412, "version_mismatch"),
    ("If-Match not an ETag of ours", "POST", "/api/v1/reports/{id}/assign", "officer-foreign-etag",
     {"assignee": "a"}, 412, "version_mismatch"),
    ("If-Match list", "POST", "/api/v1/reports/{id}/assign", "officer-etag-list", {"assignee": "a"}, 400,
     "bad_if_match"),
    ("unknown case", "POST", "/api/v1/reports/PA-000000-000000/acknowledge", "officer", {}, 404, "case_not_found"),
    ("other agency", "POST", "/api/v1/reports/{id}/assign", "other-officer", {"assignee": "a"}, 404,
     "case_not_found"),
    ("citizen may not resolve", "POST", "/api/v1/reports/{id}/resolve", "citizen", {"answer": "x"}, 403,
     "forbidden"),
    ("unknown route", "GET", "/api/v1/nothing-here", "citizen", None, 404, "no_such_route"),
    ("an integral float is an integer", "POST", "/api/v1/reports/{id}/rate", "citizen", b'{"stars": 4.0}', 409,
     "invalid_transition"),
    ("a superscript digit as a number", "GET", "/api/v1/me/cases?limit=%C2%B2", "citizen", None, 422,
     "validation_error"),
    ("a position past the newest write", "GET", "/api/v1/me/cases?position=9420249142", "citizen", None, 422,
     "validation_error"),
    ("a negative Last-Event-ID", "GET", "/api/v1/me/stream", "citizen-negative-last-event", None, 400,
     "bad_last_event_id"),
    ("a bad last_event_id beside a good Last-Event-ID", "GET", "/api/v1/me/stream?last_event_id=null",
     "citizen-last-event-0", None, 400, "bad_last_event_id"),
    ("wrong method", "DELETE", "/api/v1/reports", "citizen", None, 405, "method_not_allowed"),
]  # fmt: skip

# Text that must be stored and returned verbatim, never interpreted.
INJECTIONS = [
    "'; DROP TABLE stored_events; --",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "Robert'); DELETE FROM view_case_status WHERE ('1'='1",
]


def headers_for(kind: str, server: LiveServer, case: dict[str, Any]) -> dict[str, str]:
    citizen = server.token(Role.CITIZEN, "vneid:001099012345")
    officer = server.token(Role.OFFICER, "officer-1", case["agency"])
    return {
        "citizen": json_headers(citizen),
        "citizen-text": {"Authorization": f"Bearer {citizen}", "Content-Type": "text/plain"},
        "citizen-negative-last-event": {"Authorization": f"Bearer {citizen}", "Last-Event-ID": "-560848"},
        "citizen-last-event-0": {"Authorization": f"Bearer {citizen}", "Last-Event-ID": "0"},
        "none": {"Content-Type": "application/json"},
        "forged": json_headers(forged_token()),
        "expired": json_headers(expired_token()),
        "garbage": json_headers("not.a.jwt"),
        "everlasting": json_headers(
            jwt.encode({"sub": "vneid:1", "role": "citizen", "exp": 10**30}, SECRET, algorithm="HS256")
        ),
        "unknown-agency-officer": json_headers(server.token(Role.OFFICER, "officer-x", "NO_SUCH_AGENCY")),
        "officer": json_headers(officer),
        "officer-stale": {**json_headers(officer), "If-Match": '"1"'},
        "officer-bad-etag": {**json_headers(officer), "If-Match": "yesterday"},
        "officer-huge-etag": {**json_headers(officer), "If-Match": '"99999999999999999999999999"'},
        "officer-weak-etag": {**json_headers(officer), "If-Match": f'W/"{case["version"]}"'},
        "officer-foreign-etag": {**json_headers(officer), "If-Match": '"abc"'},
        "officer-etag-list": {**json_headers(officer), "If-Match": f'"{case["version"]}", "1"'},
        "other-officer": json_headers(server.token(Role.OFFICER, "officer-x", "SYT")),
    }[kind]


@pytest.mark.parametrize(
    ("name", "method", "path", "kind", "body", "status", "code"), CATALOGUE, ids=[row[0] for row in CATALOGUE]
)
def test_bad_input_gets_a_precise_problem_and_changes_nothing(
    server: LiveServer,
    case: dict[str, Any],
    name: str,
    method: str,
    path: str,
    kind: str,
    body: Any,
    status: int,
    code: str,
) -> None:
    before = store_fingerprint(server.database_url)
    content = body if isinstance(body, bytes) or body is None else httpx.Request("POST", "/", json=body).content
    response = httpx.request(
        method,
        server.base_url + path.format(id=case["id"]),
        headers=headers_for(kind, server, case),
        content=content,
        timeout=30,
        verify=LOOPBACK_TLS,
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert "Traceback" not in response.text
    assert store_fingerprint(server.database_url) == before


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_text_is_stored_and_returned_verbatim(server: LiveServer, text: str) -> None:
    with server.client(Role.CITIZEN) as citizen:
        created = citizen.post("/api/v1/reports", json={**VALID, "description": text})
        assert created.status_code == 201, created.text
        read = citizen.get(f"/api/v1/reports/{created.json()['id']}")
    assert read.json()["description"] == text
    assert read.headers["content-type"] == "application/json"


def test_vietnamese_text_is_normalised_to_nfc_and_round_trips(server: LiveServer) -> None:
    decomposed = "Ô\u0302̉ ga\u0300 tru\u031bo\u031b\u0301c nha\u0300"  # typed with combining marks
    import unicodedata

    with server.client(Role.CITIZEN) as citizen:
        created = citizen.post("/api/v1/reports", json={**VALID, "description": decomposed})
        assert created.status_code == 201
        read = citizen.get(f"/api/v1/reports/{created.json()['id']}").json()
    assert read["description"] == unicodedata.normalize("NFC", decomposed)


def test_server_log_holds_no_token_or_personal_data(server: LiveServer) -> None:
    with server.client(Role.CITIZEN, "vneid:079123456789") as citizen:
        citizen.post(
            "/api/v1/reports",
            json={**VALID, "contact": {"name": "Nguyễn Văn A", "phone": "0912345678", "email": "a@example.vn"}},
        )
        token = citizen.headers["Authorization"].split()[1]
    log = Path(server.log_path).read_text(encoding="utf-8", errors="replace")
    for secret in (token, "vneid:079123456789", "Nguyễn Văn A", "0912345678", "a@example.vn"):
        assert secret not in log


def test_an_idempotency_key_reused_with_another_body_is_refused_and_changes_nothing(server: LiveServer) -> None:
    with server.client(Role.CITIZEN, "vneid:001099077777") as citizen:
        # Step: the first request creates a case.
        first = citizen.post("/api/v1/reports", json=VALID, headers={"Idempotency-Key": "reuse-1"})
        assert first.status_code == 201, first.text
        # Step: the same key with another body is refused, and nothing is stored.
        before = store_fingerprint(server.database_url)
        other = citizen.post(
            "/api/v1/reports", json={**VALID, "description": "Đèn hỏng"}, headers={"Idempotency-Key": "reuse-1"}
        )
        assert other.status_code == 422, other.text
        assert other.headers["content-type"].startswith("application/problem+json")
        assert other.json()["code"] == "idempotency_key_reused"
        assert store_fingerprint(server.database_url) == before
        # Step: the same body again, spelt differently (key order, whitespace, a
        # default written out), is a retry: it answers the first case.
        respelt = '{"location": {"ward": "HOAN_KIEM"},  "priority": "normal", "description": "Ổ gà", ' + (
            '"category": "pothole"}'
        )
        retry = citizen.post(
            "/api/v1/reports",
            content=respelt.encode(),
            headers={"Idempotency-Key": "reuse-1", "Content-Type": "application/json"},
        )
        assert retry.status_code == 200, retry.text
        assert retry.json()["id"] == first.json()["id"]
        assert store_fingerprint(server.database_url) == before


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/reports", "POST"),
        ("PUT", "/api/v1/reports/{id}", "GET, HEAD"),
        ("GET", "/api/v1/reports/{id}/acknowledge", "POST"),
        ("DELETE", "/open311/v2/requests.json", "GET, HEAD, POST"),
        ("OPTIONS", "/openapi.json", "GET, HEAD"),
    ],
)
def test_a_method_not_allowed_lists_the_allowed_ones(
    server: LiveServer, case: dict[str, Any], method: str, path: str, allowed: str
) -> None:
    before = store_fingerprint(server.database_url)
    response = httpx.request(method, server.base_url + path.format(id=case["id"]), timeout=10, verify=LOOPBACK_TLS)
    assert response.status_code == 405, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "method_not_allowed"
    assert response.headers["allow"] == allowed
    assert store_fingerprint(server.database_url) == before


def test_a_server_outside_development_refuses_to_start_with_a_short_secret_key(tmp_path: Path) -> None:
    env = {**os.environ, "IHANOI_DATABASE_URL": f"sqlite:///{tmp_path / 'ihanoi.db'}", "IHANOI_ENV": "production",
           "IHANOI_SECRET_KEY": "abc"}  # fmt: skip
    started = subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", "serve", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode != 0
    assert "IHANOI_SECRET_KEY must be at least 32 bytes" in started.stderr
    assert "Traceback" not in started.stderr


def test_ihanoi_token_refuses_a_lifetime_past_the_maximum() -> None:
    env = {**os.environ, "IHANOI_ENV": "test", "IHANOI_SECRET_KEY": SECRET, "IHANOI_TOKEN_MAX_TTL": "3600"}

    def token(ttl: int) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ihanoi_server.cli", "token", "--role", "citizen", "--sub", "vneid:1"]
        return subprocess.run([*command, "--ttl", str(ttl)], env=env, capture_output=True, text=True, timeout=60)

    refused = token(3601)
    assert refused.returncode == 2
    assert "IHANOI_TOKEN_MAX_TTL" in refused.stderr
    assert token(3600).returncode == 0


def test_ihanoi_token_refuses_an_agency_the_server_would_refuse(server: LiveServer) -> None:
    env = {"IHANOI_ENV": "test", "IHANOI_SECRET_KEY": SECRET}
    command = ["token", "--role", "officer", "--sub", "officer-01"]

    refused = run_cli([*command, "--agency", "UBND_NOWHERE"], env)
    assert refused.returncode == 2, refused
    assert "--agency 'UBND_NOWHERE' is not an agency of the directory" in refused.stderr
    assert refused.stdout == ""
    # What it would have printed, the server refuses; a token for an agency of the directory it takes.
    with server.client(Role.OFFICER, "officer-01", "UBND_NOWHERE") as client:
        unknown = client.get("/api/v1/worklist")
    assert (unknown.status_code, unknown.json()["code"]) == (401, "unknown_agency")
    issued = run_cli([*command, "--agency", "UBND_HOAN_KIEM"], env)
    assert issued.returncode == 0, issued
    answer = httpx.get(
        server.base_url + "/api/v1/worklist",
        headers={"Authorization": f"Bearer {issued.stdout.strip()}"},
        timeout=10,
        verify=LOOPBACK_TLS,
    )
    assert answer.status_code == 200, answer.text
