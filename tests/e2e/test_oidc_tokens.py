"""Tokens from the city's identity provider, against the real server.

A ``FakeIdentityProvider`` publishes RSA and EC public keys as a JWKS over HTTP
on loopback; ``ihanoi serve`` runs as its own process pointed at it by the
``IHANOI_OIDC_*`` variables, with a Keycloak-like claims mapping: the roles in
``realm_access.roles`` (``hanoi-officer`` → officer …) and the agency in the
namespaced claim ``https://hanoi.gov.vn/agency``. Tests sign tokens with the
private keys, rotate the provider's keys and take it down, and count the
requests its endpoint answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ihanoi_core.domain.values import Role
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, LiveServer, free_port, start_server, stop_server
from tests.identity_provider import (
    AUDIENCE,
    ISSUER,
    FakeIdentityProvider,
    SigningKey,
    claims,
    ec_key,
    rsa_key,
    sign,
)

AGENCY = "UBND_HOAN_KIEM"
CITIZEN = "vneid:001099012345"
AGENCY_CLAIM = "https://hanoi.gov.vn/agency"
TAX_CODE_CLAIM = "https://hanoi.gov.vn/tax_code"
KIND_CLAIM = "business.kind"  # a dotted path into the provider's nested claims
MAPPING = {
    "IHANOI_OIDC_ROLE_CLAIM": "realm_access.roles",
    "IHANOI_OIDC_AGENCY_CLAIM": AGENCY_CLAIM,
    "IHANOI_OIDC_ORGANISATION_CLAIM": TAX_CODE_CLAIM,
    "IHANOI_OIDC_ORGANISATION_KIND_CLAIM": KIND_CLAIM,
    "IHANOI_OIDC_ROLE_MAP": "hanoi-citizen=citizen, hanoi-officer=officer, hanoi-leader=leader, hanoi-auditor=auditor,"
    " hanoi-business=business",
    "IHANOI_OIDC_LEEWAY": "5",
    "IHANOI_OIDC_MAX_TOKEN_AGE": "900",
}
REPORT = {"category": "pothole", "description": "Ổ gà trước số 12", "location": {"ward": "HOAN_KIEM"}}


@dataclass(frozen=True)
class Keys:
    rsa: SigningKey
    ec: SigningKey
    # The provider's next key, published only when a test rotates to it.
    rotated: SigningKey
    # A key the provider never publishes.
    stranger: SigningKey


def person(subject: str, *roles: str, agency: str | None = None, **extra: Any) -> dict[str, Any]:
    """The claims the provider gives ``subject`` with ``roles`` (beside Keycloak's own ``offline_access``)."""
    agency_claim: dict[str, Any] = {AGENCY_CLAIM: agency}
    return claims(subject, realm_access={"roles": ["offline_access", *roles]}, **agency_claim, **extra)


def call(
    server: LiveServer,
    token: str,
    path: str = "/api/v1/me/cases",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **(headers or {})}
    return httpx.request(method, server.base_url + path, headers=headers, timeout=10, verify=LOOPBACK_TLS, **kwargs)


def assert_unauthenticated(answer: httpx.Response, code: str = "unauthenticated") -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == 'Bearer realm="ihanoi"'
    assert answer.json()["code"] == code


def database(folder: Path) -> str:
    return f"sqlite:///{folder / 'ihanoi.db'}"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(rsa_key("rsa-2026-01"), ec_key("ec-2026-01"), rsa_key("rsa-2026-02"), rsa_key("rsa-2026-01"))


@pytest.fixture(scope="module")
def provider(keys: Keys) -> Iterator[FakeIdentityProvider]:
    idp = FakeIdentityProvider(keys.rsa, keys.ec)
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def server(provider: FakeIdentityProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("oidc")
    live = start_server(database(folder), folder / "server.log", provider.settings_env(**MAPPING))
    yield live
    stop_server(live)


def test_rs256_and_es256_tokens_of_the_provider_act_as_the_person_they_name(server: LiveServer, keys: Keys) -> None:
    # Step: a citizen files a report with an RS256 token of the provider.
    filed = call(server, sign(keys.rsa, person(CITIZEN, "hanoi-citizen")), "/api/v1/reports", "POST", json=REPORT)
    assert filed.status_code == 201, filed.text
    case = f"/api/v1/reports/{filed.json()['id']}"
    # Step: an ES256 token for the same subject reads it back: the same principal.
    read = call(server, sign(keys.ec, person(CITIZEN, "hanoi-citizen")), case)
    assert read.status_code == 200, read.text
    assert read.json()["description"] == REPORT["description"]
    # Step: another citizen's token does not see it.
    assert call(server, sign(keys.ec, person("vneid:001099099999", "hanoi-citizen")), case).status_code == 404


def test_the_role_and_the_staff_agency_come_from_the_mapped_claims(server: LiveServer, keys: Keys) -> None:
    officer = person("officer-hk", "hanoi-officer", agency=AGENCY)
    # Step: an officer of a known agency reads the worklist; a leader and an auditor the dashboard.
    assert call(server, sign(keys.rsa, officer), "/api/v1/worklist").status_code == 200
    leader = person("leader-hk", "hanoi-leader", agency=AGENCY)
    assert call(server, sign(keys.ec, leader), "/api/v1/dashboard").status_code == 200
    assert call(server, sign(keys.rsa, person("inspector-01", "hanoi-auditor")), "/api/v1/dashboard").status_code == 200
    # Step: a citizen may not read the worklist: the role mapped is citizen, not more.
    refused = call(server, sign(keys.rsa, person(CITIZEN, "hanoi-citizen")), "/api/v1/worklist")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    # Step: an officer whose agency claim names no agency of the directory, or none at all.
    stranger = person("officer-x", "hanoi-officer", agency="NO_SUCH_AGENCY")
    assert_unauthenticated(call(server, sign(keys.rsa, stranger), "/api/v1/worklist"), "unknown_agency")
    assert_unauthenticated(call(server, sign(keys.rsa, person("officer-y", "hanoi-officer")), "/api/v1/worklist"))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_signed_with_the_public_key(keys: Keys) -> str:
    """The algorithm confusion attack: HMAC keyed with the provider's published RSA key."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": keys.rsa.kid}).encode())
    payload = b64(json.dumps(person(CITIZEN, "hanoi-citizen")).encode())
    signature = hmac.new(keys.rsa.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def unsigned(keys: Keys) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": keys.rsa.kid}).encode())
    return f"{header}.{b64(json.dumps(person(CITIZEN, 'hanoi-citizen')).encode())}."


def without_kid(keys: Keys) -> str:
    return jwt.encode(person(CITIZEN, "hanoi-citizen"), keys.rsa.private_key, algorithm="RS256")


def citizen(**extra: Any) -> dict[str, Any]:
    return person(CITIZEN, "hanoi-citizen", **extra)


# (case, how the token is made, the reason the server logs). Times are over the
# leeway (5 s) and the maximum token age (900 s) the server is given.
REFUSED: list[tuple[str, Callable[[Keys], str], str]] = [
    ("signed by a key the provider does not publish", lambda k: sign(k.stranger, citizen(), kid="rsa-unknown"),
     "key id is not in the identity provider's key set"),
    ("a published key id on a token another key signed", lambda k: sign(k.stranger, citizen()),
     "InvalidSignatureError"),
    ("RS256 under the EC key's id", lambda k: sign(k.stranger, citizen(), kid=k.ec.kid), "InvalidAlgorithmError"),
    ("no key id", without_kid, "no key id"),
    ("another audience", lambda k: sign(k.rsa, citizen(aud="another-app")), "InvalidAudienceError"),
    ("another issuer", lambda k: sign(k.rsa, citizen(iss="https://id.example/realms/citizens")),
     "InvalidIssuerError"),
    ("expired", lambda k: sign(k.rsa, citizen(now=time.time() - 700, ttl=600)), "ExpiredSignatureError"),
    ("issued longer ago than the maximum age", lambda k: sign(k.ec, citizen(now=time.time() - 1000, ttl=1200)),
     "issued longer ago than the maximum token age"),
    ("without iat", lambda k: sign(k.rsa, citizen(iat=None)), "MissingRequiredClaimError"),
    ("not valid before an hour from now", lambda k: sign(k.rsa, citizen(nbf=int(time.time()) + 3600)),
     "ImmatureSignatureError"),
    ("alg none", unsigned, "algorithm is not accepted"),
    # In test the secret key signs HS256 tokens: the one keyed with the public key fails its signature.
    ("HS256 signed with the provider's public key", hs256_signed_with_the_public_key, "InvalidSignatureError"),
    ("a role value the map does not know", lambda k: sign(k.rsa, person(CITIZEN, "hanoi-janitor")),
     "no role this server knows"),
    ("our own role name, which the map does not list", lambda k: sign(k.rsa, person("o-1", "officer", agency=AGENCY)),
     "no role this server knows"),
    ("system", lambda k: sign(k.rsa, person("s-1", "system")), "no role this server knows"),
    ("two mapped roles", lambda k: sign(k.rsa, person("i-1", "hanoi-citizen", "hanoi-auditor")), "more than one role"),
    ("no role claim", lambda k: sign(k.ec, claims(CITIZEN)), "no role this server knows"),
]  # fmt: skip


def logged_reason(server: LiveServer, request_id: str) -> str:
    """The reason the server logged for refusing the token of request ``request_id``."""
    for line in server.log().splitlines():
        record = json.loads(line)
        if record.get("event") == "token_refused" and record.get("request_id") == request_id:
            return str(record["reason"])
    raise AssertionError(f"no token_refused line for request {request_id}")


@pytest.mark.parametrize(("case", "token_of", "reason"), REFUSED, ids=[case for case, _, _ in REFUSED])
def test_a_token_that_is_not_the_providers_or_breaks_its_rules_is_401(
    server: LiveServer, keys: Keys, case: str, token_of: Callable[[Keys], str], reason: str
) -> None:
    token = token_of(keys)
    request_id = f"refused-{uuid.uuid4().hex}"
    assert_unauthenticated(call(server, token, headers={"X-Request-ID": request_id}))
    # Step: the reason is in the log, neither the token nor its claims.
    assert reason in logged_reason(server, request_id)
    assert token.split(".")[1] not in server.log()


def test_development_tokens_still_work_in_test_and_development(server: LiveServer) -> None:
    with server.client(Role.CITIZEN) as citizen:
        assert citizen.get("/api/v1/me/cases").status_code == 200


def test_a_rotated_key_is_fetched_without_a_restart_and_unknown_key_ids_cannot_hammer_the_provider(
    keys: Keys, tmp_path: Path
) -> None:
    interval = 3
    idp = FakeIdentityProvider(keys.rsa)
    env = idp.settings_env(**MAPPING, IHANOI_OIDC_JWKS_REFETCH_INTERVAL=str(interval))
    server = start_server(database(tmp_path), tmp_path / "server.log", env)
    try:
        # Step: the first token makes the server fetch the key set; the next ones use what it holds.
        for n in range(3):
            assert call(server, sign(keys.rsa, person(f"vneid:{n}", "hanoi-citizen"))).status_code == 200
        assert idp.request_count() == 1
        fetched = time.monotonic()
        # Step: the provider rotates to a new key and stops publishing the old one.
        idp.publish(keys.rotated)
        # Step: right away the new key id is unknown, and the last fetch is too recent to fetch again.
        assert_unauthenticated(call(server, sign(keys.rotated, person("vneid:early", "hanoi-citizen"))))
        assert idp.request_count() == 1
        # Step: once the refetch interval has passed, a token with the new key makes the server fetch the set again.
        time.sleep(max(0.0, fetched + interval + 0.2 - time.monotonic()))
        assert call(server, sign(keys.rotated, person("vneid:new", "hanoi-citizen"))).status_code == 200
        assert idp.request_count() == 2
        # Step: the old key is gone from the set, so a new token signed with it is refused.
        assert_unauthenticated(call(server, sign(keys.rsa, person("vneid:old", "hanoi-citizen"))))
        # Step: a flood of tokens naming made-up key ids: each one refused, the provider
        # asked at most once per refetch interval.
        flood_started = time.monotonic()
        for n in range(60):
            assert_unauthenticated(call(server, sign(keys.stranger, citizen(), kid=f"made-up-{n}")))
        elapsed = time.monotonic() - flood_started
        assert idp.request_count() - 2 <= elapsed // interval + 1
        assert '"jwks_fetched"' in server.log()
    finally:
        stop_server(server)
        idp.stop()


def test_while_the_provider_is_down_held_keys_keep_working_and_an_unknown_key_is_503(
    keys: Keys, tmp_path: Path
) -> None:
    idp = FakeIdentityProvider(keys.rsa, keys.ec)
    env = idp.settings_env(**MAPPING, IHANOI_OIDC_JWKS_MAX_AGE="1", IHANOI_OIDC_JWKS_REFETCH_INTERVAL="1")
    server = start_server(database(tmp_path), tmp_path / "server.log", env)
    try:
        # Step: a token makes the server fetch the provider's keys.
        assert call(server, sign(keys.rsa, person("vneid:1", "hanoi-citizen"))).status_code == 200
        # Step: the provider goes down and the key set grows older than its maximum age.
        idp.stop()
        time.sleep(1.2)
        # Step: a new token signed with a key the server holds still works; the failed fetch is logged.
        assert call(server, sign(keys.ec, person("vneid:2", "hanoi-citizen"))).status_code == 200
        assert '"jwks_fetch_failed"' in server.log()
        # Step: a key the server never saw may be the provider's newest: 503, retry later.
        time.sleep(1.1)
        answer = call(server, sign(keys.rotated, person("vneid:3", "hanoi-citizen")))
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "identity_provider_unavailable"
        assert answer.headers["retry-after"] == "1"
    finally:
        stop_server(server)


def test_a_server_that_never_reached_the_provider_answers_503_and_still_takes_development_tokens(
    keys: Keys, tmp_path: Path
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/certs"
    env = {"IHANOI_OIDC_ISSUER": ISSUER, "IHANOI_OIDC_AUDIENCE": AUDIENCE, "IHANOI_OIDC_JWKS_URL": nobody}
    server = start_server(database(tmp_path), tmp_path / "server.log", env)
    try:
        answer = call(server, sign(keys.rsa, claims(CITIZEN, role="citizen")))
        assert (answer.status_code, answer.json()["code"]) == (503, "identity_provider_unavailable")
        with server.client(Role.CITIZEN) as citizen:
            assert citizen.get("/api/v1/me/cases").status_code == 200
    finally:
        stop_server(server)


def test_in_production_with_a_provider_tokens_signed_with_the_secret_key_are_refused(
    keys: Keys, tmp_path: Path
) -> None:
    idp = FakeIdentityProvider(keys.ec)
    # Production also needs the master key of personal fields (docs/privacy.md).
    master_key = base64.b64encode(os.urandom(32)).decode()
    env = idp.settings_env(**MAPPING, IHANOI_ENV="production", IHANOI_PII_MASTER_KEY=master_key)
    server = start_server(database(tmp_path), tmp_path / "server.log", env)
    try:
        # Step: a genuine HS256 token signed with IHANOI_SECRET_KEY is refused.
        with server.client(Role.CITIZEN) as citizen:
            assert_unauthenticated(citizen.get("/api/v1/me/cases"))
        # Step: the provider's token is accepted.
        assert call(server, sign(keys.ec, person(CITIZEN, "hanoi-citizen"))).status_code == 200
        # Step: and `ihanoi token` says so instead of printing a token the server would refuse.
        done = subprocess.run(
            [sys.executable, "-m", "ihanoi_server.cli", "token", "--role", "citizen", "--sub", CITIZEN],
            env={**os.environ, "IHANOI_SECRET_KEY": SECRET, "IHANOI_DATABASE_URL": server.database_url, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stdout
        assert "IHANOI_OIDC_ALLOW_HS256" in done.stderr
        assert done.stdout == ""
    finally:
        stop_server(server)
        idp.stop()


def test_a_business_person_acts_for_the_tax_code_of_the_organisation_claim(server: LiveServer, keys: Keys) -> None:
    # Step: a person of the household business 0100109106 files an inquiry with the provider's token.
    owner = person("vneid:001088000111", "hanoi-business", **{TAX_CODE_CLAIM: "0100109106"})
    body = {"tax_code": "0100109106", "business_kind": "household", "topic": "tax_fees", "text": "Hỏi thuế khoán"}
    filed = call(server, sign(keys.rsa, owner), "/api/v1/business-inquiries", "POST", json=body)
    assert filed.status_code == 201, filed.text
    case = f"/api/v1/business-inquiries/{filed.json()['id']}"
    # Step: a colleague acting for the same business reads it; a person of another business does not.
    colleague = person("vneid:001088000222", "hanoi-business", **{TAX_CODE_CLAIM: "0100 109 106"})
    assert call(server, sign(keys.ec, colleague), case).status_code == 200
    stranger = person("vneid:001088000333", "hanoi-business", **{TAX_CODE_CLAIM: "0300588569"})
    assert call(server, sign(keys.ec, stranger), case).status_code == 404
    # Step: a business token without a tax code, or with a wrong check digit, is not accepted.
    assert_unauthenticated(call(server, sign(keys.rsa, person("vneid:001088000444", "hanoi-business")), case))
    wrong = person("vneid:001088000444", "hanoi-business", **{TAX_CODE_CLAIM: "0100109107"})
    assert_unauthenticated(call(server, sign(keys.rsa, wrong), case))


def test_the_business_kind_claim_fills_in_the_inquiry_and_a_contradicting_body_is_a_field_error(
    server: LiveServer, keys: Keys
) -> None:
    owner = person("vneid:001088000111", "hanoi-business", business={"kind": "enterprise"},
                   **{TAX_CODE_CLAIM: "0300588569"})  # fmt: skip
    token = sign(keys.rsa, owner)
    body = {"tax_code": "0300588569", "topic": "tax_fees", "text": "Hỏi hoàn thuế giá trị gia tăng"}
    # Step: the body says another kind than the token: 422 on the field, nothing filed.
    refused = call(server, token, "/api/v1/business-inquiries", "POST", json={**body, "business_kind": "household"})
    assert (refused.status_code, list(refused.json()["errors"])) == (422, ["business_kind"]), refused.text
    assert call(server, token, "/api/v1/business-inquiries").json()["items"] == []
    # Step: left out, the kind is the token's; the same kind in the body is accepted too.
    filed = call(server, token, "/api/v1/business-inquiries", "POST", json=body)
    assert filed.status_code == 201, filed.text
    case = call(server, token, f"/api/v1/business-inquiries/{filed.json()['id']}").json()
    assert case["business_kind"] == "enterprise"
    same = call(server, token, "/api/v1/business-inquiries", "POST", json={**body, "business_kind": "enterprise"})
    assert same.status_code == 201, same.text
    # Step: a kind the platform does not know makes the token unusable.
    odd = person("vneid:001088000111", "hanoi-business", business={"kind": "corporation"},
                 **{TAX_CODE_CLAIM: "0300588569"})  # fmt: skip
    assert_unauthenticated(call(server, sign(keys.rsa, odd), "/api/v1/business-inquiries"))
