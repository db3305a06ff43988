"""The domain model: one aggregate per module, pure (no I/O, no clock)."""

from __future__ import annotations

from ihanoi_core.domain import complaint, report, service_request, survey, values

# Every enum and value object that may travel inside an event, by the stable
# name the transcoder stores. Each aggregate module declares its own.
VALUE_TYPES: dict[str, type] = {
    **values.VALUE_TYPES,
    **report.VALUE_TYPES,
    **complaint.VALUE_TYPES,
    **service_request.VALUE_TYPES,
    **survey.VALUE_TYPES,
}
