"""Alert throughput: CAP documents rendered per second (``render_cap``, two
languages, a polygon, a circle and four wards) beside the ceiling of the same
document serialised by ElementTree from a tree built in advance — the XML
writer alone — and alerts issued per second on SQLite (draft from a template,
approve, issue: three commands) beside raw report submissions, one command
each, on the same store.

Run alone: ``.venv/bin/python -m benchmarks.alerts``.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks.common import Figure, print_figures, rate, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.cap.render import render_cap
from ihanoi_core.commands.alerts import ApproveAlert, AreaIn, CircleIn, DraftAlert, IssueAlert
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.alert_values import AlertMessage, MsgType
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.handlers.alerts import compose, template_defaults
from ihanoi_core.settings import Settings

OFFICER = Principal("officer-bench", Role.OFFICER, "SXD")
LEADER = Principal("leader-bench", Role.LEADER, "SXD")
CITIZEN = Principal("vneid:bench", Role.CITIZEN)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
RING = ((21.03, 105.85), (21.04, 105.86), (21.02, 105.86), (21.03, 105.85))
AREA = AreaIn(
    wards=("HOAN_KIEM", "CUA_NAM", "BA_DINH", "GIANG_VO"), polygon=RING, circles=(CircleIn(21.03, 105.85, 2.0),)
)


def sample_message(app: Ihanoi) -> AlertMessage:
    now = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)
    template = app.directory.alerts.template("ngap_ung")
    assert template is not None
    content = compose(
        DraftAlert(areas=(AREA,)), template_defaults(template, now), app.directory, now - timedelta(hours=1)
    )
    reference = "hanoi.gov.vn:SXD,hanoi.gov.vn:CB-260715-000001:1,2026-07-15T09:00:00+07:00"
    return AlertMessage(
        "hanoi.gov.vn:CB-260715-000001:2",
        "hanoi.gov.vn:SXD",
        now.astimezone(ZONE),
        MsgType.UPDATE,
        (reference,),
        content,
    )


def render_rates(app: Ihanoi) -> tuple[float, float]:
    message = sample_message(app)
    wards = {code: (ward.name, ward.name_en) for code, ward in app.directory.wards.items()}

    def render() -> int:
        render_cap(message, code="CB-260715-000001", sender_name="Sở Xây dựng", ward_names=wards, zone=ZONE)
        return 1

    tree = ET.fromstring(
        render_cap(message, code="CB-260715-000001", sender_name="Sở Xây dựng", ward_names=wards, zone=ZONE)
    )

    def serialise() -> int:
        ET.tostring(tree, encoding="unicode")
        return 1

    return rate(render), rate(serialise)


def issue_rates() -> tuple[float, float]:
    with sqlite_file() as path:
        app = Ihanoi(Settings(database_url=f"sqlite:///{path}", env="test"))
        try:

            def issue() -> int:
                drafted = app.handle(OFFICER, DraftAlert(template="ngap_ung", areas=(AREA,)))
                app.handle(LEADER, ApproveAlert(case=drafted.case_id))
                app.handle(OFFICER, IssueAlert(case=drafted.case_id))
                return 1

            numbers = itertools.count()

            def submit() -> int:
                description = f"Ổ gà số {next(numbers)}"
                app.handle(
                    CITIZEN, SubmitReport(category="pothole", description=description, location=LocationIn("HOAN_KIEM"))
                )
                return 1

            return rate(issue), rate(submit)
        finally:
            app.close()


def run() -> list[Figure]:
    app = Ihanoi()
    try:
        rendered, serialised = render_rates(app)
    finally:
        app.close()
    issued, submitted = issue_rates()
    figures = [
        Figure(
            "CAP 1.2 documents rendered/s (2 languages)",
            rendered,
            "docs/s",
            "ElementTree serialisation alone",
            serialised,
        ),
        Figure("SQLite alerts issued/s (draft+approve+issue)", issued, "alerts/s", "report submissions/s", submitted),
    ]
    print_figures("Alerts (CAP 1.2)", figures)
    return figures


if __name__ == "__main__":
    run()
