"""The simulated city: where its citizens live and what they are called.
Names, house numbers and phone numbers are made up; the ward centres and street
names are real. Besides citizens, the 1022 hotline desk and a partner app file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ihanoi_core.domain.values import Principal, Role

# Approximate centres of the sample wards (WGS 84); reports fall within ~500 m.
HANOI_CENTRE = (21.0285, 105.8542)

WARD_STREETS: Mapping[str, tuple[str, ...]] = {
    "HOAN_KIEM": ("phố Hàng Bài", "phố Hàng Gai", "phố Đinh Tiên Hoàng", "phố Tràng Tiền", "phố Hàng Bạc"),
    "CUA_NAM": ("phố Lý Thường Kiệt", "phố Quán Sứ", "phố Thợ Nhuộm", "phố Trần Hưng Đạo", "phố Hàng Bông"),
    "BA_DINH": ("phố Phan Đình Phùng", "phố Quán Thánh", "đường Hoàng Diệu", "phố Nguyễn Trường Tộ"),
    "NGOC_HA": ("phố Đội Cấn", "phố Ngọc Hà", "phố Liễu Giai", "đường Hoàng Hoa Thám", "phố Văn Cao"),
    "GIANG_VO": ("phố Giảng Võ", "phố Giang Văn Minh", "phố Cát Linh", "phố Nguyễn Thái Học", "phố Kim Mã"),
    "HAI_BA_TRUNG": ("phố Bà Triệu", "phố Lò Đúc", "phố Huế", "phố Trần Xuân Soạn", "phố Nguyễn Du"),
    "VINH_TUY": ("phố Minh Khai", "phố Vĩnh Tuy", "phố Lạc Trung", "phố Kim Ngưu", "phố Thanh Lương"),
    "BACH_MAI": ("phố Bạch Mai", "đường Trường Chinh", "phố Lê Thanh Nghị", "đường Giải Phóng", "phố Đại La"),
    "DONG_DA": ("phố Khâm Thiên", "đường Tôn Đức Thắng", "phố Xã Đàn", "phố Hào Nam", "đường Đê La Thành"),
    "KIM_LIEN": ("đường Phạm Ngọc Thạch", "phố Đào Duy Anh", "phố Lương Định Của", "phố Đông Tác"),
    "CAU_GIAY": ("đường Cầu Giấy", "đường Xuân Thủy", "phố Trần Thái Tông", "phố Dịch Vọng Hậu", "phố Tô Hiệu"),
    "TAY_HO": ("đường Lạc Long Quân", "đường Âu Cơ", "phố Xuân Diệu", "phố Đặng Thai Mai", "phố Quảng An"),
    "BA_VI": ("thôn Yên Sơn", "thôn Hợp Nhất", "thôn Muỗi", "đường tỉnh 87", "đường tỉnh 414"),
}
DEFAULT_STREETS = ("đường Trần Phú", "phố Lê Lợi", "đường Nguyễn Trãi")

# Where citizens live: the dense central wards file most.
WARD_WEIGHTS: Mapping[str, float] = {"BA_VI": 0.4, "TAY_HO": 0.8, "CAU_GIAY": 1.2, "DONG_DA": 1.3}

# -- people ------------------------------------------------------------------------

FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Phan")
MIDDLE_NAMES = ("Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Hữu", "Hải", "Thùy")
GIVEN_NAMES = (
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hương", "Khánh", "Lan", "Linh",
    "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Việt", "Yến", "Hùng",
)  # fmt: skip
PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "086", "088", "089", "035", "039")
PARTNER = Principal("partner-zalo-mini-app", Role.PARTNER)
HOTLINE_AGENCY = "TTPVHCC"  # The 1022 hotline desk files reports on callers' behalf.
