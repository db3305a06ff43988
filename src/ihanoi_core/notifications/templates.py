"""The words of every notice, in Vietnamese and English, with Jinja2.

One template per language and kind of notice, ``templates/{vi,en}/{kind}.txt``,
with two blocks: ``subject`` and ``body`` (plain text: SMS, Zalo, the text part
of an e-mail). The HTML part of an e-mail is ``templates/email.html`` around
the body, autoescaped (a value can never become markup). Undefined values
fail loudly (``StrictUndefined``) rather than sending a blank.

A notice tells its recipient about their own case and nothing else: the
values are the case's code, kind, status, dates, what is missing or due —
never another person's data (the outbox's rows carry nothing more). An alert
notice carries only the alert's public text (headline, areas, instruction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

STATUS_NAMES: dict[str, dict[str, str]] = {
    "vi": {
        "submitted": "đã gửi", "acknowledged": "đã tiếp nhận", "assigned": "đã giao xử lý",
        "in_progress": "đang xử lý", "resolved": "đã xử lý xong", "closed": "đã đóng",
        "rejected": "bị từ chối", "duplicate": "trùng với phản ánh khác", "transferred": "đã chuyển cơ quan khác",
        "not_responsible": "không thuộc thẩm quyền", "filed": "đã nộp", "accepted": "đã thụ lý",
        "refused": "không thụ lý", "forwarded": "đã chuyển", "verifying": "đang xác minh",
        "dialogue": "đang đối thoại", "decided": "đã có quyết định", "concluded": "đã có kết luận",
        "preliminary_check": "đang kiểm tra sơ bộ", "withdrawn": "đã rút", "received": "đã tiếp nhận",
        "processing": "đang xử lý", "supplement_requested": "cần bổ sung giấy tờ",
        "awaiting_payment": "chờ nộp phí, lệ phí", "suspended": "tạm dừng xử lý",
        "result_ready": "đã có kết quả", "result_returned": "đã trả kết quả",
    },
    "en": {
        "submitted": "submitted", "acknowledged": "acknowledged", "assigned": "assigned to an officer",
        "in_progress": "in progress", "resolved": "resolved", "closed": "closed", "rejected": "rejected",
        "duplicate": "a duplicate of another report", "transferred": "transferred to another agency",
        "not_responsible": "outside this agency's remit", "filed": "filed", "accepted": "accepted",
        "refused": "refused", "forwarded": "forwarded", "verifying": "being verified", "dialogue": "in dialogue",
        "decided": "decided", "concluded": "concluded", "preliminary_check": "under preliminary check",
        "withdrawn": "withdrawn", "received": "received", "processing": "being processed",
        "supplement_requested": "waiting for documents from you", "awaiting_payment": "waiting for payment",
        "suspended": "suspended", "result_ready": "ready", "result_returned": "returned to you",
    },
}  # fmt: skip
CASE_KINDS: dict[str, dict[str, str]] = {
    "vi": {"report": "Phản ánh", "complaint": "Khiếu nại", "denunciation": "Tố cáo", "dossier": "Hồ sơ"},
    "en": {"report": "Report", "complaint": "Complaint", "denunciation": "Denunciation", "dossier": "Dossier"},
}
# CAP msgType of an alert notice, as its subject names it.
MSG_TYPE_NAMES: dict[str, dict[str, str]] = {
    "vi": {"Alert": "Cảnh báo", "Update": "Cập nhật cảnh báo", "Cancel": "Hủy cảnh báo"},
    "en": {"Alert": "Alert", "Update": "Alert update", "Cancel": "Alert cancelled"},
}
LANGUAGES = ("vi", "en")


class Templates:
    """Renders notices (module docstring); dates in the city's time zone."""

    def __init__(self, zone: ZoneInfo, public_url: str | None = None) -> None:
        self.zone = zone
        self.public_url = public_url or ""
        self.environment = Environment(
            loader=PackageLoader("ihanoi_core.notifications", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["local_time"] = self._local_time
        self.environment.filters["link"] = self._link

    def _local_time(self, value: str | None) -> str:
        if not value:
            return ""
        return datetime.fromisoformat(value).astimezone(self.zone).strftime("%H:%M %d/%m/%Y")

    def _link(self, path: str) -> str:
        """A path of this server as the citizen follows it: after ``IHANOI_PUBLIC_URL`` when it is set."""
        return self.public_url + path

    def render(self, kind: str, language: str, params: dict[str, Any]) -> tuple[str, str, str]:
        """The subject, the plain text and the HTML of a notice."""
        language = language if language in LANGUAGES else "vi"
        template = self.environment.get_template(f"{language}/{kind}.txt")
        values = {
            **params,
            "status_name": STATUS_NAMES[language].get(str(params.get("status")), str(params.get("status"))),
            "case_name": CASE_KINDS[language].get(str(params.get("case_kind")), ""),
            "msg_type_name": MSG_TYPE_NAMES[language].get(str(params.get("msg_type")), ""),
        }
        context = template.new_context(values)
        subject = " ".join("".join(template.blocks["subject"](context)).split())
        body = "".join(template.blocks["body"](context)).strip()
        html = self.environment.get_template("email.html").render(subject=subject, body=body, language=language)
        return subject, body, html
