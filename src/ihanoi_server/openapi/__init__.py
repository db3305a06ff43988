"""The OpenAPI 3.1 description of the HTTP API, served at ``GET /openapi.json``.

``describe``: what a route module says about its routes beyond the route
itself (``document(name, ...)``), the parameters and shapes many routes
share; ``derive``: what a route tells of itself — a command route from its
command type (body, roles, valid states), a case reader, an endpoint's
docstring; ``document``: the document built from the app's routes, and the
route that serves it.
"""
