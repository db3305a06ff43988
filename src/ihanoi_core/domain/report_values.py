"""The statuses of a field report and the groups of them the rules name."""

from __future__ import annotations

from enum import StrEnum


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
