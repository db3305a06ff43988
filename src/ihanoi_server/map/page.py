"""The public map page's HTML shell, rendered on the server (a pure function).

The page also draws the alerts in force (``/public/alerts?active=true``):
each area's polygon and circles, and for an area given by wards alone a
circle round each ward's approximate centre (the directory has no ward
boundaries), with the headline and severity in the page's language.

Everything put into HTML goes through ``html.escape``; what the script needs
(its strings, the tile URL and attribution, the filter choices) travels as
JSON in a ``<script type="application/json">`` block (``script_json``), so no
value can close the block. The page loads only this server's files: the
vendored Leaflet and markercluster, and its own ``map.js``/``map.css``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ihanoi_core.domain.report_values import ReportStatus
from ihanoi_server.dashboard.pages import e, lang_switch, script_json

STATIC_PREFIX = "/map/static"
# Third-party files live under ``static/vendor/`` (their relative ``images/``
# URLs resolve there too); the page's own script and style beside it.
STYLES = ("vendor/leaflet.css", "vendor/MarkerCluster.css", "vendor/MarkerCluster.Default.css", "map.css")
SCRIPTS = ("vendor/leaflet.js", "vendor/leaflet.markercluster.js", "map.js")
# Hồ Gươm, the centre of the city.
CENTRE = (21.0285, 105.8542)


def _options(choices: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<option value="{e(value)}">{e(label)}</option>' for value, label in choices)


def map_page(
    lang: str,
    text: Mapping[str, str],
    *,
    categories: Sequence[tuple[str, str]],
    wards: Sequence[tuple[str, str]],
    tile_url: str,
    attribution: str,
    ward_centres: Mapping[str, tuple[float, float]] | None = None,
) -> str:
    """``GET /map``: the shell ``map.js`` fills from ``/public/reports.geojson``
    and ``/public/alerts``. ``categories`` and ``wards`` are (code, name) pairs
    for the filters; ``ward_centres`` the approximate centre of each ward
    (where an alert given by wards is drawn)."""
    statuses = [("open", text["status.open"]), ("closed", text["status.closed"])]
    statuses += [(str(status), text[f"status_name.{status}"]) for status in ReportStatus]
    config = {
        "lang": lang,
        "tile_url": tile_url,
        "attribution": attribution,
        "centre": list(CENTRE),
        "ward_centres": {code: list(centre) for code, centre in (ward_centres or {}).items()},
        "ward_names": dict(wards),
        "strings": {key: value for key, value in text.items() if not key.startswith("filters.")},
    }
    all_option = f'<option value="">{e(text["filters.all"])}</option>'
    styles = "".join(f'<link rel="stylesheet" href="{STATIC_PREFIX}/{name}">\n' for name in STYLES)
    scripts = "".join(f'<script src="{STATIC_PREFIX}/{name}" defer></script>\n' for name in SCRIPTS)
    return (
        f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{e(text['map.title'])} · {e(text['app.name'])}</title>\n"
        f"{styles}{scripts}</head>\n"
        '<body data-page="map" data-state="starting" data-basemap="pending">\n'
        '<header class="bar">\n'
        f'<div><p class="app-name">{e(text["app.name"])}</p><h1>{e(text["map.title"])}</h1></div>\n'
        f"<nav>{lang_switch(text)}</nav>\n</header>\n<main>\n"
        f'<form id="filters" class="card" aria-label="{e(text["filters.title"])}">\n'
        f'<label>{e(text["filters.category"])} <select id="category" name="category">{all_option}'
        f"{_options(categories)}</select></label>\n"
        f'<label>{e(text["filters.status"])} <select id="status" name="status">{all_option}'
        f"{_options(statuses)}</select></label>\n"
        f'<label>{e(text["filters.ward"])} <select id="ward" name="ward">{all_option}'
        f"{_options(wards)}</select></label>\n"
        "</form>\n"
        '<p id="state" role="status"></p>\n'
        '<p id="basemap-note" class="hint" hidden></p>\n'
        f'<div id="map" role="region" aria-label="{e(text["map.label"])}"></div>\n'
        '<p class="count"><span id="count" data-count="0">0</span> '
        f'{e(text["count.shown"])} <span id="more" class="hint" hidden>{e(text["count.more"])}</span></p>\n'
        f'<section class="card" id="alerts" data-count="0"><h2>{e(text["alerts.title"])}</h2>\n'
        '<ol id="alert-list"></ol>\n'
        f'<p id="alerts-empty" hidden>{e(text["alerts.empty"])}</p>\n</section>\n'
        f'<section class="card"><h2>{e(text["list.title"])}</h2>\n'
        '<ol id="list"></ol>\n'
        f'<p id="list-empty" hidden>{e(text["list.empty"])}</p>\n</section>\n'
        f'<p class="footnote">{e(text["footnote"])}</p>\n'
        "</main>\n"
        f'<script type="application/json" id="map-config">{script_json(config)}</script>\n'
        "</body>\n</html>\n"
    )
