"""Session cookies, stream tickets and their settings, without a server:
each credential is valid only as what it was made for, and never outlives the
token it came from."""

from __future__ import annotations

import time

import pytest

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ConfigurationError
from ihanoi_core.settings import Settings
from ihanoi_server.auth.session_cookie import origin_host
from ihanoi_server.auth.sessions import (
    CookieRules,
    SessionCache,
    SessionError,
    SessionKeys,
    StreamTicketError,
    csrf_matches,
    csrf_token,
    issue_session,
    issue_ticket,
    read_session,
    read_ticket,
)
from ihanoi_server.auth.tokens import AuthenticationError, TokenRules, issue_token, verify_token

SECRET = "s" * 40
KEYS = SessionKeys.from_secret(SECRET)
RULES = CookieRules("ihanoi_session", secure=True, max_age=8 * 3600, ticket_ttl=30)
AGENCIES = frozenset({"UBND_HOAN_KIEM"})
OFFICER = Principal("officer-hk-01", Role.OFFICER, "UBND_HOAN_KIEM")


def test_a_session_ends_with_its_token_or_its_longest_life_whichever_is_sooner() -> None:
    now = time.time()
    _, short = issue_session(KEYS, RULES, OFFICER, now + 600, now=now)
    _, long = issue_session(KEYS, RULES, OFFICER, now + 86_400, now=now)
    assert short.expires == int(now + 600)
    assert long.expires == int(now + 8 * 3600)


def test_a_cookie_a_ticket_and_a_bearer_token_are_each_refused_as_the_others() -> None:
    now = time.time()
    cookie, session = issue_session(KEYS, RULES, OFFICER, now + 600)
    ticket, issued = issue_ticket(KEYS, RULES, OFFICER, now + 600)
    token = issue_token(SECRET, OFFICER)
    assert read_session(KEYS, cookie, AGENCIES) == session
    assert read_ticket(KEYS, ticket, AGENCIES) == issued
    for value in (ticket, token):
        with pytest.raises(SessionError):
            read_session(KEYS, value, AGENCIES)
    for value in (cookie, token):
        with pytest.raises(StreamTicketError):
            read_ticket(KEYS, value, AGENCIES)
    with pytest.raises(AuthenticationError):
        verify_token(TokenRules(SECRET, 86_400, AGENCIES), cookie)


def test_a_ticket_lives_thirty_seconds_and_a_stream_it_opens_ends_with_its_credential() -> None:
    now = time.time()
    _, ticket = issue_ticket(KEYS, RULES, OFFICER, now + 600, now=now)
    assert ticket.expires == int(now + 30)
    assert ticket.until == int(now + 600)
    expired, _ = issue_ticket(KEYS, RULES, OFFICER, now + 600, now=now - 60)
    with pytest.raises(StreamTicketError, match="expired"):
        read_ticket(KEYS, expired, AGENCIES)


def test_a_staff_session_of_an_agency_the_directory_no_longer_knows_is_refused() -> None:
    cookie, _ = issue_session(KEYS, RULES, OFFICER, time.time() + 600)
    with pytest.raises(SessionError):
        read_session(KEYS, cookie, frozenset())


def test_the_csrf_token_belongs_to_one_session_and_one_key() -> None:
    token = csrf_token(KEYS, "session-1")
    assert csrf_matches(KEYS, "session-1", token)
    assert not csrf_matches(KEYS, "session-2", token)
    assert not csrf_matches(SessionKeys.from_secret("t" * 40), "session-1", token)
    assert not csrf_matches(KEYS, "session-1", None)


def test_the_cache_serves_a_verified_cookie_until_its_session_ends() -> None:
    cache = SessionCache(max_size=1)
    cookie, session = issue_session(KEYS, RULES, OFFICER, time.time() + 600)
    assert cache.read(KEYS, cookie, AGENCIES) == session
    assert cache.read(KEYS, cookie, AGENCIES) == session
    with pytest.raises(SessionError):
        cache.read(KEYS, cookie + "x", AGENCIES)


def test_the_cookie_attributes_and_its_host_prefix() -> None:
    secure = CookieRules.from_settings(Settings(env="production", secret_key=SECRET))
    assert secure.name == "__Host-ihanoi_session"
    assert secure.set_cookie("v", 1_000.0, 400.0) == (
        "__Host-ihanoi_session=v; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=600"
    )
    plain = CookieRules.from_settings(Settings(env="development"))
    assert plain.name == "ihanoi_session"
    assert plain.clear_cookie() == "ihanoi_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"


def test_an_insecure_cookie_is_refused_in_production_and_the_settings_are_read_from_the_environment() -> None:
    with pytest.raises(ConfigurationError, match="IHANOI_SESSION_COOKIE_SECURE"):
        Settings(env="production", secret_key=SECRET, session_cookie_secure=False)
    read = Settings.from_env(
        {"IHANOI_ENV": "test", "IHANOI_SESSION_COOKIE_SECURE": "false", "IHANOI_SESSION_COOKIE_NAME": "hn",
         "IHANOI_SESSION_MAX_AGE": "900", "IHANOI_STREAM_TICKET_TTL": "10"},
        dotenv=None,
    )  # fmt: skip
    assert (read.session_cookie_is_secure, read.session_cookie_name) == (False, "hn")
    assert (read.session_max_age, read.stream_ticket_ttl) == (900, 10)
    for bad in ({"session_cookie_name": "__Host-x"}, {"session_cookie_name": "a b"}, {"session_max_age": 0},
                {"stream_ticket_ttl": 301}):  # fmt: skip
        with pytest.raises(ConfigurationError):
            Settings(env="test", **bad)


@pytest.mark.parametrize(
    ("origin", "host"),
    [("https://ihanoi.example", "ihanoi.example"), ("http://127.0.0.1:8000", "127.0.0.1:8000"),
     ("https://ihanoi.example:443", "ihanoi.example"), ("null", None), ("https://a.example/x", None)],
)  # fmt: skip
def test_an_origin_is_compared_by_its_host(origin: str, host: str | None) -> None:
    assert origin_host(origin) == host
