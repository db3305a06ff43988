"""Survey invitations (issue #14) on memory, SQLite and PostgreSQL, with the
real SMTP server on loopback: a published survey invites the people of its
audience (the wards targeted, else its agency's) who consented to
notifications and did not opt out; an identified survey only those who also
consented to answer under their identity; a rebuild invites no one again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import ChooseAlertWards, SetNotificationPreferences
from ihanoi_core.commands.surveys import CreateSurvey, PublishSurvey, TargetSurvey
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import InvalidTransitionError, ValidationError
from tests.conftest import FakeClock, staff
from tests.integration.test_survey_lifecycle import QUESTIONS
from tests.notification_rig import Rig

LEADER = staff(Role.LEADER, "UBND_HOAN_KIEM")
AN = Principal("vneid:001099000011", Role.CITIZEN)  # Hoàn Kiếm, consents
BINH = Principal("vneid:001099000012", Role.CITIZEN)  # Ba Đình, consents
CHI = Principal("vneid:001099000013", Role.CITIZEN)  # Hoàn Kiếm, no consent
DUNG = Principal("vneid:001099000014", Role.CITIZEN)  # Hoàn Kiếm, consents, opted out of invitations


def enrol_all(rig: Rig) -> None:
    for n, (person, ward, consent) in enumerate(
        ((AN, "HOAN_KIEM", True), (BINH, "BA_DINH", True), (CHI, "HOAN_KIEM", False), (DUNG, "HOAN_KIEM", True))
    ):
        rig.enrol(person, consent=consent, email=f"p{n}@example.vn", phone=f"0912 000 10{n}")
        rig.app.change_notification_settings(person, ChooseAlertWards(wards=[ward]))
    rig.app.change_notification_settings(DUNG, SetNotificationPreferences(opted_out=["survey_invitation"]))


def publish(app: Ihanoi, clock: FakeClock, *, anonymous: bool, wards: list[str] | None = None) -> tuple[str, str]:
    created = app.handle(
        LEADER, CreateSurvey(title="Khảo sát vỉa hè", description="", anonymous=anonymous, questions=QUESTIONS)
    )
    if wards is not None:
        app.handle(LEADER, TargetSurvey(case=created.case_id, wards=wards))
    app.handle(LEADER, PublishSurvey(case=created.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=7)))
    return str(created.case_id), created.code


def invited(rig: Rig, case_id: str) -> list[tuple[str, str]]:
    rows = [row for row in rig.outbox() if row["case_id"] == case_id and row["kind"] == "survey_invitation"]
    return sorted((str(row["recipient"]), str(row["channel"])) for row in rows)


def test_a_published_survey_invites_its_audience_with_consent_and_not_the_rest(rig: Rig, clock: FakeClock) -> None:
    app = rig.app
    enrol_all(rig)

    # Step: an anonymous survey of Hoàn Kiếm's committee, not targeted: its ward's people are asked.
    since = len(rig.mailbox.messages)
    case_id, code = publish(app, clock, anonymous=True)
    rig.deliver()
    rig.mailbox.wait(since + 1)
    mails = [(str(m["To"]), str(m["Subject"])) for m in rig.mailbox.messages[since:]]
    assert mails == [("p0@example.vn", f"Mời tham gia khảo sát {code}: Khảo sát vỉa hè")]
    text = rig.mailbox.text(rig.mailbox.messages[since])
    assert "Câu trả lời được ghi nhận ẩn danh." in text
    assert f"/surveys/{code}" in text
    assert len(invited(rig, case_id)) == 2  # An's e-mail and SMS

    # Step: an identified survey targeted at both wards: only those who consented to answer
    # under their identity are asked (Bình, once he consents; An has not).
    app.give_consent(BINH, "survey_identity", notice_version="2026-01")
    since = len(rig.mailbox.messages)
    case_id, code = publish(app, clock, anonymous=False, wards=["BA_DINH", "HOAN_KIEM"])
    rig.deliver()
    rig.mailbox.wait(since + 1)
    assert [str(m["To"]) for m in rig.mailbox.messages[since:]] == ["p1@example.vn"]
    assert "kèm danh tính" in rig.mailbox.text(rig.mailbox.messages[since])

    # Step: a rebuild of the outbox decides the same and queues nothing new.
    rig.rebuild_sends_nothing()


def test_the_audience_is_chosen_in_draft_from_known_wards_only(rig: Rig, clock: FakeClock) -> None:
    app = rig.app
    created = app.handle(LEADER, CreateSurvey(title="Khảo sát", description="", questions=QUESTIONS))
    version = app.get_case(LEADER, created.case_id)["version"]
    # Step: an unknown ward is refused and nothing is recorded.
    with pytest.raises(ValidationError):
        app.handle(LEADER, TargetSurvey(case=created.case_id, wards=["ATLANTIS"]))
    assert app.get_case(LEADER, created.case_id)["version"] == version
    # Step: targeted in draft; once published, the audience is fixed.
    app.handle(LEADER, TargetSurvey(case=created.case_id, wards=["BA_DINH"]))
    app.handle(LEADER, PublishSurvey(case=created.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=1)))
    with pytest.raises(InvalidTransitionError):
        app.handle(LEADER, TargetSurvey(case=created.case_id, wards=["HOAN_KIEM"]))
