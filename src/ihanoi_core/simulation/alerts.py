"""Demo alerts: a flood warning drafted by an officer of the Department of
Construction (SXD), approved by its leader and issued, at the clock's time.

``ihanoi demo`` issues one before its simulated weeks (long expired by now)
and one at their end (in force for the template's six hours). Each draft
carries an idempotency key, so running the demo again on the same store
finds it and issues nothing twice.
"""

from __future__ import annotations

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.alerts import ApproveAlert, AreaIn, DraftAlert, IssueAlert
from ihanoi_core.domain.values import Principal, Role

AGENCY = "SXD"
OFFICER = Principal("demo-officer-sxd", Role.OFFICER, AGENCY)
LEADER = Principal("demo-leader-sxd", Role.LEADER, AGENCY)


def issue_demo_alert(app: Ihanoi, *, key: str, wards: tuple[str, ...], template: str = "ngap_ung") -> str:
    """Draft, approve and issue a warning from ``template`` for ``wards``; its code."""
    drafted = app.handle(OFFICER, DraftAlert(template=template, areas=(AreaIn(wards=wards),)), idempotency_key=key)
    if drafted.created:
        app.handle(LEADER, ApproveAlert(case=drafted.case_id))
        app.handle(OFFICER, IssueAlert(case=drafted.case_id))
    return drafted.code
