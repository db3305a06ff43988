"""Demo alerts: a flood warning drafted by an officer of the Department of
Construction (SXD), approved by its leader and issued, at the clock's time.

``ihanoi demo`` issues one before its simulated weeks (long expired by now)
and one at their end (in force for the template's six hours), drawn as a
polygon round the old quarter (it reaches the wards whose centre it covers,
and the map page draws it), and leaves a storm warning its leader rejected
with a reason (``reject_demo_alert``). Each draft carries an idempotency
key, so running the demo again on the same store finds it and changes
nothing twice.
"""

from __future__ import annotations

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.alerts import ApproveAlert, AreaIn, DraftAlert, IssueAlert, RejectAlert
from ihanoi_core.domain.values import Principal, Role

AGENCY = "SXD"
OFFICER = Principal("demo-officer-sxd", Role.OFFICER, AGENCY)
LEADER = Principal("demo-leader-sxd", Role.LEADER, AGENCY)
# Round Hoàn Kiếm Lake and the old quarter: covers the centres of Hoàn Kiếm and Cửa Nam.
OLD_QUARTER = ((21.020, 105.840), (21.033, 105.840), (21.033, 105.860), (21.020, 105.860), (21.020, 105.840))


def issue_demo_alert(
    app: Ihanoi, *, key: str, wards: tuple[str, ...] = (), template: str = "ngap_ung", area: AreaIn | None = None
) -> str:
    """Draft, approve and issue a warning from ``template`` for ``wards`` (or ``area``); its code."""
    areas = (area or AreaIn(wards=wards),)
    drafted = app.handle(OFFICER, DraftAlert(template=template, areas=areas), idempotency_key=key)
    if drafted.created:
        app.handle(LEADER, ApproveAlert(case=drafted.case_id))
        app.handle(OFFICER, IssueAlert(case=drafted.case_id))
    return drafted.code


def reject_demo_alert(app: Ihanoi, *, key: str) -> str:
    """A storm warning for Tây Hồ its leader sent back with a reason (never public); its code."""
    drafted = app.handle(OFFICER, DraftAlert(template="bao", areas=(AreaIn(wards=("TAY_HO",)),)), idempotency_key=key)
    if drafted.created:
        app.handle(LEADER, RejectAlert(case=drafted.case_id, reason="Bão đã đổi hướng ra biển; chưa cần cảnh báo."))
    return drafted.code
