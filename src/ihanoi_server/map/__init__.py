"""The public map page (``/map``, vi/en): public reports on a map, clustered and filtered.

``routes`` serves the page, its own script and style and the vendored map
library; ``page`` renders the HTML shell (a pure function); ``i18n`` holds its
strings. The page reads ``/public/reports.geojson`` and draws it with Leaflet
1.9.4 and Leaflet.markercluster 1.5.3, copied unchanged from their npm
packages (``npm pack leaflet@1.9.4 leaflet.markercluster@1.5.3``: ``dist/``
files and licences) into ``static/vendor/``: no CDN. The basemap comes from the
configured tile server (``IHANOI_MAP_TILE_URL``); when tiles cannot load the
markers, clusters, filters and list still work on a plain background.
"""
