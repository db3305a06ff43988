"""``NoticeDelivered`` on the case for the notices the law requires (issue
#14), on memory, SQLite and PostgreSQL, with the real SMTP server and HTTP
gateway on loopback: the apology for a late dossier and its result notice
reach the applicant without consent, each delivery is recorded on the case
once (channel, notice id, time; no address) and shows in its history; a
dispatcher that died after sending or after recording records nothing twice."""

from __future__ import annotations

from uuid import UUID

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit.history import AUDITOR, case_history
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    MarkDossierResultReady,
    ReceiveDossier,
    StartDossierProcessing,
)
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.channels import Message
from ihanoi_projections.notifications.legal import record_delivered_notices
from ihanoi_projections.notifications.notices import OUTBOX
from tests.conftest import FakeClock
from tests.dossiers import at, procedure_staff, submit
from tests.notification_rig import Rig


def delivered(app: Ihanoi, case_id: UUID) -> list[tuple[str, str, str]]:
    """(kind, channel, notice id) of each NoticeDelivered on the case, oldest first."""
    return [
        (event.kind, event.channel, event.notice)  # type: ignore[attr-defined]
        for event in app.events.get(case_id)
        if type(event).__name__ == "NoticeDelivered"
    ]


def legal_rows(rig: Rig, kind: str) -> list[dict[str, object]]:
    return [row for row in rig.outbox() if row["kind"] == kind]


def test_the_apology_and_the_result_are_delivered_without_consent_and_recorded_on_the_case_once(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    # Step: the applicant proves e-mail and SMS but gives no consent to notifications.
    rig.enrol(citizen, consent=False)
    officer, leader = procedure_staff(app, Role.OFFICER), procedure_staff(app, Role.LEADER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))

    # Step: late, the leader apologises; the apology goes to both channels and is recorded twice (one per channel).
    clock.set(at(12, 7, 11))
    app.handle(leader, ApologizeForDossierDelay(case=filed.case_id, reason="Cần xác minh", new_due=at(12, 9, 17)))
    rig.deliver()
    apologies = legal_rows(rig, "dossier_apology")
    assert sorted(str(row["channel"]) for row in apologies) == ["email", "sms"]
    assert all(row["state"] == "sent" and row["notice_recorded_at"] for row in apologies)
    assert sorted(delivered(app, filed.case_id)) == sorted(
        ("dossier_apology", str(row["channel"]), str(row["notification_id"])) for row in apologies
    )

    # Step: the result is ready: a decision notice, not a status notice (which needs consent).
    clock.set(at(12, 8, 10))
    app.handle(officer, MarkDossierResultReady(case=filed.case_id, note="Mời nhận kết quả"))
    rig.deliver()
    decisions = legal_rows(rig, "decision_notice")
    assert sorted(str(row["channel"]) for row in decisions) == ["email", "sms"]
    assert not legal_rows(rig, "case_status")
    subjects = [str(m["Subject"]) for m in rig.mailbox.messages]
    assert f"Hồ sơ {filed.code}: đã có kết quả" in subjects
    assert [kind for kind, _, _ in delivered(app, filed.case_id)].count("decision_notice") == 2

    # Step: the history shows each delivery with its channel and time, and no address.
    history = case_history(app, AUDITOR, filed.case_id)
    entries = [entry for entry in history.entries if entry.event == "NoticeDelivered"]
    assert len(entries) == 4
    assert {entry.changes["channel"] for entry in entries} == {"email", "sms"}
    assert all(entry.actor and entry.actor["role"] == "system" for entry in entries)
    assert "hoa@example.vn" not in str(entries)
    assert "912345678" not in str(entries)

    # Step: recording again (a second dispatcher, a restart) records nothing more.
    before = delivered(app, filed.case_id)
    with rig.read_side.database.transaction() as cursor:
        cursor.execute(f"UPDATE {OUTBOX} SET notice_recorded_at = NULL")
    assert record_delivered_notices(app, rig.read_side.database, 1) == 4
    assert delivered(app, filed.case_id) == before


def test_a_dispatcher_killed_between_send_and_record_records_each_delivery_once_without_sending_twice(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    rig.enrol(citizen, consent=False)
    officer, leader = procedure_staff(app, Role.OFFICER), procedure_staff(app, Role.LEADER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    rig.deliver()
    clock.set(at(12, 7, 11))
    app.handle(leader, ApologizeForDossierDelay(case=filed.case_id, reason="Cần xác minh", new_due=at(12, 9, 17)))
    rig.read_side.catch_up()

    # Step: one dispatcher claims the apologies and the gateway gets the SMS, then it dies
    # (its lease will lapse); another sent the e-mail and died before recording it.
    first = rig.new_dispatcher()
    claimed = {row["channel"]: row for row in first.claim()}
    assert sorted(claimed) == ["email", "sms"]
    sms, email = claimed["sms"], claimed["email"]
    rig.senders["sms"].send(sms_message(sms))
    first.deliver(email)  # sent and marked sent; dead before ``run_once`` records it
    assert delivered(app, filed.case_id) == []
    calls = rig.gateway.calls
    distinct = len(rig.gateway.delivered)

    # Step: after the lease, a new dispatcher sends the SMS again with the same key (the
    # gateway delivers it once), and records both deliveries, once each.
    clock.advance(seconds=rig.settings.notify_lease_seconds + 1)
    second = rig.new_dispatcher()
    assert second.drain() == 1
    assert rig.gateway.calls == calls + 1
    assert len(rig.gateway.delivered) == distinct
    assert sorted(channel for _, channel, _ in delivered(app, filed.case_id)) == ["email", "sms"]
    assert rig.new_dispatcher().drain() == 0
    assert len(delivered(app, filed.case_id)) == 2


def sms_message(row: dict[str, object]) -> Message:
    """The SMS a dispatcher sends for ``row``, keyed by the notice's id as ``deliver`` keys it."""
    return Message(
        idempotency_key=str(row["notification_id"]), channel="sms", kind=str(row["kind"]),
        to="+84912345678", language="vi", subject="", text="apology",
    )  # fmt: skip
