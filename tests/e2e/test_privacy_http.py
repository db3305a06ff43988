"""Personal data over real HTTP, on SQLite and PostgreSQL: a citizen reads
everything held about them, asks for it to be erased, the data protection
officer grants it, and from then on no answer — the case, its history, the
citizen's data, Open311 — and no log line of the server holds the canary.
A denouncer with an open file is refused, with the rule named."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from ihanoi_core.domain.values import Role
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, LiveServer

AGENCY = "UBND_HOAN_KIEM"
NAME, PHONE, NATIONAL_ID, EMAIL = "Canarino Vàng", "0987001234", "079301234567", "canarino@example.vn"
SUBJECT = f"vneid:{NATIONAL_ID}"
CANARY = (NAME, PHONE, NATIONAL_ID, EMAIL, SUBJECT)
REPORT = {
    "category": "pothole",
    "description": "Ổ gà trước nhà",
    "location": {"ward": "HOAN_KIEM"},
    "contact": {"name": NAME, "phone": PHONE, "email": EMAIL},
}
GRANT = {"grant": True, "reason": "Yêu cầu của chủ thể dữ liệu", "legal_basis": "Luật 91/2025/QH15"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def canary_in(text: str) -> list[str]:
    return [value for value in CANARY if value in text]


@pytest.fixture
def clients(live_server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    with ExitStack() as stack:
        yield {
            "canary": stack.enter_context(live_server.client(Role.CITIZEN, SUBJECT)),
            "officer": stack.enter_context(live_server.client(Role.OFFICER, "officer-hk", AGENCY)),
            "auditor": stack.enter_context(live_server.client(Role.AUDITOR, "inspector-01")),
            "dpo": stack.enter_context(live_server.client(Role.DPO, "dpo-01")),
            "other": stack.enter_context(live_server.client(Role.CITIZEN, "vneid:001099099999")),
        }


def test_a_citizen_reads_their_data_asks_for_erasure_and_nothing_of_them_is_answered_after(
    live_server: LiveServer, clients: dict[str, httpx.Client]
) -> None:
    canary, officer, dpo = clients["canary"], clients["officer"], clients["dpo"]
    # Step: the canary files a report; everything held about them is theirs to read.
    filed = ok(canary.post("/api/v1/reports", json=REPORT), 201)
    mine = ok(canary.get("/api/v1/me/data"))
    assert [record["code"] for record in mine["records"] if record["kind"] == "report"] == [filed["code"]]
    assert canary_in(str(mine)) == list(CANARY)
    assert ok(officer.get(f"/api/v1/reports/{filed['id']}"))["contact"]["email"] == EMAIL

    # Step: the "me" routes are for data subjects: the data protection officer has no data of their own there.
    assert dpo.get("/api/v1/me/data").status_code == 403
    assert dpo.get("/api/v1/me/consents").status_code == 403
    # Step: a reason of white space alone (the schema's one character, U+001E) is 422 naming it, and asks nothing.
    blank = canary.post("/api/v1/me/erasure-requests", json={"reason": "\u001e "})
    assert (blank.status_code, list(blank.json()["errors"])) == (422, ["reason"])
    # Step: they ask; nobody but the data protection officer may decide.
    asked = ok(canary.post("/api/v1/me/erasure-requests", json={"reason": "Tôi không dùng nữa"}), 201)
    assert asked["status"] == "requested"
    path = f"/api/v1/erasure-requests/{asked['id']}"
    assert ok(canary.get(path))["status"] == "requested"
    assert clients["other"].get(path).status_code == 404
    assert officer.post(f"{path}/decision", json=GRANT).status_code == 403
    erased = ok(dpo.post(f"{path}/decision", json=GRANT))
    assert (erased["status"], erased["cases"]) == ("erased", [filed["code"]])
    again = dpo.post(f"{path}/decision", json=GRANT)  # decided already: 409, as the document says
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")

    # Step: from now on no answer holds the canary, whoever asks.
    answers = [
        officer.get(f"/api/v1/reports/{filed['id']}"),
        clients["auditor"].get(f"/api/v1/audit/{filed['id']}"),
        canary.get("/api/v1/me/data"),
        canary.get("/api/v1/me/cases"),
        dpo.get(path),
        httpx.get(f"{live_server.base_url}/open311/v2/requests/{filed['code']}.json", verify=LOOPBACK_TLS),
    ]
    for answer in answers:
        assert answer.status_code in (200, 404), answer.text
        assert canary_in(answer.text) == [], answer.request.url
    assert ok(officer.get(f"/api/v1/reports/{filed['id']}"))["contact"] is None
    assert ok(canary.get("/api/v1/me/data"))["records"] == []

    # Step: nor did the server ever log it.
    assert canary_in(live_server.log()) == []


def test_a_denouncer_with_an_open_file_is_refused_with_the_rule_named(clients: dict[str, httpx.Client]) -> None:
    canary = clients["canary"]
    ok(
        canary.post(
            "/api/v1/complaints",
            json={
                "kind": "denunciation",
                "subject": "Tố cáo cán bộ",
                "content": "Nội dung tố cáo.",
                "respondent_agency": AGENCY,
                "ward": "HOAN_KIEM",
                "complainant": {"name": NAME, "national_id": NATIONAL_ID, "phone": PHONE},
            },
        ),
        201,
    )
    asked = ok(canary.post("/api/v1/me/erasure-requests", json={"reason": "Xin xoá"}), 201)
    refused = ok(clients["dpo"].post(f"/api/v1/erasure-requests/{asked['id']}/decision", json=GRANT))
    assert refused["status"] == "refused"
    assert [hold["rule"] for hold in refused["holds"]] == ["denunciation_file"]
    assert "25/2018/QH14" in refused["holds"][0]["legal_basis"]
    assert ok(canary.get(f"/api/v1/erasure-requests/{asked['id']}"))["rules"] == ["denunciation_file"]


def test_a_production_server_without_a_master_key_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "IHANOI_DATABASE_URL": f"sqlite:///{tmp_path / 'ihanoi.db'}",
        "IHANOI_ENV": "production",
        "IHANOI_SECRET_KEY": SECRET,
    }
    env.pop("IHANOI_PII_MASTER_KEY", None)
    started = subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 1
    assert started.stderr.strip().splitlines() == [
        "error: IHANOI_PII_MASTER_KEY is required unless IHANOI_ENV=development or test (see docs/privacy.md)."
    ]
