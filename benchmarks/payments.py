"""Cashless fees: how fast VietQR payloads are written, and how fast the
server records gateways' callbacks, each beside a ceiling measured in the
same run.

- encode: ``VietQR.encode()`` of a dynamic code (TLV fields and the CRC) per
  second, beside the raw CRC rate (``binascii.crc_hqx`` over a payload of the
  same length): what the TLV assembly costs on top of the checksum;
- callbacks: signed callbacks per second through the real server (``ihanoi
  serve`` on a fresh SQLite store), each paying one dossier's fee — signature
  and timestamp checked, the payment, its transaction index and the dossier's
  confirmation saved in one transaction — from 8 client threads, beside bare
  POSTs per second on the same server and clients (the same body to a gateway
  that is not configured: routing and a 404, no work);
- second transactions: the paid fees paid again under new transaction ids,
  round after round (a fee takes many), each kept on its payment
  (``ExtraTransactionReceived`` and the transaction's index in one save),
  beside the same bare POSTs.

Both are measured once the server's read models have caught up with the
seeded dossiers (``/readyz``).

Run alone: ``.venv/bin/python -m benchmarks.payments``.
"""

from __future__ import annotations

import binascii
import functools
import itertools
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from uuid import UUID

import httpx
import orjson

from benchmarks.common import Figure, concurrent_rate, print_figures, rate
from benchmarks.http import SECRET, free_port, start_server, wait_ready
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.service_requests import (
    ApplicantIn,
    ReceiveDossier,
    RequestDossierPayment,
    StartDossierProcessing,
    SubmitDossier,
)
from ihanoi_core.commands.values import DocumentIn
from ihanoi_core.domain.payment import Payment
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.payments.signatures import sign
from ihanoi_core.payments.vietqr import VietQR
from ihanoi_core.settings import Settings

PROVIDER, GATEWAY_SECRET = "napas", "benchmark-gateway-secret"
PAYMENTS = int(os.environ.get("IHANOI_BENCH_PAYMENTS", "3000"))
CLIENTS = 8
SECONDS = 2.0
ENV = {
    "IHANOI_PAYMENTS_BANK_BIN": "970415",
    "IHANOI_PAYMENTS_ACCOUNT": "113000006100",
    "IHANOI_PAYMENTS_PROVIDERS": f"{PROVIDER}={GATEWAY_SECRET}",
}
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)


def encode_figures() -> list[Figure]:
    code = VietQR("970415", "113000006100", 100000, "IHNTT261206951504")
    payload = code.encode().encode("ascii")

    def encode() -> int:
        for _ in range(1000):
            code.encode()
        return 1000

    def crc() -> int:
        for _ in range(1000):
            binascii.crc_hqx(payload, 0xFFFF)
        return 1000

    return [Figure("VietQR payloads encoded/s", rate(encode), "payloads/s", "raw CRC-16 of one, /s", rate(crc))]


def seed(url: str) -> list[tuple[str, int]]:
    """``PAYMENTS`` dossiers awaiting their fee; each payment's reference and total."""
    settings = Settings(database_url=url, env="test", secret_key=SECRET, payments_bank_bin="970415",
                        payments_account="113000006100")  # fmt: skip
    app = Ihanoi(settings)
    try:
        agency = app.directory.procedure_agency("business_household_registration", "HOAN_KIEM").code
        officer = Principal("officer-bench", Role.OFFICER, agency)
        document = DocumentIn("Tờ khai", "https://files.example/to-khai.pdf", "a" * 64)
        for _ in range(PAYMENTS):
            filed = app.handle(
                CITIZEN,
                SubmitDossier(procedure="business_household_registration", ward="HOAN_KIEM",
                              applicant=ApplicantIn("Nguyễn Văn An", "001099012345"), documents=(document,)),
            )  # fmt: skip
            app.handle(officer, ReceiveDossier(case=filed.case_id))
            app.handle(officer, StartDossierProcessing(case=filed.case_id))
            app.handle(officer, RequestDossierPayment(case=filed.case_id))
        topic = "ihanoi_core.domain.payment:Payment.Requested"
        found: list[tuple[str, int]] = []
        start = 1
        while batch := app.recorder.select_notifications(start, 1000, topics=[topic]):
            for notification in batch:
                payment = app._load(UUID(str(notification.originator_id)), Payment)
                found.append((payment.reference, payment.total))
            start = batch[-1].id + 1
        return found
    finally:
        app.close()


def callback_figures() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="ihanoi-payments-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    payments = seed(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, ENV)
    wait_ready(base)
    local = threading.local()
    lock = threading.Lock()
    unpaid = iter(range(len(payments)))
    slots, transactions = itertools.count(), itertools.count()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=30)
        found: httpx.Client = local.client
        return found

    def body_of(number: int, transaction_id: str) -> bytes:
        reference, amount = payments[number]
        return orjson.dumps({"transaction_id": transaction_id, "amount": amount,
                             "description": f"CT DEN {reference}", "paid_at": "2026-12-06T09:00:00+07:00"})  # fmt: skip

    def bare() -> int:
        body = body_of(0, "FT0")
        client().post("/webhooks/payments/nobody", content=body, headers={"Content-Type": "application/json"})
        return 1

    def send(number: int, transaction_id: str) -> int:
        body = body_of(number, transaction_id)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Timestamp": timestamp,
                   "X-Signature": sign(GATEWAY_SECRET, timestamp, body)}  # fmt: skip
        answer = client().post(f"/webhooks/payments/{PROVIDER}", content=body, headers=headers)
        if answer.status_code != 200 or not answer.json()["recorded"]:
            raise RuntimeError(f"callback {transaction_id}: {answer.status_code} {answer.text}")
        return 1

    def pay() -> int:
        """The next unpaid fee. Running out would turn the figure into a count
        of the seeded fees, so it stops the benchmark instead."""
        with lock:
            number = next(unpaid, None)
        if number is None:
            raise RuntimeError(f"all {len(payments)} fees were paid: seed more (IHANOI_BENCH_PAYMENTS)")
        return send(number, f"FT{number:09d}")

    def pay_again(paid: int) -> int:
        """A new transaction on a paid fee, never running out: each client
        thread takes its own fees in turn (slot, slot + CLIENTS, …), so two
        callbacks never change one payment at once."""
        with lock:
            if not hasattr(local, "slot"):
                local.slot, local.sent = next(slots) % CLIENTS, 0
            transaction = next(transactions)
        number = (local.slot + CLIENTS * local.sent) % paid
        local.sent += 1
        return send(number, f"FX{transaction:09d}")

    try:
        ceiling = concurrent_rate(bare, CLIENTS, SECONDS)
        callbacks = concurrent_rate(pay, CLIENTS, SECONDS)
        paid = next(unpaid, len(payments))  # the fees before it are paid
        paid -= paid % CLIENTS  # whole rounds: a number a slot reaches is its own
        if not paid:
            raise RuntimeError(f"fewer than {CLIENTS} fees were paid")
        extras = concurrent_rate(functools.partial(pay_again, paid), CLIENTS, SECONDS)
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
    return [
        Figure(f"signed callbacks recorded/s ({CLIENTS} clients)", callbacks, "callbacks/s",
               "bare POST (404, no work) req/s", ceiling),
        Figure(f"second transactions kept/s ({CLIENTS} clients)", extras, "callbacks/s",
               "bare POST (404, no work) req/s", ceiling),
    ]  # fmt: skip


def run() -> list[Figure]:
    figures = [*encode_figures(), *callback_figures()]
    print_figures("Cashless fees (VietQR encoding; callbacks through one uvicorn process, SQLite)", figures)
    return figures


if __name__ == "__main__":
    run()
