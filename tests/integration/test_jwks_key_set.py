"""The identity provider's key set as the server holds it, against a real JWKS
endpoint on loopback, on a clock the test moves: fetched once and kept for its
maximum age, refetched for an unknown key id at most once per refetch interval,
kept while the provider is down, and a fetch that hangs given up after its
timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ihanoi_server.auth.jwks import IdentityProviderUnavailableError, KeySet
from ihanoi_server.auth.tokens import AuthenticationError
from tests.identity_provider import FakeIdentityProvider, SigningKey, ec_key, rsa_key

MAX_AGE, INTERVAL = 600, 30


class MonotonicClock:
    """A ``time.monotonic`` the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def rsa() -> SigningKey:
    return rsa_key("rsa-1")


@pytest.fixture(scope="module")
def ec() -> SigningKey:
    return ec_key("ec-1")


@pytest.fixture
def provider(rsa: SigningKey, ec: SigningKey) -> Iterator[FakeIdentityProvider]:
    idp = FakeIdentityProvider(rsa, ec)
    yield idp
    idp.stop()


@pytest.fixture
def clock() -> MonotonicClock:
    return MonotonicClock()


def key_set(url: str, clock: MonotonicClock, timeout: float = 5.0) -> KeySet:
    return KeySet(url, ("RS256", "ES256"), max_age=MAX_AGE, refetch_interval=INTERVAL, timeout=timeout, clock=clock)


def test_the_set_is_fetched_once_and_used_until_its_maximum_age(
    provider: FakeIdentityProvider, clock: MonotonicClock, rsa: SigningKey, ec: SigningKey
) -> None:
    keys = key_set(provider.jwks_url, clock)
    # Step: the first lookup fetches the set; the next ones, either key, use it.
    assert keys.key("rsa-1").algorithm_name == "RS256"
    assert keys.key("ec-1").algorithm_name == "ES256"
    clock.advance(MAX_AGE - 1)
    keys.key("rsa-1")
    assert provider.request_count() == 1
    # Step: once the set is as old as its maximum age, the next lookup fetches it again.
    clock.advance(1)
    keys.key("rsa-1")
    assert provider.request_count() == 2


def test_an_unknown_key_id_fetches_the_set_at_most_once_per_refetch_interval(
    provider: FakeIdentityProvider, clock: MonotonicClock, rsa: SigningKey
) -> None:
    keys = key_set(provider.jwks_url, clock)
    keys.key("rsa-1")
    # Step: the provider rotates to a new key right after our fetch.
    rotated = rsa_key("rsa-2")
    provider.publish(rotated)
    # Step: within the interval, neither the new key id nor made-up ones fetch again.
    for kid in ("rsa-2", *(f"made-up-{n}" for n in range(50))):
        with pytest.raises(AuthenticationError, match="key id is not in"):
            keys.key(kid)
    assert provider.request_count() == 1
    # Step: once the interval has passed, the new key id fetches the set, and the new key is there.
    clock.advance(INTERVAL)
    assert keys.key("rsa-2").key_id == "rsa-2"
    assert provider.request_count() == 2
    # Step: the old key left the set with the rotation.
    with pytest.raises(AuthenticationError):
        keys.key("rsa-1")
    assert provider.request_count() == 2


def test_many_threads_asking_for_an_unknown_key_at_once_make_one_fetch(
    provider: FakeIdentityProvider, clock: MonotonicClock
) -> None:
    keys = key_set(provider.jwks_url, clock)
    keys.key("rsa-1")
    provider.publish(rsa_key("rsa-2"))
    clock.advance(INTERVAL)
    start = threading.Barrier(16)
    found: list[str | None] = []

    def look_up() -> None:
        start.wait()
        found.append(keys.key("rsa-2").key_id)

    threads = [threading.Thread(target=look_up) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert found == ["rsa-2"] * 16
    assert provider.request_count() == 2


def test_while_the_provider_is_down_held_keys_stay_in_use_and_unknown_ones_are_unavailable(
    provider: FakeIdentityProvider, clock: MonotonicClock
) -> None:
    keys = key_set(provider.jwks_url, clock)
    keys.key("rsa-1")
    # Step: the provider goes down and the set grows older than its maximum age.
    provider.stop()
    clock.advance(MAX_AGE)
    # Step: the fetch fails; the keys held are used all the same.
    assert keys.key("ec-1").key_id == "ec-1"
    assert keys.fetches == 2
    # Step: a key id the server does not hold may be the provider's newest: unavailable, retry after the interval.
    with pytest.raises(IdentityProviderUnavailableError) as unavailable:
        keys.key("rsa-2")
    assert (unavailable.value.code, unavailable.value.retry_after) == ("identity_provider_unavailable", INTERVAL)
    # Step: no new attempt within the interval, one after it.
    keys.key("rsa-1")
    assert keys.fetches == 2
    clock.advance(INTERVAL)
    with pytest.raises(IdentityProviderUnavailableError):
        keys.key("rsa-2")
    assert keys.fetches == 3


def test_a_provider_that_never_answers_is_given_up_after_the_timeout(clock: MonotonicClock) -> None:
    # A listening socket nobody reads from: the connection opens, the answer never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        keys = key_set(f"http://127.0.0.1:{silent.getsockname()[1]}/certs", clock, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(IdentityProviderUnavailableError):
            keys.key("rsa-1")
        assert time.monotonic() - started < 3


def test_only_signing_keys_with_a_key_id_for_an_accepted_algorithm_are_taken(
    provider: FakeIdentityProvider, clock: MonotonicClock, rsa: SigningKey, ec: SigningKey
) -> None:
    shared_secret = {"kty": "oct", "kid": "shared", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", "alg": "HS256"}
    encryption = {**rsa.jwk, "kid": "rsa-enc", "use": "enc"}
    unnamed = {key: value for key, value in ec.jwk.items() if key != "kid"}
    # Step: a set with none of them usable counts as a failed fetch.
    provider.publish(shared_secret, encryption, unnamed)
    keys = key_set(provider.jwks_url, clock)
    with pytest.raises(IdentityProviderUnavailableError):
        keys.key("shared")
    # Step: beside a usable key, they are left out.
    provider.publish(shared_secret, encryption, unnamed, rsa)
    clock.advance(INTERVAL)
    assert keys.key("rsa-1").key_id == "rsa-1"
    for kid in ("shared", "rsa-enc"):
        with pytest.raises(AuthenticationError):
            keys.key(kid)


def test_a_body_that_is_not_a_key_set_keeps_the_keys_held(
    provider: FakeIdentityProvider, clock: MonotonicClock
) -> None:
    keys = key_set(provider.jwks_url, clock)
    keys.key("rsa-1")
    provider.publish()  # {"keys": []}
    clock.advance(MAX_AGE)
    assert keys.key("rsa-1").key_id == "rsa-1"
    assert keys.fetches == 2
