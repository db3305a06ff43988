"""``/api/v1/audit/{id}``: a case's full history, or its state at a past moment.

- ``GET /api/v1/audit/{id}``: every event with its version, time
  (Asia/Ho_Chi_Minh), actor (subject, role, agency), name and changes.
- ``?as_of=2026-12-01T09:30`` (ISO 8601; Hanoi time without an offset): the
  case as it stood then. ``?version=N``: the case after its N-th event.

Auditors read every case; staff and citizens the cases they can see; anyone
else gets 404. Personal data and a denouncer's identity are redacted unless the
caller is entitled to them (``Queries.case_history`` and ``case_state`` in
``ihanoi_projections.queries``, over ``ihanoi_core.audit.history``).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ihanoi_core.audit.history import entries_as_rows, parse_moment
from ihanoi_core.errors import ValidationError
from ihanoi_server.http import case_ref, json_response, principal, state
from ihanoi_server.openapi.describe import Query, document

ACTOR = {
    "type": ["object", "null"],
    "properties": {
        "subject": {"type": ["string", "null"], "description": "null (or the pseudonym) when redacted"},
        "role": {"type": "string"},
        "agency": {"type": ["string", "null"]},
    },
}
CASE_ID = {"type": "string", "format": "uuid"}


def _exact_object(title: str, properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema that requires every one of its ``properties``, so an
    answer matches exactly one of the ``oneOf``."""
    return {"type": "object", "title": title, "required": list(properties), "properties": properties}


EVENT = {
    "type": "object",
    "properties": {
        "version": {"type": "integer"},
        "time": {"type": "string", "format": "date-time", "description": "Asia/Ho_Chi_Minh"},
        "event": {"type": "string"},
        "actor": ACTOR,
        "changes": {"type": "object", "description": "the event's own fields, redacted"},
    },
}
HISTORY = _exact_object(
    "CaseHistory",
    {
        "case_id": CASE_ID,
        "code": {"type": "string"},
        "kind": {"type": "string"},
        "events": {"type": "array", "items": EVENT},
    },
)
STATE = _exact_object(
    "CaseAsOf",
    {
        "case_id": CASE_ID,
        "version": {"type": "integer"},
        "recorded_at": {"type": "string", "format": "date-time"},
        "case": {"type": "object", "description": "the case as it stood then, redacted as for its reader"},
    },
)


async def read(request: Request) -> Response:
    """A case's history; with ``as_of`` or ``version``, its state then. Roles:
    auditor (every case), officer, leader, citizen (cases they can see)."""
    who = principal(request)
    queries = state(request).queries
    app = queries.app
    ref = case_ref(request)
    as_of_text = request.query_params.get("as_of")
    version_text = request.query_params.get("version")
    if as_of_text is not None and version_text is not None:
        raise ValidationError({"as_of": "give as_of or version, not both"})
    as_of = parse_moment(as_of_text, app.timezone) if as_of_text is not None else None
    version: int | None = None
    if version_text is not None:
        # ASCII digits only: "²".isdigit() holds, but int("²") fails.
        if not (version_text.isascii() and version_text.isdigit()) or int(version_text) < 1:
            raise ValidationError({"version": "must be a whole number from 1"})
        version = int(version_text)

    def run() -> dict[str, Any]:
        if as_of is None and version is None:
            history = queries.case_history(who, ref)
            return {
                "case_id": history.case_id,
                "code": history.code,
                "kind": history.kind,
                "events": entries_as_rows(history.entries, app.timezone),
            }
        found = queries.case_state(who, ref, version=version, as_of=as_of)
        return {
            "case_id": found.case_id,
            "version": found.version,
            "recorded_at": found.recorded_at,
            "case": found.state,
        }

    return json_response(await run_in_threadpool(run))


routes: list[BaseRoute] = [Route("/api/v1/audit/{id}", read, methods=["GET"], name="audit:read")]

document(
    "audit:read",
    response={"oneOf": [HISTORY, STATE]},
    query=[
        Query("as_of", str, "ISO 8601 time (Hanoi time without an offset): the case as it stood then."),
        Query("version", {"type": "integer", "minimum": 1}, "The case after its N-th event (1 = as filed)."),
    ],
    roles=("auditor", "officer", "leader", "citizen (cases they can see)"),
    problems=(401, 404, 422),
)
