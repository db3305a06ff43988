"""``ihanoi serve`` behind a TLS-terminating reverse proxy: it believes
``X-Forwarded-Proto`` only from the proxies ``IHANOI_FORWARDED_ALLOW_IPS``
names, and its absolute links (Open311 discovery) follow what it believes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import start_server, stop_server

PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Host": "ihanoi.example.vn"}


def discovery_url(base_url: str) -> str:
    with httpx.Client(base_url=base_url, verify=LOOPBACK_TLS) as client:
        answer = client.get("/open311/v2/discovery.json", headers=PROXIED)
    assert answer.status_code == 200, answer.text
    url: str = answer.json()["endpoints"][0]["url"]
    return url


@pytest.mark.parametrize(
    ("proxies", "seen"),
    [
        # The default: a proxy on the same machine (this test's client is on loopback).
        (None, "https://ihanoi.example.vn/open311/v2"),
        ("10.0.0.0/8, 127.0.0.1", "https://ihanoi.example.vn/open311/v2"),
        # A proxy elsewhere: the loopback client is not it, so its headers are not believed.
        ("192.0.2.10", "http://ihanoi.example.vn/open311/v2"),
    ],
)
def test_forwarded_headers_are_believed_only_from_the_named_proxies(
    tmp_path: Path, proxies: str | None, seen: str
) -> None:
    env = {"IHANOI_FORWARDED_ALLOW_IPS": proxies} if proxies else None
    server = start_server(f"sqlite:///{tmp_path / 'ihanoi.db'}", tmp_path / "server.log", env)
    try:
        assert discovery_url(server.base_url) == seen
    finally:
        stop_server(server)
