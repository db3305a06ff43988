"""Alerts on all three stores: the four-eyes rule, a draft → approve → issue →
update → cancel chain whose every CAP message validates against the OASIS
CAP 1.2 schema and reads back through an independent parser, the public read
model (active derived at query time, cancelled and expired alerts not
active, wards), a rebuild equal to the incremental result, the flood
hotspots' suggestions, and CAP imports: hostile or foreign XML refused with
nothing stored, a real one drafted for approval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.cap.fetch import import_alert
from ihanoi_core.cap.parse import CapRefusedError
from ihanoi_core.commands.alerts import (
    AlertTextIn,
    ApproveAlert,
    AreaIn,
    CancelAlert,
    CircleIn,
    DraftAlert,
    IssueAlert,
    ReviseAlert,
)
from ihanoi_core.commands.reports import ResolveReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.alert_values import Severity
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, InvalidTransitionError, RuleViolationError, ValidationError
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.flood_hotspots import FloodHotspotsModel
from ihanoi_projections.public_alerts import PublicAlertsModel
from tests.cap_checks import assert_valid_cap, parse_with_capparselib
from tests.conftest import FakeClock
from tests.integration.conftest import projection_context

OFFICER = Principal("officer-sxd", Role.OFFICER, "SXD")
LEADER = Principal("leader-sxd", Role.LEADER, "SXD")
DEPUTY = Principal("deputy-sxd", Role.LEADER, "SXD")
FOREIGN_LEADER = Principal("leader-syt", Role.LEADER, "SYT")
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
RING = ((21.03, 105.85), (21.04, 105.86), (21.02, 105.86), (21.03, 105.85))
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 7, 15, 2, 30, tzinfo=UTC))  # 09:30 in Hanoi


def flood_alert(app: Ihanoi, *wards: str) -> UUID:
    """A flood alert drafted from the template by the officer, approved by the leader and issued."""
    area = AreaIn(wards=wards or ("HOAN_KIEM", "BA_DINH"), polygon=RING, circles=(CircleIn(21.03, 105.85, 1.5),))
    alert_id = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(area,))).case_id
    app.handle(LEADER, ApproveAlert(case=alert_id))
    app.handle(OFFICER, IssueAlert(case=alert_id))
    return alert_id


def models(app: Ihanoi, views: ViewDatabase) -> tuple[Projector, PublicAlertsModel, FloodHotspotsModel]:
    alerts = PublicAlertsModel(views, projection_context(app))
    hotspots = FloodHotspotsModel(views, projection_context(app))
    return Projector(app, views, [alerts, hotspots], batch_size=3), alerts, hotspots


def test_nobody_approves_their_own_alert_and_only_a_leader_of_its_agency_approves(app: Ihanoi) -> None:
    # Step: a leader drafts; the same leader may not approve it, an officer may not either.
    alert_id = app.handle(LEADER, DraftAlert(template="ret_dam", areas=(AreaIn(wards=("TAY_HO",)),))).case_id
    with pytest.raises(RuleViolationError) as four_eyes:
        app.handle(LEADER, ApproveAlert(case=alert_id))
    assert four_eyes.value.rule == "four_eyes"
    with pytest.raises(ForbiddenError):
        app.handle(OFFICER, ApproveAlert(case=alert_id))
    # Step: a leader of another agency does not even see it; it cannot be issued unapproved.
    with pytest.raises(Exception, match="No case"):
        app.handle(FOREIGN_LEADER, ApproveAlert(case=alert_id))
    with pytest.raises(InvalidTransitionError):
        app.handle(OFFICER, IssueAlert(case=alert_id))
    # Step: a second leader approves; a revision by them needs the first leader's eyes again.
    assert app.handle(DEPUTY, ApproveAlert(case=alert_id)).status == "approved"
    assert app.handle(DEPUTY, ReviseAlert(case=alert_id, severity=Severity.SEVERE)).status == "draft"
    with pytest.raises(RuleViolationError):
        app.handle(DEPUTY, ApproveAlert(case=alert_id))
    assert app.handle(LEADER, ApproveAlert(case=alert_id)).status == "approved"
    # Step: a citizen can neither draft nor see one.
    with pytest.raises(ForbiddenError):
        app.handle(CITIZEN, DraftAlert(template="bao", areas=(AreaIn(wards=("TAY_HO",)),)))


def test_bad_content_is_refused_with_every_field_named_and_nothing_stored(app: Ihanoi, clock: FakeClock) -> None:
    head = app.recorder.max_notification_id()
    bad = DraftAlert(
        template="ngap_ung",
        expires=clock.now,
        areas=(
            AreaIn(wards=("NO_SUCH_WARD",)),
            AreaIn(wards=("HOAN_KIEM",), polygon=((21.0, 105.8), (21.1, 105.9), (21.2, 105.8))),
            AreaIn(wards=("HOAN_KIEM",), circles=(CircleIn(91.0, 105.8, 1.0),)),
        ),
        texts=(AlertTextIn("en-US", "Flood", "Flood", "Water"),),
    )
    with pytest.raises(ValidationError) as refused:
        app.handle(OFFICER, bad)
    assert set(refused.value.errors) == {
        "expires",
        "texts",
        "areas[0].wards",
        "areas[1].polygon",
        "areas[2].circles[0]",
    }
    with pytest.raises(ValidationError) as missing:
        app.handle(OFFICER, DraftAlert(areas=(AreaIn(wards=("HOAN_KIEM",)),)))
    assert {"category", "urgency", "severity", "certainty", "expires", "texts"} <= set(missing.value.errors)
    assert app.recorder.max_notification_id() == head


def test_every_message_of_an_update_and_cancel_chain_is_valid_cap_and_reads_back(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock
) -> None:
    projector, alerts, _ = models(app, views)

    # Step: issued, then updated twice (each update revised and approved anew), then cancelled.
    alert_id = flood_alert(app)
    for severity in (Severity.SEVERE, Severity.EXTREME):
        clock.advance(minutes=20)
        app.handle(OFFICER, ReviseAlert(case=alert_id, severity=severity, areas=(AreaIn(wards=("HOAN_KIEM",)),)))
        app.handle(LEADER, ApproveAlert(case=alert_id))
        app.handle(OFFICER, IssueAlert(case=alert_id))
    clock.advance(minutes=20)
    app.handle(LEADER, CancelAlert(case=alert_id, reason="Nước đã rút hết."))
    projector.catch_up()

    # Step: four messages; each validates against the CAP 1.2 XSD and capparselib
    # reads back its identifier, type, references and both languages.
    code = app.get_case(LEADER, alert_id)["code"]
    documents = [document for n in range(1, 5) if (document := alerts.document(code, n)) is not None]
    assert len(documents) == 4
    assert alerts.document(code, 5) is None
    assert alerts.document(code) == documents[-1]
    seen: list[str] = []
    for number, (document, msg_type) in enumerate(zip(documents, ("Alert", "Update", "Update", "Cancel"), strict=True)):
        root = assert_valid_cap(document)
        parsed = parse_with_capparselib(document)
        identifier = f"hanoi.gov.vn:{code}:{number + 1}"
        assert (str(parsed["cap_id"]), str(parsed["cap_message_type"])) == (identifier, msg_type)
        assert str(parsed["cap_sender"]) == "hanoi.gov.vn:SXD"
        references = root.findtext(f"{CAP}references")
        assert (references.split(" ") if references else []) == seen
        seen.append(f"hanoi.gov.vn:SXD,{identifier},{parsed['cap_sent']}")
        assert [str(info["cap_language"]) for info in parsed["cap_info"]] == ["vi-VN", "en-US"]
        wards = [str(g["value"]) for area in parsed["cap_info"][0]["cap_area"] for g in area["geocodes"]]
        # The first area's circle also covers Cửa Nam's centre; the updates name Hoàn Kiếm alone.
        assert wards == (["HOAN_KIEM", "BA_DINH", "CUA_NAM"] if number == 0 else ["HOAN_KIEM"])
    assert str(parse_with_capparselib(documents[2])["cap_info"][0]["cap_severity"]) == "Extreme"
    assert root.findtext(f"{CAP}note") == "Nước đã rút hết."
    first_area = parse_with_capparselib(documents[0])["cap_info"][0]["cap_area"][0]
    assert [str(p) for p in first_area["polygons"]] == ["21.03,105.85 21.04,105.86 21.02,105.86 21.03,105.85"]
    assert [str(c) for c in first_area["circles"]] == ["21.03,105.85 1.5"]


def test_active_is_derived_at_query_time_and_a_cancelled_alert_stops_being_active(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock
) -> None:
    projector, alerts, _ = models(app, views)
    flood = flood_alert(app, "HOAN_KIEM")
    cold_id = app.handle(OFFICER, DraftAlert(template="ret_dam", areas=(AreaIn(wards=("TAY_HO",)),))).case_id
    app.handle(LEADER, ApproveAlert(case=cold_id))
    app.handle(OFFICER, IssueAlert(case=cold_id))
    draft = app.handle(OFFICER, DraftAlert(template="bao", areas=(AreaIn(wards=("HOAN_KIEM",)),))).case_id
    projector.catch_up()

    def codes(**filters: object) -> set[str]:
        return {alert.code for alert in alerts.find(now=clock.now, **filters)}  # type: ignore[arg-type]

    flood_code, cold_code = (app.get_case(LEADER, case)["code"] for case in (flood, cold_id))
    # Step: both issued alerts are active; the draft is nowhere public.
    assert codes(active=True) == {flood_code, cold_code}
    assert codes(ward="HOAN_KIEM") == {flood_code}
    assert app.get_case(LEADER, draft)["code"] not in codes()
    # Step: seven hours later the flood alert (6 hours) has expired — nothing was written.
    head = app.recorder.max_notification_id()
    clock.advance(hours=7)
    assert codes(active=True) == {cold_code}
    assert codes(active=False) == {flood_code}
    assert app.recorder.max_notification_id() == head
    # Step: the cold warning is cancelled: no longer active, still listed as cancelled.
    app.handle(LEADER, CancelAlert(case=cold_id, reason="Nhiệt độ đã tăng."))
    projector.catch_up()
    assert codes(active=True) == set()
    cancelled = alerts.get_by_code(cold_code, now=clock.now)
    assert cancelled is not None
    assert (cancelled.status, cancelled.msg_type, cancelled.cancel_reason) == (
        "cancelled",
        "Cancel",
        "Nhiệt độ đã tăng.",
    )


def test_public_alerts_built_in_batches_equal_a_rebuild_from_zero(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock
) -> None:
    projector, alerts, hotspots = models(app, views)
    first = flood_alert(app)
    projector.catch_up()
    app.handle(OFFICER, ReviseAlert(case=first, severity=Severity.SEVERE))
    projector.catch_up()  # an update on its way changes nothing public
    app.handle(LEADER, ApproveAlert(case=first))
    app.handle(OFFICER, IssueAlert(case=first))
    flood_alert(app, "CAU_GIAY")
    app.handle(LEADER, CancelAlert(case=first, reason="Hết ngập."))
    projector.catch_up()
    incremental = alerts.rows()
    # Alerts, ward rows (each alert's circle also covers Cửa Nam's centre, its polygon Hoàn Kiếm's), messages.
    assert len(incremental) == 2 + 3 + 3 + 4

    projector.reset()
    assert alerts.rows() == []
    Projector(app, views, [alerts, hotspots], batch_size=50).catch_up()
    assert alerts.rows() == incremental


def flood_report(app: Ihanoi, ward: str, depth: int | None = None, *, in_text: bool = False) -> UUID:
    """A flood report; its depth as the structured attribute, or ``in_text`` as
    Open311 wrote answers into the description before reports had attributes."""
    text = "Nước ngập ngang bánh xe trước cổng chợ."
    attributes: dict[str, str | list[str]] = {}
    if depth is not None and in_text:
        text += f"\n\nĐộ sâu ngập ước tính (cm): {depth}"
    elif depth is not None:
        attributes["depth_cm"] = str(depth)
    filing = SubmitReport(category="flooding", description=text, location=LocationIn(ward=ward), attributes=attributes)
    return app.handle(CITIZEN, filing).case_id


def test_flood_hotspots_suggest_an_alert_to_the_leader_of_the_agency_the_reports_go_to(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock
) -> None:
    projector, _, hotspots = models(app, views)

    # Step: two reports in Hoàn Kiếm, one 45 cm deep in Cầu Giấy; a pothole does not count.
    flood_report(app, "HOAN_KIEM")
    flood_report(app, "HOAN_KIEM", depth=10, in_text=True)
    flood_report(app, "CAU_GIAY", depth=45)
    app.handle(CITIZEN, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM")))
    projector.catch_up()
    found = {(h.ward, h.reports, h.max_depth_cm) for h in hotspots.hotspots(now=clock.now)}
    assert found == {("CAU_GIAY", 1, 45.0)}  # two reports are under the threshold of three

    # Step: a third report in Hoàn Kiếm within the hour crosses it; the agency is SXD's.
    third = flood_report(app, "HOAN_KIEM")
    projector.catch_up()
    by_ward = {h.ward: h for h in hotspots.hotspots(now=clock.now, agency="SXD")}
    assert set(by_ward) == {"HOAN_KIEM", "CAU_GIAY"}
    assert by_ward["HOAN_KIEM"].reports == 3
    assert by_ward["HOAN_KIEM"].reasons == ("3 open reports in the hour (threshold 3)",)
    assert hotspots.hotspots(now=clock.now, agency="SYT") == []

    # Step: one is resolved (no longer open): Hoàn Kiếm drops below; hours later nothing is suggested.
    officer = Principal("officer-sxd", Role.OFFICER, "SXD")
    from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport

    app.handle(officer, AcknowledgeReport(case=third))
    app.handle(officer, AssignReport(case=third, assignee="officer-sxd"))
    app.handle(officer, ResolveReport(case=third, answer="Đã bơm thoát nước."))
    projector.catch_up()
    assert {h.ward for h in hotspots.hotspots(now=clock.now)} == {"CAU_GIAY"}
    clock.advance(hours=4)
    assert hotspots.hotspots(now=clock.now) == []


HOSTILE = {
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>',
    "external entity": b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>',
    "external DTD": b'<?xml version="1.0"?><!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>',
    "wrong namespace": b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"><identifier>x</identifier></alert>',
    "not CAP": b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
    "malformed": b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>x</alert>",
    "not XML": b"\x00\x01binary",
}


@pytest.mark.parametrize("document", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_or_foreign_xml_is_refused_and_nothing_is_stored(app: Ihanoi, document: bytes) -> None:
    head = app.recorder.max_notification_id()
    with pytest.raises(CapRefusedError) as refused:
        import_alert(app, document, agency="SXD")
    assert refused.value.errors
    assert app.recorder.max_notification_id() == head


def test_an_upstream_cap_message_becomes_a_draft_for_approval(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock, upstream_cap: Callable[..., bytes]
) -> None:
    # Step: the hydro-met service's message names Ba Đình by name and another area by its own code.
    result = import_alert(app, upstream_cap(), agency="SXD", wards=("DONG_DA",))
    draft = app.get_case(LEADER, result.case_id)
    assert (draft["status"], draft["kind"], draft["agency"]) == ("draft", "alert", "SXD")
    assert draft["source"].identifier == "NCHMF-2026-07-15-001"
    content = draft["content"]
    # The first area's polygon adds the wards whose centre it covers.
    covered = ("HOAN_KIEM", "CUA_NAM", "HAI_BA_TRUNG", "VINH_TUY", "BACH_MAI", "KIM_LIEN")
    assert [area.wards for area in content.areas] == [("BA_DINH", "DONG_DA", *covered), ("DONG_DA",)]
    assert [text.language for text in content.texts] == ["vi-VN", "en-US"]
    assert str(content.severity) == "Severe"
    # Step: any leader of the agency approves it (the import wrote it), then it is issued as our own message.
    app.handle(LEADER, ApproveAlert(case=result.case_id))
    app.handle(OFFICER, IssueAlert(case=result.case_id))
    projector, alerts, _ = models(app, views)
    projector.catch_up()
    document = alerts.document(result.code)
    assert document is not None
    assert_valid_cap(document)


@pytest.fixture
def upstream_cap(clock: FakeClock) -> Callable[..., bytes]:
    def make(expires: str = "2026-07-16T18:00:00+07:00") -> bytes:
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>NCHMF-2026-07-15-001</identifier><sender>nchmf.gov.vn</sender>
  <sent>2026-07-15T09:00:00+07:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>vi-VN</language><category>Met</category><event>Mưa lớn</event><urgency>Expected</urgency>
    <severity>Severe</severity><certainty>Likely</certainty><expires>{expires}</expires>
    <headline>Cảnh báo mưa lớn khu vực Hà Nội</headline><description>Mưa 100-150 mm.</description>
    <area><areaDesc>Phường Ba Đình</areaDesc><polygon>21.0,105.8 21.1,105.9 21.0,105.9 21.0,105.8</polygon></area>
    <area><areaDesc>Khu vực nội thành</areaDesc><geocode><valueName>VN-HN</valueName><value>01</value></geocode></area>
  </info>
  <info><language>en-US</language><category>Met</category><event>Heavy rain</event><urgency>Expected</urgency>
    <severity>Severe</severity><certainty>Likely</certainty><headline>Heavy rain warning</headline>
    <description>100-150 mm of rain.</description><area><areaDesc>Ba Dinh</areaDesc></area></info>
</alert>""".encode()

    return make


def test_an_upstream_message_naming_no_ward_or_already_expired_is_refused(
    app: Ihanoi, upstream_cap: Callable[..., bytes]
) -> None:
    head = app.recorder.max_notification_id()
    with pytest.raises(CapRefusedError, match="--ward"):
        import_alert(app, upstream_cap(), agency="SXD")
    with pytest.raises(ValidationError, match="expires"):
        import_alert(app, upstream_cap(expires="2026-07-01T00:00:00+07:00"), agency="SXD", wards=("DONG_DA",))
    with pytest.raises(CapRefusedError, match="agency"):
        import_alert(app, upstream_cap(), agency="NOPE", wards=("DONG_DA",))
    assert app.recorder.max_notification_id() == head
