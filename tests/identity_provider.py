"""A stand-in for the city's identity provider: real keys, a real JWKS endpoint.

``FakeIdentityProvider`` generates RSA and EC key pairs with ``cryptography``,
publishes the public halves as a JSON Web Key Set over HTTP on loopback (a
``http.server`` in a thread), signs tokens with the private halves, and counts
the requests its endpoint answered. Tests rotate its keys and take it down to
see what the server does.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://id.hanoi.test/realms/citizens"
AUDIENCE = "ihanoi-api"
JWKS_PATH = "/protocol/openid-connect/certs"


@dataclass(frozen=True)
class SigningKey:
    """One key pair of the provider: ``kid``, the algorithm, the private key and the public JWK."""

    kid: str
    algorithm: str
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    jwk: dict[str, Any]

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def rsa_key(kid: str) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "RS256", private, {**jwk, "kid": kid, "use": "sig", "alg": "RS256"})


def ec_key(kid: str) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "ES256", private, {**jwk, "kid": kid, "use": "sig", "alg": "ES256"})


class FakeIdentityProvider:
    """Serves ``published`` keys at ``jwks_url`` until ``stop()``."""

    def __init__(self, *published: SigningKey) -> None:
        self.published: tuple[dict[str, Any], ...] = tuple(key.jwk for key in published)
        self.requests = 0
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with provider._lock:
                    provider.requests += 1
                    keys = list(provider.published)
                if self.path != JWKS_PATH:
                    self.send_error(404)
                    return
                body = json.dumps({"keys": keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads ``requests`` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-idp", daemon=True)
        self._thread.start()
        self.running = True

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{JWKS_PATH}"

    def publish(self, *keys: SigningKey | dict[str, Any]) -> None:
        """Serve ``keys`` (or raw JWKs) from now on: a rotation drops the old ones."""
        with self._lock:
            self.published = tuple(key.jwk if isinstance(key, SigningKey) else key for key in keys)

    def request_count(self) -> int:
        with self._lock:
            return self.requests

    def stop(self) -> None:
        """Close the endpoint: from now on connections are refused."""
        if self.running:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self.running = False

    def settings_env(self, **extra: str) -> dict[str, str]:
        """The ``IHANOI_OIDC_*`` variables that point a server at this provider."""
        return {"IHANOI_OIDC_ISSUER": ISSUER, "IHANOI_OIDC_AUDIENCE": AUDIENCE, "IHANOI_OIDC_JWKS_URL": self.jwks_url,
                **extra}  # fmt: skip


def sign(key: SigningKey, claims: dict[str, Any], *, kid: str | None = None, **header: Any) -> str:
    """A token with ``claims`` signed by ``key``, its header naming ``kid`` (default: the key's)."""
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers={"kid": kid or key.kid, **header})


def claims(subject: str, *, now: float | None = None, ttl: int = 600, **extra: Any) -> dict[str, Any]:
    """Standard claims for ``subject`` issued now, valid ``ttl`` seconds; ``extra``
    adds or overrides claims, and a claim given as None is left out."""
    issued = int(time.time() if now is None else now)
    base: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": issued, "exp": issued + ttl}
    base.update(extra)
    return {name: value for name, value in base.items() if value is not None}
