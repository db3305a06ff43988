"""The changes a live stream reports: one batch of the log holding several
events of the same case reports each event with the case as it was just after
that event, not as it is at the end of the batch (the reader's replica is
changed in place by each event)."""

from __future__ import annotations

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_projections.engine.live_tail import CaseChanges


def test_a_batch_reports_each_event_of_a_case_with_the_status_it_gave(app: Ihanoi, citizen: Principal) -> None:
    officer = Principal("o-1", Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)
    before = app.head_position()
    # Step: a report is filed, acknowledged and assigned before anyone reads the log.
    filed = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn(ward="HOAN_KIEM"))
    )
    app.handle(officer, AcknowledgeReport(case=filed.case_id))
    app.handle(officer, AssignReport(case=filed.case_id, assignee="o-1"))

    # Step: one read covers all three events; each carries its own status.
    changes, last = CaseChanges(app).read(before, limit=100, accepts=lambda change: change.case_id == filed.case_id)
    assert [(c.event, c.status) for c in changes] == [
        ("Submitted", "submitted"),
        ("Acknowledged", "acknowledged"),
        ("Assigned", "assigned"),
    ]
    assert [c.position for c in changes] == sorted(c.position for c in changes)
    assert last == app.recorder.max_notification_id()
