"""Officers' deadline reminders as messages (issue #14 item 4), on memory,
SQLite and PostgreSQL, against the real SMTP server on loopback: the
assignee hears of each reminder and of the miss, the leaders of the agency
of the miss, nobody else; staff prove their channels like citizens do."""

from __future__ import annotations

import pytest

from ihanoi_core.commands.notifications import AddChannel
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, SubmitReport
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.errors import ForbiddenError
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.notifications.outbox import OutboxModel
from tests.conftest import FakeClock, staff
from tests.integration.test_deadline_watcher import HOAN_KIEM, hanoi
from tests.notification_rig import Rig

AGENCY = "UBND_HOAN_KIEM"
OFFICER = staff(Role.OFFICER, AGENCY)
LEADER = staff(Role.LEADER, AGENCY)
OTHER_LEADER = staff(Role.LEADER, "UBND_BA_DINH")


def mails_since(rig: Rig, since: int) -> list[tuple[str, str]]:
    return sorted((str(m["To"]), str(m["Subject"])) for m in rig.mailbox.messages[since:])


def test_the_assignee_hears_of_each_reminder_and_the_miss_and_the_agencys_leaders_of_the_miss(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    # Step: the officer, their leader and another agency's leader prove an
    # e-mail address and a phone (no consent: reminders are work).
    clock.set(hanoi(2026, 12, 4, 9))
    rig.enrol(OFFICER, consent=False, email="officer@hoankiem.gov.vn", phone="0912 111 111")
    rig.enrol(LEADER, consent=False, email="leader@hoankiem.gov.vn", phone="0912 222 222")
    rig.enrol(OTHER_LEADER, consent=False, email="leader@badinh.gov.vn", phone="0912 333 333")
    assert [c["verified"] for c in app.notification_settings(OFFICER)["channels"]] == [True, True]

    # Step: a report is filed Friday 14:00, acknowledged and assigned to the officer.
    clock.set(hanoi(2026, 12, 4, 14))
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà sâu", location=HOAN_KIEM))
    app.handle(OFFICER, AcknowledgeReport(case=filed.case_id, priority=Priority.NORMAL))
    app.handle(OFFICER, AssignReport(case=filed.case_id, assignee=OFFICER.subject))
    rig.read_side.catch_up()
    watcher = Watcher(
        app, rig.read_side.model(DeadlineClocksModel), lambda _position: rig.read_side.catch_up(), clock=clock
    )

    # Step: two weeks later the watcher fires the reminders, the miss and the escalation.
    clock.set(hanoi(2026, 12, 18, 9))
    assert [due.threshold for due in watcher.run_once()] == [
        "reminder_share", "reminder_last_hour", "missed", "escalation",
    ]  # fmt: skip
    since, calls = len(rig.mailbox.messages), len(rig.gateway.delivered)
    rig.deliver()
    rig.mailbox.wait(since + 4)
    code = filed.code
    assert mails_since(rig, since) == sorted(
        [
            ("officer@hoankiem.gov.vn", f"Nhắc hạn: Phản ánh {code}: hạn 14:00 11/12/2026"),
            ("officer@hoankiem.gov.vn", f"Nhắc hạn: Phản ánh {code}: hạn 14:00 11/12/2026"),
            ("officer@hoankiem.gov.vn", f"Quá hạn: Phản ánh {code}"),
            ("leader@hoankiem.gov.vn", f"Quá hạn tại {AGENCY}: Phản ánh {code}"),
        ]
    )
    texts = [rig.mailbox.text(m) for m in rig.mailbox.messages[since:]]
    assert any("còn một giờ làm việc nữa là đến hạn" in text for text in texts)
    # Nothing of the citizen's: neither their id nor the description.
    assert not any("vneid" in text or "Ổ gà" in text for text in texts)
    sms = list(rig.gateway.delivered.values())[calls:]
    assert sorted(message["to"] for message in sms) == ["+84912111111"] * 3 + ["+84912222222"]

    # Step: a rebuild of the outbox queues nothing new; another round fires nothing.
    model = rig.read_side.model(OutboxModel)
    derived = model.rows()
    rig.read_side.projector.reset([OutboxModel.name])
    rig.read_side.catch_up()
    assert model.rows() == derived
    assert watcher.run_once() == []
    assert rig.dispatcher.drain() == 0


def test_a_leader_who_becomes_an_officer_elsewhere_no_longer_hears_of_the_agencys_misses(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    clock.set(hanoi(2026, 12, 4, 9))
    rig.enrol(LEADER, consent=False, email="leader@hoankiem.gov.vn", phone="0912 222 222")
    # Step: the same person now acts as an officer of another agency on their own settings.
    moved = Principal(LEADER.subject, Role.OFFICER, "UBND_BA_DINH")
    app.change_notification_settings(moved, AddChannel(channel="zalo", address="1234567"))
    clock.set(hanoi(2026, 12, 4, 14))
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
    rig.read_side.catch_up()
    watcher = Watcher(
        app, rig.read_side.model(DeadlineClocksModel), lambda _position: rig.read_side.catch_up(), clock=clock
    )
    clock.set(hanoi(2026, 12, 18, 9))
    assert "missed" in [due.threshold for due in watcher.run_once()]
    rig.read_side.catch_up()
    kinds = [row["kind"] for row in rig.outbox() if row["case_id"] == str(filed.case_id)]
    assert kinds == []  # no assignee yet, and no leader of the agency any more


def test_staff_manage_their_own_settings_but_an_auditor_has_none(rig: Rig, citizen: Principal) -> None:
    app = rig.app
    app.change_notification_settings(OFFICER, AddChannel(channel="email", address="officer@hoankiem.gov.vn"))
    assert [c["channel"] for c in app.notification_settings(OFFICER)["channels"]] == ["email"]
    assert app.notification_settings(citizen)["channels"] == []
    auditor = Principal("inspector-01", Role.AUDITOR)
    with pytest.raises(ForbiddenError):
        app.change_notification_settings(auditor, AddChannel(channel="email", address="x@example.vn"))
    with pytest.raises(ForbiddenError):
        app.notification_settings(auditor)
