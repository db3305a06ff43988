"""``GET /map``, the public map page, and its static files.

The page needs no token: it shows the public feed. Its Content-Security-Policy
lets it load scripts, styles and data from this server only, and images from
this server and the configured tile server's origin (``IHANOI_MAP_TILE_URL``;
``{s}`` subdomains become a ``*.`` wildcard) — nothing else. It sends the
origin as referrer to the tile server (OpenStreetMap's tile policy asks for
one), never the page's address.
"""

from __future__ import annotations

from importlib import resources
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_server.http import state
from ihanoi_server.i18n import language
from ihanoi_server.map import page as map_page
from ihanoi_server.map.i18n import strings
from ihanoi_server.openapi.describe import LANG, document
from ihanoi_server.static import PackageFiles

TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".png": "image/png"}
# Leaflet's marker and layer-control images, which its stylesheet asks for.
IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
# Every file the page may ask for; anything else is 404.
STATIC_FILES = frozenset({*map_page.STYLES, *map_page.SCRIPTS, *(f"vendor/images/{name}" for name in IMAGES)})


def tile_origin(tile_url: str) -> str | None:
    """The CSP source of a tile URL template: its scheme, host and port, with a
    ``{s}`` subdomain as ``*``; ``None`` for no basemap."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "tile-subdomain"))
    host = (parts.hostname or "").replace("tile-subdomain", "*")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def content_security_policy(tile_url: str) -> str:
    origin = tile_origin(tile_url)
    images = "'self' data:" + (f" {origin}" if origin else "")
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {images}; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


async def page(request: Request) -> Response:
    """The public map page (HTML): public reports with clustering and filters, and the alerts in force, vi/en."""
    server = state(request)
    lang = language(request.query_params.get("lang"))
    directory = server.app.directory
    categories = [
        (category.code, category.name_en if lang == "en" else category.name_vi)
        for category in directory.categories.values()
    ]
    wards = [(ward.code, ward.name) for ward in directory.wards.values()]
    html = map_page.map_page(
        lang,
        strings(lang),
        categories=categories,
        wards=wards,
        tile_url=server.settings.map_tile_url,
        attribution=server.settings.map_tile_attribution,
        ward_centres={ward.code: ward.centre for ward in directory.wards.values() if ward.centre is not None},
    )
    return Response(
        html,
        media_type="text/html",
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": content_security_policy(server.settings.map_tile_url),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin",
            "X-Frame-Options": "DENY",
        },
    )


FILES = PackageFiles(
    {
        name: (
            resources.files("ihanoi_server.map").joinpath("static", *name.split("/")),
            TYPES[name[name.rindex(".") :]],
        )
        for name in STATIC_FILES
    },
    headers={"Cache-Control": "no-cache"},
    missing="No such map file.",
)


async def static(request: Request) -> Response:
    """The map page's own script and style and the vendored Leaflet files (no CDN)."""
    return await FILES.answer(request, request.path_params["name"])


routes = [
    Route("/map", page, methods=["GET"], name="map:page"),
    Route("/map/static/{name:path}", static, methods=["GET"], name="map:static"),
]

document(
    "map:page", media_type="text/html", response={"type": "string"}, query=[LANG], auth="none", problems=(), store=False
)
document("map:static", media_type="text/plain", response={"type": "string"}, auth="none", problems=(404,), store=False)
