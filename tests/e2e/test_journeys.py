"""Journeys over real HTTP, on SQLite and PostgreSQL: each kind of case from the
citizen's filing through the agency's handling to its end, the citizen
following every change in ``GET /me/cases?position=N`` with the ``position``
the write returned (read-your-writes through the projections).

The server runs on the real clock; every deadline asserted here is relative
(later than, equal to what was set), never a hand-computed date.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
WARD = "HOAN_KIEM"
AGENCY = "UBND_HOAN_KIEM"  # the ward People's Committee: complaints about it, dossiers filed in the ward
CITIZEN = "vneid:001099012345"
OFFICER = "officer-hk"
APPLICANT = {"name": "Nguyễn Văn An", "national_id": "001099012345", "phone": "0912345678"}
FORM = {"name": "Tờ khai đăng ký kết hôn", "url": "https://files.example/to-khai.pdf", "sha256": "a" * 64}
MISSING = "Giấy xác nhận tình trạng hôn nhân"


class Clients:
    """One HTTP client per person in the story, closed at the end."""

    def __init__(self, server: LiveServer, stack: ExitStack) -> None:
        self.citizen = stack.enter_context(server.client(Role.CITIZEN, CITIZEN))
        self.other_citizen = stack.enter_context(server.client(Role.CITIZEN, "vneid:001099099999"))
        self.officer = stack.enter_context(server.client(Role.OFFICER, OFFICER, AGENCY))
        self.colleague = stack.enter_context(server.client(Role.OFFICER, "officer-hk-2", AGENCY))
        self.leader = stack.enter_context(server.client(Role.LEADER, "leader-hk", AGENCY))
        self.auditor = stack.enter_context(server.client(Role.AUDITOR, "inspector-01"))


@pytest.fixture
def people(module_server: LiveServer) -> Iterator[Clients]:
    """The people on the module's server: each journey follows cases of its own."""
    with ExitStack() as stack:
        yield Clients(module_server, stack)


@pytest.fixture
def people_on_a_fresh_server(live_server: LiveServer) -> Iterator[Clients]:
    """The people on a server of the test's own, for whole-list assertions."""
    with ExitStack() as stack:
        yield Clients(live_server, stack)


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def act(client: httpx.Client, path: str, body: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    return ok(client.post(path, json=body) if body is not None else client.post(path), status)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def my_case(citizen: httpx.Client, write: dict[str, Any]) -> dict[str, Any]:
    """The citizen's row for the case ``write`` changed, read after that write."""
    page = ok(citizen.get("/api/v1/me/cases", params={"position": write["position"]}))
    rows = [row for row in page["items"] if row["case_id"] == write["id"]]
    assert len(rows) == 1, page
    assert rows[0]["version"] == write["version"]
    row: dict[str, Any] = rows[0]
    return row


def moment(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() is not None, f"{text} has no offset"
    return parsed


def test_a_complaint_is_accepted_verified_extended_decided_and_complained_about_again(people: Clients) -> None:
    # Step: the citizen files a complaint about a ward decision of ten days ago;
    # a retry with the same Idempotency-Key answers the same case.
    decided_on = datetime.now(HANOI).date() - timedelta(days=10)
    filing = {
        "kind": "complaint",
        "subject": "Quyết định thu hồi đất số 12/QĐ-UBND",
        "content": "Tôi không đồng ý với mức bồi thường.",
        "respondent_agency": AGENCY,
        "ward": WARD,
        "complainant": {"name": "Nguyễn Văn An", "national_id": "001099012345", "phone": "0912345678"},
        "decision_date": decided_on.isoformat(),
    }
    created = people.citizen.post("/api/v1/complaints", json=filing, headers={"Idempotency-Key": "kn-2026-1"})
    filed = ok(created, 201)
    assert created.headers["location"] == f"/api/v1/complaints/{filed['id']}"
    assert filed["code"].startswith("KN-")
    retried = people.citizen.post("/api/v1/complaints", json=filing, headers={"Idempotency-Key": "kn-2026-1"})
    assert ok(retried)["id"] == filed["id"]
    assert my_case(people.citizen, filed)["status"] == "filed"
    case = f"/api/v1/complaints/{filed['id']}"

    # Step: a stale If-Match is refused; the leader accepts it (thụ lý) and the citizen sees it.
    stale = people.leader.post(f"{case}/accept", headers={"If-Match": '"7"'})
    assert problem(stale, 412)["current_version"] == 1
    accepted = act(people.leader, f"{case}/accept")
    row = my_case(people.citizen, accepted)
    assert row["status"] == "accepted"
    due_when_accepted = moment(row["due_at"])

    # Step: the leader names the handler, who starts verifying.
    act(people.leader, f"{case}/assign", {"assignee": OFFICER})
    verifying = act(people.officer, f"{case}/start-verification")
    row = my_case(people.citizen, verifying)
    assert (row["status"], row["assignee"]) == ("verifying", OFFICER)

    # Step: the case is complex: the leader extends it to the longer period.
    extended = act(people.leader, f"{case}/extend", {"reason": "Vụ việc phức tạp, nhiều hộ liên quan."})
    assert moment(my_case(people.citizen, extended)["due_at"]) > due_when_accepted

    # Step: a dialogue is held and the citizen reads a progress note.
    act(people.officer, f"{case}/hold-dialogue", {"summary": "Đối thoại ngày 5/12, hai bên giữ ý kiến."})
    noted = act(people.officer, f"{case}/comment", {"note": "Đang dự thảo quyết định giải quyết."})
    row = my_case(people.citizen, noted)
    assert (row["status"], row["public_note"]) == ("dialogue", "Đang dự thảo quyết định giải quyết.")

    # Step: the leader decides; no clock runs any more; the file is closed.
    decided = act(people.leader, f"{case}/decide", {"decision": "Giữ nguyên quyết định thu hồi đất."})
    row = my_case(people.citizen, decided)
    assert (row["status"], row["due_at"]) == ("decided", None)
    closed = act(people.officer, f"{case}/close")
    assert my_case(people.citizen, closed)["status"] == "closed"
    by_code = ok(people.citizen.get(f"/api/v1/complaints/{filed['code']}"))
    assert by_code["decision"] == "Giữ nguyên quyết định thu hồi đất."

    # Step: unconvinced, the citizen files a second-time complaint about that decision.
    second = ok(
        people.citizen.post(
            "/api/v1/complaints",
            json={**filing, "decision_date": None, "first_case": filed["code"], "subject": "Khiếu nại lần hai"},
        ),
        201,
    )
    assert ok(people.citizen.get(f"/api/v1/complaints/{second['id']}"))["first_case_code"] == filed["code"]
    newest = ok(people.citizen.get("/api/v1/me/cases", params={"position": second["position"]}))["items"]
    assert [row["case_id"] for row in newest[:2]] == [second["id"], filed["id"]]


def test_a_denunciation_runs_to_its_conclusion_with_the_denouncer_sealed(people: Clients) -> None:
    # Step: the citizen denounces an official, identified in full as the law requires.
    filed = act(
        people.citizen,
        "/api/v1/complaints",
        {
            "kind": "denunciation",
            "subject": "Cán bộ địa chính nhận tiền để hợp thức hóa hồ sơ",
            "content": "Ngày 3/11 tại trụ sở phường …",
            "respondent_agency": AGENCY,
            "ward": WARD,
            "complainant": {"name": "Trần Thị Bình", "national_id": "001199000111", "phone": "0987654321"},
        },
        status=201,
    )
    assert filed["code"].startswith("TC-")
    row = my_case(people.citizen, filed)
    assert (row["kind"], row["status"]) == ("denunciation", "preliminary_check")
    case = f"/api/v1/complaints/{filed['id']}"

    # Step: the leader extends the preliminary check once, then accepts.
    extended = act(people.leader, f"{case}/extend-preliminary-check", {"reason": "Cần xác minh thêm nguồn tin."})
    assert moment(my_case(people.citizen, extended)["due_at"]) > moment(row["due_at"])
    assert my_case(people.citizen, act(people.leader, f"{case}/accept"))["status"] == "accepted"

    # Step: once assigned, the handler and the leader read the denouncer; a
    # colleague and the inspectorate see only a pseudonym.
    act(people.leader, f"{case}/assign", {"assignee": OFFICER})
    for reader in (people.officer, people.leader, people.citizen):
        assert ok(reader.get(case))["complainant"]["name"] == "Trần Thị Bình"
    for reader in (people.colleague, people.auditor):
        sealed = ok(reader.get(case))
        assert str(sealed["complainant"]).startswith("Người tố cáo #")
        assert sealed["owner"] is None

    # Step: verification; the leader extends twice, and a third time is refused.
    act(people.officer, f"{case}/start-verification")
    for _ in range(2):
        # Law on Denunciations Art. 30(3): twice only when especially complex.
        act(
            people.leader,
            f"{case}/extend",
            {"reason": "Vụ việc đặc biệt phức tạp.", "complexity": "especially_complex"},
        )
    third = people.leader.post(f"{case}/extend", json={"reason": "Lần thứ ba.", "complexity": "especially_complex"})
    assert problem(third, 409)["code"] == "rule_violation"

    # Step: the leader concludes, the file is closed, and the citizen sees it.
    concluded = act(people.leader, f"{case}/conclude", {"conclusion": "Nội dung tố cáo đúng một phần."})
    assert my_case(people.citizen, concluded)["status"] == "concluded"
    assert my_case(people.citizen, act(people.officer, f"{case}/close"))["status"] == "closed"


def test_a_dossier_goes_from_submission_through_supplement_payment_and_apology_to_rating(
    module_server: LiveServer, people: Clients
) -> None:
    # Step: the citizen files a marriage registration in the ward.
    submitted = act(
        people.citizen,
        "/api/v1/service-requests",
        {"procedure": "marriage_registration", "ward": WARD, "applicant": APPLICANT, "documents": [FORM]},
        status=201,
    )
    assert submitted["code"].startswith("HS-")
    row = my_case(people.citizen, submitted)
    assert (row["kind"], row["status"], row["agency"]) == ("dossier", "submitted", AGENCY)
    case = f"/api/v1/service-requests/{submitted['id']}"

    # Step: one thing is missing: the clock pauses until the citizen supplies it.
    paused = act(people.officer, f"{case}/request-supplement", {"missing": [MISSING]})
    row = my_case(people.citizen, paused)
    assert (row["status"], row["due_at"]) == ("supplement_requested", None)
    assert MISSING in row["public_note"]
    document = {"name": MISSING, "url": "https://files.example/xac-nhan.pdf", "sha256": "b" * 64}
    supplied = act(people.citizen, f"{case}/supplement", {"documents": [document]})
    assert my_case(people.citizen, supplied)["status"] == "submitted"

    # Step: the ward receives it (the appointment date is set) and processing starts.
    received = act(people.officer, f"{case}/receive")
    appointment = moment(my_case(people.citizen, received)["due_at"])
    act(people.leader, f"{case}/assign", {"assignee": OFFICER})
    processing = act(people.officer, f"{case}/start-processing")
    assert my_case(people.citizen, processing)["status"] == "processing"

    # Step: the dossier is on the officer's own worklist, not overdue.
    work = ok(people.officer.get("/api/v1/worklist", params={"assignee": "me", "position": processing["position"]}))
    [item] = [item for item in work["items"] if item["case_id"] == submitted["id"]]
    assert (item["status"], item["assignee"], item["overdue"]) == ("processing", OFFICER, False)
    assert isinstance(item["near_due"], bool)

    # Step: a fee in whole đồng is asked for and paid.
    awaiting = act(people.officer, f"{case}/request-payment", {"amount": 200_000, "note": "Lệ phí bản sao"})
    assert my_case(people.citizen, awaiting)["status"] == "awaiting_payment"
    assert ok(people.citizen.get(case))["amount_due"] == 200_000
    assert (
        my_case(people.citizen, act(people.officer, f"{case}/confirm-payment", {"reference": "BL-0042"}))["status"]
        == "processing"
    )

    # Step: the Department of Justice checks one step (liên thông) and returns it.
    forwarded = act(people.officer, f"{case}/forward", {"to_agency": "STP", "working_days": 1, "note": "Xác minh"})
    assert my_case(people.citizen, forwarded)["status"] == "forwarded"
    with module_server.client(Role.OFFICER, "officer-stp", "STP") as partner_agency:
        returned = act(partner_agency, f"{case}/return", {"note": "Đã xác minh."})
    assert my_case(people.citizen, returned)["status"] == "processing"

    # Step: a delay is foreseen: the leader apologises with a new appointment —
    # a datetime without offset is refused, one with an offset is kept exactly.
    naive = people.leader.post(f"{case}/apologize", json={"reason": "Chờ xác minh", "new_due": "2030-01-02T10:00:00"})
    assert "new_due" in problem(naive, 422)["errors"]
    new_due = (appointment + timedelta(days=14)).astimezone(HANOI).replace(microsecond=0)
    apologised = act(people.leader, f"{case}/apologize", {"reason": "Chờ xác minh", "new_due": new_due.isoformat()})
    assert moment(my_case(people.citizen, apologised)["due_at"]) == new_due

    # Step: the result is ready, handed over, and the citizen rates it — once.
    ready = act(people.officer, f"{case}/mark-result-ready", {"note": "Mời nhận Giấy chứng nhận kết hôn."})
    assert my_case(people.citizen, ready)["status"] == "result_ready"
    # An apologised dossier missed its appointment: handing the result over
    # needs a late explanation (giải trình, issue #16), which the citizen reads.
    assert "late_explanation" in problem(people.officer.post(f"{case}/return-result", json={}), 422)["errors"]
    act(people.officer, f"{case}/return-result", {"late_explanation": "Chờ xác minh nơi cư trú"})
    assert ok(people.citizen.get(case))["late_explanation"] == "Chờ xác minh nơi cư trú"
    rated = act(people.citizen, f"{case}/rate", {"stars": 5, "comment": "Nhanh, chu đáo."})
    assert my_case(people.citizen, rated)["status"] == "result_returned"
    assert ok(people.citizen.get(case))["rating"] == 5
    assert problem(people.citizen.post(f"{case}/rate", json={"stars": 4}), 409)["code"] == "rule_violation"


def test_a_survey_is_published_answered_once_per_citizen_and_its_results_published(module_server: LiveServer) -> None:
    with ExitStack() as stack:
        leader = stack.enter_context(module_server.client(Role.LEADER, "leader-sxd", "SXD"))
        officer = stack.enter_context(module_server.client(Role.OFFICER, "officer-sxd", "SXD"))
        first = stack.enter_context(module_server.client(Role.CITIZEN, "vneid:001099000001"))
        second = stack.enter_context(module_server.client(Role.CITIZEN, "vneid:001099000002"))

        # Step: the leader drafts a survey; the officer sets its questions; citizens cannot see a draft.
        drafted = act(leader, "/api/v1/surveys", {"title": "Vỉa hè phố cổ", "description": "Ý kiến người dân"}, 201)
        survey = f"/api/v1/surveys/{drafted['id']}"
        questions = [
            {"id": "district", "text": "Bạn sống ở đâu?", "type": "single_choice", "required": True,
             "options": ["Ba Đình", "Hoàn Kiếm"]},
            {"id": "satisfaction", "text": "Mức độ hài lòng?", "type": "rating", "required": True},
            {"id": "ideas", "text": "Góp ý", "type": "free_text"},
        ]  # fmt: skip
        act(officer, f"{survey}/questions", {"questions": questions})
        assert problem(first.get(survey), 404)["code"] == "case_not_found"

        # Step: the leader publishes it for a day; citizens read it and it takes answers.
        now = datetime.now(UTC)
        opens, closes = now - timedelta(minutes=1), now + timedelta(days=1)
        act(leader, f"{survey}/publish", {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()})
        shown = ok(first.get(survey))
        assert (shown["status"], shown["accepting_answers"]) == ("published", True)
        assert [q["id"] for q in shown["questions"]] == ["district", "satisfaction", "ideas"]

        # Step: two citizens answer; a second answer from the first is refused.
        def answer(stars: int) -> dict[str, Any]:
            district = {"question_id": "district", "choices": ["Hoàn Kiếm"]}
            return {"answers": [district, {"question_id": "satisfaction", "rating": stars}]}

        response = act(first, f"{survey}/responses", answer(4), 201)
        assert (response["kind"], response["code"]) == ("survey_response", drafted["code"])
        act(second, f"{survey}/responses", answer(2), 201)
        again = first.post(f"{survey}/responses", json=answer(5))
        assert problem(again, 409)["code"] == "already_answered"

        # Step: before publication the results are the agency's, not the citizens'.
        last = act(leader, f"{survey}/close")
        early = first.get(f"{survey}/results", params={"position": last["position"]})
        assert problem(early, 403)["code"] == "forbidden"
        internal = ok(officer.get(f"{survey}/results", params={"position": last["position"]}))
        assert internal["responses"] == 2

        # Step: the leader publishes the results; every citizen reads the tallies.
        published = act(leader, f"{survey}/publish-results", {"summary": "Đa số hài lòng."})
        results = ok(second.get(f"{survey}/results", params={"position": published["position"]}))
        assert (results["status"], results["responses"]) == ("results_published", 2)
        district, satisfaction, ideas = results["questions"]
        assert district["options"] == [{"option": "Ba Đình", "count": 0}, {"option": "Hoàn Kiếm", "count": 2}]
        assert (satisfaction["distribution"], satisfaction["average"]) == ([0, 1, 0, 1, 0], 3.0)
        assert ideas["answers"] == 0


def test_my_cases_come_newest_first_a_page_at_a_time_with_an_opaque_cursor(people_on_a_fresh_server: Clients) -> None:
    people = people_on_a_fresh_server
    # Step: the citizen files three complaints.
    filed = [
        act(
            people.citizen,
            "/api/v1/complaints",
            {"kind": "complaint", "subject": f"Khiếu nại {n}", "content": "…", "respondent_agency": AGENCY,
             "ward": WARD, "complainant": {"name": "Nguyễn Văn An"}},
            201,
        )
        for n in range(3)
    ]  # fmt: skip

    # Step: pages of two, newest first, until next_cursor is null.
    first = ok(people.citizen.get("/api/v1/me/cases", params={"limit": 2, "position": filed[-1]["position"]}))
    assert [row["case_id"] for row in first["items"]] == [filed[2]["id"], filed[1]["id"]]
    rest = ok(people.citizen.get("/api/v1/me/cases", params={"limit": 2, "cursor": first["next_cursor"]}))
    assert ([row["case_id"] for row in rest["items"]], rest["next_cursor"]) == ([filed[0]["id"]], None)

    # Step: another citizen's list is their own (empty).
    assert ok(people.other_citizen.get("/api/v1/me/cases"))["items"] == []

    # Step: a forged or foreign cursor and an out-of-range limit are 422.
    for params in ({"cursor": "not-a-cursor"}, {"cursor": "eyJvZiI6IndvcmtsaXN0Iiwia2V5IjoxLCJpZCI6IngifQ"},
                   {"limit": 0}, {"limit": 101}):  # fmt: skip
        assert problem(people.citizen.get("/api/v1/me/cases", params=params), 422)["code"] == "validation_error"

    # Step: the officer's worklist holds the three, soonest due first, all with flags.
    work = ok(people.officer.get("/api/v1/worklist", params={"limit": 2, "position": filed[-1]["position"]}))
    assert len(work["items"]) == 2
    assert work["next_cursor"] is not None
    more = ok(people.officer.get("/api/v1/worklist", params={"limit": 2, "cursor": work["next_cursor"]}))
    items = work["items"] + more["items"]
    assert {item["case_id"] for item in items} == {case["id"] for case in filed}
    due = [moment(item["due_at"]) for item in items]
    assert due == sorted(due)
    assert all(item["overdue"] is False for item in items)
