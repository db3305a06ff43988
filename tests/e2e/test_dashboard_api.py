"""``GET /api/v1/dashboard`` and ``/dashboard/chart.svg`` over real HTTP, on
SQLite and PostgreSQL: who may read which agency, the filters, the 422s, and
figures that match a small scenario exactly.

Before the server starts, ``seed_last_weeks_cases`` (``tests/e2e/conftest.py``)
writes reports A, B, C and D, received on a working day D over a week ago, so
that B and C are overdue in real time. The tests then add today's cases over
HTTP: E filed, handled, resolved, reopened by the citizen, resolved again and
rated 5; F filed and left alone.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import (
    CITIZEN,
    HANOI,
    OFFICER,
    WARD,
    LiveServer,
    Seeded,
    seed_last_weeks_cases,
    start_server,
    stop_server,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(params=["sqlite", "postgres"])
def seeded_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, Seeded]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ihanoi.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    seeded = seed_last_weeks_cases(url)
    server = start_server(url, tmp_path / "server.log")
    yield server, seeded
    stop_server(server)


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class Today:
    started: datetime
    reopened: UUID
    untouched: UUID
    position: int


def handle_todays_cases(server: LiveServer, agency: str) -> Today:
    """Reports E and F of the module docstring, over HTTP."""
    started = datetime.now(UTC)
    report = {"category": "pothole", "description": "Nắp cống hỏng", "location": {"ward": WARD}}
    with server.client(Role.CITIZEN, CITIZEN) as citizen, server.client(Role.OFFICER, OFFICER, agency) as officer:
        # Step: E is filed, taken on and resolved.
        reopened = ok(citizen.post("/api/v1/reports", json=report), 201)["id"]
        ok(officer.post(f"/api/v1/reports/{reopened}/acknowledge", json={}))
        ok(officer.post(f"/api/v1/reports/{reopened}/assign", json={"assignee": OFFICER}))
        ok(officer.post(f"/api/v1/reports/{reopened}/start", json={}))
        ok(officer.post(f"/api/v1/reports/{reopened}/resolve", json={"answer": "Đã thay nắp."}))
        # Step: the citizen reopens it; it is resolved again and rated 5.
        ok(citizen.post(f"/api/v1/reports/{reopened}/reopen", json={"reason": "Nắp vẫn lung lay."}))
        ok(officer.post(f"/api/v1/reports/{reopened}/resolve", json={"answer": "Đã cố định nắp."}))
        ok(citizen.post(f"/api/v1/reports/{reopened}/rate", json={"stars": 5}))
        # Step: F is filed and left alone (due tomorrow at the earliest: not overdue).
        untouched = ok(citizen.post("/api/v1/reports", json=report), 201)
    return Today(started, UUID(reopened), UUID(untouched["id"]), untouched["position"])


def monday(moment: datetime | date) -> date:
    day = moment.astimezone(HANOI).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


# -- figures ------------------------------------------------------------------------------------


def test_a_leader_sees_exactly_the_figures_of_the_scenario(seeded_server: tuple[LiveServer, Seeded]) -> None:
    server, seeded = seeded_server
    today = handle_todays_cases(server, seeded.agency)
    with server.client(Role.LEADER, "leader-hk", seeded.agency) as leader:
        body = ok(leader.get("/api/v1/dashboard", params={"position": today.position}))

    # Step: the default period is the 30 days up to now, in Hanoi time.
    start, end = datetime.fromisoformat(body["period"]["start"]), datetime.fromisoformat(body["period"]["end"])
    assert end - start == timedelta(days=30)
    assert body["period"]["start"].endswith("+07:00")
    assert body["period"]["timezone"] == "Asia/Ho_Chi_Minh"
    assert body["agency"]["code"] == seeded.agency
    assert body["agency"]["name"].startswith("Ủy ban nhân dân")
    assert body["viewer"] == {"role": "leader", "agency": seeded.agency}
    assert body["kind"] is None
    assert body["by_agency"] == []

    # Step: A, D and E resolved (D late), B, C and F open, B and C overdue,
    # E reopened once; ratings 4 (A) and 5 (E); resolve times 2 h (A), 13 h (D)
    # and E's few seconds; acknowledgements 0 h (D), 0.5 h (A), 1 h (B) and E's.
    figures = body["figures"]
    assert {name: figures[name] for name in (
        "received", "open", "resolved", "resolved_on_time", "resolved_late", "overdue_now",
        "reopened", "rated", "average_rating", "median_hours_to_resolve", "p90_hours_to_resolve",
        "p90_hours_to_acknowledge", "dossiers",
    )} == {
        "received": 6, "open": 3, "resolved": 3, "resolved_on_time": 2, "resolved_late": 1, "overdue_now": 2,
        "reopened": 1, "rated": 2, "average_rating": 4.5, "median_hours_to_resolve": 2.0,
        "p90_hours_to_resolve": 13.0, "p90_hours_to_acknowledge": 1.0, "dossiers": 0,
    }  # fmt: skip
    assert figures["on_time_rate"] == pytest.approx(2 / 3)
    assert figures["reopen_rate"] == pytest.approx(1 / 3)
    assert 0 <= figures["median_hours_to_acknowledge"] < 0.1

    # Step: the weekly series counts each case in the week it was received.
    weeks = {week["week_start"]: week for week in body["weekly"]}
    assert sum(week["received"] for week in body["weekly"]) == 6
    assert weeks[monday(seeded.day).isoformat()] == {
        "week_start": monday(seeded.day).isoformat(), "iso_week": "{}-W{:02d}".format(*seeded.day.isocalendar()[:2]),
        "received": 4, "resolved_on_time": 1, "resolved_late": 1,
    }  # fmt: skip
    this_week = weeks[monday(datetime.now(UTC)).isoformat()]
    assert (this_week["received"], this_week["resolved_on_time"], this_week["resolved_late"]) == (2, 1, 0)
    assert body["weekly"][0]["week_start"] == monday(start).isoformat()

    # Step: the overdue list holds B then C, most overdue first, with their links.
    overdue = body["overdue"]
    assert [item["id"] for item in overdue["items"]] == [str(seeded.overdue_urgent), str(seeded.unacknowledged)]
    first = overdue["items"][0]
    assert first["code"] == seeded.codes[seeded.overdue_urgent]
    assert first["kind"] == "report"
    assert first["status"] == "acknowledged"
    assert first["agency"] == seeded.agency
    assert first["due_at"] == f"{seeded.day.isoformat()}T15:00:00+07:00"
    assert first["audit_url"] == f"/api/v1/audit/{seeded.overdue_urgent}"
    assert first["history_url"] == f"/dashboard/cases/{seeded.overdue_urgent}"
    assert overdue["items"][1]["due_at"] == f"{(seeded.day + timedelta(days=1)).isoformat()}T09:00:00+07:00"
    assert overdue["more"] is False
    assert overdue["limit"] == 20


def test_filters_narrow_the_cohort(seeded_server: tuple[LiveServer, Seeded]) -> None:
    server, seeded = seeded_server
    today = handle_todays_cases(server, seeded.agency)
    with server.client(Role.OFFICER, OFFICER, seeded.agency) as officer:
        # Step: wait for today's writes once; every read below sees them.
        ok(officer.get("/api/v1/dashboard", params={"position": today.position}))

        # Step: dates are whole Hanoi days, the end day included: day D holds A, B, C and D.
        day = seeded.day.isoformat()
        body = ok(officer.get("/api/v1/dashboard", params={"period_start": day, "period_end": day}))
        assert body["period"]["start"] == f"{day}T00:00:00+07:00"
        assert body["period"]["end"] == f"{(seeded.day + timedelta(days=1)).isoformat()}T00:00:00+07:00"
        figures = body["figures"]
        counts = (figures["received"], figures["resolved"], figures["on_time_rate"], figures["average_rating"])
        assert counts == (4, 2, 0.5, 4.0)
        assert figures["overdue_now"] == 2
        assert figures["reopened"] == 0
        assert [week["received"] for week in body["weekly"]] == [4]

        # Step: a date-time period: from just before today's HTTP cases, E and F only.
        body = ok(officer.get("/api/v1/dashboard", params={"period_start": today.started.isoformat()}))
        assert (body["figures"]["received"], body["figures"]["reopened"], body["figures"]["overdue_now"]) == (2, 1, 0)
        # The overdue list is about now, not the period.
        assert len(body["overdue"]["items"]) == 2

        # Step: a naive date-time is Hanoi time, and an unencoded "+07:00" survives the query string.
        body = ok(officer.get("/api/v1/dashboard?period_start=2026-11-01T08:00&period_end=2026-11-02T08:00:00+07:00"))
        assert body["period"]["start"] == "2026-11-01T08:00:00+07:00"
        assert body["period"]["end"] == "2026-11-02T08:00:00+07:00"

        # Step: by kind: everything here is a report; no dossier, so no rate and no overdue dossier.
        everything = ok(officer.get("/api/v1/dashboard"))["figures"]
        assert ok(officer.get("/api/v1/dashboard", params={"kind": "report"}))["figures"] == everything
        dossiers = ok(officer.get("/api/v1/dashboard", params={"kind": "dossier"}))
        assert dossiers["kind"] == "dossier"
        assert (dossiers["figures"]["received"], dossiers["figures"]["on_time_rate"]) == (0, None)
        assert dossiers["overdue"]["items"] == []

        # Step: staff may name their own agency, never another.
        assert ok(officer.get("/api/v1/dashboard", params={"agency": seeded.agency}))["figures"] == everything
        assert problem(officer.get("/api/v1/dashboard", params={"agency": "SXD"}), 403)["code"] == "forbidden"


def test_auditors_see_any_agency_or_the_whole_city(seeded_server: tuple[LiveServer, Seeded]) -> None:
    server, seeded = seeded_server
    with (
        server.client(Role.AUDITOR, "inspector-01") as auditor,
        server.client(Role.LEADER, "leader-hk", seeded.agency) as leader,
    ):
        position = {"position": seeded.position}
        mine = ok(leader.get("/api/v1/dashboard", params=position))

        # Step: without ?agency= the whole city, with one row per agency that has cases.
        city = ok(auditor.get("/api/v1/dashboard", params=position))
        assert city["agency"] is None
        assert city["viewer"] == {"role": "auditor", "agency": None}
        assert city["figures"]["received"] == 4
        assert [row["agency"]["code"] for row in city["by_agency"]] == [seeded.agency]
        assert city["by_agency"][0]["figures"] == mine["figures"]
        assert city["by_agency"][0]["agency"]["name_en"].endswith("People's Committee")
        assert city["weekly"] == mine["weekly"]
        assert [item["id"] for item in city["overdue"]["items"]] == [item["id"] for item in mine["overdue"]["items"]]

        # Step: one agency by code, the leader's or any other.
        theirs = ok(auditor.get("/api/v1/dashboard", params={**position, "agency": seeded.agency}))
        assert theirs["figures"] == mine["figures"]
        assert theirs["agency"] == mine["agency"]
        other = ok(auditor.get("/api/v1/dashboard", params={**position, "agency": "SXD"}))
        assert other["agency"]["code"] == "SXD"
        assert other["figures"]["received"] == 0
        assert other["overdue"]["items"] == []
        assert other["by_agency"] == []


def test_only_staff_and_auditors_may_read_a_dashboard(seeded_server: tuple[LiveServer, Seeded]) -> None:
    server, seeded = seeded_server
    for role, subject in ((Role.CITIZEN, CITIZEN), (Role.ADMIN, "platform-admin"), (Role.PARTNER, "partner-app")):
        with server.client(role, subject) as client:
            assert problem(client.get("/api/v1/dashboard"), 403)["code"] == "forbidden", role
            assert problem(client.get("/dashboard/chart.svg"), 403)["code"] == "forbidden", role
    with server.client() as anonymous:
        assert problem(anonymous.get("/api/v1/dashboard"), 401)["code"] == "unauthenticated"
        assert problem(anonymous.get("/dashboard/chart.svg"), 401)["code"] == "unauthenticated"
    with server.client(Role.OFFICER, OFFICER, seeded.agency) as officer:
        assert officer.get("/api/v1/dashboard").status_code == 200


INVALID: list[tuple[dict[str, str], str]] = [
    ({"period_start": "2026-13-01"}, "period_start"),
    ({"period_start": "yesterday"}, "period_start"),
    ({"period_end": "2026-11-01T25:00"}, "period_end"),
    ({"period_start": "2026-11-10", "period_end": "2026-11-09"}, "period_end"),
    ({"period_start": "2026-11-10T08:00+07:00", "period_end": "2026-11-10T01:00Z"}, "period_end"),
    ({"period_start": "2024-01-01", "period_end": "2026-01-01"}, "period_start"),
    ({"period_end": "9999-12-31"}, "period_end"),
    ({"period_end": "9999-12-31T23:00Z"}, "period_end"),
    ({"period_start": "0001-01-01"}, "period_start"),
    ({"kind": "survey"}, "kind"),
    ({"agency": "NOPE"}, "agency"),
    ({"position": "-1"}, "position"),
    ({"position": "soon"}, "position"),
]


def test_an_invalid_parameter_is_422_naming_it(seeded_server: tuple[LiveServer, Seeded]) -> None:
    server, _ = seeded_server
    with server.client(Role.AUDITOR, "inspector-01") as auditor:
        for params, field in INVALID:
            for path in ("/api/v1/dashboard", "/dashboard/chart.svg"):
                body = problem(auditor.get(path, params=params), 422)
                assert body["code"] == "validation_error"
                assert list(body["errors"]) == [field], (params, body)


def test_every_bad_parameter_is_named_at_once(seeded_server: tuple[LiveServer, Seeded]) -> None:
    server, _ = seeded_server
    with server.client(Role.AUDITOR, "inspector-01") as auditor:
        params = {"period_start": "x", "kind": "y", "agency": "z", "position": "w"}
        body = problem(auditor.get("/api/v1/dashboard", params=params), 422)
    assert set(body["errors"]) == {"period_start", "kind", "agency", "position"}


# -- the chart ----------------------------------------------------------------------------------


def test_the_chart_draws_the_weekly_series_of_the_same_filter(seeded_server: tuple[LiveServer, Seeded]) -> None:
    server, seeded = seeded_server
    with server.client(Role.LEADER, "leader-hk", seeded.agency) as leader:
        params: dict[str, str | int] = {
            "position": seeded.position,
            "period_start": (seeded.day - timedelta(days=14)).isoformat(),
        }
        weekly = ok(leader.get("/api/v1/dashboard", params=params))["weekly"]
        response = leader.get("/dashboard/chart.svg", params={**params, "lang": "en"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "no-store"
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    bars = [(bar.get("data-week"), bar.get("data-series"), int(bar.get("data-value", "-1")))
            for bar in root.iter(f"{SVG}rect") if bar.get("class") == "bar"]  # fmt: skip
    expected = [
        (week["week_start"], series, week[series])
        for week in weekly for series in ("received", "resolved_on_time", "resolved_late")
    ]  # fmt: skip
    assert bars == expected
    assert "Resolved on time" in response.text
    assert "Hoan Kiem" in response.text
