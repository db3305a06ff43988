"""The leader dashboard: ``GET /api/v1/dashboard`` and its pages.

``routes`` parses, calls ``Queries.dashboard`` and renders; ``pages`` renders
the HTML shells and the weekly chart as SVG (pure functions); ``i18n`` holds
their strings in Vietnamese and English; ``static`` the page's CSS and script.
"""
