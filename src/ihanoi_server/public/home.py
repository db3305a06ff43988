"""The home page, ``GET /``: what this server offers, by audience, with a link
to each (HTML, vi/en; the public pages' layout and strings)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_server.dashboard.pages import e
from ihanoi_server.openapi.describe import LANG, document
from ihanoi_server.public import pages
from ihanoi_server.public.i18n import language, strings
from ihanoi_server.public.routes import PAGE_HEADERS

# By audience, each link as (path, its label's key, whether the page it opens
# speaks the chosen language); a test follows every one through the real server.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str, bool], ...]], ...] = (
    ("home.everyone", (("/map", "home.map", True), ("/public/alerts.atom", "home.alerts", False))),
    ("home.officials", (("/dashboard", "home.dashboard", True),)),
    (
        "home.data",
        (
            ("/public/stats", "home.stats", False),
            ("/public/stats.csv", "home.stats_csv", False),
            ("/public/ranking", "home.ranking", False),
            ("/public/faq?q=c%C4%83n%20c%C6%B0%E1%BB%9Bc", "home.faq", False),
            ("/public/consultations", "home.consultations", False),
            ("/public/dialogue-sessions", "home.dialogue_sessions", False),
            ("/public/business-qa", "home.business_qa", False),
            ("/open311/v2/discovery.json", "home.open311", False),
            ("/openapi.json", "home.openapi", False),
            ("/api/docs", "home.explorer", False),
        ),
    ),
)


def home_page(lang: str, text: Mapping[str, str]) -> str:
    """``GET /``: links to the public pages, the dashboard and the open data and API."""
    sections = []
    for heading, links in SECTIONS:
        items = "".join(
            f'<li><a href="{e(path + ("?lang=en" if speaks and lang == "en" else ""))}">{e(text[label])}</a> '
            f"<code>{e(path.partition('?')[0])}</code></li>\n"
            for path, label, speaks in links
        )
        slug = heading.removeprefix("home.")
        sections.append(
            f'<section aria-labelledby="{slug}">\n<h2 id="{slug}">{e(text[heading])}</h2>\n'
            f'<ul class="links">\n{items}</ul>\n</section>\n'
        )
    main = f"<p>{e(text['home.intro'])}</p>\n{''.join(sections)}"
    return pages.page(lang, text, text["home.title"], main, text["home.footer"])


async def home(request: Request) -> Response:
    """The home page: links to the public map, the dashboard, the open data and the API (HTML, vi/en).
    Roles: anyone (no token)."""
    lang = language(request.query_params.get("lang"))
    html = home_page(lang, strings(lang))
    return Response(html, media_type="text/html; charset=utf-8", headers={**PAGE_HEADERS, "Content-Language": lang})


routes = [Route("/", home, methods=["GET"], name="public:home")]

document(
    "public:home",
    media_type="text/html",
    response={"type": "string"},
    query=[LANG],
    auth="none",
    problems=(),
    store=False,
)
