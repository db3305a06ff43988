"""Which ``Accept-Encoding`` gets a page's files gzip-compressed (``ihanoi_server.static``)."""

from __future__ import annotations

import pytest

from ihanoi_server.static import accepts_gzip


@pytest.mark.parametrize(
    ("accept_encoding", "gzip"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("gzip; q=1", True),
        ("br, gzip;q=0", False),
        ("gzip;q=0.0", False),
        ("gzip;q=nonsense", False),
        ("identity", False),
        ("x-gzip-ish", False),
        ("", False),
    ],
)
def test_gzip_only_when_the_client_names_it_and_does_not_refuse_it(accept_encoding: str, gzip: bool) -> None:
    assert accepts_gzip(accept_encoding) is gzip
