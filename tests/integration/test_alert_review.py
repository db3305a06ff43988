"""Alerts on all three stores, beyond the happy path: a leader rejects what
awaits approval with a reason and the author revises and submits it again
(also an update of an issued alert, which stays in force meanwhile); an
upstream authority's CAP Update and Cancel reach the alert imported from its
first message (the Update as a revision for a leader to approve, the Cancel
at once), a message imported again changes nothing, and one naming no
imported alert is refused with nothing stored; areas drawn as a polygon or a
circle cover the wards whose centre they contain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.cap.fetch import UnknownUpstreamAlertError, import_alert
from ihanoi_core.commands.alerts import (
    ApproveAlert,
    AreaIn,
    CancelAlert,
    CircleIn,
    DraftAlert,
    IssueAlert,
    RejectAlert,
    ReviseAlert,
)
from ihanoi_core.domain.alert_values import Severity
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, InvalidTransitionError, RuleViolationError, ValidationError
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.public_alerts import PublicAlertsModel
from tests.cap_checks import assert_valid_cap, parse_with_capparselib
from tests.conftest import FakeClock
from tests.integration.conftest import event_names, projection_context

OFFICER = Principal("officer-sxd", Role.OFFICER, "SXD")
LEADER = Principal("leader-sxd", Role.LEADER, "SXD")
DEPUTY = Principal("deputy-sxd", Role.LEADER, "SXD")
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
# Round the centres of Hoàn Kiếm (21.0285, 105.8542) and Cửa Nam (21.0262, 105.8438), not Ba Đình's.
OLD_QUARTER = ((21.020, 105.840), (21.033, 105.840), (21.033, 105.860), (21.020, 105.860), (21.020, 105.840))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 7, 15, 2, 30, tzinfo=UTC))  # 09:30 in Hanoi


def public_model(app: Ihanoi, views: ViewDatabase) -> tuple[Projector, PublicAlertsModel]:
    alerts = PublicAlertsModel(views, projection_context(app))
    return Projector(app, views, [alerts]), alerts


# -- rejecting ------------------------------------------------------------------------


def test_a_rejected_draft_goes_back_with_its_reason_and_is_issued_only_after_a_new_approval(app: Ihanoi) -> None:
    draft = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(AreaIn(wards=("HOAN_KIEM",)),))).case_id
    # Step: an officer may not reject; a reason is required; the leader rejects with one.
    with pytest.raises(ForbiddenError):
        app.handle(OFFICER, RejectAlert(case=draft, reason="Sai phường."))
    with pytest.raises(RuleViolationError):
        app.handle(LEADER, RejectAlert(case=draft, reason="   "))
    assert app.handle(LEADER, RejectAlert(case=draft, reason="Sai phường: là Ba Đình.")).status == "rejected"
    case = app.get_case(OFFICER, draft)
    assert (case["rejection_reason"], case["approver"]) == ("Sai phường: là Ba Đình.", None)
    # Step: a rejected draft can be neither approved nor issued, nor rejected again.
    for command in (ApproveAlert(case=draft), RejectAlert(case=draft, reason="Lại.")):
        with pytest.raises(InvalidTransitionError):
            app.handle(DEPUTY, command)
    with pytest.raises(InvalidTransitionError):
        app.handle(OFFICER, IssueAlert(case=draft))
    # Step: the officer revises it (a draft again, the reason cleared); a leader approves; it is issued.
    revised = app.handle(OFFICER, ReviseAlert(case=draft, areas=(AreaIn(wards=("BA_DINH",)),)))
    assert revised.status == "draft"
    assert app.get_case(OFFICER, draft)["rejection_reason"] is None
    app.handle(LEADER, ApproveAlert(case=draft))
    assert app.handle(OFFICER, IssueAlert(case=draft)).status == "issued"
    assert event_names(app, draft) == ["Drafted", "Rejected", "Revised", "Approved", "Issued"]


def test_an_approval_can_be_withdrawn_by_rejecting_before_issue(app: Ihanoi) -> None:
    draft = app.handle(LEADER, DraftAlert(template="bao", areas=(AreaIn(wards=("TAY_HO",)),))).case_id
    app.handle(DEPUTY, ApproveAlert(case=draft))
    # Rejecting publishes nothing, so the author may withdraw their own approved draft.
    assert app.handle(LEADER, RejectAlert(case=draft, reason="Bão đổi hướng.")).status == "rejected"


def test_a_rejected_update_leaves_the_issued_message_in_force_and_can_be_revised_again(
    app: Ihanoi, views: ViewDatabase, clock: FakeClock
) -> None:
    projector, alerts = public_model(app, views)
    alert_id = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(AreaIn(wards=("HOAN_KIEM",)),))).case_id
    app.handle(LEADER, ApproveAlert(case=alert_id))
    app.handle(OFFICER, IssueAlert(case=alert_id))
    # Step: an update is proposed and rejected: the alert is still active with its first message.
    app.handle(OFFICER, ReviseAlert(case=alert_id, severity=Severity.MINOR))
    assert app.handle(LEADER, RejectAlert(case=alert_id, reason="Nước vẫn lên.")).status == "revision_rejected"
    projector.catch_up()
    code = app.get_case(LEADER, alert_id)["code"]
    public = alerts.get_by_code(code, now=clock.now)
    assert public is not None
    assert (public.status, public.severity, public.active) == ("issued", "Moderate", True)
    # Step: revised again, approved, issued as Update 2; or it may be cancelled from there.
    assert app.handle(OFFICER, ReviseAlert(case=alert_id, severity=Severity.EXTREME)).status == "revising"
    assert app.handle(LEADER, RejectAlert(case=alert_id, reason="Chưa cần.")).status == "revision_rejected"
    assert app.handle(LEADER, CancelAlert(case=alert_id, reason="Hết ngập.")).status == "cancelled"
    projector.catch_up()
    assert [alerts.document(code, n) is not None for n in (1, 2, 3)] == [True, True, False]


# -- upstream Update and Cancel -----------------------------------------------------------


def upstream(identifier: str, msg_type: str = "Alert", *, references: str = "", severity: str = "Severe",
             note: str = "", sender: str = "nchmf.gov.vn", ward: str = "Phường Cầu Giấy") -> bytes:  # fmt: skip
    """An upstream CAP message of the hydro-met service (a Cancel without <info>)."""
    info = f"""<info><language>vi-VN</language><category>Met</category><event>Mưa lớn</event>
    <urgency>Expected</urgency><severity>{severity}</severity><certainty>Likely</certainty>
    <expires>2026-07-16T18:00:00+07:00</expires><headline>Cảnh báo mưa lớn ({identifier})</headline>
    <description>Mưa 100-150 mm.</description><area><areaDesc>{ward}</areaDesc></area></info>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>{sender}</sender><sent>2026-07-15T09:00:00+07:00</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>
  {f"<note>{note}</note>" if note else ""}{f"<references>{references}</references>" if references else ""}
  {"" if msg_type == "Cancel" else info}
</alert>""".encode()


FIRST = "nchmf.gov.vn,NCHMF-7,2026-07-15T09:00:00+07:00"


def test_an_upstream_update_revises_the_imported_alert_for_approval_and_a_cancel_cancels_it_at_once(
    app: Ihanoi, views: ViewDatabase
) -> None:
    projector, alerts = public_model(app, views)
    # Step: the first message is drafted; imported again it is the same draft, nothing stored.
    drafted = import_alert(app, upstream("NCHMF-7"), agency="SXD")
    head = app.recorder.max_notification_id()
    again = import_alert(app, upstream("NCHMF-7"), agency="SXD")
    assert (again.case_id, again.created, again.changed) == (drafted.case_id, False, False)
    assert app.recorder.max_notification_id() == head
    app.handle(LEADER, ApproveAlert(case=drafted.case_id))
    app.handle(OFFICER, IssueAlert(case=drafted.case_id))

    # Step: the upstream Update (now Extreme, Đống Đa) revises it; a leader approves before it is issued.
    update = upstream("NCHMF-8", "Update", references=FIRST, severity="Extreme", ward="Phường Đống Đa")
    revised = import_alert(app, update, agency="SXD")
    assert (revised.case_id, revised.status) == (drafted.case_id, "revising")
    case = app.get_case(LEADER, drafted.case_id)
    assert (str(case["content"].severity), case["content"].wards) == ("Extreme", ("DONG_DA",))
    assert [source.identifier for source in case["upstream"]] == ["NCHMF-8"]
    assert import_alert(app, update, agency="SXD").changed is False
    with pytest.raises(InvalidTransitionError):
        app.handle(OFFICER, IssueAlert(case=drafted.case_id))
    app.handle(LEADER, ApproveAlert(case=drafted.case_id))
    app.handle(OFFICER, IssueAlert(case=drafted.case_id))

    # Step: the upstream Cancel (naming the Update only) cancels it at once: a CAP Cancel with its note.
    cancel = upstream("NCHMF-9", "Cancel", references="nchmf.gov.vn,NCHMF-8,2026-07-15T09:00:00+07:00 " + FIRST,
                      note="Mưa đã dứt.")  # fmt: skip
    assert import_alert(app, cancel, agency="SXD").status == "cancelled"
    projector.catch_up()
    documents = [alerts.document(drafted.code, n) for n in (1, 2, 3)]
    assert all(document is not None for document in documents)
    for document, msg_type in zip(documents, ("Alert", "Update", "Cancel"), strict=True):
        assert document is not None
        root = assert_valid_cap(document)
        assert str(parse_with_capparselib(document)["cap_message_type"]) == msg_type
    assert root.findtext(f"{CAP}note") == "Mưa đã dứt."
    # Step: an Update after the Cancel is refused: nothing stored.
    head = app.recorder.max_notification_id()
    with pytest.raises(InvalidTransitionError):
        import_alert(app, upstream("NCHMF-10", "Update", references=FIRST), agency="SXD")
    assert app.recorder.max_notification_id() == head


def test_an_upstream_cancel_of_an_alert_never_issued_rejects_the_draft(app: Ihanoi) -> None:
    drafted = import_alert(app, upstream("NCHMF-7"), agency="SXD")
    cancel = upstream("NCHMF-9", "Cancel", references=FIRST)
    assert import_alert(app, cancel, agency="SXD").status == "rejected"
    case = app.get_case(LEADER, drafted.case_id)
    assert case["rejection_reason"] == "Hủy theo thông báo NCHMF-9 của nchmf.gov.vn."


def test_an_upstream_update_or_cancel_naming_no_imported_alert_is_refused_and_nothing_is_stored(app: Ihanoi) -> None:
    import_alert(app, upstream("NCHMF-7"), agency="SXD")
    own = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(AreaIn(wards=("HOAN_KIEM",)),)))
    head = app.recorder.max_notification_id()
    refused = {
        "unknown": upstream("X-2", "Update", references="nchmf.gov.vn,NCHMF-1,2026-07-15T09:00:00+07:00"),
        "another sender": upstream("X-2", "Cancel", references=FIRST.replace("nchmf", "kttv")),
        "our own message": upstream("X-2", "Cancel", references=f"hanoi.gov.vn:SXD,hanoi.gov.vn:{own.code}:1,x"),
    }
    for name, document in refused.items():
        with pytest.raises(UnknownUpstreamAlertError) as error:
            import_alert(app, document, agency="SXD")
        assert "names no alert imported for SXD" in error.value.errors["references"], name
    with pytest.raises(UnknownUpstreamAlertError, match="use --agency SXD"):
        import_alert(app, upstream("X-3", "Cancel", references=FIRST), agency="SYT")
    with pytest.raises(ValidationError, match="references"):
        import_alert(app, upstream("X-4", "Update"), agency="SXD")
    assert app.recorder.max_notification_id() == head


# -- polygons and circles -----------------------------------------------------------------


def test_a_polygon_or_circle_covers_the_wards_whose_centre_it_contains(app: Ihanoi) -> None:
    # Step: a polygon alone covers Hoàn Kiếm and Cửa Nam (their centres are inside), not Ba Đình.
    drawn = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(AreaIn(polygon=OLD_QUARTER),)))
    assert app.get_case(OFFICER, drawn.case_id)["content"].wards == ("HOAN_KIEM", "CUA_NAM")
    # Step: named wards come first; a 1 km circle round Tây Hồ's centre adds it; a revision recomputes.
    mixed = AreaIn(wards=("BA_DINH",), circles=(CircleIn(21.0702, 105.8188, 1.0),))
    app.handle(OFFICER, ReviseAlert(case=drawn.case_id, areas=(mixed,)))
    assert app.get_case(OFFICER, drawn.case_id)["content"].wards == ("BA_DINH", "TAY_HO")
    # Step: an area that names no ward and covers no ward's centre is refused.
    empty = AreaIn(circles=(CircleIn(20.5, 105.0, 0.5),))
    with pytest.raises(ValidationError) as refused:
        app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(empty,)))
    assert "covering a ward's centre" in refused.value.errors["areas[0].wards"]


def test_an_upstream_area_given_only_as_a_polygon_reaches_the_wards_it_covers(app: Ihanoi) -> None:
    ring = " ".join(f"{lat},{lon}" for lat, lon in OLD_QUARTER)
    document = upstream("NCHMF-20").replace(
        b"<area><areaDesc>Ph\xc6\xb0\xe1\xbb\x9dng C\xe1\xba\xa7u Gi\xe1\xba\xa5y</areaDesc></area>",
        f"<area><areaDesc>Khu phố cổ</areaDesc><polygon>{ring}</polygon></area>".encode(),
    )
    drafted = import_alert(app, document, agency="SXD")
    assert app.get_case(LEADER, drafted.case_id)["content"].wards == ("HOAN_KIEM", "CUA_NAM")
