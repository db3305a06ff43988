"""Whose a business inquiry is, over real HTTP on SQLite and PostgreSQL (issue
#18): the business's. A person files one acting for their household business
and, signed in as a plain citizen with the same subject, does not find it
under "my cases", cannot read it, its history or its live events there (404,
as for anyone's case), while their own report is listed; acting for the
business they and a colleague see it. Their personal data export still
lists it: their words in it are theirs.
"""

from __future__ import annotations

from ihanoi_core.domain.values import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.test_business_http import ok, problem

HOUSEHOLD = "0100109106"
SUBJECT = "vneid:001088000888"
INQUIRY = {"tax_code": HOUSEHOLD, "business_kind": "household", "topic": "tax_fees", "text": "Hỏi thuế khoán"}
REPORT = {"category": "pothole", "description": "Ổ gà trước cửa hàng", "location": {"ward": "HOAN_KIEM"}}


def test_a_business_inquiry_is_the_business_s_not_its_filer_s_as_a_citizen(live_server: LiveServer) -> None:
    with (
        live_server.client(Role.BUSINESS, SUBJECT, HOUSEHOLD) as business,
        live_server.client(Role.BUSINESS, "vneid:001088000999", HOUSEHOLD) as colleague,
        live_server.client(Role.CITIZEN, SUBJECT) as citizen,
    ):
        filed = ok(business.post("/api/v1/business-inquiries", json=INQUIRY), 201)
        report = ok(citizen.post("/api/v1/reports", json=REPORT), 201)
        position = {"position": max(filed["position"], report["position"])}
        # Step: as a citizen, "my cases" holds the report only; the inquiry is not theirs to read.
        mine = ok(citizen.get("/api/v1/me/cases", params=position))["items"]
        assert [item["code"] for item in mine] == [report["code"]]
        problem(citizen.get(f"/api/v1/business-inquiries/{filed['id']}"), 404)
        problem(citizen.get(f"/api/v1/audit/{filed['id']}"), 404)
        problem(citizen.post(f"/api/v1/business-inquiries/{filed['id']}/rate", json={"stars": 5}), 404)
        # Step: acting for the business, the filer and a colleague see it; "my cases" is not theirs to ask.
        for person in (business, colleague):
            listed = ok(person.get("/api/v1/business-inquiries", params=position))["items"]
            assert [item["code"] for item in listed] == [filed["code"]]
            assert ok(person.get(f"/api/v1/business-inquiries/{filed['id']}"))["code"] == filed["code"]
        problem(business.get("/api/v1/me/cases"), 403)
        # Step: what is held about the person still names the inquiry (their words are in it).
        records = ok(citizen.get("/api/v1/me/data"))["records"]
        assert {record["code"] for record in records} >= {filed["code"], report["code"]}
