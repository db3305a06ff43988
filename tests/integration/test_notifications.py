"""Notifications end to end on memory, SQLite and PostgreSQL, against real
servers on loopback (tests/notification_servers.py): a citizen proves an
e-mail address and a phone with the codes those servers receive, consents,
and hears of their dossier's progress; the apology for a late dossier reaches
them by e-mail and SMS with the new appointment date; a rebuild of the outbox
sends nothing again; opt-outs, consent, retries and dead letters behave."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, SetNotificationPreferences, VerifyChannel
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    ReceiveDossier,
    RequestDossierSupplement,
    StartDossierProcessing,
)
from ihanoi_core.domain.contactability import ChannelNotFoundError, VerificationClosedError
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, ValidationError
from ihanoi_core.handlers.notifications import WrongCodeError
from ihanoi_core.notifications.channels import Sender
from ihanoi_core.notifications.email import SmtpSender
from ihanoi_core.notifications.gateway import HttpGatewaySender
from ihanoi_core.settings import Settings
from ihanoi_projections.base import micros
from ihanoi_projections.notifications.dispatcher import Dispatcher
from ihanoi_projections.notifications.outbox import OUTBOX, OutboxModel
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock
from tests.integration.test_service_request_lifecycle import at, procedure_staff, submit
from tests.notification_servers import GATEWAY_TOKEN, Gateway, Mailbox, gateway_server, smtp_server

CODE = re.compile(r"\b(\d{6})\b")


class Rig:
    """The application, its read side driven by hand, a dispatcher wired to the servers."""

    def __init__(self, app: Ihanoi, settings: Settings, clock: FakeClock, mailbox: Mailbox, gateway: Gateway,
                 smtp_url: str, gateway_url: str) -> None:  # fmt: skip
        self.app, self.clock, self.mailbox, self.gateway = app, clock, mailbox, gateway
        self.read_side = ReadSide(app, settings, start=False)
        self.settings = settings.with_changes(notify_backoff_seconds=60.0)
        self.senders: dict[str, Sender] = {
            "email": SmtpSender(smtp_url, "iHanoi <no-reply@ihanoi.local>"),
            "sms": HttpGatewaySender(gateway_url, GATEWAY_TOKEN, {"dossier_apology": "ZNS-APOLOGY"}),
        }
        self.dispatcher = self.new_dispatcher()

    def new_dispatcher(self) -> Dispatcher:
        return Dispatcher(
            self.app, self.read_side.database, self.senders, self.settings,
            clock=lambda: micros(self.clock()) or 0, random_fraction=lambda: 0.0,
        )  # fmt: skip

    def deliver(self) -> int:
        self.read_side.catch_up()
        return self.dispatcher.drain()

    def outbox(self) -> list[dict[str, object]]:
        return self.read_side.database.query(f"SELECT * FROM {OUTBOX} ORDER BY position, channel")

    def enrol(self, citizen: Principal, *, consent: bool = True) -> None:
        """E-mail and SMS added and proved with the codes the servers received."""
        self.app.change_notification_settings(citizen, AddChannel(channel="email", address="hoa@example.vn"))
        self.app.change_notification_settings(citizen, AddChannel(channel="sms", address="0912 345 678"))
        mails, calls = len(self.mailbox.messages), len(self.gateway.delivered)
        self.deliver()
        mail = self.mailbox.wait(mails + 1)[-1]
        assert mail["To"] == "hoa@example.vn"
        email_code = CODE.search(self.mailbox.text(mail))
        sms = list(self.gateway.delivered.values())[calls:]
        assert [message["to"] for message in sms] == ["+84912345678"]
        sms_code = CODE.search(sms[0]["text"])
        assert email_code
        assert sms_code
        self.app.change_notification_settings(citizen, VerifyChannel(channel="email", code=email_code.group(1)))
        self.app.change_notification_settings(citizen, VerifyChannel(channel="sms", code=sms_code.group(1)))
        if consent:
            self.app.give_consent(citizen, "notifications", notice_version="2026-01")

    def close(self) -> None:
        self.dispatcher.close()
        self.read_side.close()


@pytest.fixture
def rig(app: Ihanoi, settings: Settings, clock: FakeClock) -> Iterator[Rig]:
    with smtp_server() as (smtp_url, mailbox), gateway_server() as (gateway_url, gateway):
        made = Rig(app, settings, clock, mailbox, gateway, smtp_url, gateway_url)
        yield made
        made.close()


def test_a_late_dossiers_applicant_receives_the_apology_by_email_and_sms_with_the_new_date(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    # Step: the citizen proves an e-mail address and a phone, and consents.
    rig.enrol(citizen)
    settings_view = app.notification_settings(citizen)
    assert [(c["channel"], c["verified"]) for c in settings_view["channels"]] == [("email", True), ("sms", True)]
    assert settings_view["consent"] is True

    # Step: their dossier is received and processed: each status change reaches both channels.
    officer, leader = procedure_staff(app, Role.OFFICER), procedure_staff(app, Role.LEADER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    mails = len(rig.mailbox.messages)
    rig.deliver()
    received = rig.mailbox.wait(mails + 2)[mails:]
    assert [m["Subject"] for m in received] == [
        f"Hồ sơ {filed.code}: đã tiếp nhận",
        f"Hồ sơ {filed.code}: đang xử lý",
    ]

    # Step: the appointment passes; the leader apologises with a new date.
    clock.set(at(12, 7, 11))
    new_due = at(12, 9, 17)
    app.handle(leader, ApologizeForDossierDelay(case=filed.case_id, reason="Cần xác minh thêm", new_due=new_due))
    mails, calls = len(rig.mailbox.messages), len(rig.gateway.delivered)
    rig.deliver()
    apology = rig.mailbox.wait(mails + 1)[-1]
    assert apology["Subject"] == f"Hồ sơ {filed.code}: thư xin lỗi và hẹn lại ngày trả kết quả"
    text = rig.mailbox.text(apology)
    assert "Ngày hẹn trả kết quả mới: 17:00 09/12/2026." in text
    # The HTML part says the same, escaped.
    html = apology.get_body(preferencelist=("html",))
    assert html is not None
    assert "17:00 09/12/2026" in html.get_content()
    (sms,) = list(rig.gateway.delivered.values())[calls:]
    assert sms["to"] == "+84912345678"
    assert sms["template_id"] == "ZNS-APOLOGY"
    assert "17:00 09/12/2026" in sms["text"]
    assert sms["params"]["code"] == filed.code
    # No one else's data: neither the applicant's name nor their national id travels.
    assert "Nguyễn" not in text
    assert "001099012345" not in text
    assert "Nguyễn" not in str(sms)
    assert rig.gateway.unauthorised == 0


def test_a_rebuild_of_the_outbox_sends_nothing_again(rig: Rig, clock: FakeClock, citizen: Principal) -> None:
    app = rig.app
    rig.enrol(citizen)
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    rig.deliver()
    before = rig.outbox()
    sent = (len(rig.mailbox.messages), rig.gateway.calls)
    assert all(row["state"] == "sent" for row in before)
    model = rig.read_side.model(OutboxModel)
    derived = model.rows()

    # Step: the outbox is rebuilt from zero and a dispatcher runs again.
    rig.read_side.projector.reset([OutboxModel.name])
    rig.read_side.catch_up()
    assert model.rows() == derived
    assert rig.dispatcher.drain() == 0
    assert (len(rig.mailbox.messages), rig.gateway.calls) == sent
    assert rig.outbox() == before


def test_without_consent_only_the_legally_required_notices_go_and_opt_outs_are_honoured(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    rig.enrol(citizen, consent=False)
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    rig.read_side.catch_up()
    kinds = [row["kind"] for row in rig.outbox()]
    assert "case_status" not in kinds

    # Step: with consent, but opted out of status changes: a supplement request still comes.
    app.give_consent(citizen, "notifications", notice_version="2026-01")
    app.change_notification_settings(citizen, SetNotificationPreferences(opted_out=["case_status"]))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    app.handle(officer, RequestDossierSupplement(case=filed.case_id, missing=("Ảnh chân dung 4x6",)))
    rig.read_side.catch_up()
    kinds = [row["kind"] for row in rig.outbox()]
    assert "case_status" not in kinds
    assert kinds.count("supplement_requested") == 2
    rig.deliver()
    mails = [m["Subject"] for m in rig.mailbox.messages]
    assert f"Hồ sơ {filed.code}: cần bổ sung giấy tờ" in mails


def test_failures_are_retried_with_backoff_and_dead_lettered_after_the_last_attempt(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    rig.enrol(citizen)
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    # Step: the gateway fails twice; the e-mail goes, the SMS waits 60 s then 120 s.
    rig.gateway.fail_next = 2
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    rig.deliver()
    (sms,) = [row for row in rig.outbox() if row["channel"] == "sms" and row["kind"] == "case_status"]
    assert (sms["state"], sms["attempts"], sms["last_error"]) == ("pending", 1, "gateway answered 503")
    assert sms["next_attempt_at"] == (micros(clock()) or 0) + 60_000_000
    clock.advance(seconds=61)
    rig.dispatcher.drain()
    (sms,) = [row for row in rig.outbox() if row["channel"] == "sms" and row["kind"] == "case_status"]
    assert (sms["state"], sms["attempts"]) == ("pending", 2)
    assert sms["next_attempt_at"] == (micros(clock()) or 0) + 120_000_000
    clock.advance(seconds=121)
    rig.dispatcher.drain()
    (sms,) = [row for row in rig.outbox() if row["channel"] == "sms" and row["kind"] == "case_status"]
    assert sms["state"] == "sent"
    attempts = rig.read_side.database.query(
        "SELECT attempt, outcome FROM notification_attempts WHERE notification_id = ? ORDER BY attempt",
        (sms["notification_id"],),
    )
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "retry"), (2, "retry"), (3, "sent")]

    # Step: a permanent refusal is dead at once.
    rig.gateway.fail_next, rig.gateway.fail_status = 1, 400
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    rig.deliver()
    dead = [row for row in rig.outbox() if row["state"] == "dead"]
    assert [(row["channel"], row["last_error"]) for row in dead] == [("sms", "gateway answered 400")]


def test_codes_are_checked_counted_and_only_the_citizen_sets_their_own(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    app.change_notification_settings(citizen, AddChannel(channel="email", address="hoa@example.vn"))
    with pytest.raises(ChannelNotFoundError):
        app.change_notification_settings(citizen, VerifyChannel(channel="sms", code="123456"))
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(WrongCodeError, match=f"{left} attempts left"):
            app.change_notification_settings(citizen, VerifyChannel(channel="email", code="000000"))
    # Every attempt is spent: even the right code is refused now.
    rig.deliver()
    code = CODE.search(rig.mailbox.text(rig.mailbox.wait(1)[0]))
    assert code is not None
    with pytest.raises(VerificationClosedError):
        app.change_notification_settings(citizen, VerifyChannel(channel="email", code=code.group(1)))
    # Step: a fresh code expires after 15 minutes.
    app.change_notification_settings(citizen, AddChannel(channel="email", address="hoa@example.vn"))
    clock.advance(minutes=16)
    with pytest.raises(VerificationClosedError, match="expired"):
        app.change_notification_settings(citizen, VerifyChannel(channel="email", code="000000"))
    # Step: staff cannot touch a citizen's settings; bad input changes nothing.
    officer = Principal("officer-1", Role.OFFICER, "UBND_HOAN_KIEM")
    with pytest.raises(ForbiddenError):
        app.change_notification_settings(officer, AddChannel(channel="email", address="x@example.vn"))
    version = app.notification_settings(citizen)["version"]
    with pytest.raises(ValidationError):
        app.change_notification_settings(citizen, AddChannel(channel="sms", address="12345"))
    assert app.notification_settings(citizen)["version"] == version


def test_an_erased_persons_queued_notices_are_cancelled_not_sent(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    rig.enrol(citizen)
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    rig.read_side.catch_up()
    queued = [row for row in rig.outbox() if row["state"] == "pending"]
    assert queued
    # Step: the person's key is destroyed (what an erasure does last).
    app.personal_keys.destroy(app.personal_keys.subject_key_id(citizen.subject))
    calls = rig.gateway.calls
    rig.dispatcher.drain()
    states = {row["state"] for row in rig.outbox() if row["notification_id"] in {q["notification_id"] for q in queued}}
    assert states == {"cancelled"}
    assert rig.gateway.calls == calls
