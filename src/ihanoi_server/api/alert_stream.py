"""Alerts on live streams: the wards a stream follows (``?ward=``), and how
an alert message is framed (``event: alert``).

An alert reaches a stream when a message of it is issued or cancelled (the
``AlertNotice`` the live tail sets on those changes) and it covers one of the
wards the stream follows (``ihanoi_projections.engine.live_tail.alerts_in``). The
public ward stream (``public_alerts``) and a citizen's own stream given
``?ward=`` (``streams.me_stream``) both use it.
Each is one SSE event::

    id: 2051
    event: alert
    data: {"position":2051,"code":"CB-261201-483920","msg_type":"Alert","sequence":1,
           "wards":["HOAN_KIEM"],"headline":"Cảnh báo ngập úng sau mưa lớn", …,
           "cap_url":"/public/alerts/CB-261201-483920/1.xml"}
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sse_starlette import ServerSentEvent
from starlette.requests import Request

from ihanoi_core.directory import Directory
from ihanoi_core.errors import ValidationError
from ihanoi_projections.engine.live_tail import AlertNotice, CaseChange
from ihanoi_server.http import view_of

MAX_WARDS = 20
SEP = "\n"


class AlertEvent(AlertNotice, frozen=True):
    """The ``data`` of an ``event: alert``: one issued CAP message (Alert,
    Update or Cancel) in words, with the URL of its CAP document."""

    cap_url: str
    at: datetime


def stream_wards(request: Request, directory: Directory) -> tuple[str, ...]:
    """The ``?ward=`` codes a stream follows (repeatable), each a ward of the
    directory; ``ValidationError`` (422) otherwise."""
    wards = tuple(dict.fromkeys(ward.strip().upper() for ward in request.query_params.getlist("ward") if ward.strip()))
    if len(wards) > MAX_WARDS:
        raise ValidationError({"ward": f"at most {MAX_WARDS} wards"})
    unknown = [ward for ward in wards if directory.get_ward(ward) is None]
    if unknown:
        raise ValidationError({"ward": f"unknown ward {unknown[0][:64]!r}"})
    return wards


def alert_event(change: CaseChange) -> ServerSentEvent:
    notice = change.alert
    assert notice is not None
    data = view_of(AlertEvent, notice, cap_url=f"/public/alerts/{notice.code}/{notice.sequence}.xml", at=change.at)
    return ServerSentEvent(msgspec.json.encode(data).decode(), event="alert", id=str(change.position), sep=SEP)
