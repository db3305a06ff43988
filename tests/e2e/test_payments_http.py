"""Cashless fees through the real server on SQLite and PostgreSQL, with a
bank on loopback (``tests/payment_bank.py``) that signs and posts its
callbacks over real HTTP: the VietQR code a citizen scans, the payment
confirmed, the dossier resumed, its result returned and the receipt; a
forged signature, a stale timestamp, a wrong amount, a replay and fifty
concurrent copies of one callback, each leaving exactly its trace; and the
reconciliation of the bank's statement from the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from vietnam_qr_pay import QRPay

from ihanoi_core.domain.values import Role
from ihanoi_core.payments.signatures import sign
from ihanoi_core.payments.vietqr import VietQR
from tests.conftest import LOOPBACK_TLS
from tests.e2e.conftest import SECRET, LiveServer, start_server, stop_server
from tests.e2e.test_streams import Stream
from tests.payment_bank import Bank, bank_server
from tests.unit.test_vietqr import rasterise

CITIZEN = "vneid:001099012345"
PROVIDER = "napas"
GATEWAY_SECRET = "gateway-shared-secret-for-the-tests"
PAYMENT_ENV = {
    "IHANOI_PAYMENTS_BANK_BIN": "970415",
    "IHANOI_PAYMENTS_ACCOUNT": "113000006100",
    "IHANOI_PAYMENTS_ACCOUNT_NAME": "UBND PHUONG HOAN KIEM",
    "IHANOI_PAYMENTS_PROVIDERS": f"{PROVIDER}={GATEWAY_SECRET}",
    "IHANOI_PAYMENTS_TIMESTAMP_WINDOW": "120",
}


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    url = (
        f"sqlite:///{tmp_path / 'ihanoi.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    )
    live = start_server(url, tmp_path / "server.log", PAYMENT_ENV)
    yield live
    stop_server(live)


@pytest.fixture
def bank(server: LiveServer) -> Iterator[tuple[httpx.Client, Bank]]:
    ledger = Bank(server.base_url, PROVIDER, GATEWAY_SECRET)
    with bank_server(ledger) as url, httpx.Client(base_url=url, timeout=60, verify=LOOPBACK_TLS) as client:
        yield client, ledger


@pytest.fixture
def connect(server: LiveServer) -> Iterator[Callable[..., httpx.Client]]:
    """Clients of the server as a role (closed at the end of the test)."""
    opened: list[httpx.Client] = []

    def client(role: Role | None = None, subject: str = CITIZEN, agency: str | None = None) -> httpx.Client:
        opened.append(server.client(role, subject, agency))
        return opened[-1]

    yield client
    for each in opened:
        each.close()


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def awaiting_payment(
    connect: Callable[..., httpx.Client],
) -> tuple[httpx.Client, httpx.Client, dict[str, Any], dict[str, Any]]:
    """A citizen's dossier whose officer asked for the procedure's fee, and its payment as the citizen reads it."""
    citizen = connect(Role.CITIZEN, CITIZEN)
    filed = ok(
        citizen.post(
            "/api/v1/service-requests",
            json={
                "procedure": "business_household_registration",
                "ward": "HOAN_KIEM",
                "applicant": {"name": "Nguyễn Văn An", "national_id": "001099012345"},
                "documents": [{"name": "Tờ khai", "url": "https://files.example/to-khai.pdf", "sha256": "a" * 64}],
            },
        ),
        201,
    )
    read = ok(citizen.get(f"/api/v1/service-requests/{filed['id']}"))
    agency = read["agency"]
    assert read["payments"] == f"/api/v1/payments?dossier={filed['id']}"
    officer = connect(Role.OFFICER, "officer-hk", agency)
    dossier = f"/api/v1/service-requests/{filed['id']}"
    ok(officer.post(f"{dossier}/receive"))
    ok(officer.post(f"{dossier}/start-processing"))
    asked = ok(officer.post(f"{dossier}/request-payment", json={}))
    assert asked["status"] == "awaiting_payment"
    listed = ok(citizen.get(f"{read['payments']}&position={asked['position']}"))["items"]
    assert [(item["status"], item["total"]) for item in listed] == [("requested", 100000)]
    payment = ok(citizen.get(f"/api/v1/payments/{listed[0]['payment_id']}"))
    return citizen, officer, filed, payment


def pay(bank: httpx.Client, payment: dict[str, Any], **order: Any) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = ok(
        bank.post("/transfers", json={"amount": payment["total"], "purpose": payment["reference"], **order})
    )["answers"]
    return answers


def test_a_citizen_pays_by_vietqr_and_the_dossier_goes_on_to_its_result_and_receipt(
    server: LiveServer, bank: tuple[httpx.Client, Bank], connect: Callable[..., httpx.Client], tmp_path: Path
) -> None:
    bank_client, ledger = bank
    citizen, officer, filed, payment = awaiting_payment(connect)

    # The code the citizen scans: our payload, read by an independent parser, and the image carries it.
    payload = payment["vietqr"]["payload"]
    assert VietQR.decode(payload) == VietQR("970415", "113000006100", 100000, payment["reference"])
    theirs = QRPay(payload)
    assert (theirs.is_valid, theirs.consumer.bank_bin, theirs.amount) == (True, "970415", "100000")
    assert payment["vietqr"]["image"].startswith("data:image/svg+xml;base64,")
    png = citizen.get(payment["vietqr"]["png"])
    assert png.headers["content-type"] == "image/png"
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [payload]
    svg = citizen.get(payment["vietqr"]["svg"])
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert [code.text for code in zxingcpp.read_barcodes(rasterise(svg.text))] == [payload]
    # Nobody else reads it.
    stranger = connect(Role.CITIZEN, "vneid:001099099999")
    assert stranger.get(f"/api/v1/payments/{payment['id']}").status_code == 404

    # The result cannot be made ready while the fee is unpaid.
    dossier = f"/api/v1/service-requests/{filed['id']}"
    refused = officer.post(f"{dossier}/mark-result-ready", json={"note": "Giấy chứng nhận"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"

    # The citizen pays; the bank confirms; 200 only once saved, and the dossier's clock runs again.
    [answer] = pay(bank_client, payment)
    assert answer["status"] == 200
    assert (answer["body"]["status"], answer["body"]["recorded"]) == ("paid", True)
    case = ok(citizen.get(dossier))
    assert case["status"] == "processing"
    assert case["due_at"] is not None
    assert case["payment_reference"].startswith(f"{PROVIDER}:FT")
    paid = ok(citizen.get(f"/api/v1/payments/{payment['id']}"))
    assert (paid["status"], paid["vietqr"]) == ("paid", None)
    # The citizen's live stream (replayed from the start) shows the request and the confirmation.
    seen: list[tuple[str, str, str]] = []
    with Stream(citizen, "/api/v1/me/stream", last_event_id=0) as stream:
        while ("payment", "Paid", "paid") not in seen or ("dossier", "PaymentConfirmed", "processing") not in seen:
            assert len(seen) < 12, seen
            data = stream.next().data
            seen.append((data["kind"], data["event"], data["status"]))
    assert ("payment", "Requested", "requested") in seen
    assert ("dossier", "PaymentRequested", "awaiting_payment") in seen
    assert citizen.get(payment["vietqr"]["png"]).status_code == 404

    # Result, return, receipt.
    ok(officer.post(f"{dossier}/mark-result-ready", json={"note": "Giấy chứng nhận đăng ký hộ kinh doanh"}))
    assert ok(officer.post(f"{dossier}/return-result"))["status"] == "result_returned"
    receipt = ok(officer.post(f"/api/v1/payments/{payment['id']}/receipt", json={"number": "BL-2026-000123"}))
    assert receipt["status"] == "receipt_issued"
    assert citizen.post(f"/api/v1/payments/{payment['id']}/refund", json={"reason": "x"}).status_code == 403

    # Collections: one cashless fee today for the agency.
    leader = connect(Role.LEADER, "leader-hk", case["agency"])
    figures = ok(leader.get(f"/api/v1/payments/collections?position={receipt['position']}"))
    assert [(a["agency"], a["fees"], a["cashless_share"]) for a in figures["agencies"]] == [(case["agency"], 1, 1.0)]

    # The bank's statement also holds a stranger's transfer: reconcile reports that line, exit code 1.
    ok(bank_client.post("/transfers", json={"amount": 50000, "purpose": "chuyen tien an trua", "copies": 0}))
    statement = tmp_path / "statement.csv"
    statement.write_text(bank_client.get("/statement.csv").text, encoding="utf-8")
    assert len(ledger.booked) == 2
    run = subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", "payments", "reconcile", str(statement), "--json"],
        env={"IHANOI_DATABASE_URL": server.database_url, "IHANOI_ENV": "test", "IHANOI_SECRET_KEY": SECRET,
             "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert [item["payment"] for item in report["matched"]] == [payment["code"]]
    assert report["unmatched_lines"] == [
        {"line": 3, "transaction_id": ledger.booked[1]["transaction_id"], "amount": 50000,
         "reason": "no payment with this transfer reference"}
    ]  # fmt: skip
    assert report["unmatched_payments"] == []


def test_forged_stale_wrong_amount_replayed_and_concurrent_callbacks_leave_exactly_their_trace(
    server: LiveServer, bank: tuple[httpx.Client, Bank], connect: Callable[..., httpx.Client]
) -> None:
    bank_client, ledger = bank
    citizen, officer, filed, payment = awaiting_payment(connect)
    path = f"/api/v1/payments/{payment['id']}"
    version = payment["version"]

    # A forged signature and a stale timestamp: 401 problem+json, nothing recorded.
    [forged] = pay(bank_client, payment, secret="not-the-shared-secret")
    [stale] = pay(bank_client, payment, age=3600)
    for answer in (forged, stale):
        assert answer["status"] == 401
        assert answer["body"]["code"] == "bad_signature"
    assert ok(citizen.get(path))["version"] == version
    # An unknown gateway: 404.
    unknown = httpx.post(f"{server.base_url}/webhooks/payments/nobody", content=b"{}", timeout=10, verify=LOOPBACK_TLS)
    assert unknown.status_code == 404
    # Signed but malformed (no time zone on paid_at, not JSON): 422 problem+json, nothing recorded.
    for body in (
        json.dumps({"transaction_id": "FT9", "amount": 1, "description": payment["reference"],
                    "paid_at": "2026-12-06T09:00:00"}).encode(),
        b"not json",
    ):  # fmt: skip
        stamp = str(int(time.time()))
        headers = {"X-Timestamp": stamp, "X-Signature": sign(GATEWAY_SECRET, stamp, body)}
        bad = httpx.post(
            f"{server.base_url}/webhooks/payments/{PROVIDER}",
            content=body,
            headers=headers,
            timeout=10,
            verify=LOOPBACK_TLS,
        )
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"] == "application/problem+json"
    assert ok(citizen.get(path))["version"] == version

    # Fifty concurrent copies of one callback: one payment, the others no-ops.
    answers = pay(bank_client, payment, copies=50)
    assert sorted({answer["status"] for answer in answers}) == [200]
    assert sum(answer["body"]["recorded"] for answer in answers) == 1
    assert {answer["body"]["status"] for answer in answers} == {"paid"}
    paid = ok(citizen.get(path))
    assert (paid["status"], paid["version"]) == ("paid", version + 1)
    history = ok(officer.get(f"/api/v1/audit/{filed['id']}"))
    confirmations = [entry for entry in history["events"] if entry["event"] == "PaymentConfirmed"]
    assert len(confirmations) == 1

    # A replay of that callback, as sent: a no-op.
    [replayed] = pay(bank_client, payment, replay=True)
    assert (replayed["status"], replayed["body"]["recorded"]) == (200, False)
    assert ok(citizen.get(path))["version"] == version + 1

    # The fee paid a second time (another transaction), and more: 200, each kept once on the payment for staff.
    twice = pay(bank_client, payment, copies=5)
    [more] = pay(bank_client, payment, amount=150000)
    [again] = pay(bank_client, payment, replay=True)
    assert {(answer["status"], answer["body"]["status"]) for answer in twice} == {(200, "paid")}
    assert sum(answer["body"]["recorded"] for answer in twice) == 1
    assert (more["status"], more["body"]["recorded"], again["body"]["recorded"]) == (200, True, False)
    kept = ok(officer.get(path))
    assert (kept["status"], kept["version"]) == ("paid", version + 3)
    booked = [entry["transaction_id"] for entry in ledger.booked[-2:]]
    assert [(extra["transaction_id"], extra["amount"]) for extra in kept["extra_transactions"]] == [
        (booked[0], 100000),
        (booked[1], 150000),
    ]
    assert len([entry for entry in ok(officer.get(f"/api/v1/audit/{filed['id']}"))["events"]
                if entry["event"] == "PaymentConfirmed"]) == 1  # fmt: skip
    # Staff refund the overpayment: recorded once; the fee stays paid; the citizen may not.
    refund = {"transaction_id": booked[1], "reason": "Chuyển thừa; đã hoàn trả"}
    assert citizen.post(f"{path}/refund-extra", json=refund).status_code == 403
    refunded = ok(officer.post(f"{path}/refund-extra", json=refund))
    assert refunded["status"] == "paid"
    assert officer.post(f"{path}/refund-extra", json=refund).status_code == 409
    assert ok(officer.get(path))["refunded_extras"] == [booked[1]]

    # Another dossier's fee paid with a wrong amount: AmountMismatched, the dossier still waits.
    _, _, other_filed, other = awaiting_payment(connect)
    [wrong] = pay(bank_client, other, amount=10000)
    assert (wrong["status"], wrong["body"]["status"], wrong["body"]["recorded"]) == (200, "amount_mismatched", True)
    assert ok(citizen.get(f"/api/v1/service-requests/{other_filed['id']}"))["status"] == "awaiting_payment"


def test_the_fee_is_asked_again_once_its_payment_no_longer_pays(
    server: LiveServer, bank: tuple[httpx.Client, Bank], connect: Callable[..., httpx.Client]
) -> None:
    citizen, officer, filed, payment = awaiting_payment(connect)
    dossier = f"/api/v1/service-requests/{filed['id']}"
    # While the payment is live: 409 problem+json naming it, nothing saved.
    version = ok(citizen.get(dossier))["version"]
    refused = officer.post(f"{dossier}/request-payment", json={})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert payment["code"] in refused.json()["detail"]
    assert ok(citizen.get(dossier))["version"] == version

    # Another amount arrives: the payment no longer pays, and the fee is asked again, with a new code.
    [wrong] = pay(bank[0], payment, amount=10000)
    assert wrong["body"]["status"] == "amount_mismatched"
    asked = ok(officer.post(f"{dossier}/request-payment", json={}))
    assert asked["status"] == "awaiting_payment"
    listed = ok(citizen.get(f"/api/v1/payments?dossier={filed['id']}&position={asked['position']}"))["items"]
    assert sorted((item["status"], item["code"] == payment["code"]) for item in listed) == [
        ("amount_mismatched", True),
        ("requested", False),
    ]
    [fresh] = [item for item in listed if item["status"] == "requested"]
    new = ok(citizen.get(f"/api/v1/payments/{fresh['payment_id']}"))
    assert new["vietqr"]["payload"] != payment["vietqr"]["payload"]
    [paid] = pay(bank[0], new)
    assert (paid["status"], paid["body"]["status"]) == (200, "paid")
    assert ok(citizen.get(dossier))["status"] == "processing"
