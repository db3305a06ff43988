"""Every string the dashboard pages and chart show, in Vietnamese and English.

Vietnamese is the default: the pages are for the city's own staff. A page is
rendered in one language (``?lang=en`` switches); the strings its script needs
travel with it as JSON, so nothing visible is written in the script itself.
Keys are dotted by topic (``kpi.on_time_rate``); both languages must have the
same keys (a test checks it). Numbers use the language's decimal separator
(``number.decimal``): 83,3 in Vietnamese, 83.3 in English.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

_VI: dict[str, str] = {
    "app.name": "iHanoi — Công dân Thủ đô số",
    "dashboard.title": "Bảng điều hành",
    "dashboard.subtitle": "Tiến độ giải quyết phản ánh, hồ sơ và đơn thư của cơ quan",
    "login.title": "Đăng nhập bằng mã truy cập",
    "login.label": "Dán mã truy cập (bearer token)",
    "login.submit": "Đăng nhập",
    "login.hint": "Mã chỉ được dùng một lần để mở phiên đăng nhập (cookie mà trang không đọc được); "
    "mã không được lưu lại và không bao giờ nằm trong địa chỉ trang.",
    "login.expired": "Mã truy cập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.",
    "login.empty": "Hãy dán mã truy cập trước khi đăng nhập.",
    "logout": "Đăng xuất",
    "live.title": "Cập nhật trực tiếp",
    "live.waiting": "Đang chờ thay đổi của các hồ sơ…",
    "live.connected": "Đang theo dõi trực tiếp.",
    "live.unavailable": "Không có luồng trực tiếp cho vai trò này.",
    "filters.title": "Bộ lọc",
    "filters.period_start": "Từ ngày",
    "filters.period_end": "Đến ngày",
    "filters.kind": "Loại hồ sơ",
    "filters.agency": "Cơ quan",
    "filters.all_kinds": "Tất cả",
    "filters.all_agencies": "Tất cả cơ quan",
    "filters.apply": "Áp dụng",
    "kind.report": "Phản ánh hiện trường",
    "kind.dossier": "Hồ sơ dịch vụ công",
    "kind.complaint": "Khiếu nại",
    "kind.denunciation": "Tố cáo",
    "scope.agency": "Cơ quan",
    "scope.all_agencies": "Toàn thành phố (tất cả cơ quan)",
    "scope.period": "Kỳ báo cáo",
    "scope.as_of": "Số liệu lúc",
    "kpi.received": "Đã tiếp nhận",
    "kpi.open": "Đang xử lý",
    "kpi.resolved": "Đã giải quyết",
    "kpi.on_time_rate": "Tỉ lệ đúng hạn",
    "kpi.overdue_now": "Đang quá hạn",
    "kpi.median_hours_to_resolve": "Thời gian giải quyết (trung vị)",
    "kpi.p90_hours_to_resolve": "Thời gian giải quyết (90 % hồ sơ)",
    "kpi.average_rating": "Mức hài lòng (điểm trung bình)",
    "kpi.reopen_rate": "Tỉ lệ mở lại",
    "unit.percent": "%",
    "unit.hours": "giờ làm việc",
    "unit.rating": "/ 5",
    "unit.cases": "hồ sơ",
    "chart.title": "Xu hướng theo tuần",
    "chart.received": "Tiếp nhận",
    "chart.on_time": "Giải quyết đúng hạn",
    "chart.late": "Giải quyết trễ hạn",
    "chart.week": "Tuần",
    "chart.no_data": "Không có tuần nào trong kỳ này.",
    "chart.axis": "Số hồ sơ",
    "by_agency.title": "Theo cơ quan",
    "overdue.title": "Hồ sơ đang quá hạn",
    "overdue.empty": "Không có hồ sơ nào quá hạn.",
    "overdue.more": "Chỉ hiển thị 20 hồ sơ quá hạn lâu nhất.",
    "accountability.title": "Trách nhiệm theo cán bộ (hạn xử lý)",
    "fees.title": "Thu phí, lệ phí (30 ngày qua)",
    "fees.hint": "Phí, lệ phí đã xác nhận; không dùng tiền mặt: xác nhận qua ngân hàng (VietQR).",
    "fees.day": "Ngày",
    "fees.count": "Số khoản",
    "fees.amount": "Số tiền (đồng)",
    "fees.cashless_share": "Tỷ lệ không dùng tiền mặt",
    "fees.empty": "Chưa có khoản phí nào được xác nhận.",
    "accountability.hint": "Toàn bộ thời gian; chỉ lãnh đạo cơ quan và thanh tra xem được.",
    "long_delayed.title": "Hồ sơ chậm kéo dài (quá hạn hơn 5 ngày làm việc)",
    "long_delayed.empty": "Không có hồ sơ nào chậm kéo dài.",
    "official.total": "Cả cơ quan",
    "ranking.title": "Xếp hạng cơ quan theo tháng (công khai)",
    "ranking.hint": "Tỷ lệ đúng hạn của hồ sơ đã giải quyết trong tháng; "
    "cơ quan dưới số lượng tối thiểu không được xếp hạng.",
    "ranking.empty": "Chưa có cơ quan nào giải quyết hồ sơ trong tháng này.",
    "channels.title": "Zalo, Messenger và đường dây nóng",
    "channels.channel": "Kênh",
    "channels.conversations": "Hội thoại",
    "channels.received": "Tin nhận",
    "channels.sent": "Tin gửi",
    "channels.cases": "Hồ sơ tạo ra",
    "channels.without_case": "Chưa thành hồ sơ",
    "channels.empty": "Chưa có hội thoại nào.",
    "ranking.withheld": "dưới mức tối thiểu",
    "business.title": "Doanh nghiệp: trả lời phản ánh, kiến nghị",
    "business.hint": "Tất cả phản ánh, kiến nghị của doanh nghiệp, hộ kinh doanh; tính đến hiện tại.",
    "business.empty": "Chưa có phản ánh, kiến nghị nào của doanh nghiệp.",
    "column.answered": "Đã trả lời",
    "column.open": "Đang chờ",
    "column.rank": "Hạng",
    "column.finished": "Đã giải quyết",
    "official.unassigned": "(chưa phân công)",
    "column.official": "Cán bộ",
    "column.missed": "Trễ hạn",
    "column.escalations_caused": "Bị chuyển lên cấp trên",
    "column.resolved_on_time": "Giải quyết đúng hạn",
    "column.resolved_late": "Giải quyết trễ hạn",
    "column.rated": "Lượt đánh giá",
    "column.assignee": "Người xử lý",
    "column.code": "Mã hồ sơ",
    "column.kind": "Loại",
    "column.agency": "Cơ quan",
    "column.due_at": "Hạn xử lý",
    "column.status": "Trạng thái",
    "column.time": "Thời điểm",
    "column.event": "Sự kiện",
    "column.actor": "Người thực hiện",
    "column.details": "Chi tiết",
    "status.loading": "Đang tải số liệu…",
    "status.error": "Không tải được số liệu",
    "status.ready": "Đã cập nhật.",
    "value.none": "—",
    "footnote.cohort": "Các chỉ số tính trên hồ sơ tiếp nhận trong kỳ báo cáo. Tỉ lệ đúng hạn = số hồ sơ giải quyết "
    "đúng hạn ÷ số hồ sơ đã giải quyết; thời gian tính bằng giờ làm việc. Danh sách quá hạn là mọi hồ sơ "
    "đang quá hạn ở thời điểm hiện tại.",
    "case.title": "Lịch sử hồ sơ",
    "case.back": "Quay lại bảng điều hành",
    "case.empty": "Hồ sơ chưa có sự kiện nào.",
    "case.error": "Không tải được lịch sử hồ sơ",
    "case.loading": "Đang tải lịch sử hồ sơ…",
    "case.not_found": "Không có hồ sơ này.",
    "number.decimal": ",",
    "status_name.submitted": "Mới tiếp nhận",
    "status_name.acknowledged": "Đã tiếp nhận",
    "status_name.assigned": "Đã phân công",
    "status_name.in_progress": "Đang xử lý",
    "status_name.transferred": "Đã chuyển",
    "status_name.filed": "Mới nộp",
    "status_name.accepted": "Đã thụ lý",
    "status_name.verifying": "Đang xác minh",
    "status_name.received": "Đã tiếp nhận",
    "status_name.processing": "Đang xử lý",
}

_EN: dict[str, str] = {
    "app.name": "iHanoi — Digital Citizen of the Capital",
    "dashboard.title": "Leader dashboard",
    "dashboard.subtitle": "How the agency handles reports, dossiers, complaints and denunciations",
    "login.title": "Sign in with an access token",
    "login.label": "Paste your access token (bearer token)",
    "login.submit": "Sign in",
    "login.hint": "The token is used once to open a session (a cookie this page cannot read); "
    "it is not kept, and never appears in a page address.",
    "login.expired": "The access token is invalid or has expired. Please sign in again.",
    "login.empty": "Paste an access token before signing in.",
    "logout": "Sign out",
    "live.title": "Live updates",
    "live.waiting": "Waiting for changes to cases…",
    "live.connected": "Following live.",
    "live.unavailable": "There is no live stream for this role.",
    "filters.title": "Filters",
    "filters.period_start": "From",
    "filters.period_end": "To",
    "filters.kind": "Kind",
    "filters.agency": "Agency",
    "filters.all_kinds": "All",
    "filters.all_agencies": "All agencies",
    "filters.apply": "Apply",
    "kind.report": "Field reports",
    "kind.dossier": "Public-service dossiers",
    "kind.complaint": "Complaints",
    "kind.denunciation": "Denunciations",
    "scope.agency": "Agency",
    "scope.all_agencies": "Whole city (all agencies)",
    "scope.period": "Period",
    "scope.as_of": "Figures as of",
    "kpi.received": "Received",
    "kpi.open": "Open",
    "kpi.resolved": "Resolved",
    "kpi.on_time_rate": "On-time rate",
    "kpi.overdue_now": "Overdue now",
    "kpi.median_hours_to_resolve": "Time to resolve (median)",
    "kpi.p90_hours_to_resolve": "Time to resolve (90th percentile)",
    "kpi.average_rating": "Satisfaction (average rating)",
    "kpi.reopen_rate": "Reopen rate",
    "unit.percent": "%",
    "unit.hours": "working hours",
    "unit.rating": "/ 5",
    "unit.cases": "cases",
    "chart.title": "Weekly trend",
    "chart.received": "Received",
    "chart.on_time": "Resolved on time",
    "chart.late": "Resolved late",
    "chart.week": "Week",
    "chart.no_data": "No week falls in this period.",
    "chart.axis": "Cases",
    "by_agency.title": "By agency",
    "overdue.title": "Overdue cases",
    "overdue.empty": "No case is overdue.",
    "overdue.more": "Only the 20 most overdue cases are shown.",
    "accountability.title": "Accountability per official (deadlines)",
    "fees.title": "Fees collected (last 30 days)",
    "fees.hint": "Fees confirmed; cashless: confirmed by the bank (VietQR).",
    "fees.day": "Day",
    "fees.count": "Fees",
    "fees.amount": "Amount (đồng)",
    "fees.cashless_share": "Cashless share",
    "fees.empty": "No fee has been confirmed yet.",
    "accountability.hint": "All time; for the agency's leaders and inspectors only.",
    "long_delayed.title": "Long-delayed cases (overdue by more than 5 working days)",
    "long_delayed.empty": "No case is long delayed.",
    "official.total": "Whole agency",
    "ranking.title": "Monthly ranking of agencies (published)",
    "ranking.hint": "On-time rate of the cases finished in the month; "
    "agencies below the minimum volume are not ranked.",
    "ranking.empty": "No agency finished a case in this month.",
    "channels.title": "Zalo, Messenger and the hotline",
    "channels.channel": "Channel",
    "channels.conversations": "Conversations",
    "channels.received": "Messages in",
    "channels.sent": "Messages out",
    "channels.cases": "Cases created",
    "channels.without_case": "Not a case yet",
    "channels.empty": "No conversations yet.",
    "ranking.withheld": "below the minimum",
    "business.title": "Businesses: inquiries answered",
    "business.hint": "Every inquiry of enterprises and household businesses, counted now.",
    "business.empty": "No business inquiry yet.",
    "column.answered": "Answered",
    "column.open": "Waiting",
    "column.rank": "Rank",
    "column.finished": "Finished",
    "official.unassigned": "(unassigned)",
    "column.official": "Official",
    "column.missed": "Deadlines missed",
    "column.escalations_caused": "Escalations caused",
    "column.resolved_on_time": "Resolved on time",
    "column.resolved_late": "Resolved late",
    "column.rated": "Ratings",
    "column.assignee": "Assignee",
    "column.code": "Case code",
    "column.kind": "Kind",
    "column.agency": "Agency",
    "column.due_at": "Due",
    "column.status": "Status",
    "column.time": "Time",
    "column.event": "Event",
    "column.actor": "Actor",
    "column.details": "Details",
    "status.loading": "Loading the figures…",
    "status.error": "Could not load the figures",
    "status.ready": "Up to date.",
    "value.none": "—",
    "footnote.cohort": "Figures cover the cases received in the period. On-time rate = cases resolved on time ÷ "
    "cases resolved; times are in working hours. The overdue list holds every case overdue right now.",
    "case.title": "Case history",
    "case.back": "Back to the dashboard",
    "case.empty": "The case has no events yet.",
    "case.error": "Could not load the case history",
    "case.loading": "Loading the case history…",
    "case.not_found": "No such case.",
    "number.decimal": ".",
    "status_name.submitted": "Submitted",
    "status_name.acknowledged": "Acknowledged",
    "status_name.assigned": "Assigned",
    "status_name.in_progress": "In progress",
    "status_name.transferred": "Transferred",
    "status_name.filed": "Filed",
    "status_name.accepted": "Accepted",
    "status_name.verifying": "Verifying",
    "status_name.received": "Received",
    "status_name.processing": "Processing",
}


def language(requested: str | None) -> str:
    """The language to render: ``requested`` when it is one we have, else Vietnamese."""
    chosen = (requested or "").strip().lower()
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


# The words of the language switch every page shows (``pages.lang_switch``):
# in each language, the name and code of the other one.
SWITCH: dict[str, dict[str, str]] = {
    "vi": {"lang.switch": "English", "lang.switch_code": "en"},
    "en": {"lang.switch": "Tiếng Việt", "lang.switch_code": "vi"},
}


class Catalogue(Mapping[str, Mapping[str, str]]):
    """One page family's strings, read-only, by language (``"vi"``, ``"en"``),
    with the language switch's words (``SWITCH``)."""

    def __init__(self, vi: dict[str, str], en: dict[str, str]) -> None:
        self._tables = {"vi": MappingProxyType({**SWITCH["vi"], **vi}), "en": MappingProxyType({**SWITCH["en"], **en})}

    def __getitem__(self, lang: str) -> Mapping[str, str]:
        return self._tables[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def strings(self, lang: str) -> Mapping[str, str]:
        """All strings of ``lang`` (an unknown language gets Vietnamese)."""
        return self._tables[language(lang)]


STRINGS = Catalogue(_VI, _EN)
strings = STRINGS.strings
