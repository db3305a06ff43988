"""``/api/v1/dialogue-sessions``: dialogue sessions of the city's leaders with
businesses (hội nghị đối thoại), and ``GET /public/dialogue-sessions/{code}``.

A leader schedules one (``POST /api/v1/dialogue-sessions``: title, chair,
agencies taking part, ``held_at``, place); a business registers its question
beforehand (``/register-question``), staff register questions for businesses
or from the floor (``from_floor``) once it is ``/held``. Staff answer each on
the record (``/answer``) or turn it into a business inquiry with a deadline
(``/refer``: an agency taking part, a topic), a leader publishes the minutes
(``/publish-minutes``), staff close each follow-up once its inquiry is
answered (``/close-follow-up``) and then the session (``/close``). Anyone
with a token reads it; the public page shows the questions, their answers
or the inquiries they became, and the minutes — never which business asked.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ihanoi_core.commands.dialogues import ScheduleSession, SessionCommand
from ihanoi_core.domain.values import Principal, Role
from ihanoi_server.api.commands import (
    PublicCaseList,
    command_routes,
    create_route,
    public_list,
    read_public_case,
    read_route,
)
from ihanoi_server.http import json_response, view_of
from ihanoi_server.openapi.describe import POSITION, document

PUBLIC_READER = Principal("dialogues:public", Role.PARTNER)


class PublicQuestion(msgspec.Struct):
    """A question of the session: its answer on the record, or the inquiry it became and whether that is done."""

    number: int
    text: str
    from_floor: bool
    answer: str | None
    inquiry: str | None
    followed_up: bool


class PublicSession(msgspec.Struct):
    """A dialogue session as everyone may read it (no business named)."""

    code: str
    title: str
    chair: str
    agency: str | None
    participants: list[str]
    held_at: datetime
    place: str
    status: str
    questions: list[PublicQuestion]
    minutes: str | None


async def read_public(request: Request) -> Response:
    """A dialogue session, its questions and minutes (public, no token; no business named)."""
    data = await read_public_case(request, PUBLIC_READER, "dialogue_session")
    questions = [view_of(PublicQuestion, question) for question in data["questions"]]
    return json_response(view_of(PublicSession, data, participants=list(data["participants"]), questions=questions))


routes = [
    create_route("dialogue-sessions", ScheduleSession),
    read_route("dialogue-sessions", "dialogue_session"),
    *command_routes("dialogue-sessions", SessionCommand),
    Route(
        "/public/dialogue-sessions",
        public_list("dialogue_session"),
        methods=["GET"],
        name="public_dialogue_sessions:list",
    ),
    Route("/public/dialogue-sessions/{code}", read_public, methods=["GET"], name="public_dialogue_sessions:read"),
]
document("public_dialogue_sessions:read", response=PublicSession, auth="none", problems=(404, 422), query=[POSITION])
document("public_dialogue_sessions:list", response=PublicCaseList, auth="none", problems=(422,), query=[POSITION])
