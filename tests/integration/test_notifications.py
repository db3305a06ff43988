"""Notifications end to end on memory, SQLite and PostgreSQL, against real
servers on loopback (tests/notification_servers.py): a citizen proves an
e-mail address and a phone with the codes those servers receive, consents,
and hears of their dossier's progress; the apology for a late dossier reaches
them by e-mail and SMS with the new appointment date; a rebuild of the outbox
sends nothing again; opt-outs, consent, retries and dead letters behave."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.alerts import ApproveAlert, AreaIn, CancelAlert, DraftAlert, IssueAlert, ReviseAlert
from ihanoi_core.commands.notifications import (
    AddChannel,
    ChooseAlertWards,
    QuietHours,
    SetNotificationPreferences,
    VerifyChannel,
)
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    ReceiveDossier,
    RequestDossierSupplement,
    StartDossierProcessing,
)
from ihanoi_core.domain.alert_values import Severity, Urgency
from ihanoi_core.domain.contactability_values import ChannelNotFoundError, VerificationClosedError, normalise_address
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, ValidationError
from ihanoi_core.handlers.notifications import WrongCodeError
from ihanoi_projections.engine.base import micros
from ihanoi_projections.notifications.notices import OUTBOX
from ihanoi_projections.notifications.outbox import OutboxModel
from tests.conftest import FakeClock
from tests.dossiers import at, procedure_staff, submit
from tests.notification_rig import CODE, Rig


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
    assert all(row["state"] == "sent" for row in rig.outbox())
    # Step: the outbox is rebuilt from zero and a dispatcher runs again.
    rig.rebuild_sends_nothing()


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


def insert_row(rig: Rig, row: dict[str, object]) -> None:
    """A row put in the outbox as another dispatcher or version left it."""
    names, marks = ", ".join(row), ", ".join("?" * len(row))
    with rig.read_side.database.transaction() as cursor:
        cursor.execute(f"INSERT INTO {OUTBOX} ({names}) VALUES ({marks})", tuple(row.values()))


def test_a_notice_that_cannot_be_handled_holds_up_no_other_and_is_dead_after_the_last_attempt(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    rig.dossier_received(citizen)
    (notice,) = [row for row in rig.outbox() if row["channel"] == "email" and row["kind"] == "case_status"]
    assert notice["state"] == "pending"
    # Step: a row of a kind this version has no template for (a newer version queued it) is due first.
    due = int(str(notice["next_attempt_at"])) - 1
    insert_row(rig, {**notice, "notification_id": "from-a-newer-version", "kind": "newer_kind", "next_attempt_at": due})
    mails = len(rig.mailbox.messages)
    rig.dispatcher.drain()
    # Step: the status notice behind it went in the same round; the unknown one waits with a backoff.
    rows = {row["notification_id"]: row for row in rig.outbox()}
    assert rows[notice["notification_id"]]["state"] == "sent"
    assert len(rig.mailbox.wait(mails + 1)) == mails + 1
    failed = rows["from-a-newer-version"]
    assert (failed["state"], failed["attempts"]) == ("pending", 1)
    assert failed["last_error"] == "TemplateNotFound (see the dispatcher's log)"
    assert failed["next_attempt_at"] == (micros(clock()) or 0) + 60_000_000
    # Step: after the last of its attempts it is a dead letter, for an operator to look at.
    for _ in range(rig.settings.notify_max_attempts - 1):
        clock.advance(seconds=6 * 3600 + 60)
        rig.dispatcher.drain()
    (failed,) = [row for row in rig.outbox() if row["notification_id"] == "from-a-newer-version"]
    assert (failed["state"], failed["attempts"]) == ("dead", rig.settings.notify_max_attempts)
    outcomes = rig.read_side.database.query(
        "SELECT outcome FROM notification_attempts WHERE notification_id = ? ORDER BY attempt",
        ("from-a-newer-version",),
    )
    assert [row["outcome"] for row in outcomes] == ["retry"] * (rig.settings.notify_max_attempts - 1) + ["dead"]


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
    # Step: an auditor has no settings to change; bad input changes nothing.
    auditor = Principal("inspector-01", Role.AUDITOR)
    with pytest.raises(ForbiddenError):
        app.change_notification_settings(auditor, AddChannel(channel="email", address="x@example.vn"))
    version = app.notification_settings(citizen)["version"]
    with pytest.raises(ValidationError):
        app.change_notification_settings(citizen, AddChannel(channel="sms", address="12345"))
    assert app.notification_settings(citizen)["version"] == version


def test_an_erased_persons_queued_notices_are_cancelled_not_sent(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    rig.dossier_received(citizen)
    queued = [row for row in rig.outbox() if row["state"] == "pending"]
    assert queued
    # Step: the person's key is destroyed (what an erasure does last).
    app.personal_keys.destroy(app.personal_keys.subject_key_id(citizen.subject))
    calls = rig.gateway.calls
    rig.dispatcher.drain()
    states = {row["state"] for row in rig.outbox() if row["notification_id"] in {q["notification_id"] for q in queued}}
    assert states == {"cancelled"}
    assert rig.gateway.calls == calls


# -- public alerts to the wards people chose (docs/notifications.md, "Triggers") --------

ALERT_OFFICER = Principal("officer-sxd", Role.OFFICER, "SXD")
ALERT_LEADER = Principal("leader-sxd", Role.LEADER, "SXD")
PEOPLE = {
    "HOAN_KIEM": (Principal("vneid:001099000001", Role.CITIZEN), "an@example.vn", "0912 000 001"),
    "BA_DINH": (Principal("vneid:001099000002", Role.CITIZEN), "binh@example.vn", "0912 000 002"),
    "TAY_HO": (Principal("vneid:001099000003", Role.CITIZEN), "chi@example.vn", "0912 000 003"),
}


def issue_alert(app: Ihanoi, *wards: str, **overrides: object) -> tuple[UUID, str]:
    """A flood alert from the template for ``wards``, approved and issued (CAP Alert): its id and code."""
    draft = DraftAlert(template="ngap_ung", areas=(AreaIn(wards=wards),), **overrides)  # type: ignore[arg-type]
    drafted = app.handle(ALERT_OFFICER, draft)
    app.handle(ALERT_LEADER, ApproveAlert(case=drafted.case_id))
    app.handle(ALERT_OFFICER, IssueAlert(case=drafted.case_id))
    return drafted.case_id, drafted.code


def alert_mails(rig: Rig, since: int) -> dict[str, list[str]]:
    """The alert e-mails received since ``since``, subjects by address."""
    received: dict[str, list[str]] = {}
    for mail in rig.mailbox.messages[since:]:
        received.setdefault(str(mail["To"]), []).append(str(mail["Subject"]))
    return received


def test_an_alert_reaches_exactly_the_subscribers_of_its_wards_once_as_alert_update_and_cancel(
    rig: Rig, clock: FakeClock
) -> None:
    app = rig.app
    # Step: three people prove an e-mail and a phone (no consent: they asked for alerts by
    # choosing wards) and choose a ward each; one of them reads English.
    for ward, (person, email, phone) in PEOPLE.items():
        rig.enrol(person, consent=False, email=email, phone=phone)
        if ward == "BA_DINH":
            app.change_notification_settings(person, SetNotificationPreferences(language="en", alert_wards=[ward]))
        else:
            app.change_notification_settings(person, ChooseAlertWards(wards=[ward]))
        assert app.notification_settings(person)["alert_wards"] == [ward]
    phones = {normalise_address("sms", phone): ward for ward, (_, _, phone) in PEOPLE.items()}

    # Step: a flood alert for Hoàn Kiếm and Ba Đình reaches An and Bình, once each, by e-mail and SMS.
    mails, calls = len(rig.mailbox.messages), len(rig.gateway.delivered)
    alert_id, code = issue_alert(app, "HOAN_KIEM", "BA_DINH")
    rig.deliver()
    rig.mailbox.wait(mails + 2)
    assert alert_mails(rig, mails) == {
        "an@example.vn": ["Cảnh báo: Cảnh báo ngập úng sau mưa lớn"],
        "binh@example.vn": ["Alert: Flooding warning after heavy rain"],
    }
    an = rig.mailbox.text(next(m for m in rig.mailbox.messages[mails:] if m["To"] == "an@example.vn"))
    assert f"Cảnh báo {code}: Cảnh báo ngập úng sau mưa lớn" in an
    assert "Khu vực: Phường Hoàn Kiếm, Phường Ba Đình." in an
    assert "Hạn chế đi qua khu vực ngập" in an
    assert f"/public/alerts/{code}" in an
    binh = rig.mailbox.text(next(m for m in rig.mailbox.messages[mails:] if m["To"] == "binh@example.vn"))
    assert "Avoid the flooded area" in binh
    assert "Area: Hoan Kiem Ward, Ba Dinh Ward." in binh
    sms = list(rig.gateway.delivered.values())[calls:]
    assert sorted(phones[message["to"]] for message in sms) == ["BA_DINH", "HOAN_KIEM"]
    # Nobody's address or subject is in what every subscriber gets.
    for message in sms:
        assert "vneid" not in str(message)
        assert "@" not in str(message["params"])
    rows = [row for row in rig.outbox() if row["kind"] == "alert"]
    assert len(rows) == 4
    assert all(row["urgent"] == 1 for row in rows)  # urgency Immediate

    # Step: an update (more severe) reaches the same two as an update.
    clock.advance(minutes=30)
    app.handle(ALERT_OFFICER, ReviseAlert(case=alert_id, severity=Severity.SEVERE))
    app.handle(ALERT_LEADER, ApproveAlert(case=alert_id))
    app.handle(ALERT_OFFICER, IssueAlert(case=alert_id))
    mails = len(rig.mailbox.messages)
    rig.deliver()
    rig.mailbox.wait(mails + 2)
    assert alert_mails(rig, mails) == {
        "an@example.vn": ["Cập nhật cảnh báo: Cảnh báo ngập úng sau mưa lớn"],
        "binh@example.vn": ["Alert update: Flooding warning after heavy rain"],
    }

    # Step: a cancellation reaches them as a cancellation, with its reason.
    clock.advance(minutes=30)
    app.handle(ALERT_LEADER, CancelAlert(case=alert_id, reason="Nước đã rút."))
    mails, calls = len(rig.mailbox.messages), len(rig.gateway.delivered)
    rig.deliver()
    rig.mailbox.wait(mails + 2)
    assert alert_mails(rig, mails) == {
        "an@example.vn": ["Hủy cảnh báo: Cảnh báo ngập úng sau mưa lớn"],
        "binh@example.vn": ["Alert cancelled: Flooding warning after heavy rain"],
    }
    an = rig.mailbox.text(next(m for m in rig.mailbox.messages[mails:] if m["To"] == "an@example.vn"))
    assert "Cảnh báo này đã được hủy: Nước đã rút." in an
    assert len(list(rig.gateway.delivered.values())[calls:]) == 2
    # Chi (Tây Hồ) heard of none of it: four notices per message, An's and Bình's.
    per_message: dict[object, set[object]] = {}
    for row in rig.outbox():
        if row["kind"] == "alert":
            per_message.setdefault(row["position"], set()).add(row["recipient"])
    assert [len(recipients) for recipients in per_message.values()] == [2, 2, 2]
    assert len({frozenset(recipients) for recipients in per_message.values()}) == 1

    # Step: the outbox is rebuilt from zero: the same rows, nothing queued or sent again.
    assert all(row["state"] == "sent" for row in rig.outbox())
    assert sum(1 for row in rig.read_side.model(OutboxModel).rows() if "alert_ward" in row) == 3
    rig.rebuild_sends_nothing()


def test_an_urgent_alert_ignores_quiet_hours_a_mild_one_waits_and_no_ward_means_no_alerts(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    rig.enrol(citizen, consent=False)
    # Step: quiet from 08:00 to 10:00 (it is 09:00 in Hanoi); Hoàn Kiếm's alerts wanted.
    app.change_notification_settings(
        citizen,
        SetNotificationPreferences(quiet_hours=QuietHours(start="08:00", end="10:00"), alert_wards=["HOAN_KIEM"]),
    )
    # Step: an Immediate flood warning goes at once, a Future/Moderate one waits until 10:00.
    mails = len(rig.mailbox.messages)
    urgent, _ = issue_alert(app, "HOAN_KIEM")
    mild, _ = issue_alert(app, "HOAN_KIEM", urgency=Urgency.FUTURE, severity=Severity.MODERATE)
    rig.deliver()
    assert [str(m["Subject"]) for m in rig.mailbox.wait(mails + 1)[mails:]] == [
        "Cảnh báo: Cảnh báo ngập úng sau mưa lớn"
    ]
    states = {(row["case_id"], row["channel"]): (row["state"], row["urgent"]) for row in rig.outbox()
              if row["kind"] == "alert"}  # fmt: skip
    assert states == {
        (str(urgent), "email"): ("sent", 1),
        (str(urgent), "sms"): ("sent", 1),
        (str(mild), "email"): ("pending", 0),
        (str(mild), "sms"): ("pending", 0),
    }
    clock.set(datetime(2026, 11, 30, 3, 0, 30, tzinfo=UTC))  # 10:00:30 in Hanoi
    rig.dispatcher.drain()
    assert len(rig.mailbox.wait(mails + 2)) == mails + 2

    # Step: no ward chosen (unsubscribed): a new alert for Hoàn Kiếm queues nothing for them.
    app.change_notification_settings(citizen, ChooseAlertWards(wards=[]))
    queued = len(rig.outbox())
    issue_alert(app, "HOAN_KIEM")
    rig.read_side.catch_up()
    assert len(rig.outbox()) == queued


def test_alert_wards_are_checked_against_the_directory_and_bounded(rig: Rig, citizen: Principal) -> None:
    app = rig.app
    with pytest.raises(ValidationError, match="unknown ward"):
        app.change_notification_settings(citizen, ChooseAlertWards(wards=["NO_SUCH_WARD"]))
    # A bad ward refuses the whole change: the language is not changed either.
    with pytest.raises(ValidationError):
        app.change_notification_settings(
            citizen, SetNotificationPreferences(language="en", alert_wards=["HOAN_KIEM", "NOWHERE"])
        )
    assert app.notification_settings(citizen)["language"] == "vi"
    wards = sorted(app.directory.wards)
    with pytest.raises(ValidationError, match="at most"):
        app.change_notification_settings(citizen, ChooseAlertWards(wards=[f"W{n}" for n in range(21)]))
    outcome = app.change_notification_settings(citizen, ChooseAlertWards(wards=[wards[1], wards[0], wards[1]]))
    assert outcome.changed
    assert app.notification_settings(citizen)["alert_wards"] == wards[:2]
    # The same choice again records nothing; omitting alert_wards leaves them as they are.
    assert not app.change_notification_settings(citizen, ChooseAlertWards(wards=wards[:2])).changed
    app.change_notification_settings(citizen, SetNotificationPreferences(language="en"))
    assert app.notification_settings(citizen)["alert_wards"] == wards[:2]


def test_an_alert_is_decided_as_of_its_event_and_reaches_a_person_once_whatever_their_wards(
    rig: Rig, citizen: Principal, other_citizen: Principal
) -> None:
    app = rig.app
    rig.enrol(citizen, consent=False)
    rig.enrol(other_citizen, consent=False, email="lan@example.vn", phone="0912 000 009")
    app.change_notification_settings(citizen, ChooseAlertWards(wards=["HOAN_KIEM", "BA_DINH"]))
    rig.read_side.catch_up()
    # Step: in one batch, an alert for both wards, then the other citizen subscribes to one of them.
    alert_id, _ = issue_alert(app, "HOAN_KIEM", "BA_DINH")
    app.change_notification_settings(other_citizen, ChooseAlertWards(wards=["BA_DINH"]))
    rig.read_side.catch_up()
    rows = [row for row in rig.outbox() if row["kind"] == "alert"]
    # One notice per channel for the person with both wards; none for who subscribed after it.
    assert sorted(str(row["channel"]) for row in rows) == ["email", "sms"]
    assert len({row["recipient"] for row in rows}) == 1
    # Step: the next message (a cancellation) reaches both.
    app.handle(ALERT_LEADER, CancelAlert(case=alert_id, reason="Nhầm khu vực."))
    rig.read_side.catch_up()
    cancel = [row for row in rig.outbox() if row["kind"] == "alert" and row["position"] != rows[0]["position"]]
    assert len(cancel) == 4
    assert len({row["recipient"] for row in cancel}) == 2
