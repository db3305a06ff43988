"""Open311 GeoReport v2 at ``/open311/v2``, for partner apps and existing
Open311 clients: ``format`` (the spec's field names, JSON and XML, its error
documents), ``params`` (a call's parameters from the query and the body),
``submission`` (what a POST asks for, the partner's key and the ward it is
filed in) and ``routes`` (the spec's methods mapped to the core)."""
