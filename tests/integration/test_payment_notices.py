"""The applicant's notices about their fee (issue #19 follow-up 2), on memory,
SQLite and PostgreSQL, delivered to real SMTP and SMS servers on loopback
(tests/notification_servers.py): the fee due says the payment's code, the
amount, the transfer reference and where to pay, once per request (a second
request after an expiry is a second notice); the e-receipt follows once
issued; nothing about the applicant beyond their case; a rebuild of the outbox
sends nothing again. A log from before the payment was saved first (the
dossier's event first) keeps the dossier's notice, alone."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from ihanoi_core.commands.payments import ExpirePayment, IssueReceipt
from ihanoi_core.commands.service_requests import RequestDossierPayment
from ihanoi_core.domain.payment import Payment, payment_id_for
from ihanoi_core.domain.payment_values import Payee
from ihanoi_core.domain.service_request import ServiceRequest
from ihanoi_core.domain.values import Principal
from ihanoi_core.payments.process import _new_payment, fee_lines
from ihanoi_projections.notifications.outbox import OutboxModel
from tests.conftest import FakeClock
from tests.integration.test_payments import GATEWAY, at, awaiting_payment, callback, in_processing, settings  # noqa: F401
from tests.notification_rig import Rig


def payment_mails(rig: Rig, kind: str) -> list[tuple[str, str]]:
    """(case id, channel) of the outbox's rows of ``kind``, in log order."""
    return [(str(row["case_id"]), str(row["channel"])) for row in rig.outbox() if row["kind"] == kind]


def last_mail(rig: Rig, count: int) -> str:
    mails: list[EmailMessage] = rig.mailbox.wait(count)
    return str(mails[-1]["Subject"]) + "\n" + rig.mailbox.text(mails[-1])


@pytest.fixture
def enrolled(rig: Rig, citizen: Principal) -> Rig:
    """The rig, its citizen's e-mail and phone proved, consenting to notices."""
    rig.enrol(citizen)
    return rig


def test_fee_due_carries_the_payment_and_receipt(enrolled: Rig, clock: FakeClock, citizen: Principal) -> None:
    app = enrolled.app
    # Links start with the server's public address (IHANOI_PUBLIC_URL).
    enrolled.settings = enrolled.settings.with_changes(public_url="https://ihanoi.example.vn")
    enrolled.dispatcher = enrolled.new_dispatcher()
    mails = len(enrolled.mailbox.messages)
    officer, payment = awaiting_payment(app, clock, citizen)
    enrolled.deliver()
    # One notice of the fee due, on each channel, and it is the payment's.
    assert payment_mails(enrolled, "payment_requested") == [(str(payment.id), "email"), (str(payment.id), "sms")]
    text = last_mail(enrolled, mails + 1)
    qr = f"https://ihanoi.example.vn/api/v1/payments/{payment.id}/qr.png"
    for said in (payment.dossier_code, payment.code, "100000", payment.reference, "113000006100", qr,
                 "UBND PHUONG HOAN KIEM"):  # fmt: skip
        assert said in text
    # Nothing of the applicant but their case: not their name, not their id number.
    assert "Nguyễn Văn An" not in text
    assert "001099012345" not in text
    sms = list(enrolled.gateway.delivered.values())[-1]["text"]
    assert payment.code in sms
    assert payment.reference in sms

    # It expires; the fee is asked again: a second notice, with the new payment.
    clock.set(payment.expires_at)
    app.handle(officer, ExpirePayment(case=payment.id))
    asked = app.handle(officer, RequestDossierPayment(case=payment.dossier))
    again: Payment = app.repository.get(payment_id_for(payment.dossier, asked.version))
    enrolled.deliver()
    assert [case for case, channel in payment_mails(enrolled, "payment_requested") if channel == "email"] == [
        str(payment.id),
        str(again.id),
    ]
    assert again.code in last_mail(enrolled, mails + 2)

    # Paid, then the e-receipt: the receipt's notice, once, with its number.
    clock.set(at(12, 4, 10))
    app.handle(GATEWAY, callback(again, "FT-NOTICE-1"))
    app.handle(officer, IssueReceipt(case=again.id, number="BL-2026-000777"))
    enrolled.deliver()
    assert payment_mails(enrolled, "payment_receipt") == [(str(again.id), "email"), (str(again.id), "sms")]
    receipt = enrolled.mailbox.messages[-1]
    assert "BL-2026-000777" in enrolled.mailbox.text(receipt)
    assert again.code in enrolled.mailbox.text(receipt)
    assert all(row["state"] == "sent" for row in enrolled.outbox())

    # A rebuild of the outbox makes the same decisions and sends nothing again.
    enrolled.rebuild_sends_nothing()


def test_dossier_first_log_keeps_its_own_notice(enrolled: Rig, clock: FakeClock, citizen: Principal) -> None:
    app = enrolled.app
    officer, dossier_id = in_processing(app, clock, citizen)
    # Saved as the process manager saved it before the payment's notice: the dossier first.
    dossier = app._load(dossier_id, ServiceRequest)
    now = clock()
    lines = fee_lines(app, dossier, None)
    dossier.request_payment(officer, sum(line.amount for line in lines), None, timestamp=now)
    payee = Payee("970415", "113000006100", "UBND PHUONG HOAN KIEM")
    payment, index = _new_payment(app, officer, dossier, lines, payee, 0, now)
    app._store(dossier, payment, index)
    enrolled.deliver()
    assert payment_mails(enrolled, "payment_requested") == [(str(dossier_id), "email"), (str(dossier_id), "sms")]
    model = enrolled.read_side.model(OutboxModel)
    assert not [row for row in model.rows() if "payment_request" in row]  # both halves met: nothing kept
