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
    "home.title": "Máy chủ này cung cấp gì",
    "home.intro": (
        "Máy chủ của nền tảng công dân số: phản ánh hiện trường, khiếu nại, tố cáo, hồ sơ dịch vụ công "
        "và khảo sát, được theo dõi theo thời hạn luật định."
    ),
    "home.everyone": "Cho người dân",
    "home.map": "Bản đồ phản ánh hiện trường và cảnh báo",
    "home.alerts": "Cảnh báo đang có hiệu lực (Atom)",
    "home.officials": "Cho cán bộ",
    "home.dashboard": "Bảng điều hành của lãnh đạo (cần đăng nhập)",
    "home.data": "Dữ liệu mở và API",
    "home.stats": "Thống kê phản ánh theo cơ quan (JSON)",
    "home.stats_csv": "Thống kê phản ánh theo cơ quan (CSV)",
    "home.ranking": "Xếp hạng cơ quan theo tháng",
    "home.faq": "Tìm câu trả lời trong cơ sở tri thức (ví dụ)",
    "home.consultations": "Lấy ý kiến về dự thảo",
    "home.dialogue_sessions": "Đối thoại với người dân",
    "home.business_qa": "Hỏi đáp của doanh nghiệp",
    "home.open311": "Open311 GeoReport v2",
    "home.openapi": "Mô tả toàn bộ HTTP API (OpenAPI)",
    "home.explorer": "Xem và thử HTTP API (Swagger UI, tiếng Anh)",
    "home.footer": "Mọi nội dung ở đây đều công khai; bảng điều hành chỉ hiện số liệu sau khi đăng nhập.",
}

_EN: dict[str, str] = {
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
    "home.title": "What this server offers",
    "home.intro": (
        "The server of the digital citizen platform: field reports, complaints, denunciations, public-service "
        "dossiers and surveys, followed against their legal deadlines."
    ),
    "home.everyone": "For citizens",
    "home.map": "Map of field reports and alerts",
    "home.alerts": "Alerts in force (Atom)",
    "home.officials": "For officials",
    "home.dashboard": "Leaders' dashboard (sign-in needed)",
    "home.data": "Open data and API",
    "home.stats": "Field report statistics by agency (JSON)",
    "home.stats_csv": "Field report statistics by agency (CSV)",
    "home.ranking": "Monthly ranking of agencies",
    "home.faq": "Search the knowledge base (an example)",
    "home.consultations": "Consultations on drafts",
    "home.dialogue_sessions": "Dialogue sessions with citizens",
    "home.business_qa": "Businesses' questions and answers",
    "home.open311": "Open311 GeoReport v2",
    "home.openapi": "The whole HTTP API described (OpenAPI)",
    "home.explorer": "Browse and try the HTTP API (Swagger UI)",
    "home.footer": "Everything linked here is public; the dashboard shows its figures only after sign-in.",
}

STRINGS = Catalogue(_VI, _EN)
strings = STRINGS.strings
