"""The business portal's journey over real HTTP on SQLite and PostgreSQL (issue #18).

A household business's inquiry written before the server starts through the
embedded library — filed Monday 2026-10-05 09:00, due 10 working days later
(Monday 2026-10-19 09:00), so late by now — and then, over HTTP: another
person of the same business files one more (an invalid tax code is a field
error) and sees both; another business gets 404; the agency answers the late
one, which needs a late explanation; the business consents; staff publish it
anonymised; the public Q&A list and the switchboard's search find it, and no
answer of them carries the person, the tax code or the business's own words;
the on-time answer rate counts it late. Then a consultation collects two
comments (one revised), closes, is refused a synthesis while a comment is
unanswered, and publishes one that answers every comment. Last, a dialogue
session takes the business's question beforehand, turns it into an inquiry
with a deadline at the meeting and publishes its minutes without the business.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import SubmitBusinessInquiry
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from tests.conftest import LOOPBACK_TLS, FakeClock
from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server
from tests.integration.test_deadline_watcher import hanoi

HOUSEHOLD = "0100109106"
OWNER = Principal("vneid:001088000111", Role.BUSINESS, HOUSEHOLD)
BOOKKEEPER = Principal("vneid:001088000222", Role.BUSINESS, HOUSEHOLD)
OTHER = Principal("vneid:001088000333", Role.BUSINESS, "0300588569")
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
OFFICER = Principal("officer-stc", Role.OFFICER, "STC")
LEADER = Principal("leader-stc", Role.LEADER, "STC")
NAME, PHONE = "Trần Thị Canary", "0912 345 678"
TEXT = f"Hộ kinh doanh {NAME} (ĐT {PHONE}) ở Hàng Bạc hỏi mức thuế khoán năm 2027 và cách kê khai doanh thu."
# What no public answer may carry: the people, the tax code, the business's own words.
PERSONAL = (OWNER.subject, BOOKKEEPER.subject, HOUSEHOLD, "0100 109 106", NAME, PHONE, "Hàng Bạc")
QUESTION = "Hộ kinh doanh nộp thuế khoán năm 2027 và kê khai doanh thu như thế nào?"
ANSWER = "Hộ kinh doanh nộp thuế khoán theo thông báo của cơ quan thuế quản lý, kê khai doanh thu mỗi năm một lần."
BASIS = "Thông tư số 40/2021/TT-BTC ngày 01/06/2021 của Bộ Tài chính, Điều 7"


def seed(database_url: str) -> str:
    settings = Settings(database_url=database_url, env="test", secret_key=SECRET)
    app = Ihanoi(settings, clock=FakeClock(hanoi(2026, 10, 5, 9)))
    try:
        command = SubmitBusinessInquiry(
            tax_code=HOUSEHOLD, business_kind=BusinessKind.HOUSEHOLD, topic="tax_fees", text=TEXT
        )
        return str(app.handle(OWNER, command).case_id)
    finally:
        app.close()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def client(server: LiveServer, who: Principal) -> httpx.Client:
    token = server.token(who.role, who.subject, who.agency)
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10, verify=LOOPBACK_TLS
    )


def personal_in(text: str) -> list[str]:
    return [value for value in PERSONAL if value in text]


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_household_business_is_answered_late_published_anonymised_and_a_consultation_is_synthesised(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    late_id = seed(url)
    server = start_server(url, tmp_path / "server.log")
    try:
        with (
            client(server, BOOKKEEPER) as bookkeeper,
            client(server, OTHER) as other,
            client(server, OFFICER) as officer,
            client(server, LEADER) as leader,
        ):
            inquiry_journey(server, late_id, bookkeeper, other, officer, leader)
            consultation_journey(server, officer, leader)
            dialogue_journey(server, bookkeeper)
        assert personal_in(server.log()) == []
    except AssertionError:
        print(server.log())
        raise
    finally:
        stop_server(server)


def inquiry_journey(
    server: LiveServer,
    late_id: str,
    bookkeeper: httpx.Client,
    other: httpx.Client,
    officer: httpx.Client,
    leader: httpx.Client,
) -> None:
    # Step: an invalid tax code is a field error, and nothing is filed.
    body = {
        "tax_code": "0100109107",
        "business_kind": "household",
        "topic": "tax_fees",
        "text": "Hỏi về lệ phí môn bài",
    }
    refused = problem(bookkeeper.post("/api/v1/business-inquiries", json=body), 422)
    assert set(refused["errors"]) == {"tax_code"}
    # Step: the bookkeeper files one more for the same household; it goes to the Department of Finance.
    filed = ok(bookkeeper.post("/api/v1/business-inquiries", json={**body, "tax_code": "0100 109 106"}), 201)
    fresh = ok(bookkeeper.get(f"/api/v1/business-inquiries/{filed['id']}"))
    assert (fresh["agency"], fresh["status"], fresh["business_kind"]) == ("STC", "open", "household")
    assert "20/2008/NĐ-CP" in fresh["clock"]["rule"]["legal_basis"]
    assert fresh["due_at"]
    # Step: every person of the business sees both; another business sees neither (404).
    mine = ok(bookkeeper.get("/api/v1/business-inquiries", params={"position": filed["position"]}))["items"]
    assert {item["case_id"] for item in mine} == {late_id, filed["id"]}
    assert ok(bookkeeper.get(f"/api/v1/business-inquiries/{late_id}"))["text"] == TEXT
    problem(other.get(f"/api/v1/business-inquiries/{late_id}"), 404)
    problem(other.post(f"/api/v1/business-inquiries/{late_id}/follow-up", json={"text": "?"}), 404)
    assert ok(other.get("/api/v1/business-inquiries"))["items"] == []
    # Step: the agency's business worklist holds both; it answers the late one: without an explanation 422.
    work = ok(officer.get("/api/v1/business-inquiries", params={"position": filed["position"]}))["items"]
    assert {item["case_id"] for item in work} == {late_id, filed["id"]}
    path = f"/api/v1/business-inquiries/{late_id}"
    refused = problem(officer.post(f"{path}/answer", json={"answer": ANSWER, "legal_basis": BASIS}), 422)
    assert "late_explanation" in refused["errors"]
    assert ok(bookkeeper.get(path))["status"] == "open"
    late = {"answer": ANSWER, "legal_basis": BASIS, "late_explanation": "Phải xin ý kiến Cục Thuế về mức khoán mới"}
    ok(officer.post(f"{path}/answer", json=late))
    answered = ok(bookkeeper.get(path))
    assert (answered["status"], answered["answered_late"]) == ("answered", True)
    # Step: publication waits for the business's consent; the published Q&A may not carry the tax code.
    assert problem(officer.post(f"{path}/publish", json={"question": QUESTION}), 409)["code"] == "rule_violation"
    ok(bookkeeper.post(f"{path}/consent"))
    problem(officer.post(f"{path}/publish", json={"question": f"Hộ {HOUSEHOLD}: {QUESTION}"}), 409)
    published = ok(officer.post(f"{path}/publish", json={"question": QUESTION}))
    ok(bookkeeper.post(f"{path}/rate", json={"stars": 4}))
    # Step: the public Q&A and the switchboard's search find it, with nothing personal.
    position = {"position": published["position"]}
    with httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS) as public:
        qa = public.get("/public/business-qa", params=position)
        assert [item["question"] for item in ok(qa)["items"]] == [QUESTION]
        found = public.get("/public/faq", params={"q": "thuế khoán hộ kinh doanh kê khai", **position})
        cited = [hit["citation"] for hit in ok(found)["items"] if hit["citation"]["kind"] == "business_answer"]
        assert [citation["ref"] for citation in cited] == [answered["code"]]
        one = public.get(cited[0]["url"], params=position)
        assert ok(one)["answer"] == ANSWER
        problem(public.get("/public/business-qa/DN-000000-000000"), 404)
        for answer in (qa, found, one):
            assert personal_in(answer.text) == [], answer.request.url
    # Step: the dashboard's on-time answer rate counts it late.
    rates = ok(leader.get("/api/v1/business-inquiries/answer-rates", params=position))["agencies"]
    assert [(r["agency"], r["answered"], r["late"], r["on_time_rate"]) for r in rates] == [("STC", 1, 1, 0.0)]
    dashboard = ok(leader.get("/api/v1/dashboard", params=position))["business_answers"]
    assert [(r["agency"], r["answered"], r["late"], r["open"]) for r in dashboard] == [("STC", 1, 1, 1)]


def consultation_journey(server: LiveServer, officer: httpx.Client, leader: httpx.Client) -> None:
    now = datetime.now(UTC)
    draft = {
        "title": "Dự thảo quy định hỗ trợ hộ kinh doanh",
        "summary": "Lấy ý kiến doanh nghiệp và người dân",
        "document_url": "https://hanoi.gov.vn/du-thao.pdf",
        "document_sha256": "ab" * 32,
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(seconds=6)).isoformat(),
    }
    opened = ok(officer.post("/api/v1/consultations", json=draft), 201)
    path = f"/api/v1/consultations/{opened['id']}"
    with client(server, OWNER) as business, client(server, CITIZEN) as citizen:
        ok(business.post(f"{path}/comment", json={"text": f"{NAME}: đề nghị miễn phí năm đầu", "section": "Điều 3"}))
        ok(citizen.post(f"{path}/comment", json={"text": "Nên công khai danh sách"}))
        problem(citizen.post(f"{path}/comment", json={"text": "?"}, headers={"If-Match": '"1"'}), 422)
        ok(citizen.post(f"{path}/comment", json={"text": "Nên công khai danh sách hộ được hỗ trợ"}))  # a revision
        assert [c["text"] for c in ok(citizen.get(f"{path}/comments"))["items"]] == [
            "Nên công khai danh sách hộ được hỗ trợ"
        ]
        assert ok(citizen.get(path))["comments"] == 2  # a count, not who
        # Step: it closes at the announced end; then no more comments.
        problem(officer.post(f"{path}/close"), 409)
        time.sleep(max(0.0, (datetime.fromisoformat(draft["closes_at"]) - datetime.now(UTC)).total_seconds()) + 0.5)
        ok(officer.post(f"{path}/close"))
        problem(citizen.post(f"{path}/comment", json={"text": "muộn"}), 409)
    comments = ok(officer.get(f"{path}/comments"))["items"]
    assert [(c["number"], c["revisions"]) for c in comments] == [(1, 0), (2, 1)]
    # Step: each comment answered; the synthesis is refused while one is not.
    answer_one = {
        "number": 1,
        "summary": "Đề nghị miễn phí năm đầu",
        "outcome": "accepted",
        "reply": "Tiếp thu, sửa Điều 3",
    }
    ok(officer.post(f"{path}/answer-comment", json=answer_one))
    synthesis = {"summary": "Báo cáo tiếp thu, giải trình ý kiến góp ý dự thảo"}
    assert problem(leader.post(f"{path}/publish-synthesis", json=synthesis), 409)["code"] == "rule_violation"
    answer_two = {
        "number": 2,
        "summary": "Đề nghị công khai danh sách",
        "outcome": "explained",
        "reply": "Giải trình: danh sách có dữ liệu cá nhân, chỉ công khai số lượng",
    }
    ok(officer.post(f"{path}/answer-comment", json=answer_two))
    done = ok(leader.post(f"{path}/publish-synthesis", json=synthesis))
    with httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS) as public:
        page = public.get(f"/public/consultations/{opened['code']}", params={"position": done["position"]})
        report = ok(page)
        assert (report["status"], report["comments"], report["synthesis"]) == (
            "synthesis_published",
            2,
            synthesis["summary"],
        )
        assert [(a["number"], a["outcome"]) for a in report["answers"]] == [(1, "accepted"), (2, "explained")]
        assert personal_in(page.text) == []
        assert "Nên công khai danh sách hộ" not in page.text
        listed = ok(public.get("/public/consultations", params={"position": done["position"]}))["items"]
        assert [(item["code"], item["status"]) for item in listed] == [(opened["code"], "synthesis_published")]


def dialogue_journey(server: LiveServer, bookkeeper: httpx.Client) -> None:
    chair = Principal("leader-ubnd", Role.LEADER, "UBND_TP")
    held_at = datetime.now(UTC) + timedelta(seconds=3)
    with client(server, chair) as leader:
        body = {"title": "Đối thoại doanh nghiệp quý IV", "chair": "Chủ tịch UBND Thành phố",
                "participants": ["STC"], "held_at": held_at.isoformat(), "place": "Hội trường"}  # fmt: skip
        session = ok(leader.post("/api/v1/dialogue-sessions", json=body), 201)
        path = f"/api/v1/dialogue-sessions/{session['id']}"
        ok(bookkeeper.post(f"{path}/register-question", json={"text": "Hoàn thuế giá trị gia tăng chậm"}))
        time.sleep(max(0.0, (held_at - datetime.now(UTC)).total_seconds()) + 0.5)
        ok(leader.post(f"{path}/held"))
        ok(leader.post(f"{path}/refer", json={"number": 1, "agency": "STC", "topic": "tax_fees"}))
        inquiry = ok(leader.get(path))["questions"][0]["inquiry"]
        done = ok(leader.post(f"{path}/publish-minutes", json={"minutes": "Biên bản hội nghị"}))
    # The business finds the inquiry its question became among its own.
    mine = ok(bookkeeper.get("/api/v1/business-inquiries", params={"position": done["position"], "all": "true"}))
    assert inquiry in {item["code"] for item in mine["items"]}
    with httpx.Client(base_url=server.base_url, timeout=10, verify=LOOPBACK_TLS) as public:
        page = public.get(f"/public/dialogue-sessions/{session['code']}", params={"position": done["position"]})
        minutes = ok(page)
        assert (minutes["status"], minutes["questions"][0]["inquiry"]) == ("minutes_published", inquiry)
        assert personal_in(page.text) == []
        listed = ok(public.get("/public/dialogue-sessions", params={"position": done["position"]}))["items"]
        assert [(item["code"], item["title"]) for item in listed] == [(session["code"], body["title"])]
