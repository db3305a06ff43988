"""What every page family's strings share: the languages, the app's name, the
language switch and the name of each case status.

Each page family (``dashboard``, ``map``, ``public``) keeps its own strings in
its ``i18n`` module as a ``Catalogue``. A catalogue adds the words here, so a
report's status reads the same on its public page, on the map and on the
leaders' dashboard. Statuses are named by value, under ``status_name.<status>``;
a value two families share (``submitted``, ``rejected``, ``forwarded``,
``closed``, ``withdrawn``) has one name, in words that fit both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def language(requested: str | None) -> str:
    """The language to render: ``requested`` when it is one we have, else Vietnamese."""
    chosen = (requested or "").strip().lower()
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


# What every page shows the same way: the app's name (in English as the city's
# English press names it) and the language switch (``pages.lang_switch``): in
# each language, the name and code of the other one.
EVERY_PAGE: dict[str, dict[str, str]] = {
    "vi": {"app.name": "iHanoi — Công dân Thủ đô số", "lang.switch": "English", "lang.switch_code": "en"},
    "en": {"app.name": "iHanoi — Digital Capital Citizen", "lang.switch": "Tiếng Việt", "lang.switch_code": "vi"},
}

# Every status of a report, a complaint or denunciation and a dossier (a test
# checks none is missing). A dossier's own statuses are named as the national
# status list names them (``DossierStatus``).
STATUS_NAMES: dict[str, dict[str, str]] = {
    "vi": {
        "submitted": "Mới gửi",
        "acknowledged": "Đã tiếp nhận",
        "assigned": "Đã giao xử lý",
        "in_progress": "Đang xử lý",
        "resolved": "Đã xử lý xong",
        "closed": "Đã kết thúc",
        "rejected": "Bị từ chối",
        "duplicate": "Trùng lặp",
        "transferred": "Đã chuyển cơ quan khác",
        "not_responsible": "Không thuộc thẩm quyền",
        "filed": "Mới nộp",
        "preliminary_check": "Đang xem xét, phân loại",
        "forwarded": "Đã chuyển tiếp",
        "accepted": "Đã thụ lý",
        "refused": "Không thụ lý",
        "verifying": "Đang xác minh",
        "dialogue": "Đang đối thoại",
        "decided": "Đã ra quyết định",
        "concluded": "Đã có kết luận",
        "withdrawn": "Đã rút",
        "received": "Được tiếp nhận",
        "processing": "Đang xử lý",
        "supplement_requested": "Yêu cầu bổ sung giấy tờ",
        "awaiting_payment": "Yêu cầu thực hiện nghĩa vụ tài chính",
        "suspended": "Dừng xử lý",
        "result_ready": "Đã xử lý xong",
        "result_returned": "Đã trả kết quả",
    },
    "en": {
        "submitted": "Submitted",
        "acknowledged": "Acknowledged",
        "assigned": "Assigned",
        "in_progress": "In progress",
        "resolved": "Resolved",
        "closed": "Closed",
        "rejected": "Rejected",
        "duplicate": "Duplicate",
        "transferred": "Transferred to another agency",
        "not_responsible": "Not responsible",
        "filed": "Filed",
        "preliminary_check": "Preliminary check",
        "forwarded": "Forwarded",
        "accepted": "Accepted",
        "refused": "Refused",
        "verifying": "Verifying",
        "dialogue": "In dialogue",
        "decided": "Decided",
        "concluded": "Concluded",
        "withdrawn": "Withdrawn",
        "received": "Received",
        "processing": "Processing",
        "supplement_requested": "Supplement requested",
        "awaiting_payment": "Awaiting payment",
        "suspended": "Suspended",
        "result_ready": "Result ready",
        "result_returned": "Result returned",
    },
}


class Catalogue(Mapping[str, Mapping[str, str]]):
    """One page family's strings, read-only, by language (``"vi"``, ``"en"``),
    with the app's name, the language switch's words and the status names."""

    def __init__(self, vi: dict[str, str], en: dict[str, str]) -> None:
        self._tables = {lang: MappingProxyType(self._shared(lang) | own) for lang, own in (("vi", vi), ("en", en))}

    @staticmethod
    def _shared(lang: str) -> dict[str, str]:
        return {**EVERY_PAGE[lang], **{f"status_name.{status}": name for status, name in STATUS_NAMES[lang].items()}}

    def __getitem__(self, lang: str) -> Mapping[str, str]:
        return self._tables[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def strings(self, lang: str) -> Mapping[str, str]:
        """All strings of ``lang`` (an unknown language gets Vietnamese)."""
        return self._tables[language(lang)]
