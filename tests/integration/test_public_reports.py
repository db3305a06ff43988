"""public_reports on all three stores: the Open311 fields of a report as its
status changes, every filter of the feed, duplicate suggestions at known
distances around Hồ Gươm, no personal data anywhere, and a rebuild equal to
the incremental result."""

from __future__ import annotations

import math
from datetime import timedelta
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    CloseReport,
    CommentReport,
    DeclareReportNotResponsible,
    MarkReportDuplicate,
    RejectReport,
    ResolveReport,
    StartReport,
    SubmitReport,
    TransferReport,
)
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.values import Channel, Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.public_reports import PublicReportsModel, bounding_box, haversine_m
from tests.conftest import FakeClock, staff
from tests.integration.conftest import projection_context

# The middle of Hồ Gươm (Hoàn Kiếm Lake).
HO_GUOM = (21.0288, 105.8524)
# The IUGG mean Earth radius: a point moved north by d metres along a meridian
# is exactly d metres away on this sphere.
MEAN_RADIUS_M = 6_371_008.8
HOAN_KIEM_COMMITTEE = "UBND_HOAN_KIEM"


def moved(north_m: float = 0.0, east_m: float = 0.0, start: tuple[float, float] = HO_GUOM) -> LocationIn:
    """A place in Hoàn Kiếm ``north_m`` north and ``east_m`` east of ``start``."""
    latitude = start[0] + math.degrees(north_m / MEAN_RADIUS_M)
    longitude = start[1] + math.degrees(east_m / (MEAN_RADIUS_M * math.cos(math.radians(latitude))))
    return LocationIn(ward="HOAN_KIEM", latitude=latitude, longitude=longitude)


@pytest.fixture
def model(app: Ihanoi, views: ViewDatabase) -> PublicReportsModel:
    return PublicReportsModel(views, projection_context(app))


@pytest.fixture
def projector(app: Ihanoi, views: ViewDatabase, model: PublicReportsModel) -> Projector:
    return Projector(app, views, [model], batch_size=2)


def ids(results: list[CommandResult]) -> list[UUID]:
    return [result.case_id for result in results]


def test_a_reports_status_flows_into_the_feed_until_it_is_closed_with_the_public_answer(
    app: Ihanoi, model: PublicReportsModel, projector: Projector, citizen: Principal, clock: FakeClock
) -> None:
    officer, leader = staff(Role.OFFICER, HOAN_KIEM_COMMITTEE), staff(Role.LEADER, HOAN_KIEM_COMMITTEE)
    place = LocationIn("HOAN_KIEM", 21.0245, 105.8537, "Trước số 12 Hàng Bài")
    photos = ("https://media.ihanoi.vn/a.jpg", "https://media.ihanoi.vn/b.jpg")

    # Step: a citizen files a pothole report; it appears open with the directory's names.
    filed = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà lớn", location=place, media_urls=photos)
    )
    projector.catch_up()
    row = model.get(filed.case_id)
    assert row is not None
    category = app.directory.categories["pothole"]
    assert (row.code, row.service_code, row.service_name, row.service_name_en) == (
        filed.code, "pothole", category.name_vi, category.name_en,
    )  # fmt: skip
    assert (row.status, row.open311_status, row.status_notes) == ("submitted", "open", None)
    assert (row.agency, row.agency_name) == (HOAN_KIEM_COMMITTEE, "Ủy ban nhân dân phường Hoàn Kiếm")
    assert (row.ward, row.latitude, row.longitude, row.address) == ("HOAN_KIEM", 21.0245, 105.8537, place.address)
    assert (row.description, row.media_urls) == ("Ổ gà lớn", photos)
    assert row.requested_at == row.updated_at == clock.now
    assert row.expected_at == app.get_case(officer, filed.case_id)["due_at"]

    # Step: acknowledged, assigned, started and commented: still open, the comment is the note.
    clock.advance(hours=1)
    app.handle(officer, AcknowledgeReport(case=filed.case_id))
    app.handle(officer, AssignReport(case=filed.case_id, assignee="officer-a"))
    app.handle(officer, StartReport(case=filed.case_id))
    app.handle(officer, CommentReport(case=filed.case_id, note="Đội duy tu đã có mặt"))
    projector.catch_up()
    row = model.get(filed.case_id)
    assert row is not None
    assert (row.status, row.open311_status, row.status_notes) == ("in_progress", "open", "Đội duy tu đã có mặt")
    assert row.expected_at == app.get_case(officer, filed.case_id)["due_at"] != row.requested_at
    assert row.updated_at == clock.now

    # Step: resolved with a public answer: closed for Open311, nothing expected any more.
    clock.advance(hours=2)
    app.handle(officer, ResolveReport(case=filed.case_id, answer="Đã vá ổ gà"))
    projector.catch_up()
    row = model.get(filed.case_id)
    assert row is not None
    assert (row.status, row.open311_status, row.status_notes) == ("resolved", "closed", "Đã vá ổ gà")
    assert (row.expected_at, row.updated_at) == (None, clock.now)

    # Step: closed by the leader: the answer stays the note; the code finds it too.
    closed = app.handle(leader, CloseReport(case=filed.case_id))
    projector.catch_up()
    row = model.get_by_code(f" {filed.code.lower()} ")
    assert row is not None
    assert (row.status, row.open311_status, row.status_notes) == ("closed", "closed", "Đã vá ổ gà")
    assert row.position == closed.position


def test_a_transferred_report_shows_its_new_agency_and_a_rejected_one_its_reason(
    app: Ihanoi, model: PublicReportsModel, projector: Projector, citizen: Principal
) -> None:
    leader, officer = staff(Role.LEADER, HOAN_KIEM_COMMITTEE), staff(Role.OFFICER, HOAN_KIEM_COMMITTEE)
    moved_on = app.handle(citizen, SubmitReport(category="pothole", description="Sụt lún", location=moved()))
    refused = app.handle(citizen, SubmitReport(category="pothole", description="Quảng cáo", location=moved()))
    app.handle(leader, TransferReport(case=moved_on.case_id, to_agency="SXD", reason="Đường do Sở quản lý"))
    app.handle(officer, RejectReport(case=refused.case_id, reason="Không phải phản ánh hiện trường"))
    projector.catch_up()

    transferred, rejected = model.get(moved_on.case_id), model.get(refused.case_id)
    assert transferred is not None
    assert rejected is not None
    assert (transferred.status, transferred.open311_status) == ("transferred", "open")
    assert (transferred.agency, transferred.agency_name) == ("SXD", "Sở Xây dựng")
    assert (rejected.status, rejected.open311_status) == ("rejected", "closed")
    assert rejected.status_notes == "Không phải phản ánh hiện trường"


def test_the_feed_filters_by_each_criterion_and_lists_newest_first(
    app: Ihanoi, model: PublicReportsModel, projector: Projector, citizen: Principal, clock: FakeClock
) -> None:
    ward_officer = staff(Role.OFFICER, HOAN_KIEM_COMMITTEE)
    dong_da_officer = staff(Role.OFFICER, "UBND_DONG_DA")
    start = clock.now

    # Step: five reports an hour apart, in four wards, three categories and three agencies.
    def submit(category: str, location: LocationIn) -> CommandResult:
        result = app.handle(citizen, SubmitReport(category=category, description="x", location=location))
        clock.advance(hours=1)
        return result

    lake = submit("pothole", moved())
    square = submit("flooding", LocationIn("BA_DINH", 21.0368, 105.8347))
    park = submit("uncollected_waste", LocationIn("CAU_GIAY", 21.0362, 105.7906))
    no_place = submit("pothole", LocationIn("DONG_DA", address="Ngõ 46 Phạm Ngọc Thạch"))
    bank = submit("pothole", moved(north_m=-400))
    app.handle(staff(Role.OFFICER, "UBND_CAU_GIAY"), AcknowledgeReport(case=park.case_id))
    app.handle(dong_da_officer, AcknowledgeReport(case=no_place.case_id))
    app.handle(dong_da_officer, AssignReport(case=no_place.case_id, assignee="officer-b"))
    app.handle(dong_da_officer, ResolveReport(case=no_place.case_id, answer="Đã xử lý"))
    app.handle(ward_officer, RejectReport(case=bank.case_id, reason="Trùng nội dung"))
    projector.catch_up()
    newest_first = [bank, no_place, park, square, lake]

    def found(**filters: object) -> list[UUID]:
        return [report.case_id for report in model.search(**filters)]  # type: ignore[arg-type]

    # Step: each filter alone.
    assert found() == ids(newest_first)
    assert found(statuses=("resolved", "rejected")) == ids([bank, no_place])
    assert found(open311_status="open") == ids([park, square, lake])
    assert found(open311_status="closed") == ids([bank, no_place])
    assert found(service_codes=("pothole",)) == ids([bank, no_place, lake])
    assert found(service_codes=("pothole", "flooding")) == ids([bank, no_place, square, lake])
    assert found(wards=("BA_DINH", "CAU_GIAY")) == ids([park, square])
    assert found(agency="SXD") == ids([square])
    assert found(agency=HOAN_KIEM_COMMITTEE) == ids([bank, lake])
    # Both ends of the request window are included.
    window = {"requested_from": start + timedelta(hours=1), "requested_to": start + timedelta(hours=3)}
    assert found(**window) == ids([no_place, park, square])
    assert found(requested_from=start + timedelta(minutes=1)) == ids(newest_first[:-1])
    assert found(bbox=(21.02, 105.845, 21.035, 105.86)) == ids([bank, lake])
    assert found(bbox=(21.03, 105.78, 21.04, 105.84)) == ids([park, square])
    assert found(ids=(lake.case_id, park.case_id)) == ids([park, lake])

    # Step: filters together narrow each other; pages keep the order.
    assert found(service_codes=("pothole",), open311_status="closed", wards=("HOAN_KIEM",)) == ids([bank])
    assert found(statuses=("submitted",), agency="SXD", ids=(lake.case_id,)) == []
    page = model.search(limit=2, offset=1)
    assert [report.case_id for report in page] == ids([no_place, park])

    # Step: reports filed at the same instant are ordered by case id, highest first.
    twins = [app.handle(citizen, SubmitReport(category="flooding", description="x", location=moved())) for _ in "ab"]
    projector.catch_up()
    assert found(requested_from=clock.now) == sorted(ids(twins), key=str, reverse=True)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"bbox": (21.1, 105.8, 21.0, 105.9)}, "bbox"),
        ({"open311_status": "pending"}, "open311_status"),
    ],
)
def test_a_malformed_search_is_refused_naming_the_field(
    model: PublicReportsModel, projector: Projector, filters: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        model.search(**filters)  # type: ignore[arg-type]
    assert list(raised.value.errors) == [field]


def test_near_suggests_open_reports_of_the_category_nearest_first_with_their_distance(
    app: Ihanoi, model: PublicReportsModel, projector: Projector, citizen: Principal
) -> None:
    officer = staff(Role.OFFICER, HOAN_KIEM_COMMITTEE)

    # Step: potholes 50 m north, 300 m east, 2 km south and 400 m north-east twice
    # (566 m: inside the 500 m search box, outside its circle); a rejected pothole
    # 100 m west, a flooding 20 m south and a pothole known by its address only.
    def pothole(location: LocationIn, category: str = "pothole") -> CommandResult:
        return app.handle(citizen, SubmitReport(category=category, description="x", location=location))

    north_50 = pothole(moved(north_m=50))
    east_300 = pothole(moved(east_m=300))
    south_2km = pothole(moved(north_m=-2000))
    corner_566 = pothole(moved(north_m=400, east_m=400))
    west_100 = pothole(moved(east_m=-100))
    flooding_20 = pothole(moved(north_m=-20), category="flooding")
    pothole(LocationIn("HOAN_KIEM", address="Phố Đinh Tiên Hoàng"))
    app.handle(officer, RejectReport(case=west_100.case_id, reason="Đã xử lý trước đó"))
    projector.catch_up()

    def near(
        radius_m: float, service_code: str | None = "pothole", open_only: bool = True, limit: int = 10
    ) -> list[UUID]:
        found = model.near(
            latitude=HO_GUOM[0], longitude=HO_GUOM[1], radius_m=radius_m,
            service_code=service_code, open_only=open_only, limit=limit,
        )  # fmt: skip
        distances.append([distance for _, distance in found])
        return [report.case_id for report, _ in found]

    distances: list[list[float]] = []

    # Step: within 500 m, the open potholes at 50 and 300 m, nearest first.
    assert near(500) == ids([north_50, east_300])
    assert distances[-1] == pytest.approx([50, 300], abs=0.01)
    # Step: within 2.1 km the corner (√2 × 400 m) and the one 2 km south join.
    assert near(2100) == ids([north_50, east_300, corner_566, south_2km])
    assert distances[-1] == pytest.approx([50, 300, 400 * math.sqrt(2), 2000], abs=0.1)
    # Step: closed ones on request, any category, and a limit.
    assert near(500, open_only=False) == ids([north_50, west_100, east_300])
    assert distances[-1] == pytest.approx([50, 100, 300], abs=0.01)
    assert near(500, service_code=None) == ids([flooding_20, north_50, east_300])
    assert near(2100, limit=1) == ids([north_50])
    # Step: a report without coordinates is never near, however wide the circle.
    widest = near(100_000, service_code=None, open_only=False)
    assert set(widest) == set(ids([north_50, east_300, south_2km, corner_566, west_100, flooding_20]))
    with pytest.raises(ValidationError):
        near(0)


@pytest.mark.parametrize("latitude", [0.0, 21.0288, -60.0, 89.99])
def test_the_search_box_of_near_holds_every_point_of_its_circle(latitude: float) -> None:
    min_lat, min_lon, max_lat, max_lon = bounding_box(latitude, 105.85, 1000)
    for bearing in range(0, 360, 5):
        north = 1000 * math.cos(math.radians(bearing))
        east = 1000 * math.sin(math.radians(bearing))
        place = moved(north_m=north * 0.999, east_m=east * 0.999, start=(latitude, 105.85))
        assert place.latitude is not None
        assert place.longitude is not None
        if haversine_m(latitude, 105.85, place.latitude, place.longitude) <= 1000:
            assert min_lat <= place.latitude <= max_lat
            assert min_lon <= place.longitude <= max_lon
    # And it is not needlessly large: ±1 km of latitude is ±0.009°.
    assert max_lat - latitude == pytest.approx(math.degrees(1000 / MEAN_RADIUS_M))


def test_the_feed_holds_nothing_that_identifies_who_filed_a_report(
    app: Ihanoi, views: ViewDatabase, model: PublicReportsModel, projector: Projector, citizen: Principal
) -> None:
    officer = staff(Role.OFFICER, HOAN_KIEM_COMMITTEE)
    partner = Principal("partner-app", Role.PARTNER)
    hotline = staff(Role.OFFICER, "SXD")
    contact = ContactIn(name="Nguyễn Thị Lan", phone="0912345678", email="lan.nguyen@example.vn")
    caller = ContactIn(name="Trần Văn Bình", phone="0987654321", email="binh.tran@example.vn")

    # Step: a citizen (with contact details), a partner app and the hotline file reports;
    # they are acknowledged and answered, so every row is written more than once.
    filed = [
        app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=moved(), contact=contact)),
        app.handle(
            partner,
            SubmitReport(
                category="pothole", description="Ổ gà", location=moved(), contact=contact, channel=Channel.OPEN311
            ),
        ),
        app.handle(
            hotline,
            SubmitReport(
                category="flooding", description="Ngập", location=moved(), contact=caller, channel=Channel.HOTLINE
            ),
        ),
        app.handle(citizen, SubmitReport(category="pothole", description="x", location=moved(), anonymous=True)),
    ]
    app.handle(officer, AcknowledgeReport(case=filed[0].case_id))
    app.handle(officer, CommentReport(case=filed[0].case_id, note="Đã tiếp nhận"))
    projector.catch_up()

    # Step: no value of any row holds the citizen's subject (or its keyed hash), a name, phone or email.
    rows = model.rows()
    assert len(rows) == len(filed)
    stored = " ".join(str(value) for row in rows for value in row.values())
    secrets = {
        citizen.subject,
        str(model.context.subject_key(citizen.subject)),
        *(value for person in (contact, caller) for value in (person.name, person.phone, person.email) if value),
    }
    assert [secret for secret in secrets if secret in stored] == []
    assert not {"owner", "owner_key", "contact", "reporter", "actor"} & set(rows[0])


def test_the_feed_built_in_small_batches_equals_a_rebuild_from_zero(
    app: Ihanoi, views: ViewDatabase, model: PublicReportsModel, citizen: Principal, clock: FakeClock
) -> None:
    projector = Projector(app, views, [model], batch_size=2)
    officer, leader = staff(Role.OFFICER, HOAN_KIEM_COMMITTEE), staff(Role.LEADER, HOAN_KIEM_COMMITTEE)

    # Step: reports and their changes, with the projector catching up between steps.
    filed = [
        app.handle(citizen, SubmitReport(category="pothole", description=f"Ổ gà {n}", location=moved(east_m=n * 10)))
        for n in range(5)
    ]
    projector.catch_up()
    clock.advance(hours=1)
    for result in filed[:3]:
        app.handle(officer, AcknowledgeReport(case=result.case_id))
    app.handle(officer, AssignReport(case=filed[0].case_id, assignee="officer-a"))
    projector.catch_up()
    app.handle(officer, ResolveReport(case=filed[0].case_id, answer="Đã vá"))
    app.handle(leader, TransferReport(case=filed[1].case_id, to_agency="SXD", reason="Đường chính"))
    app.handle(officer, MarkReportDuplicate(case=filed[2].case_id, original=str(filed[0].case_id)))
    app.handle(officer, DeclareReportNotResponsible(case=filed[3].case_id, responsible="EVN Hà Nội"))
    projector.catch_up()
    incremental = model.rows()
    assert len(incremental) == len(filed)
    assert {row["status"] for row in incremental} == {
        "resolved", "transferred", "duplicate", "not_responsible", "submitted",
    }  # fmt: skip

    # Step: a rebuild from zero, in batches of another size, gives the same rows.
    projector.reset()
    assert model.rows() == []
    Projector(app, views, [model], batch_size=3).catch_up()
    assert model.rows() == incremental
