"""Every string the public pages show, in Vietnamese and English.

The dashboard's pattern (``ihanoi_server.dashboard.i18n``): Vietnamese by
default, ``?lang=en`` switches, keys dotted by topic, both languages with the
same keys (a test checks it), the decimal separator as ``number.decimal``.
Status names are every page's (``ihanoi_server.i18n``).
"""

from __future__ import annotations

from ihanoi_server.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalogue, language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "STRINGS", "language", "strings"]

_VI: dict[str, str] = {
    "app.name": "iHanoi — Công dân Thủ đô số",
    "skip": "Bỏ qua, tới nội dung chính",
    "report.title": "Phản ánh {code}",
    "report.summary": "Thông tin chung",
    "report.category": "Lĩnh vực",
    "report.ward": "Phường, xã",
    "report.address": "Địa điểm",
    "report.agency": "Cơ quan xử lý",
    "report.status": "Trạng thái",
    "report.received": "Tiếp nhận lúc",
    "report.expected": "Hạn xử lý",
    "report.updated": "Cập nhật lúc",
    "report.description": "Nội dung phản ánh",
    "report.withheld": "Nội dung và hình ảnh của phản ánh bị từ chối không được công khai.",
    "report.answers": "Thông tin bổ sung",
    "report.answer": "Trả lời của cơ quan",
    "report.no_answer": "Cơ quan chưa có trả lời.",
    "report.photos": "Hình ảnh",
    "report.no_photos": "Phản ánh không có hình ảnh.",
    "report.photo_alt": "Ảnh {number} của phản ánh {code}",
    "report.timeline": "Diễn biến xử lý",
    "report.timeline_note": "Chỉ gồm các bước công khai; không ghi tên người thực hiện.",
    "report.footer": "Thông tin công khai về phản ánh hiện trường. Không có dữ liệu cá nhân của người phản ánh.",
    "step.submitted": "Phản ánh được gửi",
    "step.acknowledged": "Cơ quan tiếp nhận",
    "step.assigned": "Giao cán bộ xử lý",
    "step.in_progress": "Bắt đầu xử lý tại hiện trường",
    "step.commented": "Cơ quan cập nhật thông tin",
    "step.resolved": "Đã xử lý xong",
    "step.closed": "Kết thúc phản ánh",
    "step.rejected": "Từ chối tiếp nhận",
    "step.duplicate": "Trùng với phản ánh khác",
    "step.transferred": "Chuyển cơ quan khác xử lý",
    "step.not_responsible": "Không thuộc thẩm quyền",
    "step.reopened": "Người phản ánh đề nghị xử lý lại",
    "value.none": "—",
    "number.decimal": ",",
}

_EN: dict[str, str] = {
    "app.name": "iHanoi — Hanoi Digital Citizen",
    "skip": "Skip to the main content",
    "report.title": "Report {code}",
    "report.summary": "Summary",
    "report.category": "Category",
    "report.ward": "Ward or commune",
    "report.address": "Place",
    "report.agency": "Responsible agency",
    "report.status": "Status",
    "report.received": "Received",
    "report.expected": "Due",
    "report.updated": "Last updated",
    "report.description": "What was reported",
    "report.withheld": "The text and photos of a rejected report are not published.",
    "report.answers": "Further details",
    "report.answer": "The agency's answer",
    "report.no_answer": "The agency has not answered yet.",
    "report.photos": "Photos",
    "report.no_photos": "The report has no photos.",
    "report.photo_alt": "Photo {number} of report {code}",
    "report.timeline": "Timeline",
    "report.timeline_note": "Public steps only; who acted is never shown.",
    "report.footer": "Public information about a field report. It holds no personal data of the reporter.",
    "step.submitted": "Report submitted",
    "step.acknowledged": "Received by the agency",
    "step.assigned": "Assigned to an officer",
    "step.in_progress": "Work started on site",
    "step.commented": "The agency posted an update",
    "step.resolved": "Resolved",
    "step.closed": "Closed",
    "step.rejected": "Rejected",
    "step.duplicate": "Duplicate of another report",
    "step.transferred": "Transferred to another agency",
    "step.not_responsible": "Not the agency's responsibility",
    "step.reopened": "Reopened by the reporter",
    "value.none": "—",
    "number.decimal": ".",
}

STRINGS = Catalogue(_VI, _EN)
strings = STRINGS.strings
