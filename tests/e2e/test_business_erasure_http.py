"""A person acting for a business asks for their own data's erasure over real
HTTP, on SQLite and PostgreSQL (issue #18): the owner of a household business
writes their name and phone into an inquiry, reads their data, asks with their
``business`` token, and the data protection officer grants it. Afterwards the
inquiry is still the business's — the bookkeeper and the agency read it, its
tax code, kind, agency and status unchanged — but the owner's words and
subject are gone from every answer, and their own data is empty.
"""

from __future__ import annotations

from contextlib import ExitStack

import httpx

from ihanoi_core.domain.personal import ERASED
from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.test_business_http import ok, problem

HOUSEHOLD = "0100109106"
OWNER = "vneid:001088000444"
NAME, PHONE = "Phạm Văn Canary", "0977 111 222"
CANARY = (OWNER, NAME, PHONE)
GRANT = {"grant": True, "reason": "Yêu cầu của chủ thể dữ liệu", "legal_basis": "Luật 91/2025/QH15"}


def people(live_server: LiveServer, stack: ExitStack) -> dict[str, httpx.Client]:
    """The owner, a colleague of the same household, the agency's officer, a partner, the officer deciding."""
    tokens = {
        "owner": (Role.BUSINESS, OWNER, HOUSEHOLD),
        "bookkeeper": (Role.BUSINESS, "vneid:001088000555", HOUSEHOLD),
        "officer": (Role.OFFICER, "officer-stc", "STC"),
        "partner": (Role.PARTNER, "partner-01", None),
        "dpo": (Role.DPO, "dpo-01", None),
    }
    return {name: stack.enter_context(live_server.client(*token)) for name, token in tokens.items()}


def test_a_business_person_has_their_data_erased_and_the_business_keeps_its_inquiry(live_server: LiveServer) -> None:
    with ExitStack() as stack:
        journey(live_server, people(live_server, stack))


def journey(live_server: LiveServer, clients: dict[str, httpx.Client]) -> None:
    owner, bookkeeper, officer, dpo = clients["owner"], clients["bookkeeper"], clients["officer"], clients["dpo"]
    text = f"Tôi là {NAME}, ĐT {PHONE}: hỏi mức thuế khoán năm 2027 của hộ kinh doanh."
    body = {"tax_code": HOUSEHOLD, "business_kind": "household", "topic": "tax_fees", "text": text}
    filed = ok(owner.post("/api/v1/business-inquiries", json=body), 201)
    path = f"/api/v1/business-inquiries/{filed['id']}"
    # Step: the owner reads what is held about them: the inquiry, with their words.
    mine = ok(owner.get("/api/v1/me/data"))
    assert [record["code"] for record in mine["records"] if record["kind"] == "business_inquiry"] == [filed["code"]]
    assert NAME in str(mine)
    # Step: they ask with their business token; a partner may not ask for anyone.
    problem(clients["partner"].post("/api/v1/me/erasure-requests", json={"reason": "?"}), 403)
    asked = ok(owner.post("/api/v1/me/erasure-requests", json={"reason": "Tôi không còn làm cho hộ này"}), 201)
    request_path = f"/api/v1/erasure-requests/{asked['id']}"
    assert ok(owner.get(request_path))["status"] == "requested"
    problem(bookkeeper.get(request_path), 404)  # a colleague is not the requester
    erased = ok(dpo.post(f"{request_path}/decision", json=GRANT))
    assert (erased["status"], erased["cases"]) == ("erased", [filed["code"]])
    position = {"position": erased["position"]}
    # Step: the inquiry stays the business's: same tax code, kind, agency, status; the words are gone.
    kept = ok(bookkeeper.get(path))
    assert (kept["business"], kept["business_kind"], kept["agency"], kept["status"]) == (
        HOUSEHOLD,
        "household",
        "STC",
        "open",
    )
    assert kept["text"] == ERASED
    listed = ok(bookkeeper.get("/api/v1/business-inquiries", params=position))["items"]
    assert [item["code"] for item in listed] == [filed["code"]]
    worklist = ok(officer.get("/api/v1/business-inquiries", params=position))["items"]
    assert [item["code"] for item in worklist] == [filed["code"]]
    # Step: no answer holds the owner any more; their own data is empty.
    answers = [
        bookkeeper.get(path),
        officer.get(path),
        owner.get("/api/v1/me/data"),
        dpo.get(request_path),
        officer.get("/api/v1/business-inquiries", params=position),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert [value for value in CANARY if value in answer.text] == [], answer.request.url
    assert ok(owner.get("/api/v1/me/data"))["records"] == []
    # The request no longer names its requester: like a citizen's, it is the officer's record now.
    problem(owner.get(request_path), 404)
    assert [value for value in CANARY if value in live_server.log()] == []
