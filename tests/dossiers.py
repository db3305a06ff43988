"""A marriage-registration dossier as the integration and e-2-e tests file
it: the applicant, the form, the clock's dates in Hanoi and the staff of the
agency that decides the procedure (tests/integration/test_service_request_lifecycle.py
walks it through every path)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.service_requests import ApplicantIn, SubmitDossier
from ihanoi_core.commands.values import DocumentIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.handlers.bus import CommandResult
from tests.conftest import staff

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
APPLICANT = ApplicantIn("Nguyễn Văn An", "001099012345", "0912345678", "12 Hàng Bài, Hoàn Kiếm")
FORM = DocumentIn("Tờ khai", "https://files.example/to-khai.pdf", "a" * 64)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HANOI)


def procedure_staff(app: Ihanoi, role: Role, procedure: str = "marriage_registration") -> Principal:
    """Staff of the agency that decides ``procedure`` in Hoàn Kiếm."""
    return staff(role, app.directory.procedure_agency(procedure, "HOAN_KIEM").code)


def submit(
    app: Ihanoi, citizen: Principal, procedure: str = "marriage_registration", idempotency_key: str | None = None
) -> CommandResult:
    command = SubmitDossier(procedure=procedure, ward="HOAN_KIEM", applicant=APPLICANT, documents=(FORM,))
    return app.handle(citizen, command, idempotency_key=idempotency_key)
