"""Plain-dict views of a case for a given principal, with personal data removed
unless the principal is entitled to it.

This is the only way state leaves the application layer on the write side:
as a dict, never as an aggregate. A case class names its personal fields in
``PERSONAL_FIELDS`` and decides who may read them in ``can_read_personal``
(for denunciations: only the assigned handler and the agency's leader).
"""

from __future__ import annotations

from typing import Any

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Principal

REDACTED = None


def case_view(case: Case, principal: Principal) -> dict[str, Any]:
    """The case's public attributes, redacted for ``principal``."""
    data: dict[str, Any] = {
        "id": case.id,
        "code": case.code,
        "kind": case.kind,
        "status": str(case.status),
        "version": case.version,
        "created_at": case.created_on,
        "updated_at": case.modified_on,
    }
    for name, value in vars(case).items():
        if not name.startswith("_") and name not in data:
            data[name] = value
    if not case.can_read_personal(principal):
        for name in case.PERSONAL_FIELDS:
            if name in data:
                data[name] = REDACTED
        data.update(case.pseudonymised_fields())
    return data
