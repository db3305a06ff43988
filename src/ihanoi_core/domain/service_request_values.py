"""The values of a dossier: its statuses with their national codes, the
applicant's identity, and the checks of what an applicant hands in.

Statuses are the national dossier codes (DESIGN §3.3, notes §4.3), each with a
name and its number: 1 submitted · 2 received · 3 rejected · 4 processing ·
5 supplement requested · 6 awaiting payment · 7 withdrawn · 8 suspended ·
9 result ready · 10 result returned. One extra status, ``forwarded`` (liên
thông), is still code 4 for the national portal. The enum and the identity
travel inside events, so each is registered with the transcoder by a stable
name (``VALUE_TYPES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from ihanoi_core.domain.personal import ERASED, OWNER, Personal
from ihanoi_core.domain.values import Channel, DeadlineRule, Document, Principal
from ihanoi_core.errors import ValidationError


class DossierStatus(StrEnum):
    """Where a dossier is; ``number`` is its national status code."""

    SUBMITTED = "submitted"  # 1 Mới đăng ký
    RECEIVED = "received"  # 2 Được tiếp nhận
    REJECTED = "rejected"  # 3 Không được tiếp nhận
    PROCESSING = "processing"  # 4 Đang xử lý
    FORWARDED = "forwarded"  # 4 Đang xử lý, at another agency (liên thông)
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 5 Yêu cầu bổ sung giấy tờ
    AWAITING_PAYMENT = "awaiting_payment"  # 6 Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = "withdrawn"  # 7 Công dân yêu cầu rút hồ sơ
    SUSPENDED = "suspended"  # 8 Dừng xử lý
    RESULT_READY = "result_ready"  # 9 Đã xử lý xong
    RESULT_RETURNED = "result_returned"  # 10 Đã trả kết quả

    @property
    def number(self) -> int:
        """The national dossier status code (1-10) sent to the national portal."""
        return NATIONAL_CODES[self]

    @classmethod
    def from_number(cls, number: int) -> DossierStatus:
        """The status of a national code; ``processing`` for 4. ``ValueError`` if unknown."""
        for status, code in NATIONAL_CODES.items():
            if code == number:
                return status
        raise ValueError(f"No dossier status has national code {number}")


S = DossierStatus
# Spelled out rather than derived from the member order: the numbers are a
# national contract. The first status listed for a number is its canonical one.
NATIONAL_CODES: dict[DossierStatus, int] = {
    S.SUBMITTED: 1,
    S.RECEIVED: 2,
    S.REJECTED: 3,
    S.PROCESSING: 4,
    S.FORWARDED: 4,
    S.SUPPLEMENT_REQUESTED: 5,
    S.AWAITING_PAYMENT: 6,
    S.WITHDRAWN: 7,
    S.SUSPENDED: 8,
    S.RESULT_READY: 9,
    S.RESULT_RETURNED: 10,
}
PAUSED_STATUSES = frozenset({S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT, S.SUSPENDED})
IN_HANDS = (S.RECEIVED, S.PROCESSING)
BEFORE_RESULT = (S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.FORWARDED, *sorted(PAUSED_STATUSES))

# Stored in every ApologyIssued event's clock: dossiers apologised for before
# this change keep the basis they were decided under (61/2018).
APOLOGY_BASIS = (
    "unverified: the article on the apology letter (whether it must be issued before the appointment date, "
    "how many times the return date may be re-set) could not be read here, so the rules kept are those "
    "recorded under Decree 61/2018/NĐ-CP as amended by 107/2021/NĐ-CP, and neither limit is enforced; "
    "see docs/legal-basis.md — Nghị định số 118/2025/NĐ-CP ngày 09/06/2025 của Chính phủ (hiệu lực "
    "01/07/2025, thay thế Nghị định 61/2018/NĐ-CP): phiếu xin lỗi và hẹn lại ngày trả kết quả"
)
FORWARD_BASIS = "Thời hạn liên thông do cơ quan chủ trì giao"


@dataclass(frozen=True, slots=True)
class ApplicantIdentity:
    """Who the dossier is for (người nộp hồ sơ): personal data, shown only to the
    applicant and the staff handling the dossier."""

    name: str
    national_id: str
    phone: str | None = None
    address: str | None = None


# The applicant and the documents they hand in (ID scans, certificates).
class DossierSubmission(TypedDict):
    """What an applicant hands in, as its Submitted event records it: who
    applies, for which procedure at which agency, with which documents and
    fee, and the procedure's period kept for the receipt."""

    id: UUID
    code: str
    actor: Principal
    procedure: str
    procedure_name: str
    agency: str
    ward: str
    applicant: ApplicantIdentity
    documents: tuple[Document, ...]
    channel: Channel
    fee: int
    processing_rule: DeadlineRule
    timestamp: datetime


ERASED_APPLICANT = ApplicantIdentity(name=ERASED, national_id=ERASED)
DOCUMENTS = Personal("applicant", ())
PERSONAL_DATA: Mapping[str, Mapping[str, Personal]] = {
    "Submitted": {"owner": OWNER, "applicant": Personal("applicant", ERASED_APPLICANT), "documents": DOCUMENTS},
    "Supplemented": {"documents": DOCUMENTS},
}
ERASED_STATE: Mapping[str, object] = {"owner": None, "applicant": ERASED_APPLICANT, "documents": ()}

VALUE_TYPES: dict[str, type] = {
    "dossier_status": DossierStatus,
    "applicant_identity": ApplicantIdentity,
}


def check_applicant(applicant: ApplicantIdentity) -> None:
    """``ValidationError`` naming each required field left blank."""
    problems = {
        f"applicant.{field}": "must not be empty"
        for field in ("name", "national_id")
        if not getattr(applicant, field).strip()
    }
    if problems:
        raise ValidationError(problems)


def checked_documents(field: str, documents: tuple[Document, ...]) -> tuple[Document, ...]:
    """The documents, at least one; ``ValidationError`` naming each blank name
    or URL and each malformed SHA-256 (``documents[1].sha256``)."""
    documents = tuple(documents)
    if not documents:
        raise ValidationError({field: "at least one document is required"})
    problems: dict[str, str] = {}
    for index, document in enumerate(documents):
        key = f"{field}[{index}]"
        if not document.name.strip():
            problems[f"{key}.name"] = "must not be empty"
        if not document.url.strip():
            problems[f"{key}.url"] = "must not be empty"
        checksum = document.sha256
        if len(checksum) != 64 or any(c not in "0123456789abcdef" for c in checksum):
            problems[f"{key}.sha256"] = "must be 64 lowercase hexadecimal digits"
    if problems:
        raise ValidationError(problems)
    return documents
