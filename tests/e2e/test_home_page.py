"""The home page, ``GET /``, over real HTTP on both stores: it reads in
Vietnamese and in English, and every link it gives answers, on the same
server, with what its label promises (HTML pages in the page's language)."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import LiveServer

# The pages linked from the home page that exist in English only (their label says so).
ENGLISH_ONLY = ("/api/docs",)


class Links(HTMLParser):
    """The ``href`` of every ``<a>`` and the page's ``lang``."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        elif tag == "html":
            self.lang = str(found.get("lang"))


def links_of(page: httpx.Response) -> Links:
    links = Links()
    links.feed(page.text)
    return links


def test_the_home_page_reads_in_both_languages_and_every_link_on_it_answers(module_server: LiveServer) -> None:
    with httpx.Client(base_url=module_server.base_url, verify=LOOPBACK_TLS) as anyone:
        for asked, lang, heading in (
            (None, "vi", "Máy chủ này cung cấp gì"),
            ("en", "en", "What this server offers"),
            ("fr", "vi", "Máy chủ này cung cấp gì"),
        ):
            page = anyone.get("/", params={"lang": asked} if asked else None)
            assert page.status_code == 200, page.text
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert page.headers["content-language"] == lang
            assert "form-action 'none'" in page.headers["content-security-policy"]
            assert f"<h1>{heading}</h1>" in page.text
            links = links_of(page)
            assert links.lang == lang
            # Step: the language switch, then every link of the page, each on this server.
            switch, *targets = [href for href in links.hrefs if href != "#main"]
            assert switch == ("?lang=vi" if lang == "en" else "?lang=en")
            assert {"/map", "/dashboard", "/openapi.json", "/api/docs", "/open311/v2/discovery.json"} <= {
                target.partition("?")[0] for target in targets
            }
            for target in targets:
                assert target.startswith("/"), target
                answer = anyone.get(target)
                assert answer.status_code == 200, (target, answer.text[:300])
                if answer.headers["content-type"].startswith("text/html"):
                    # An HTML page opens in the language the home page was read in, but for
                    # the API explorer, in English like the API document it shows.
                    assert links_of(answer).lang == ("en" if target in ENGLISH_ONLY else lang), target
        # Step: the home page only reads.
        refused = anyone.post("/", content=b"{}")
        assert refused.status_code == 405
        assert refused.headers["content-type"] == "application/problem+json"
