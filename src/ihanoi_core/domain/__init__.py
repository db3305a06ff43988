"""The domain model: one aggregate per module, pure (no I/O, no clock)."""

from __future__ import annotations

from ihanoi_core.domain.report import ReportStatus
from ihanoi_core.domain.values import VALUE_TYPES as _SHARED_VALUE_TYPES

# Every enum and value object that may travel inside an event, by the stable
# name the transcoder stores. Each aggregate module adds its own here.
VALUE_TYPES: dict[str, type] = {
    **_SHARED_VALUE_TYPES,
    "report_status": ReportStatus,
}
