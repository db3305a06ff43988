"""Every string the public map page shows, in Vietnamese and English.

Vietnamese is the default; ``?lang=en`` switches. Both languages have the same
keys (a test checks it). The script gets the strings it needs as JSON with the
page, so nothing visible is written in the script itself.
"""

from __future__ import annotations

from ihanoi_server.i18n import Catalogue

_VI: dict[str, str] = {
    "map.title": "Bản đồ phản ánh hiện trường",
    "map.subtitle": "Phản ánh công khai của người dân và kết quả xử lý",
    "filters.title": "Bộ lọc",
    "filters.category": "Lĩnh vực",
    "filters.status": "Trạng thái",
    "filters.ward": "Phường",
    "filters.all": "Tất cả",
    "status.open": "Đang xử lý (tất cả)",
    "status.closed": "Đã kết thúc (tất cả)",
    "list.title": "Phản ánh mới nhất trong khung bản đồ",
    "list.empty": "Không có phản ánh nào phù hợp trong khung bản đồ.",
    "count.shown": "phản ánh trên bản đồ",
    "count.more": "Chỉ hiển thị những phản ánh mới nhất; hãy phóng to hoặc lọc thêm.",
    "state.loading": "Đang tải…",
    "state.error": "Không tải được dữ liệu phản ánh. Vui lòng thử lại.",
    "basemap.none": "Không có bản đồ nền: các điểm phản ánh vẫn hiển thị theo tọa độ.",
    "basemap.failed": "Không tải được bản đồ nền; các điểm phản ánh và bộ lọc vẫn hoạt động.",
    "popup.supports": "người cũng gặp",
    "popup.filed": "Ngày phản ánh",
    "popup.agency": "Cơ quan xử lý",
    "popup.answer": "Trả lời",
    "footnote": "Chỉ hiển thị phản ánh có tọa độ; không có thông tin cá nhân của người phản ánh.",
    "map.label": "Bản đồ các phản ánh",
    "alerts.title": "Cảnh báo đang có hiệu lực",
    "alerts.empty": "Hiện không có cảnh báo nào.",
    "alerts.error": "Không tải được danh sách cảnh báo.",
    "alerts.until": "Hiệu lực đến",
    "alerts.areas": "Khu vực",
    "alerts.cap": "Bản tin CAP",
    "severity.Extreme": "Đặc biệt nguy hiểm",
    "severity.Severe": "Nguy hiểm",
    "severity.Moderate": "Trung bình",
    "severity.Minor": "Nhẹ",
    "severity.Unknown": "Chưa xác định",
}

_EN: dict[str, str] = {
    "map.title": "Map of field reports",
    "map.subtitle": "Citizens' public reports and what was done about them",
    "filters.title": "Filters",
    "filters.category": "Category",
    "filters.status": "Status",
    "filters.ward": "Ward",
    "filters.all": "All",
    "status.open": "Open (all)",
    "status.closed": "Closed (all)",
    "list.title": "Newest reports in the map view",
    "list.empty": "No matching report in the map view.",
    "count.shown": "reports on the map",
    "count.more": "Only the newest reports are shown; zoom in or filter further.",
    "state.loading": "Loading…",
    "state.error": "The reports could not be loaded. Please try again.",
    "basemap.none": "No basemap: the reports are still drawn at their coordinates.",
    "basemap.failed": "The basemap could not be loaded; the reports and filters still work.",
    "popup.supports": "others have this problem too",
    "popup.filed": "Filed",
    "popup.agency": "Handled by",
    "popup.answer": "Answer",
    "footnote": "Only reports with coordinates are shown; nothing about who filed them.",
    "map.label": "Map of the reports",
    "alerts.title": "Alerts in force",
    "alerts.empty": "No alert is in force.",
    "alerts.error": "The alerts could not be loaded.",
    "alerts.until": "Until",
    "alerts.areas": "Area",
    "alerts.cap": "CAP message",
    "severity.Extreme": "Extreme",
    "severity.Severe": "Severe",
    "severity.Moderate": "Moderate",
    "severity.Minor": "Minor",
    "severity.Unknown": "Unknown",
}

STRINGS = Catalogue(_VI, _EN)
strings = STRINGS.strings
