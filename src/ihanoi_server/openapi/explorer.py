"""The API explorer, ``GET /api/docs``: Swagger UI 5 over ``/openapi.json``.

A city's developers read every route, its roles and valid states, and try it
out with a pasted token (``ihanoi token`` in development), from the server
itself: a city intranet may have no internet, so the page loads Swagger UI's
own files from the ``openapi-ui-bundles`` package and the starting script
from here, and its ``Content-Security-Policy`` forbids anything else. The
token stays in the page's memory (``persistAuthorization`` off) and Swagger
UI's online validator, which would send the document to swagger.io, is off.
"""

from __future__ import annotations

from importlib import resources

from openapi_ui_bundles import swagger_ui
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_server.openapi.describe import document
from ihanoi_server.static import PackageFiles

STATIC_PREFIX = "/api/docs/static"
# Swagger UI's two files and our starting script; they change only with the
# package's pinned version (or ours, with a release).
FILES = PackageFiles(
    {
        "swagger-ui.css": (swagger_ui.static_path / "swagger-ui.css", "text/css; charset=utf-8"),
        "swagger-ui-bundle.js": (swagger_ui.static_path / "swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        "explorer.js": (
            resources.files("ihanoi_server.openapi").joinpath("static", "explorer.js"),
            "text/javascript; charset=utf-8",
        ),
    },
    headers={"Cache-Control": "public, max-age=3600"},
    missing="No such file of the API explorer.",
)
# Swagger UI sets styles through the DOM (allowed by 'self'), draws its icons
# as data: images, and fetches the document and tried requests from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ihanoi HTTP API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{STATIC_PREFIX}/swagger-ui.css">
</head>
<body>
<div id="explorer" data-openapi="/openapi.json"></div>
<script src="{STATIC_PREFIX}/swagger-ui-bundle.js"></script>
<script src="{STATIC_PREFIX}/explorer.js"></script>
</body>
</html>
"""


async def explorer(request: Request) -> Response:
    """The API explorer: every route of ``/openapi.json`` with its roles and valid
    states, to read and to try with a bearer token (Swagger UI, served by this server).
    Roles: anyone (no token)."""
    return Response(PAGE, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


async def static(request: Request) -> Response:
    """Swagger UI's stylesheet and script, and the explorer's starting script."""
    return await FILES.answer(request, request.path_params["name"])


routes = [
    Route("/api/docs", explorer, methods=["GET"], name="openapi:explorer"),
    Route(f"{STATIC_PREFIX}/{{name}}", static, methods=["GET"], name="openapi:explorer_static"),
]

document("openapi:explorer", media_type="text/html", response={"type": "string"}, auth="none", problems=(), store=False)
document(
    "openapi:explorer_static",
    media_type="text/plain",
    response={"type": "string"},
    auth="none",
    problems=(404,),
    store=False,
)
