"""Browser sessions and stream tickets over real HTTP, on SQLite and PostgreSQL.

A bearer token is traded once for a session cookie (``POST /api/v1/session``);
the cookie then authenticates same-origin requests, unsafe ones only with the
session's ``X-CSRF-Token``; a logout ends the session for every server
process. A stream opens with the cookie or with a single-use ticket, never
with a token in its address, and ends with ``token_expired`` when the session
does. The servers run with ``IHANOI_SESSION_COOKIE_SECURE=false`` so that a
client over plain http sends the cookie back, except the one that checks the
cookie's attributes as production writes them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest

from ihanoi_core.domain.values import Principal, Role
from ihanoi_server.auth.sessions import CookieRules, SessionKeys, issue_session, issue_ticket
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server
from tests.e2e.test_streams import Stream

CITIZEN = "vneid:001099012345"
HOAN_KIEM = "UBND_HOAN_KIEM"
PLAIN_HTTP = {"IHANOI_SESSION_COOKIE_SECURE": "false"}
COOKIE = "ihanoi_session"
REPORT = {"category": "pothole", "description": "Ổ gà trước số 12 Hàng Bài", "location": {"ward": "HOAN_KIEM"}}
KEYS = SessionKeys.from_secret(SECRET)
RULES = CookieRules(COOKIE, secure=False, max_age=8 * 3600, ticket_ttl=30)


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    url = (
        f"sqlite:///{tmp_path / 'ihanoi.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    )
    live = start_server(url, tmp_path / "server.log", PLAIN_HTTP)
    yield live
    stop_server(live)


def sign_in(server: LiveServer, role: Role = Role.CITIZEN, subject: str = CITIZEN, agency: str | None = None,
            ttl: int = 3600) -> tuple[httpx.Client, dict[str, Any]]:  # fmt: skip
    """A browser-like client holding only the session cookie, and the session's answer."""
    client = httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS)
    token = server.token(role, subject, agency, ttl)
    answer = client.post("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    assert list(client.cookies.keys()) == [COOKIE]
    return client, answer.json()


def my_cases(client: httpx.Client, position: int = 0) -> list[str]:
    answer = client.get("/api/v1/me/cases", params={"position": position})
    assert answer.status_code == 200, answer.text
    return [item["case_id"] for item in answer.json()["items"]]


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code, response.text


# -- the session ---------------------------------------------------------------------------------


def test_a_token_opens_a_session_whose_cookie_reads_and_writes_with_its_csrf_token(server: LiveServer) -> None:
    # Step: the login answer says who, until when, and the CSRF token; GET says it again after a reload.
    browser, session = sign_in(server)
    assert (session["subject"], session["role"], session["agency"]) == (CITIZEN, "citizen", None)
    assert browser.get("/api/v1/session").json() == session
    csrf = session["csrf_token"]

    # Step: without its CSRF token, a cookie-authenticated write is refused before anything is stored.
    problem(browser.post("/api/v1/reports", json=REPORT), 403, "csrf_token_mismatch")
    problem(browser.post("/api/v1/reports", json=REPORT, headers={"X-CSRF-Token": "forged"}), 403,
            "csrf_token_mismatch")  # fmt: skip
    # Step: nor from another site's page, even with the token.
    foreign = {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    problem(browser.post("/api/v1/reports", json=REPORT, headers=foreign), 403, "cross_site_request")
    sibling = {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-site"}
    problem(browser.post("/api/v1/reports", json=REPORT, headers=sibling), 403, "cross_site_request")
    problem(browser.get("/api/v1/me/cases", headers={"Sec-Fetch-Site": "cross-site"}), 403, "cross_site_request")

    # Step: with the token, from its own origin, the write goes through as the session's citizen.
    own = {"X-CSRF-Token": csrf, "Origin": server.base_url, "Sec-Fetch-Site": "same-origin"}
    filed = browser.post("/api/v1/reports", json=REPORT, headers=own)
    assert filed.status_code == 201, filed.text
    # Step: the refused writes stored nothing: the citizen has exactly the one case.
    assert my_cases(browser, filed.json()["position"]) == [filed.json()["id"]]
    # Step: a bearer token is unaffected by the cookie rules (no CSRF token, any origin).
    with server.client(Role.CITIZEN, CITIZEN) as app:
        assert app.post("/api/v1/reports", json=REPORT, headers={"Origin": "https://app.example"}).status_code == 201
    browser.close()


def test_logging_out_ends_the_session_even_for_a_copied_cookie(server: LiveServer) -> None:
    browser, session = sign_in(server)
    copied = browser.cookies[COOKIE]
    # Step: logging out needs the CSRF token too, then clears the cookie.
    problem(browser.delete("/api/v1/session"), 403, "csrf_token_mismatch")
    signed_out = browser.delete("/api/v1/session", headers={"X-CSRF-Token": session["csrf_token"]})
    assert signed_out.json() == {"signed_out": True}
    assert "Max-Age=0" in signed_out.headers["set-cookie"]
    assert COOKIE not in browser.cookies
    # Step: the copied cookie is refused by the server, not only forgotten by the browser.
    with httpx.Client(base_url=server.base_url, cookies={COOKIE: copied}, timeout=10, verify=LOOPBACK_TLS) as thief:
        problem(thief.get("/api/v1/me/cases"), 401, "session_invalid")
        # Step: a public route answers as it would without the stale cookie.
        assert thief.get("/healthz").status_code == 200
    browser.close()


def test_an_expired_session_is_refused_and_a_cookie_cannot_open_another(server: LiveServer) -> None:
    # Step: a session ends with the token that opened it.
    browser, session = sign_in(server, ttl=5)
    ends = _seconds(session["expires_at"])
    assert time.time() < ends <= time.time() + 6
    stale = browser.cookies[COOKIE]
    time.sleep(max(0.0, ends - time.time()) + 1.5)
    with httpx.Client(base_url=server.base_url, cookies={COOKIE: stale}, timeout=10, verify=LOOPBACK_TLS) as late:
        problem(late.get("/api/v1/me/cases"), 401, "session_invalid")
        # Step: a cookie is no bearer token, and cannot open a session of its own.
        problem(late.post("/api/v1/session"), 401, "unauthenticated")
    fresh, _ = sign_in(server)
    problem(fresh.get("/api/v1/me/cases", headers={"Authorization": f"Bearer {fresh.cookies[COOKIE]}"}), 401,
            "unauthenticated")  # fmt: skip
    # Step: a cookie signed with another key, or a bearer token put in the cookie, is refused.
    forged, _ = issue_session(
        SessionKeys.from_secret("x" * 40), RULES, Principal(CITIZEN, Role.CITIZEN), time.time() + 60
    )
    for value in (forged, server.token(Role.CITIZEN, CITIZEN)):
        with httpx.Client(base_url=server.base_url, cookies={COOKIE: value}, timeout=10, verify=LOOPBACK_TLS) as other:
            problem(other.get("/api/v1/me/cases"), 401, "session_invalid")
    browser.close()
    fresh.close()


def _seconds(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp()


# -- streams from a web page ----------------------------------------------------------------------


def test_a_stream_follows_the_session_cookie_and_ends_when_the_session_does(server: LiveServer) -> None:
    browser, session = sign_in(server, ttl=6)
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    # Step: EventSource sends the cookie, same-origin, and no Authorization: the stream opens.
    stream = Stream(browser, "/api/v1/me/stream")
    filed = browser.post("/api/v1/reports", json=REPORT, headers=csrf).json()
    change = stream.next()
    assert (change.event, change.data["case_id"], change.data["status"]) == ("case", filed["id"], "submitted")
    # Step: the session runs out while the stream is open: it says so and ends.
    while (farewell := stream.next()).event == "case":
        pass
    assert (farewell.event, farewell.data["reason"]) == ("reconnect", "token_expired")
    stream.close()
    browser.close()


def test_a_single_use_ticket_opens_one_stream_and_no_token_rides_in_an_address(server: LiveServer) -> None:
    officer = server.client(Role.OFFICER, "officer-hk-01", HOAN_KIEM)
    # Step: a ticket from the bearer token; the page's EventSource sends nothing else.
    issued = officer.post("/api/v1/stream-tickets")
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    assert _seconds(ticket["expires_at"]) <= time.time() + 31
    anonymous = httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS)
    stream = Stream(anonymous, f"/api/v1/worklist/stream?ticket={ticket['ticket']}")
    with server.client(Role.CITIZEN, CITIZEN) as citizen:
        filed = citizen.post("/api/v1/reports", json=REPORT).json()
    seen = stream.next()
    assert (seen.event, seen.data["case_id"]) == ("case", filed["id"])
    stream.close()

    # Step: the same ticket again is refused, as is one past its time or signed elsewhere.
    problem(anonymous.get("/api/v1/worklist/stream", params={"ticket": ticket["ticket"]}), 401, "stream_ticket_invalid")
    who = Principal("officer-hk-01", Role.OFFICER, HOAN_KIEM)
    expired, _ = issue_ticket(KEYS, RULES, who, time.time() + 3600, now=time.time() - 120)
    forged, _ = issue_ticket(SessionKeys.from_secret("y" * 40), RULES, who, time.time() + 3600)
    for bad in (expired, forged, officer.headers["Authorization"].removeprefix("Bearer ")):
        problem(anonymous.get("/api/v1/worklist/stream", params={"ticket": bad}), 401, "stream_ticket_invalid")
    # Step: a ticket opens only the streams its principal may follow.
    with server.client(Role.CITIZEN, CITIZEN) as citizen:
        citizens_ticket = citizen.post("/api/v1/stream-tickets").json()["ticket"]
    problem(anonymous.get("/api/v1/worklist/stream", params={"ticket": citizens_ticket}), 403, "forbidden")
    with server.client(Role.ADMIN, "admin-01") as admin:
        problem(admin.post("/api/v1/stream-tickets"), 403, "forbidden")
    # Step: a long-lived token in an address is never read.
    token = officer.headers["Authorization"].removeprefix("Bearer ")
    for name in ("access_token", "token", "authorization"):
        problem(anonymous.get("/api/v1/worklist/stream", params={name: token}), 401, "unauthenticated")
    anonymous.close()
    officer.close()


def test_a_ticket_asked_for_with_the_session_cookie_needs_its_csrf_token(server: LiveServer) -> None:
    browser, session = sign_in(server, Role.LEADER, "leader-hk-01", HOAN_KIEM)
    problem(browser.post("/api/v1/stream-tickets"), 403, "csrf_token_mismatch")
    issued = browser.post("/api/v1/stream-tickets", headers={"X-CSRF-Token": session["csrf_token"]})
    assert issued.status_code == 201, issued.text
    assert issued.json()["stream_until"] == session["expires_at"]
    browser.close()


# -- across server processes and as production writes it -----------------------------------------


def test_a_ticket_and_a_logout_hold_across_server_processes(postgres_url: str, tmp_path: Path) -> None:
    first = start_server(postgres_url, tmp_path / "first.log", PLAIN_HTTP)
    second = start_server(postgres_url, tmp_path / "second.log", PLAIN_HTTP)
    try:
        # Step: a ticket used on one server is spent on the other.
        with first.client(Role.CITIZEN, CITIZEN) as citizen:
            ticket = citizen.post("/api/v1/stream-tickets").json()["ticket"]
        with httpx.Client(base_url=first.base_url, timeout=10, verify=LOOPBACK_TLS) as page:
            Stream(page, f"/api/v1/me/stream?ticket={ticket}").close()
        with httpx.Client(base_url=second.base_url, timeout=10, verify=LOOPBACK_TLS) as page:
            problem(page.get("/api/v1/me/stream", params={"ticket": ticket}), 401, "stream_ticket_invalid")
        # Step: a session opened on one server works on the other, until it logs out on either.
        browser, session = sign_in(first)
        cookie = browser.cookies[COOKIE]
        with httpx.Client(
            base_url=second.base_url, cookies={COOKIE: cookie}, timeout=10, verify=LOOPBACK_TLS
        ) as elsewhere:
            assert elsewhere.get("/api/v1/session").json()["subject"] == CITIZEN
            browser.delete("/api/v1/session", headers={"X-CSRF-Token": session["csrf_token"]}).raise_for_status()
            problem(elsewhere.get("/api/v1/session"), 401, "session_invalid")
        browser.close()
    finally:
        stop_server(first)
        stop_server(second)


def test_the_cookie_is_host_only_secure_httponly_strict_and_ends_with_its_token(tmp_path: Path) -> None:
    live = start_server(f"sqlite:///{tmp_path / 'ihanoi.db'}", tmp_path / "server.log")
    try:
        token = live.token(Role.OFFICER, "officer-hk-01", HOAN_KIEM, ttl=600)
        answer = httpx.post(
            f"{live.base_url}/api/v1/session", headers={"Authorization": f"Bearer {token}"}, verify=LOOPBACK_TLS
        )
        assert answer.status_code == 201, answer.text
        assert answer.headers["cache-control"] == "no-store"
        header = answer.headers["set-cookie"]
        morsel = SimpleCookie(header)["__Host-ihanoi_session"]
        attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert attributes == {"path", "httponly", "samesite", "secure", "max-age"}  # no Domain: this host only
        assert morsel["path"] == "/"
        assert morsel["samesite"] == "Strict"
        assert 590 <= int(morsel["max-age"]) <= 600  # the token's 10 minutes, not the 8-hour session maximum
        assert token not in header
        # Step: the session's value is a signed server value of its own, not the token.
        assert morsel.value.count(".") == 2
        assert morsel.value != token
    finally:
        stop_server(live)
