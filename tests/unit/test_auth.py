"""Bearer tokens: a genuine signature is not enough — the token must not live
longer than the server allows, and staff must belong to a known agency."""

from __future__ import annotations

import time

import jwt
import pytest

from ihanoi_core.domain.values import Principal, Role
from ihanoi_server.auth.tokens import (
    AuthenticationError,
    TokenLifetimeError,
    TokenRules,
    UnknownAgencyError,
    issue_token,
    verify_token,
)

SECRET = "unit-test-secret-key-unit-test-secret-key"
NOW = time.time()  # PyJWT checks exp against the real clock
RULES = TokenRules(SECRET, max_lifetime=24 * 3600, agencies=frozenset({"UBND_HOAN_KIEM"}))


def test_a_token_within_the_maximum_lifetime_is_accepted() -> None:
    token = issue_token(SECRET, Principal("vneid:1", Role.CITIZEN), ttl_seconds=24 * 3600, now=NOW)
    principal, expires, kind = verify_token(RULES, token, now=NOW)
    assert principal == Principal("vneid:1", Role.CITIZEN)
    assert kind is None
    assert expires == int(NOW) + 24 * 3600


@pytest.mark.parametrize("expires", [NOW + 24 * 3600 + 3600, 10**30], ids=["25 hours", "10^30"])
def test_a_genuine_token_valid_for_longer_than_the_maximum_is_refused(expires: float) -> None:
    token = jwt.encode({"sub": "vneid:1", "role": "citizen", "exp": expires}, SECRET, algorithm="HS256")
    with pytest.raises(TokenLifetimeError) as refused:
        verify_token(RULES, token, now=NOW)
    assert refused.value.code == "token_lifetime_too_long"
    assert refused.value.max_lifetime == 24 * 3600


def test_a_staff_token_naming_an_agency_unknown_to_the_directory_is_refused() -> None:
    token = issue_token(SECRET, Principal("officer-1", Role.OFFICER, "NO_SUCH_AGENCY"), now=NOW)
    with pytest.raises(UnknownAgencyError) as refused:
        verify_token(RULES, token, now=NOW)
    assert (refused.value.code, refused.value.agency) == ("unknown_agency", "NO_SUCH_AGENCY")
    known = issue_token(SECRET, Principal("leader-1", Role.LEADER, "UBND_HOAN_KIEM"), now=NOW)
    assert verify_token(RULES, known, now=NOW)[0].agency == "UBND_HOAN_KIEM"


def test_a_citizen_token_needs_no_agency_and_any_agency_claim_is_ignored() -> None:
    token = jwt.encode(
        {"sub": "vneid:1", "role": "citizen", "agency": "NO_SUCH_AGENCY", "exp": NOW + 3600}, SECRET, algorithm="HS256"
    )
    assert verify_token(RULES, token, now=NOW)[0] == Principal("vneid:1", Role.CITIZEN)


def test_a_forged_token_is_the_plain_unauthenticated_error() -> None:
    token = issue_token("another-secret-another-secret-another", Principal("vneid:1", Role.CITIZEN), now=NOW)
    with pytest.raises(AuthenticationError) as refused:
        verify_token(RULES, token, now=NOW)
    assert refused.value.code == "unauthenticated"


def test_hs256_tokens_are_refused_when_the_rules_have_no_secret() -> None:
    token = issue_token(SECRET, Principal("vneid:1", Role.CITIZEN), now=NOW)
    without_secret = TokenRules(None, max_lifetime=24 * 3600, agencies=frozenset())
    with pytest.raises(AuthenticationError, match="algorithm is not accepted"):
        verify_token(without_secret, token, now=NOW)


@pytest.mark.parametrize("algorithm", ["none", "RS256", "HS512"])
def test_a_token_of_another_algorithm_meets_no_verifier_without_an_identity_provider(algorithm: str) -> None:
    header = jwt.utils.base64url_encode(f'{{"alg":"{algorithm}","typ":"JWT"}}'.encode()).decode()
    payload = jwt.utils.base64url_encode(b'{"sub":"vneid:1","role":"citizen","exp":9999999999}').decode()
    with pytest.raises(AuthenticationError, match="algorithm is not accepted"):
        verify_token(RULES, f"{header}.{payload}.", now=NOW)
