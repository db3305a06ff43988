"""The Q&A switchboard through the real server on SQLite and PostgreSQL: the
walk-through of docs/questions.md — a question answered with its citations,
one handed off onto the agency's worklist and answered by staff, feedback,
an article drafted, approved by a leader and published then found by the
public FAQ search — and bad input refused with a precise problem, nothing
stored. Both tests share one server per store (``module_server``); the bad
input comes from a citizen with no earlier case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer

CITIZEN = "vneid:001099012345"
NEWCOMER = "vneid:001099077777"  # no case before the test that checks nothing is stored


@pytest.fixture
def people(module_server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    clients = {
        "citizen": module_server.client(Role.CITIZEN, CITIZEN),
        "desk": module_server.client(Role.OFFICER, "officer-desk", "TTPVHCC"),
        "officer": module_server.client(Role.OFFICER, "officer-catp", "CATP"),
        "leader": module_server.client(Role.LEADER, "leader-catp", "CATP"),
        "public": module_server.client(),
        "newcomer": module_server.client(Role.CITIZEN, NEWCOMER),
    }
    yield clients
    for client in clients.values():
        client.close()


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_walk_through_ask_hand_off_answer_feedback_and_faq(
    module_server: LiveServer, people: dict[str, httpx.Client]
) -> None:
    citizen, desk, officer, leader, public = (people[n] for n in ("citizen", "desk", "officer", "leader", "public"))

    # Step: a fee question, typed without diacritics, is answered at once from the catalogue.
    answered = ok(citizen.post("/api/v1/questions", json={"text": "phi dang ky ho kinh doanh bao nhieu"}), 201)
    assert answered["handed_off"] is False
    assert answered["citations"][0]["ref"] == "business_household_registration"
    assert "100.000 đồng" in answered["citations"][0]["quote"]
    assert answered["citations"][0]["quote"] in answered["answer"]
    ok(citizen.post(f"/api/v1/questions/{answered['id']}/feedback", json={"helpful": True}))

    # Step: a question nobody's source answers is handed off with a due time, onto the desk's worklist.
    handed = ok(citizen.post("/api/v1/questions", json={"text": "thủ tục làm hộ chiếu", "channel": "web"}), 201)
    assert (handed["handed_off"], handed["answer"], handed["citations"]) == (True, None, [])
    assert handed["agency"] == "TTPVHCC"
    assert handed["due_at"] is not None
    work = ok(desk.get("/api/v1/worklist", params={"position": handed["position"]}))
    assert [item["code"] for item in work["items"]] == [handed["code"]]
    assert work["items"][0]["summary"] == "question"  # the question's text is the asker's, not the worklist's
    assert ok(desk.get(f"/api/v1/questions/{handed['id']}"))["text"] == "thủ tục làm hộ chiếu"
    ok(desk.post(f"/api/v1/questions/{handed['id']}/answer",
                 json={"answer": "Nộp hồ sơ tại công an.", "legal_basis": "Luật Xuất nhập cảnh"}))  # fmt: skip
    assert ok(citizen.get(f"/api/v1/questions/{handed['id']}"))["status"] == "answered_by_staff"

    # Step: an officer relaying a hotline call reads the answer out, though the question is not theirs.
    relayed_response = officer.post(
        "/api/v1/questions", json={"text": "lý lịch tư pháp mất bao lâu", "channel": "hotline"}
    )
    relayed = ok(relayed_response, 201)
    assert relayed["handed_off"] is False
    assert relayed["citations"][0]["field"] == "processing"
    assert officer.get(f"/api/v1/questions/{relayed['id']}").status_code == 404
    # No Location points the officer there; the citizen's own question has one.
    assert "location" not in relayed_response.headers
    asked = citizen.post("/api/v1/questions", json={"text": "lý lịch tư pháp mất bao lâu"})
    assert ok(citizen.get(asked.headers["location"]))["id"] == ok(asked, 201)["id"]

    # Step: an article drafted by an officer, approved by the leader, published, found by the public.
    draft = ok(officer.post("/api/v1/knowledge", json={
        "title": "Đổi giấy phép lái xe", "text": "Đổi giấy phép lái xe tại cơ quan công an.",
        "legal_basis": "unverified: test", "source": "https://dichvucong.gov.vn", "keywords": ["gplx"],
    }), 201)  # fmt: skip
    assert officer.post(f"/api/v1/knowledge/{draft['id']}/approve").status_code == 403
    ok(leader.post(f"/api/v1/knowledge/{draft['id']}/approve"))
    published = ok(officer.post(f"/api/v1/knowledge/{draft['id']}/publish"))
    found = ok(public.get("/public/faq", params={"q": "đổi gplx ở đâu", "position": published["position"]}))
    assert found["items"][0]["citation"]["ref"] == draft["code"]
    # Step: every citation says where anyone can read its source, and the source holds the quote.
    article = ok(public.get(found["items"][0]["citation"]["url"]))
    assert found["items"][0]["citation"]["quote"] in article["body"]
    procedure = ok(public.get(answered["citations"][0]["url"]))
    assert procedure["fee"] == 100_000
    assert public.get("/public/knowledge/BV-000000-000000").status_code == 404
    assert CITIZEN not in str(found)


def test_bad_questions_are_refused_precisely_and_nothing_is_stored(
    module_server: LiveServer, people: dict[str, httpx.Client]
) -> None:
    citizen, public = people["newcomer"], people["public"]
    for body, status in (({"text": ""}, 422), ({"text": 5}, 422), ({"txt": "x"}, 422),
                         ({"text": "x", "channel": "fax"}, 422), ({"text": "x" * 2001}, 422)):  # fmt: skip
        response = citizen.post("/api/v1/questions", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (
        citizen.post("/api/v1/questions", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    )
    assert public.post("/api/v1/questions", json={"text": "khai sinh"}).status_code == 401
    assert public.get("/public/faq").status_code == 422
    assert public.get("/public/faq", params={"q": "x" * 501}).status_code == 422
    assert ok(citizen.get("/api/v1/me/cases"))["items"] == []
