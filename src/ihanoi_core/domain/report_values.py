"""The statuses of a field report and the groups of them the rules name, and
the personal data its events carry."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from ihanoi_core.domain.personal import Personal


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    TRANSFERRED = "transferred"
    NOT_RESPONSIBLE = "not_responsible"


VALUE_TYPES: dict[str, type] = {"report_status": ReportStatus}

S = ReportStatus
AWAITING_ACKNOWLEDGEMENT = (S.SUBMITTED, S.TRANSFERRED)
OPEN_STATUSES = (S.SUBMITTED, S.TRANSFERRED, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS)

# The reporter (absent for an anonymous report) and the contact given for the
# report: a partner's or the hotline's caller, or the citizen's own details.
PERSONAL_DATA: Mapping[str, Mapping[str, Personal]] = {
    "Submitted": {"reporter": Personal("reporter", None, names_subject=True), "contact": Personal("reporter")},
}
ERASED_STATE: Mapping[str, object] = {"owner": None, "contact": None}
