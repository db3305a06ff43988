"""Subscriptions to new reports in an area (issue #14, FixMyStreet's local
alerts) on memory, SQLite and PostgreSQL, with the real SMTP server on
loopback: a new report reaches each person whose ward, radius or category
subscription matches it, once, never its reporter; capped, idempotent,
removable; a rebuild decides the same."""

from __future__ import annotations

import pytest

from ihanoi_core.commands.notifications import NearIn, SubscribeToReports, UnsubscribeFromReports
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.contactability_values import ReportAreaNotFoundError
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_projections.notifications.outbox import OutboxModel
from ihanoi_projections.notifications.triggers import REPORT_AREAS
from tests.conftest import FakeClock
from tests.notification_rig import Rig

DPO = Principal("dpo-01", Role.DPO)
LAKE = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Hồ Hoàn Kiếm")
# About 1.2 km west of the lake, still in Hoàn Kiếm for this test.
WEST = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8430, address="Phố Hàng Bông")
BA_DINH = LocationIn(ward="BA_DINH", latitude=21.0368, longitude=105.8347, address="Quảng trường Ba Đình")
PEOPLE = {
    "ward": (Principal("vneid:001099000021", Role.CITIZEN), SubscribeToReports(ward="HOAN_KIEM")),
    "near": (
        Principal("vneid:001099000022", Role.CITIZEN),
        SubscribeToReports(near=NearIn(latitude=21.0290, longitude=105.8540, radius_m=300)),
    ),
    "category": (Principal("vneid:001099000023", Role.CITIZEN), SubscribeToReports(category="street_light_out")),
    "both": (
        Principal("vneid:001099000024", Role.CITIZEN),
        SubscribeToReports(ward="BA_DINH", category="pothole"),
    ),
}


def emails(rig: Rig, since: int) -> list[str]:
    return sorted(str(m["To"]) for m in rig.mailbox.messages[since:])


def report(rig: Rig, who: Principal, category: str, where: LocationIn) -> str:
    """File a report and deliver what it calls for; its code."""
    filed = rig.app.handle(who, SubmitReport(category=category, description="Cần xử lý", location=where))
    rig.deliver()
    return filed.code


def test_a_new_report_reaches_the_matching_subscribers_once_and_never_its_reporter(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    app = rig.app
    # Step: four people prove an e-mail (no consent needed: they ask for these) and subscribe;
    # the reporter-to-be subscribes to their own ward too.
    for n, (name, (person, subscribe)) in enumerate(PEOPLE.items()):
        rig.enrol(person, consent=False, email=f"{name}@example.vn", phone=f"0912 000 20{n}")
        assert app.change_notification_settings(person, subscribe).changed
    rig.enrol(citizen, consent=False, email="reporter@example.vn", phone="0912 000 299")
    app.change_notification_settings(citizen, SubscribeToReports(ward="HOAN_KIEM"))
    # Subscribing to the same area again changes nothing.
    assert not app.change_notification_settings(PEOPLE["ward"][0], PEOPLE["ward"][1]).changed

    # Step: a pothole at the lake: the ward's and the radius's subscribers hear of it, not the reporter.
    since = len(rig.mailbox.messages)
    code = report(rig, citizen, "pothole", LAKE)
    rig.mailbox.wait(since + 2)
    assert emails(rig, since) == ["near@example.vn", "ward@example.vn"]
    mail = rig.mailbox.messages[since]
    assert str(mail["Subject"]).startswith("Phản ánh mới tại Phường Hoàn Kiếm")
    text = rig.mailbox.text(mail)
    assert f"/public/reports/{code}" in text
    assert "vneid" not in text
    assert "Cần xử lý" not in text

    # Step: a broken street light 1.2 km west, reported by the radius's subscriber: the ward's
    # subscribers (the first reporter among them) and the category's hear of it.
    since = len(rig.mailbox.messages)
    report(rig, PEOPLE["near"][0], "street_light_out", WEST)
    rig.mailbox.wait(since + 3)
    assert emails(rig, since) == ["category@example.vn", "reporter@example.vn", "ward@example.vn"]

    # Step: a pothole in Ba Đình meets "both" (ward and category); a street light there only "category".
    since = len(rig.mailbox.messages)
    report(rig, citizen, "pothole", BA_DINH)
    report(rig, citizen, "street_light_out", BA_DINH)
    rig.mailbox.wait(since + 2)
    assert emails(rig, since) == ["both@example.vn", "category@example.vn"]

    # Step: a rebuild decides the same; nothing is sent again.
    rig.rebuild_sends_nothing()


def test_subscriptions_are_checked_capped_and_removable(rig: Rig, citizen: Principal) -> None:
    app = rig.app
    rig.enrol(citizen, consent=False)
    # Step: bad areas are refused and record nothing.
    version = app.notification_settings(citizen)["version"]
    for bad in (
        SubscribeToReports(),
        SubscribeToReports(ward="ATLANTIS"),
        SubscribeToReports(category="unicorns"),
        SubscribeToReports(near=NearIn(latitude=21.0, longitude=105.8, radius_m=10)),
    ):
        with pytest.raises(ValidationError):
            app.change_notification_settings(citizen, bad)
    assert app.notification_settings(citizen)["version"] == version

    # Step: ten subscriptions, then the eleventh is refused.
    for radius in range(100, 1100, 100):
        app.change_notification_settings(
            citizen, SubscribeToReports(near=NearIn(latitude=21.03, longitude=105.85, radius_m=radius))
        )
    with pytest.raises(ValidationError, match="at most 10"):
        app.change_notification_settings(citizen, SubscribeToReports(ward="HOAN_KIEM"))
    subscriptions = app.notification_settings(citizen)["report_subscriptions"]
    assert len(subscriptions) == 10
    assert subscriptions[0]["near"]["latitude"] == 21.03

    # Step: one is removed; removing it again is not found.
    first = subscriptions[0]["id"]
    app.change_notification_settings(citizen, UnsubscribeFromReports(subscription=first))
    assert len(app.notification_settings(citizen)["report_subscriptions"]) == 9
    with pytest.raises(ReportAreaNotFoundError):
        app.change_notification_settings(citizen, UnsubscribeFromReports(subscription=first))


def test_an_erased_persons_subscriptions_leave_the_outbox_and_a_rebuild_agrees(
    rig: Rig, citizen: Principal, other_citizen: Principal
) -> None:
    app = rig.app
    rig.enrol(citizen, consent=False)
    app.change_notification_settings(
        citizen, SubscribeToReports(near=NearIn(latitude=21.0290, longitude=105.8540, radius_m=300))
    )
    rig.read_side.catch_up()
    assert len(rig.read_side.database.query(f"SELECT * FROM {REPORT_AREAS}")) == 1

    # Step: the person is erased: their point and radius leave the outbox's tables; no new report reaches them.
    request = app.request_erasure(citizen, "Xin xoá dữ liệu")
    app.decide_erasure(DPO, request.request_id, grant=True, reason="Yêu cầu", legal_basis="Luật 91/2025/QH15")
    rig.read_side.catch_up()
    assert rig.read_side.database.query(f"SELECT * FROM {REPORT_AREAS}") == []
    report(rig, other_citizen, "pothole", LAKE)
    assert [row for row in rig.outbox() if row["kind"] == "report_area"] == []

    # Step: a rebuild (the person's events now read as erased) derives the same.
    model = rig.read_side.model(OutboxModel)
    derived = model.rows()
    rig.read_side.projector.reset([OutboxModel.name])
    rig.read_side.catch_up()
    assert model.rows() == derived
