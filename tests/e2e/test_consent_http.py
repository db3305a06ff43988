"""Consent over real HTTP, on SQLite and PostgreSQL: a citizen gives, reads,
withdraws and gives again their consent; nobody else may; an unknown purpose
and withdrawing what was never given are problems; their data export holds
the consents, and after their erasure nothing of them answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer

SUBJECT = "vneid:079301234599"
CHANNEL = "sms:0987001299"
GRANT = {"grant": True, "reason": "Yêu cầu của chủ thể dữ liệu", "legal_basis": "Luật 91/2025/QH15"}
PATH = "/api/v1/me/consents"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def clients(live_server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    with ExitStack() as stack:
        yield {
            "citizen": stack.enter_context(live_server.client(Role.CITIZEN, SUBJECT)),
            "officer": stack.enter_context(live_server.client(Role.OFFICER, "officer-hk", "UBND_HOAN_KIEM")),
            "dpo": stack.enter_context(live_server.client(Role.DPO, "dpo-01")),
        }


def test_a_citizen_gives_withdraws_and_gives_again_and_an_erasure_ends_it(clients: dict[str, httpx.Client]) -> None:
    citizen, officer, dpo = clients["citizen"], clients["officer"], clients["dpo"]
    assert ok(citizen.get(PATH)) == [
        {"purpose": "notifications", "status": None, "notice_version": None, "channel": None, "history": []},
        {"purpose": "survey_identity", "status": None, "notice_version": None, "channel": None, "history": []},
    ]
    # Step: problems, as problem+json.
    never = citizen.delete(f"{PATH}/notifications")
    assert never.status_code == 409
    assert never.headers["content-type"].startswith("application/problem+json")
    assert never.json()["code"] == "consent_not_given"
    unknown = citizen.put(f"{PATH}/marketing", json={"notice_version": "2026-01"})
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert officer.put(f"{PATH}/notifications", json={"notice_version": "2026-01"}).status_code == 403
    assert citizen.put(f"{PATH}/notifications", json={}).status_code == 422
    blank = citizen.put(f"{PATH}/notifications", json={"notice_version": "\u00a0"})  # white space alone
    assert (blank.status_code, list(blank.json()["errors"])) == (422, ["notice_version"])

    # Step: give (twice: the second records nothing), withdraw, give again.
    given = ok(citizen.put(f"{PATH}/notifications", json={"notice_version": "2026-01", "channel": CHANNEL}))
    assert (given["status"], given["changed"], given["consent"]["channel"]) == ("given", True, CHANNEL)
    same = ok(citizen.put(f"{PATH}/notifications", json={"notice_version": "2026-01", "channel": CHANNEL}))
    assert (same["changed"], same["position"]) == (False, None)
    withdrawn = ok(citizen.delete(f"{PATH}/notifications", params={"reason": "Quá nhiều tin nhắn"}))
    assert (withdrawn["status"], withdrawn["changed"]) == ("withdrawn", True)
    assert ok(citizen.delete(f"{PATH}/notifications"))["changed"] is False
    ok(citizen.put(f"{PATH}/notifications", json={"notice_version": "2026-02"}))
    view = ok(citizen.get(PATH))[0]
    assert view["status"] == "given"
    assert [(entry["event"], entry["notice_version"]) for entry in view["history"]] == [
        ("given", "2026-01"),
        ("withdrawn", None),
        ("given", "2026-02"),
    ]

    # Step: the export holds them.
    mine = ok(citizen.get("/api/v1/me/data"))
    assert [consent["purpose"] for consent in mine["consents"]] == ["notifications"]
    assert CHANNEL in str(mine)

    # Step: erased, nothing of them answers; they may consent again.
    asked = ok(citizen.post("/api/v1/me/erasure-requests", json={"reason": "Tôi không dùng nữa"}), 201)
    assert ok(dpo.post(f"/api/v1/erasure-requests/{asked['id']}/decision", json=GRANT))["status"] == "erased"
    assert [view["status"] for view in ok(citizen.get(PATH))] == [None, None]
    after = ok(citizen.get("/api/v1/me/data"))
    assert after["consents"] == []
    assert CHANNEL not in str(after)
    assert SUBJECT not in str(after)
    assert ok(citizen.put(f"{PATH}/survey_identity", json={"notice_version": "2026-02"}))["changed"] is True
