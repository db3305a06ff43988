"""A deterministic simulation of a city at work, for demos, benchmarks and tests.

``simulate`` walks day by day through simulated weeks of Hanoi: citizens file
field reports (also in the evening and at weekends), complaints and
denunciations and online dossiers; officers and leaders of the routed agency
acknowledge, assign, process, answer, decide, apologise; citizens rate, reopen,
supplement, withdraw and answer surveys. Every step is a real command of the
``Ihanoi`` application — permissions, legal deadlines and all — issued at its
simulated time by a ``SimulatedClock`` the application reads, so the log holds
exactly what such weeks would have written.

Each case is a small process (a generator) that issues one command and yields
the simulated time of its next step; one heap of ``(time, sequence, process)``
interleaves the steps of every case in time order. A process knows its case's
status from the commands it issued, and the only facts it reads back are the
due times the application computed (as an officer reads them off the
worklist), so it only issues commands the domain accepts; anything refused
anyway is counted in ``SimulationSummary.errors`` rather than raised.

Everything random comes from ``random.Random`` streams seeded by ``seed``
(one for arrivals, one per case), and creations carry idempotency keys derived
from the seed, so two runs with the same seed on empty stores write identical
logs: the same cases, codes, actors, payloads and timestamps. The same seed run
again on the same store finds its cases and adds nothing. Names, house numbers
and texts are made up; the ward centres and street names are real.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
import time as wall_clock
from collections import Counter
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.base import CommandResult
from ihanoi_core.directory import Procedure
from ihanoi_core.domain.complaint import ComplainantIdentity, ComplaintKind
from ihanoi_core.domain.service_request import ApplicantIdentity
from ihanoi_core.domain.survey import Answer, Question, QuestionType
from ihanoi_core.domain.values import (
    Channel,
    Clock,
    Contact,
    DeadlineRule,
    Document,
    Location,
    Principal,
    Priority,
    Role,
    TimeUnit,
)
from ihanoi_core.errors import IhanoiError

__all__ = ["SimulatedClock", "SimulationSummary", "describe", "simulate"]

Process = Generator[datetime, None, None]
"""A case's life: runs a step, then yields the simulated time of the next one."""

HOUR = 3600.0
OFFICERS_PER_AGENCY = 3
MIN_CITIZENS = 600
MAX_ERRORS_KEPT = 20
NEVER = datetime.max.replace(tzinfo=UTC)

# -- places ------------------------------------------------------------------------

# Approximate centres of the sample wards (WGS 84); reports fall within ~500 m.
WARD_CENTRES: Mapping[str, tuple[float, float]] = {
    "HOAN_KIEM": (21.0285, 105.8542),
    "CUA_NAM": (21.0262, 105.8438),
    "BA_DINH": (21.0368, 105.8347),
    "NGOC_HA": (21.0382, 105.8236),
    "GIANG_VO": (21.0268, 105.8203),
    "HAI_BA_TRUNG": (21.0134, 105.8519),
    "VINH_TUY": (21.0003, 105.8712),
    "BACH_MAI": (21.0021, 105.8462),
    "DONG_DA": (21.0179, 105.8293),
    "KIM_LIEN": (21.0076, 105.8368),
    "CAU_GIAY": (21.0329, 105.7941),
    "TAY_HO": (21.0702, 105.8188),
    "BA_VI": (21.0846, 105.3873),
}
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

# -- report texts ----------------------------------------------------------------------

ISSUES: Mapping[str, tuple[str, ...]] = {
    "pothole": ("mặt đường xuất hiện ổ gà lớn, sâu khoảng {n} cm", "mặt đường bị sụt lún, bong tróc thành nhiều hố"),
    "sidewalk_damage": ("gạch lát vỉa hè bị vỡ, bong tróc nhiều đoạn", "bó vỉa bị sụt, người đi bộ rất dễ vấp ngã"),
    "manhole_cover": ("nắp hố ga bị mất, để lộ miệng hố sâu", "nắp cống bị vỡ, lệch khỏi miệng hố ga"),
    "traffic_light_fault": (
        "đèn tín hiệu giao thông không hoạt động từ sáng",
        "đèn tín hiệu chỉ nháy vàng, xe đi lộn xộn",
    ),
    "road_sign_damage": ("biển báo cấm đỗ xe bị đổ nằm trên vỉa hè", "vạch sơn đi bộ qua đường đã mờ hết"),
    "bridge_damage": ("lan can cầu vượt đi bộ bị gãy một đoạn", "khe co giãn trên cầu bị bong, xe qua rung mạnh"),
    "street_light_out": ("cả dãy đèn chiếu sáng không sáng {n} đêm nay", "đèn đường chập chờn, lúc sáng lúc tắt"),
    "fallen_tree": ("cây xanh gãy cành lớn, chắn gần hết lòng đường", "một cây sấu bật gốc sau mưa, đè lên dây điện"),
    "tree_pruning": (
        "cây xanh tán rậm, cành vươn sát đường dây điện",
        "cành cây mục có nguy cơ rơi xuống người đi đường",
    ),
    "uncollected_waste": (
        "rác thải sinh hoạt tồn đọng {n} ngày chưa được thu gom",
        "điểm tập kết rác bốc mùi, tràn ra đường",
    ),
    "illegal_dumping": (
        "có người đổ trộm phế thải xây dựng ra vỉa hè ban đêm",
        "bao tải rác, phế thải bị đổ trộm thành đống",
    ),
    "open_burning": ("có người đốt rác gây khói mù cả khu dân cư", "tình trạng đốt rác, lá cây diễn ra hằng chiều"),
    "industrial_pollution": (
        "xưởng sản xuất xả khói có mùi hóa chất khó chịu",
        "cơ sở sản xuất xả nước thải chưa qua xử lý",
    ),
    "water_pollution": ("mặt hồ nổi váng, cá chết, bốc mùi hôi", "nước mương đen kịt, nhiều rác thải trôi nổi"),
    "dead_animal": ("có xác chó chết nằm bên đường đã bốc mùi", "xác động vật bị vứt cạnh thùng rác công cộng"),
    "flooding": ("mưa lớn gây ngập sâu khoảng {n}0 cm, xe chết máy hàng loạt", "đường ngập kéo dài nhiều giờ sau mưa"),
    "blocked_drain": (
        "rãnh thoát nước bị tắc, nước thải tràn lên mặt đường",
        "miệng cống bị rác bịt kín, mưa nhỏ cũng ngập",
    ),
    "water_supply_outage": ("khu dân cư bị mất nước sinh hoạt {n} ngày nay", "nước máy chảy yếu, có màu vàng đục"),
    "illegal_construction": (
        "công trình đang xây thêm tầng, không treo biển cấp phép",
        "nhà dân cơi nới lấn ra ngõ chung",
    ),
    "sidewalk_encroachment": (
        "hàng quán bày bàn ghế chiếm hết vỉa hè",
        "xe máy đỗ tràn xuống lòng đường, người đi bộ phải đi dưới đường",
    ),
    "illegal_advertising": (
        "tờ rơi quảng cáo khoan cắt bê tông dán kín cột điện",
        "biển quảng cáo lắp trái phép che khuất biển báo",
    ),
    "illegal_parking_lot": (
        "bãi giữ xe tự phát thu phí cao hơn quy định",
        "vỉa hè bị biến thành bãi giữ xe không phép",
    ),
    "land_encroachment": (
        "phần đất công bị quây tôn, dựng lán để kinh doanh",
        "hộ dân lấn đất hành lang để xây tường rào",
    ),
    "noise": ("quán karaoke hát to đến khuya, ảnh hưởng cả khu dân cư", "công trình thi công gây ồn lớn sau 22 giờ"),
    "traffic_violation": (
        "nhiều xe máy đi ngược chiều giờ cao điểm",
        "xe tải chở vật liệu chạy giờ cấm, không che chắn",
    ),
    "fire_hazard": (
        "kho hàng dễ cháy sát khu dân cư, không có bình chữa cháy",
        "dây điện câu móc chằng chịt, thường xuyên chập",
    ),
    "public_disorder": ("nhóm thanh niên tụ tập, nẹt pô gây mất trật tự lúc nửa đêm", "xảy ra xô xát trước cổng chợ"),
    "food_safety": ("quán ăn chế biến thực phẩm mất vệ sinh", "nhiều người bị đau bụng sau khi ăn tại một cơ sở"),
    "disease_outbreak": (
        "khu dân cư xuất hiện nhiều ca sốt xuất huyết",
        "nhiều trẻ em trong tổ dân phố bị tay chân miệng",
    ),
    "heritage_damage": ("tường đình làng bị viết vẽ bậy", "công trình xây dựng sát di tích làm nứt tường"),
    "tourist_harassment": (
        "người bán hàng rong đeo bám, ép khách du lịch mua giá cao",
        "xích lô chèo kéo, ép giá khách",
    ),
    "market_fraud": ("cửa hàng bày bán nhiều hàng giả nhãn hiệu nổi tiếng", "cân điêu, bán hàng không niêm yết giá"),
    "public_service_feedback": (
        "hồ sơ nộp trực tuyến đã quá hẹn chưa có kết quả",
        "cán bộ hướng dẫn chưa rõ, phải đi lại nhiều lần",
    ),
}  # fmt: skip
CLOSERS: Mapping[str, tuple[str, ...]] = {
    "Hạ tầng giao thông": ("Rất nguy hiểm cho người đi đường, nhất là buổi tối.", "Đề nghị sớm sửa chữa."),
    "Chiếu sáng và cây xanh": ("Đề nghị đơn vị quản lý kiểm tra, khắc phục.", "Người dân đi lại buổi tối rất bất an."),
    "Môi trường": ("Ảnh hưởng nghiêm trọng đến sức khỏe người dân.", "Đề nghị xử lý dứt điểm."),
    "Cấp thoát nước": ("Đề nghị khắc phục sớm, cuộc sống bị đảo lộn.", "Tình trạng này lặp lại nhiều lần."),
    "Trật tự đô thị": ("Đề nghị chính quyền kiểm tra, xử lý nghiêm.", "Tình trạng kéo dài đã lâu."),
    "An ninh, trật tự": ("Đề nghị công an kiểm tra, xử lý.", "Người dân rất lo lắng."),
}
GENERIC_CLOSERS = ("Đề nghị cơ quan chức năng kiểm tra, xử lý.", "Mong được xử lý sớm. Xin cảm ơn!")
PROGRESS_NOTES = (
    "Đơn vị đã cử cán bộ kiểm tra hiện trường.",
    "Đã giao đội công trình xử lý, dự kiến hoàn thành trong tuần.",
    "Đang phối hợp với đơn vị quản lý để khắc phục.",
    "Đã lập biên bản hiện trường, đang chờ vật tư để xử lý.",
)
ANSWERS: Mapping[str, tuple[str, ...]] = {
    "Hạ tầng giao thông": ("Đơn vị duy tu đã sửa chữa, hoàn trả mặt bằng, bảo đảm an toàn giao thông.",),
    "Chiếu sáng và cây xanh": ("Đã khắc phục sự cố chiếu sáng.", "Đã cắt tỉa, dọn cành cây, thông tuyến."),
    "Môi trường": ("Đã thu gom, vận chuyển và vệ sinh khu vực.", "Đã kiểm tra, lập biên bản, yêu cầu khắc phục."),
    "Cấp thoát nước": ("Đã nạo vét, khơi thông cống rãnh.", "Đơn vị cấp nước đã sửa đường ống, cấp nước trở lại."),
    "Trật tự đô thị": ("Đã lập biên bản vi phạm và yêu cầu khôi phục hiện trạng.", "Đã giải tỏa, trả lại vỉa hè."),
    "An ninh, trật tự": ("Công an đã kiểm tra, xử lý các đối tượng vi phạm.", "Đã tăng cường tuần tra tại khu vực."),
    "Y tế": ("Đoàn kiểm tra đã lấy mẫu, xử phạt cơ sở vi phạm.", "Đã khoanh vùng, phun hóa chất xử lý ổ dịch."),
}
GENERIC_ANSWERS = ("Đơn vị đã kiểm tra và xử lý xong nội dung phản ánh.",)
REOPEN_REASONS = (
    "Kiểm tra lại thì hiện trường vẫn chưa được khắc phục.",
    "Sự việc tái diễn ngay sau khi báo đã xử lý, đề nghị xử lý dứt điểm.",
    "Chỉ khắc phục tạm thời, sau trận mưa lại như cũ.",
)
REJECT_REASONS = (
    "Nội dung phản ánh không rõ ràng, không xác định được vị trí.",
    "Hình ảnh không đúng hiện trường được phản ánh.",
    "Nội dung thuộc lĩnh vực khiếu nại, đề nghị gửi đơn theo Luật Khiếu nại.",
)
RESPONSIBLE_BODIES: Mapping[str, str] = {
    "Cấp thoát nước": "Công ty TNHH MTV Thoát nước Hà Nội",
    "Chiếu sáng và cây xanh": "Công ty TNHH MTV Chiếu sáng và Thiết bị đô thị Hà Nội",
    "Hạ tầng giao thông": "Ban Quản lý dự án đầu tư xây dựng công trình giao thông Thành phố",
}
DEFAULT_RESPONSIBLE = "Tổng công ty Điện lực TP Hà Nội (EVN Hà Nội)"
# Where a misrouted report goes, by category group, when it was sent to a ward.
TRANSFER_TARGETS: Mapping[str, str] = {
    "Hạ tầng giao thông": "SXD",
    "Chiếu sáng và cây xanh": "SXD",
    "Cấp thoát nước": "SXD",
    "Môi trường": "SNNMT",
    "Trật tự đô thị": "CATP",
    "An ninh, trật tự": "CATP",
    "Văn hóa, du lịch": "SVHTT",
}
RATING_COMMENTS: Mapping[int, str] = {
    5: "Xử lý nhanh, cảm ơn các cán bộ!",
    4: "Đã khắc phục, cảm ơn.",
    3: "Tạm được, nhưng còn chậm.",
    2: "Xử lý chậm, chưa triệt để.",
    1: "Không hài lòng.",
}
# Relative frequency of report categories (others count 1).
CATEGORY_WEIGHTS: Mapping[str, float] = {
    "uncollected_waste": 6, "pothole": 5, "sidewalk_encroachment": 5, "street_light_out": 4,
    "illegal_construction": 3, "blocked_drain": 3, "noise": 3, "flooding": 2, "illegal_dumping": 3,
    "sidewalk_damage": 3, "traffic_violation": 2, "tree_pruning": 2, "illegal_advertising": 2,
}  # fmt: skip

# -- complaints and denunciations -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Grievance:
    """A complaint or denunciation story: with whom it is filed ("ward" = the
    filer's ward committee) and the competent agency it may be forwarded to."""

    kind: ComplaintKind
    subject: str
    content: str
    respondent: str
    forward_to: str


_C, _D = ComplaintKind.COMPLAINT, ComplaintKind.DENUNCIATION
GRIEVANCES = (
    _Grievance(
        _C,
        "Khiếu nại quyết định xử phạt vi phạm hành chính về trật tự xây dựng",
        "Tôi không đồng ý với Quyết định xử phạt số {n}/QĐ-XPHC về việc xây dựng sai phép tại nhà số "
        "{house} {street}. Phần cơi nới đã có từ trước năm 2010. Đề nghị xem xét hủy quyết định.",
        "ward",
        "SXD",
    ),
    _Grievance(
        _C,
        "Khiếu nại phương án bồi thường, hỗ trợ khi thu hồi đất",
        "Gia đình tôi có đất bị thu hồi để mở rộng {street}. Đơn giá bồi thường thấp hơn giá thị "
        "trường và chưa tính tài sản trên đất. Đề nghị xem xét lại phương án.",
        "ward",
        "SNNMT",
    ),
    _Grievance(
        _C,
        "Khiếu nại việc từ chối cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Hồ sơ xin phép xây dựng nhà số {house} {street} của tôi đã đủ giấy tờ nhưng bị từ chối "
        "với lý do chưa phù hợp quy hoạch, không nêu rõ căn cứ.",
        "ward",
        "SXD",
    ),
    _Grievance(
        _C,
        "Khiếu nại quyết định xử phạt vi phạm về an toàn thực phẩm",
        "Cơ sở kinh doanh của tôi tại {street} bị xử phạt theo Quyết định số {n}/QĐ-XPHC; mẫu "
        "kiểm nghiệm được lấy không đúng quy trình. Đề nghị kiểm tra lại.",
        "SYT",
        "SCT",
    ),
    _Grievance(
        _C,
        "Khiếu nại quyết định xử phạt vi phạm giao thông qua hình ảnh",
        "Tôi bị xử phạt lỗi vượt đèn đỏ tại {street} nhưng hình ảnh không rõ biển số. Đề nghị "
        "cung cấp bằng chứng và xem xét lại.",
        "CATP",
        "TTTP",
    ),
    _Grievance(
        _D,
        "Tố cáo cán bộ địa chính nhũng nhiễu khi giải quyết hồ sơ đất đai",
        "Khi tôi nộp hồ sơ cấp Giấy chứng nhận tại bộ phận một cửa phường, cán bộ địa chính nhiều "
        "lần yêu cầu bổ sung giấy tờ ngoài quy định và gợi ý chi phí để làm nhanh.",
        "ward",
        "TTTP",
    ),
    _Grievance(
        _D,
        "Tố cáo cán bộ bao che công trình xây dựng sai phép",
        "Công trình tại số {house} {street} xây vượt tầng nhiều tháng nay nhưng cán bộ phụ trách "
        "địa bàn không lập biên bản, có dấu hiệu bao che.",
        "ward",
        "SXD",
    ),
    _Grievance(
        _D,
        "Tố cáo hành vi nhận tiền để bỏ qua vi phạm lấn chiếm vỉa hè",
        "Tôi chứng kiến người tự xưng là cán bộ trật tự thu tiền của các hộ kinh doanh trên {street} "
        "để không xử lý việc lấn chiếm vỉa hè.",
        "ward",
        "CATP",
    ),
    _Grievance(
        _D,
        "Tố cáo cán bộ kiểm tra sách nhiễu hộ kinh doanh",
        "Đoàn kiểm tra đến cửa hàng của tôi tại {street} nhiều lần trong tháng, không xuất trình "
        "quyết định kiểm tra và gây khó dễ.",
        "SCT",
        "TTTP",
    ),
)
COMPLAINT_REFUSALS = (
    ("Đơn khiếu nại đã quá thời hiệu mà không có lý do chính đáng.", "Luật Khiếu nại 2011, Điều 9, Điều 11"),
    ("Việc khiếu nại đã có quyết định giải quyết có hiệu lực pháp luật.", "Luật Khiếu nại 2011, Điều 11"),
)
DENUNCIATION_REFUSALS = (
    ("Nội dung tố cáo đã được giải quyết, người tố cáo không cung cấp thông tin mới.", "Luật Tố cáo 2018, Điều 29"),
    ("Nội dung tố cáo không cụ thể, không có cơ sở để xác minh.", "Luật Tố cáo 2018, Điều 29"),
)  # fmt: skip
DIALOGUES = (
    "Đã tổ chức đối thoại; người khiếu nại giữ nguyên yêu cầu, cơ quan ghi nhận để xem xét.",
    "Đối thoại với người khiếu nại và đại diện đơn vị có quyết định bị khiếu nại; hai bên thống nhất số liệu.",
)
GRIEVANCE_NOTES = (
    "Đã làm việc với người khiếu nại để thu thập tài liệu, chứng cứ.",
    "Đã có văn bản đề nghị đơn vị liên quan cung cấp hồ sơ.",
    "Đang xác minh thực tế tại địa bàn.",
)
DECISIONS = (
    "Công nhận một phần nội dung khiếu nại; yêu cầu đơn vị điều chỉnh quyết định đã ban hành.",
    "Không công nhận nội dung khiếu nại; giữ nguyên quyết định bị khiếu nại.",
    "Công nhận nội dung khiếu nại; hủy quyết định bị khiếu nại.",
)
CONCLUSIONS = (
    "Nội dung tố cáo đúng một phần; kiến nghị xử lý kỷ luật cán bộ vi phạm.",
    "Nội dung tố cáo không đúng; không có căn cứ xử lý.",
    "Nội dung tố cáo đúng; chuyển hồ sơ đến cơ quan điều tra xem xét.",
)
EXTENSION_REASONS = (
    "Vụ việc phức tạp, cần thêm thời gian xác minh.",
    "Cần trưng cầu giám định, chưa có kết quả.",
)
WITHDRAWAL_REASONS = ("Các bên đã tự hòa giải được.", "Tôi xin rút đơn để khởi kiện tại Tòa án.")

# -- dossiers -------------------------------------------------------------------------

PROCEDURE_WEIGHTS: Mapping[str, float] = {
    "certified_copy": 6, "birth_registration": 5, "signature_certification": 4,
    "marital_status_certificate": 4, "residence_registration": 4, "business_household_registration": 2,
    "marriage_registration": 2, "death_registration": 1.5, "criminal_record_certificate": 2,
    "contract_certification": 2, "enterprise_registration": 1.5,
}  # fmt: skip
# Inter-agency steps (liên thông) a procedure may need, and the partner agency
# ("ward": the People's Committee of the applicant's ward).
PARTNERS: Mapping[str, str] = {
    "birth_registration": "CATP",
    "death_registration": "CATP",
    "residence_registration": "ward",
    "criminal_record_certificate": "CATP",
    "house_construction_permit": "SXD",
    "land_use_certificate_first": "SNNMT",
    "business_household_registration": "STC",
    "construction_permit": "SNNMT",
}
EXTRA_DOCUMENTS = (
    "Văn bản ủy quyền có chứng thực",
    "Bản sao Căn cước của người được ủy quyền",
    "Bản chụp màu rõ nét của giấy tờ đã nộp",
)
DOSSIER_REJECTIONS = (
    "Thông tin trên tờ khai không khớp với Cơ sở dữ liệu quốc gia về dân cư.",
    "Hồ sơ không thuộc thẩm quyền giải quyết; đề nghị nộp tại cơ quan có thẩm quyền.",
)
SUSPENSIONS = ("Chờ kết quả xác minh của cơ quan có liên quan.", "Có tranh chấp liên quan, chờ cơ quan có thẩm quyền.")
APOLOGIES = (
    "Hồ sơ cần xác minh thêm nên chưa trả kết quả đúng hẹn. Cơ quan xin lỗi ông/bà và hẹn lại ngày trả kết quả.",
    "Do khối lượng hồ sơ tăng cao, kết quả chưa kịp trả đúng hẹn. Thành thật xin lỗi ông/bà.",
)  # fmt: skip
DOSSIER_NOTES = ("Hồ sơ đang được thẩm định.", "Đã trình lãnh đạo ký duyệt.")
WITHDRAW_DOSSIER = ("Tôi không còn nhu cầu giải quyết thủ tục.", "Tôi sẽ nộp lại hồ sơ đầy đủ sau.")

# -- surveys --------------------------------------------------------------------------

SATISFACTION = Question(
    "hai_long", "Ông/bà hài lòng ở mức nào với chất lượng phục vụ?", QuestionType.RATING, required=True
)
IMPROVEMENTS = Question(
    "cai_thien",
    "Theo ông/bà, cần cải thiện những điểm nào?",
    QuestionType.MULTIPLE_CHOICE,
    options=("Thời gian xử lý", "Thái độ cán bộ", "Thủ tục, giấy tờ", "Hướng dẫn trực tuyến", "Cơ sở vật chất"),
)
SUGGESTIONS = Question("gop_y", "Góp ý khác của ông/bà", QuestionType.FREE_TEXT)
SURVEY_TOPICS: tuple[tuple[str, str, str, Question], ...] = (
    (
        HOTLINE_AGENCY,
        "Khảo sát mức độ hài lòng về dịch vụ hành chính công",
        "Lấy ý kiến người dân, doanh nghiệp để nâng cao chất lượng phục vụ.",
        Question(
            "kenh",
            "Ông/bà thường nộp hồ sơ qua kênh nào?",
            QuestionType.SINGLE_CHOICE,
            required=True,
            options=("Cổng Dịch vụ công", "Ứng dụng iHanoi", "Trực tiếp tại bộ phận một cửa", "Bưu chính"),
        ),
    ),
    (
        "ward",
        "Lấy ý kiến về vệ sinh môi trường trên địa bàn phường",
        "Ý kiến của người dân về thu gom rác thải và vệ sinh đường phố.",
        Question(
            "tan_suat",
            "Rác thải ở khu ông/bà ở được thu gom như thế nào?",
            QuestionType.SINGLE_CHOICE,
            required=True,
            options=("Hằng ngày, đúng giờ", "Hằng ngày, không đúng giờ", "Cách ngày", "Thất thường"),
        ),
    ),
    (
        "UBND_TP",
        "Khảo sát trải nghiệm sử dụng ứng dụng iHanoi",
        "Đánh giá các tính năng phản ánh hiện trường và tra cứu hồ sơ.",
        Question(
            "tinh_nang",
            "Tính năng ông/bà dùng nhiều nhất?",
            QuestionType.SINGLE_CHOICE,
            required=True,
            options=("Phản ánh hiện trường", "Tra cứu hồ sơ", "Tin tức, thông báo", "Khảo sát"),
        ),
    ),
)
SUGGESTION_TEXTS = (
    "Nên có thông báo khi hồ sơ chuyển bước.",
    "Cán bộ nhiệt tình, chu đáo.",
    "Cần rút ngắn thời gian chờ.",
    "Ứng dụng đôi khi chậm vào giờ cao điểm.",
)


# -- public API -----------------------------------------------------------------------


class SimulatedClock:
    """A clock the simulation moves forward; pass it to ``Ihanoi(settings,
    clock=clock)`` so every event carries simulated time. Returns aware UTC
    datetimes; starts at ``start`` (any aware datetime)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"SimulatedClock needs a timezone-aware start, not {start.isoformat()}")
        self.start = start.astimezone(UTC)
        self.now = self.start

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, moment: datetime) -> None:
        """Move to ``moment``; ``ValueError`` if that is in the clock's past."""
        moment = moment.astimezone(UTC)
        if moment < self.now:
            raise ValueError(f"A simulated clock never goes back: {moment} is before {self.now}")
        self.now = moment


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """What a run did. ``cases`` counts the cases created per kind (plus
    survey responses), ``commands`` the commands issued per application
    method; ``errors`` counts commands the application refused (a correct run
    has none; the first few are described in ``error_messages``); ``reused``
    counts cases that existed already (the same seed run twice on one store),
    whose stories were skipped. ``events`` is the number of notifications the
    run appended, ``last_position`` the log position after it."""

    seed: int
    start: datetime
    end: datetime
    cases: Mapping[str, int]
    commands: Mapping[str, int]
    commands_issued: int
    errors: int
    error_messages: tuple[str, ...]
    reused: int
    events: int
    last_position: int
    elapsed_seconds: float = field(compare=False)

    @property
    def commands_per_second(self) -> float:
        return self.commands_issued / self.elapsed_seconds if self.elapsed_seconds else 0.0


def simulate(
    app: Ihanoi,
    clock: SimulatedClock,
    *,
    seed: int,
    days: int,
    reports_per_day: float,
    complaints_per_day: float,
    dossiers_per_day: float,
    surveys: int = 1,
    answers_per_survey: int = 20,
    progress: Callable[[int], None] | None = None,
) -> SimulationSummary:
    """Simulate ``days`` days of activity from the clock's current time.

    Rates are mean arrivals per working day (Poisson); weekends and public
    holidays get about a third as many, filed online. ``surveys`` surveys are run in the first
    third of the period, each answered by ``answers_per_survey`` citizens.
    ``progress`` is called with the number of simulated days completed. The
    application must have been built with ``clock=clock``. Returns when the
    simulated period ends; cases still open then stay open, as in real life.
    """
    if app.clock is not clock:
        raise ValueError("Build the application with clock=clock so events carry simulated time.")
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    rates = {"reports": reports_per_day, "complaints": complaints_per_day, "dossiers": dossiers_per_day}
    if any(rate < 0 for rate in rates.values()) or surveys < 0 or answers_per_survey < 0:
        raise ValueError("Rates and counts must not be negative.")
    return _Simulation(app, clock, seed, surveys, answers_per_survey).run(
        days, reports_per_day, complaints_per_day, dossiers_per_day, progress
    )


# -- the simulation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Citizen:
    principal: Principal
    name: str
    national_id: str
    phone: str
    ward: str
    street: str
    address: str


@dataclass(slots=True, kw_only=True)
class _Report:
    """What the simulation knows of a report as it moves (and what a later
    report of the same problem repeats)."""

    case_id: UUID
    category: str
    group: str
    ward: str
    location: Location
    issue: str
    place: str
    owner: Principal | None
    agency: str
    officer: Principal
    original: _Report | None
    handler: Principal | None = None
    acknowledged_at: datetime | None = None
    late: bool = False


@dataclass(slots=True)
class _Complaint:
    """A decided first-time complaint its complainant may take further."""

    case_id: UUID
    citizen: _Citizen
    agency: str
    story: _Grievance


@dataclass(slots=True, kw_only=True)
class _Dossier:
    """What the simulation knows of a dossier as it moves."""

    case_id: UUID
    ident: str
    citizen: _Citizen
    procedure: Procedure
    agency: str
    leader: Principal
    missing: tuple[str, ...]
    handler: Principal | None = None


@dataclass(slots=True)
class _Survey:
    case_id: UUID
    questions: tuple[Question, ...]
    anonymous: bool
    closes_at: datetime
    answered: list[tuple[Answer, ...]] = field(default_factory=list)


class _Simulation:
    """One run: the heap of processes, the people, the counters. ``self.rng``
    is always the random stream of whatever is running: the arrivals while a
    day's arrivals are drawn, else the process being resumed."""

    def __init__(self, app: Ihanoi, clock: SimulatedClock, seed: int, surveys: int, answers: int) -> None:
        self.app = app
        self.clock = clock
        self.seed = seed
        # One random stream for arrivals and one per case: what happens to one
        # case never shifts the arrivals or the fate of another, so a run
        # repeated on the same store finds every case it created the first time.
        self.arrival_rng = random.Random(f"{seed}:arrivals")
        self.rng = random.Random(f"{seed}:citizens")
        self.calendar = app.calendar
        self.directory = app.directory
        self.zone = app.timezone
        self.surveys = surveys
        self.answers_per_survey = answers
        self.queue: list[tuple[datetime, int, Process, random.Random]] = []
        self.sequence = itertools.count()
        self.serial: Counter[str] = Counter()
        self.cases: Counter[str] = Counter()
        self.commands: Counter[str] = Counter()
        self.errors: list[str] = []
        self.error_count = 0
        self.reused = 0
        self.recent_reports: list[_Report] = []
        self.wards = tuple(self.directory.wards)
        self.ward_weights = tuple(WARD_WEIGHTS.get(code, 1.0) for code in self.wards)
        categories = tuple(self.directory.categories)
        self.categories = categories
        self.category_weights = tuple(CATEGORY_WEIGHTS.get(code, 1.0) for code in categories)
        self.procedures = tuple(self.directory.procedures)
        self.procedure_weights = tuple(PROCEDURE_WEIGHTS.get(code, 1.0) for code in self.procedures)
        self.office_hours = self.directory.calendar.office_hours
        self.citizens = self._make_citizens(max(MIN_CITIZENS, answers + 50))

    # -- the run ------------------------------------------------------------------

    def run(
        self,
        days: int,
        reports: float,
        complaints: float,
        dossiers: float,
        progress: Callable[[int], None] | None,
    ) -> SimulationSummary:
        started = wall_clock.perf_counter()
        start = self.clock()
        end = start + timedelta(days=days)
        first_position = self.app.recorder.max_notification_id() or 0
        first_day = start.astimezone(self.zone).date()
        self.rng = self.arrival_rng
        self._plan_surveys(first_day, days, start)
        day, reported = first_day, 0
        while self._local(day, 0) < end:
            # Arrivals are drawn one local calendar day at a time, then every
            # step due before the next midnight runs, in time order.
            working = self.calendar.is_working_day(day)
            self.rng = self.arrival_rng
            for when in self._arrivals(day, reports, working, self._report_time):
                ident = self._ident("report")
                self._spawn(when, start, end, ident, self._report(ident))
            for when in self._arrivals(day, complaints, working, self._desk_time):
                ident = self._ident("grievance")
                self._spawn(when, start, end, ident, self._grievance(ident, None))
            for when in self._arrivals(day, dossiers, working, self._online_time):
                ident = self._ident("dossier")
                self._spawn(when, start, end, ident, self._dossier(ident))
            day += timedelta(days=1)
            boundary = min(self._local(day, 0), end)
            self._run_until(boundary)
            completed = (boundary - start) // timedelta(days=1)
            if progress is not None and completed > reported:
                progress(completed)
            reported = completed
        self.clock.advance_to(max(end, self.clock()))
        last_position = self.app.recorder.max_notification_id() or 0
        return SimulationSummary(
            seed=self.seed,
            start=start,
            end=end,
            cases=dict(sorted(self.cases.items())),
            commands=dict(sorted(self.commands.items())),
            commands_issued=sum(self.commands.values()),
            errors=self.error_count,
            error_messages=tuple(self.errors),
            reused=self.reused,
            events=self._count_notifications(after=first_position),
            last_position=last_position,
            elapsed_seconds=wall_clock.perf_counter() - started,
        )

    def _count_notifications(self, after: int) -> int:
        """Notifications appended after a position. Not the difference of
        positions: PostgreSQL skips the ids of a transaction that lost a race
        (here, two cases drawing the same six-digit code)."""
        count, start = 0, after + 1
        while notifications := self.app.recorder.select_notifications(start=start, limit=1000):
            count += len(notifications)
            start = notifications[-1].id + 1
        return count

    def _spawn(self, when: datetime, start: datetime, end: datetime, ident: str, process: Process) -> None:
        """Start ``process`` at ``when`` if that is within ``[start, end)``,
        with its own random stream named by ``ident``."""
        if start <= when < end:
            rng = random.Random(f"{self.seed}:{ident}")
            heapq.heappush(self.queue, (when, next(self.sequence), process, rng))

    def _run_until(self, boundary: datetime) -> None:
        queue = self.queue
        while queue and queue[0][0] < boundary:
            when, _, process, rng = heapq.heappop(queue)
            self.clock.advance_to(when)
            self.rng = rng
            try:
                following = next(process)
            except StopIteration:
                continue
            # A process never schedules into the past: the clock only moves on.
            heapq.heappush(queue, (max(following, when), next(self.sequence), process, rng))

    # -- arrivals -------------------------------------------------------------------

    def _arrivals(
        self, day: date, rate: float, working: bool, moment: Callable[[date, bool], datetime]
    ) -> list[datetime]:
        """Poisson arrivals for one day, in time order."""
        expected = rate if working else rate * 0.35
        if expected <= 0:
            return []
        count, total = 0, self.rng.expovariate(expected)
        while total < 1.0:
            count += 1
            total += self.rng.expovariate(expected)
        return sorted(moment(day, working) for _ in range(count))

    def _report_time(self, day: date, working: bool) -> datetime:
        """Citizens report on the way to work, in office hours and in the evening."""
        draw = self.rng.random()
        if not working or draw < 0.25:
            return self._local(day, self.rng.uniform(7, 22))
        if draw < 0.35:
            return self._local(day, self.rng.uniform(6, 8))
        return self._office_moment(day)

    def _desk_time(self, day: date, working: bool) -> datetime:
        """Complaints come to the reception desk, a quarter online in the evening."""
        if not working or self.rng.random() < 0.25:
            return self._local(day, self.rng.uniform(18, 22))
        return self._office_moment(day)

    def _online_time(self, day: date, working: bool) -> datetime:
        """Dossiers are filed online, mostly in office hours."""
        if not working or self.rng.random() < 0.2:
            return self._local(day, self.rng.uniform(8, 23.5))
        return self._office_moment(day)

    def _office_moment(self, day: date) -> datetime:
        periods = self.office_hours
        start, end = periods[self.rng.randrange(len(periods))]
        hours = self.rng.uniform(start.hour + start.minute / 60, end.hour + end.minute / 60)
        return self._local(day, hours)

    def _local(self, day: date, hours: float) -> datetime:
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=self.zone)
        return (midnight + timedelta(seconds=round(hours * HOUR))).astimezone(UTC)

    # -- time helpers ------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock()

    def _office(self, hours: float, after: datetime | None = None) -> datetime:
        """``hours`` of office time after ``after`` (default now): when staff act."""
        moment = self.calendar.add_office_seconds(after or self._now(), max(0, round(hours * HOUR)))
        return moment.astimezone(UTC)

    def _office_days(self, low: float, high: float) -> datetime:
        return self._office(self.rng.uniform(low, high) * self.calendar.office_day_seconds / HOUR)

    def _citizen_time(self, low_hours: float, high_hours: float) -> datetime:
        """A moment in waking hours (06:30-22:30) about that many hours from now."""
        return self._waking(self._now() + timedelta(seconds=round(self.rng.uniform(low_hours, high_hours) * HOUR)))

    def _waking(self, moment: datetime) -> datetime:
        """``moment``, or the next morning when it falls in the night."""
        local = moment.astimezone(self.zone)
        hours = local.hour + local.minute / 60
        if 6.5 <= hours < 22.5:
            return moment
        day = local.date() + timedelta(days=1 if hours >= 22.5 else 0)
        return self._local(day, self.rng.uniform(6.5, 9))

    def _schedule(self, started: datetime, due: datetime) -> Callable[[float], datetime]:
        """Moments as fractions of the office time from ``started`` to ``due``:
        0.5 is half-way to the deadline, 1.2 is late by a fifth of it."""
        period = self.calendar.office_seconds_between(started, due) / HOUR

        def at(fraction: float) -> datetime:
            return max(self._office(period * fraction, started), self._now())

        return at

    # -- commands ------------------------------------------------------------------------

    def _run(self, command: partial[CommandResult]) -> CommandResult | None:
        """Issue one command; a refusal is counted, not raised."""
        name = getattr(command.func, "__name__", "command")
        self.commands[name] += 1
        try:
            return command()
        except IhanoiError as error:
            self._record_error(name, error)
            return None

    def _create(self, kind: str, command: partial[CommandResult]) -> CommandResult | None:
        result = self._run(command)
        if result is None:
            return None
        if not result.created:
            self.reused += 1
            return None
        self.cases[kind] += 1
        return result

    def _record_error(self, name: str, error: IhanoiError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(f"{self._now().isoformat()} {name}: {type(error).__name__}: {error}")

    def _read(self, reader: Principal, case_id: UUID, name: str) -> datetime | None:
        """A time the application computed (a due time, the end of the reopen
        window), read off the case as the staff see it."""
        try:
            moment: datetime | None = self.app.get_case(reader, case_id)[name]
        except IhanoiError as error:
            self._record_error("get_case", error)
            return None
        return moment

    def _due(self, reader: Principal, case_id: UUID) -> datetime | None:
        return self._read(reader, case_id, "due_at")

    def _ident(self, kind: str) -> str:
        """``report-000042``: names an arrival's random stream and idempotency key."""
        self.serial[kind] += 1
        return f"{kind}-{self.serial[kind]:06d}"

    def _key(self, ident: str) -> str:
        return f"sim-{self.seed}-{ident}"

    # -- people ------------------------------------------------------------------------------

    def _make_citizens(self, count: int) -> list[_Citizen]:
        rng = self.rng
        citizens: list[_Citizen] = []
        seen: set[str] = set()
        while len(citizens) < count:
            # A Hanoi citizen-identity number: 001 (Hà Nội), century and sex, year, six digits.
            number = f"0010{rng.randint(50, 99):02d}{rng.randrange(1_000_000):06d}"
            if number in seen:
                continue
            seen.add(number)
            ward = rng.choices(self.wards, self.ward_weights)[0]
            street = rng.choice(WARD_STREETS.get(ward, DEFAULT_STREETS))
            name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
            phone = f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10_000_000):07d}"
            ward_name = self.directory.wards[ward].name
            address = f"Số {rng.randint(1, 180)} {street}, {ward_name}"
            principal = Principal(f"vneid:{number}", Role.CITIZEN)
            citizens.append(_Citizen(principal, name, number, phone, ward, street, address))
        return citizens

    def _citizen(self) -> _Citizen:
        return self.rng.choice(self.citizens)

    def _officer(self, agency: str) -> Principal:
        number = self.rng.randint(1, OFFICERS_PER_AGENCY)
        return Principal(f"officer-{number}-{agency.lower()}", Role.OFFICER, agency)

    def _leader(self, agency: str) -> Principal:
        return Principal(f"leader-{agency.lower()}", Role.LEADER, agency)

    def _staff(self, agency: str) -> Principal:
        """Whoever of the agency closes a file: mostly an officer."""
        return self._leader(agency) if self.rng.random() < 0.2 else self._officer(agency)

    def _pick(self, texts: Sequence[str]) -> str:
        return self.rng.choice(texts).replace("{n}", str(self.rng.randint(2, 9)))

    def _ward_committee(self, ward: str) -> str:
        return self.directory.ward_committee(ward).code

    # -- field reports ------------------------------------------------------------------------

    def _report(self, ident: str) -> Process:
        """A field report from filing to closure (DESIGN §3.1)."""
        rng, app = self.rng, self.app
        report = self._file_report(ident)
        if report is None or not (yield from self._screen_report(report)):
            return
        case_id, owner = report.case_id, report.owner
        if not (yield from self._resolve_report(report)):
            return
        if owner is not None and rng.random() < 0.08:
            # Not fixed, says the reporter, within the 7-day reopen window.
            yield self._citizen_time(6, 96)
            reason = rng.choice(REOPEN_REASONS)
            if self._run(partial(app.reopen_report, owner, case_id, reason=reason)) is None:
                return
            if not (yield from self._resolve_report(report)):
                return
        if owner is not None and rng.random() < 0.6:
            yield self._citizen_time(1, 48)
            stars = rng.choices((1, 2, 3, 4, 5), (3, 4, 3, 1, 1) if report.late else (1, 1, 2, 5, 8))[0]
            comment = RATING_COMMENTS[stars] if rng.random() < 0.5 else None
            if self._run(partial(app.rate_report, owner, case_id, stars=stars, comment=comment)) is None:
                return
            yield self._office(rng.uniform(0.5, 12))
        elif owner is not None:
            # Unrated: staff close it once the reopen window has passed.
            reopen_deadline = self._read(report.officer, case_id, "reopen_deadline")
            if reopen_deadline is None:
                return
            yield self._office(rng.uniform(0.5, 6), reopen_deadline)
        else:
            # Nobody can reopen a report filed for a caller or anonymously.
            yield self._office(rng.uniform(0.5, 6))
        self._run(partial(app.close_report, self._staff(report.agency), case_id))

    def _file_report(self, ident: str) -> _Report | None:
        """A citizen (or the hotline, or a partner app) files a report; now and
        then about something reported a few days ago nearby."""
        rng = self.rng
        citizen = self._citizen()
        original = self._duplicate_candidate() if rng.random() < 0.06 else None
        if original is not None:
            category, ward, location = original.category, original.ward, original.location
            issue, place = original.issue, original.place
            description = f"Phản ánh lại: tại {place}, {issue} vẫn chưa được xử lý."
        else:
            category = rng.choices(self.categories, self.category_weights)[0]
            ward = citizen.ward if rng.random() < 0.7 else rng.choices(self.wards, self.ward_weights)[0]
            location, place = self._location(ward)
            name = self.directory.categories[category].name_vi.lower()
            issue = self._pick(ISSUES.get(category, (name,)))
            closer = rng.choice(CLOSERS.get(self.directory.categories[category].group, GENERIC_CLOSERS))
            description = f"Tại {place}, {issue}. {closer}"
        filer, channel, contact, anonymous = self._report_filer(citizen)
        photos = rng.choice((0, 1, 1, 2, 3)) if channel is not Channel.HOTLINE else 0
        filed = self._create(
            "report",
            partial(
                self.app.submit_report,
                filer,
                category=category,
                description=description,
                location=location,
                priority=self.directory.categories[category].default_priority,
                channel=channel,
                contact=contact,
                media_urls=tuple(
                    f"https://media.ihanoi.vn/sim/{self.seed}/{ident}/{index}.jpg" for index in range(1, photos + 1)
                ),
                anonymous=anonymous,
                idempotency_key=self._key(ident),
            ),
        )
        if filed is None:
            return None
        agency = self.directory.route(category, ward).code
        return _Report(
            case_id=filed.case_id,
            category=category,
            group=self.directory.categories[category].group,
            ward=ward,
            location=location,
            issue=issue,
            place=place,
            owner=filer if filer.role is Role.CITIZEN and not anonymous else None,
            agency=agency,
            officer=self._officer(agency),
            original=original,
        )

    def _screen_report(self, report: _Report) -> Generator[datetime, None, bool]:
        """Within the 8 working hours (some late) the agency marks a duplicate,
        rejects, declines, has its leader transfer, or acknowledges; ``True``
        when acknowledged."""
        rng, app, case_id = self.rng, self.app, report.case_id
        yield self._office(rng.uniform(0.2, 7.5) if rng.random() < 0.85 else rng.uniform(8.5, 20))
        officer = report.officer
        original = report.original
        if original is not None and original.agency == report.agency:
            self._run(partial(app.mark_report_duplicate, officer, case_id, original=original.case_id))
            return False
        outcome = rng.random()
        if outcome < 0.035:
            self._run(partial(app.reject_report, officer, case_id, reason=rng.choice(REJECT_REASONS)))
            return False
        if outcome < 0.065:
            responsible = RESPONSIBLE_BODIES.get(report.group, DEFAULT_RESPONSIBLE)
            self._run(partial(app.declare_report_not_responsible, officer, case_id, responsible=responsible))
            return False
        if outcome < 0.10 and (target := self._transfer_target(report)) is not None:
            reason = f"Nội dung thuộc thẩm quyền của {self.directory.agencies[target].name}."
            leader = self._leader(report.agency)
            if self._run(partial(app.transfer_report, leader, case_id, to_agency=target, reason=reason)) is None:
                return False
            report.agency, report.officer = target, self._officer(target)
            yield self._office(rng.uniform(0.3, 7))
        # The officer may judge it more urgent, or more complex, than filed.
        priority = rng.choice((Priority.URGENT, Priority.COMPLEX)) if rng.random() < 0.08 else None
        if self._run(partial(app.acknowledge_report, report.officer, case_id, priority=priority)) is None:
            return False
        report.acknowledged_at = self._now()
        self.recent_reports.append(report)
        del self.recent_reports[:-200]
        return True

    def _resolve_report(self, report: _Report) -> Generator[datetime, None, bool]:
        """Work to the resolve deadline the application set (~15 % late):
        assign and start the first time, a progress note now and then, the
        answer. ``True`` when resolved."""
        rng, app, case_id = self.rng, self.app, report.case_id
        due = self._read(report.officer, case_id, "due_at")
        if due is None:
            return False
        at = self._schedule(self._now(), due)
        report.late = rng.random() < 0.15
        if report.handler is None:
            handler = self._officer(report.agency)
            yield at(rng.uniform(0.02, 0.12))
            if self._run(partial(app.assign_report, report.officer, case_id, assignee=handler.subject)) is None:
                return False
            yield at(rng.uniform(0.12, 0.25))
            if self._run(partial(app.start_report, handler, case_id)) is None:
                return False
            report.handler = handler
        handler = report.handler
        if report.late or rng.random() < 0.4:
            yield at(rng.uniform(0.25, 0.5))
            if self._run(partial(app.comment_report, handler, case_id, note=rng.choice(PROGRESS_NOTES))) is None:
                return False
        yield at(rng.uniform(1.05, 1.8) if report.late else rng.uniform(0.5, 0.95))
        answer = rng.choice(ANSWERS.get(report.group, GENERIC_ANSWERS))
        return self._run(partial(app.resolve_report, handler, case_id, answer=answer)) is not None

    def _report_filer(self, citizen: _Citizen) -> tuple[Principal, Channel, Contact | None, bool]:
        """Who files: the citizen in the app or on the web, the 1022 hotline for a
        caller, a partner app (Open311), or the citizen anonymously."""
        draw = self.rng.random()
        contact = Contact(name=citizen.name, phone=citizen.phone)
        if draw < 0.07 and HOTLINE_AGENCY in self.directory.agencies:
            return self._officer(HOTLINE_AGENCY), Channel.HOTLINE, contact, False
        if draw < 0.11:
            return PARTNER, Channel.OPEN311, contact, False
        if draw < 0.14:
            return citizen.principal, Channel.APP, None, True
        return citizen.principal, Channel.APP if draw < 0.85 else Channel.WEB, None, False

    def _location(self, ward: str) -> tuple[Location, str]:
        """A spot within ~500 m of the ward's centre, and how a citizen names it."""
        rng = self.rng
        latitude, longitude = WARD_CENTRES.get(ward, HANOI_CENTRE)
        streets = WARD_STREETS.get(ward, DEFAULT_STREETS)
        street, house = rng.choice(streets), rng.randint(1, 220)
        places = [f"trước số nhà {house} {street}", f"ngõ {house} {street}", f"khu vực gần số {house} {street}"]
        if crossing := [other for other in streets if other != street]:
            places.append(f"đoạn giao cắt {street} với {rng.choice(crossing)}")
        location = Location(
            ward=ward,
            latitude=round(latitude + rng.uniform(-0.0045, 0.0045), 6),
            longitude=round(longitude + rng.uniform(-0.0045, 0.0045), 6),
            address=f"Số {house} {street}, {self.directory.wards[ward].name}",
        )
        return location, rng.choice(places)

    def _duplicate_candidate(self) -> _Report | None:
        """An acknowledged report of the last five days someone else reports again."""
        horizon = self._now() - timedelta(days=5)
        recent = [
            report
            for report in self.recent_reports[-50:]
            if report.acknowledged_at is not None and report.acknowledged_at >= horizon
        ]
        return self.rng.choice(recent) if recent else None

    def _transfer_target(self, report: _Report) -> str | None:
        """A misrouted report: a ward hands city matters to the department, a
        department hands local ones to the ward."""
        if self.directory.agencies[report.agency].is_ward_committee:
            target = TRANSFER_TARGETS.get(report.group)
        else:
            target = self._ward_committee(report.ward)
        return target if target in self.directory.agencies and target != report.agency else None

    # -- complaints and denunciations ----------------------------------------------------------

    def _grievance(self, ident: str, first: _Complaint | None) -> Process:
        """A complaint or denunciation from filing to the closed file (DESIGN §3.2)."""
        rng, app = self.rng, self.app
        citizen = first.citizen if first is not None else self._citizen()
        if first is not None:
            story = first.story
            # A second-time complaint goes to the head of the level above (Art. 33).
            agency = self.directory.agencies[first.agency].parent or "UBND_TP"
            subject = f"Khiếu nại lần hai: {story.subject[0].lower()}{story.subject[1:]}"
        else:
            # Complaints outnumber denunciations about three to one.
            kind = ComplaintKind.COMPLAINT if rng.random() < 0.75 else ComplaintKind.DENUNCIATION
            story = rng.choice([story for story in GRIEVANCES if story.kind is kind])
            agency = self._ward_committee(citizen.ward) if story.respondent == "ward" else story.respondent
            subject = story.subject
        if agency not in self.directory.agencies:
            return
        denunciation = story.kind is ComplaintKind.DENUNCIATION
        content = story.content.format(
            n=rng.randint(10, 999), house=rng.randint(1, 180), street=citizen.street
        )
        decision_date = None
        if not denunciation and first is None:
            decision_date = (self._now().astimezone(self.zone) - timedelta(days=rng.randint(5, 60))).date()
        identity = ComplainantIdentity(
            name=citizen.name, national_id=citizen.national_id, phone=citizen.phone, address=citizen.address
        )
        filed = self._create(
            story.kind.value,
            partial(
                app.file_complaint,
                citizen.principal,
                kind=story.kind,
                subject=subject,
                content=content,
                respondent_agency=agency,
                ward=citizen.ward,
                complainant=identity,
                decision_date=decision_date,
                first_case=first.case_id if first is not None else None,
                idempotency_key=self._key(ident),
            ),
        )
        if filed is None:
            return
        case_id = filed.case_id
        refusals = DENUNCIATION_REFUSALS if denunciation else COMPLAINT_REFUSALS

        # Screening: accept, refuse or forward within the legal period (some late).
        outcome = rng.random()
        if outcome < 0.12:
            yield self._office_days(1, 5)
            reason, basis = rng.choice(refusals)
            leader = self._leader(agency)
            self._run(partial(app.refuse_complaint, leader, case_id, reason=reason, legal_basis=basis))
            return
        if outcome < 0.18 and story.forward_to != agency and story.forward_to in self.directory.agencies:
            yield self._office_days(1, 4)
            target = story.forward_to
            reason = f"Chuyển đơn đến {self.directory.agencies[target].name} để giải quyết theo thẩm quyền."
            officer = self._officer(agency)
            if self._run(partial(app.forward_complaint, officer, case_id, to_agency=target, reason=reason)) is None:
                return
            agency = story.forward_to
        leader = self._leader(agency)
        if denunciation and rng.random() < 0.12:
            # Preliminary check extended from 7 to 10 working days (Law on Denunciations Art. 24).
            yield self._office_days(5, 6.5)
            reason = rng.choice(EXTENSION_REASONS)
            if self._run(partial(app.extend_preliminary_check, leader, case_id, reason=reason)) is None:
                return
            yield self._office_days(1.5, 3)
        else:
            yield self._office_days(0.5, 6) if rng.random() < 0.9 else self._office_days(7.5, 9.5)
        if self._run(partial(app.accept_complaint, leader, case_id)) is None:
            return
        due = self._due(leader, case_id)
        if due is None:
            return
        at = self._schedule(self._now(), due)

        # Handling: assign (the leader alone for a denunciation), verify, dialogue, note.
        handler = self._officer(agency)
        yield at(rng.uniform(0.02, 0.08))
        assigner = leader if denunciation else self._officer(agency)
        if self._run(partial(app.assign_complaint, assigner, case_id, assignee=handler.subject)) is None:
            return
        yield at(rng.uniform(0.08, 0.2))
        if self._run(partial(app.start_verification, handler, case_id)) is None:
            return
        if rng.random() < 0.05:
            yield self._citizen_time(24, 120)
            reason = rng.choice(WITHDRAWAL_REASONS)
            self._run(partial(app.withdraw_complaint, citizen.principal, case_id, reason=reason))
            return
        if rng.random() < 0.5:
            yield at(rng.uniform(0.2, 0.35))
            note = rng.choice(GRIEVANCE_NOTES)
            if self._run(partial(app.comment_complaint, handler, case_id, note=note)) is None:
                return
        if not denunciation and rng.random() < 0.4:
            yield at(rng.uniform(0.35, 0.6))
            summary = rng.choice(DIALOGUES)
            if self._run(partial(app.hold_dialogue, handler, case_id, summary=summary)) is None:
                return
        extensions = (rng.random() < 0.2) + (rng.random() < 0.05) if denunciation else int(rng.random() < 0.12)
        for _ in range(extensions):
            yield at(rng.uniform(0.65, 0.85))
            reason = rng.choice(EXTENSION_REASONS)
            if self._run(partial(app.extend_complaint, leader, case_id, reason=reason)) is None:
                return
            due = self._due(leader, case_id)
            if due is None:
                return
            at = self._schedule(self._now(), due)

        # The decision or conclusion, ~10 % late, then the file is closed.
        yield at(rng.uniform(1.02, 1.3) if rng.random() < 0.1 else rng.uniform(0.5, 0.95))
        if denunciation:
            decided = partial(app.conclude_denunciation, leader, case_id, conclusion=rng.choice(CONCLUSIONS))
        else:
            decided = partial(app.decide_complaint, leader, case_id, decision=rng.choice(DECISIONS))
        if self._run(decided) is None:
            return
        if not denunciation and first is None and rng.random() < 0.15:
            # Not satisfied: a second-time complaint within 30 days (Art. 33).
            second = _Complaint(case_id, citizen, agency, story)
            again = f"{ident}-second"
            self._spawn(self._citizen_time(48, 400), self._now(), NEVER, again, self._grievance(again, second))
        yield self._office_days(0.5, 4)
        self._run(partial(app.close_complaint, self._officer(agency), case_id))

    # -- dossiers ---------------------------------------------------------------------------------

    def _dossier(self, ident: str) -> Process:
        """An online dossier from submission to the result returned (DESIGN §3.3)."""
        rng, app = self.rng, self.app
        dossier = self._submit_dossier(ident)
        if dossier is None:
            return
        case_id = dossier.case_id

        # Review within 8 working hours: reject, ask for what is missing, or receive.
        yield self._office(rng.uniform(0.2, 7) if rng.random() < 0.9 else rng.uniform(8.5, 14))
        officer = self._officer(dossier.agency)
        if rng.random() < 0.04:
            self._run(partial(app.reject_dossier, officer, case_id, reason=rng.choice(DOSSIER_REJECTIONS)))
            return
        if dossier.missing and rng.random() < 0.4:
            if not (yield from self._supplement(dossier, officer)):
                return
            yield self._office(rng.uniform(0.2, 4))
        if self._run(partial(app.receive_dossier, officer, case_id)) is None:
            return
        dossier.handler = officer
        if rng.random() < 0.3:
            dossier.handler = self._officer(dossier.agency)
            yield self._office(rng.uniform(0.1, 1))
            assigned = partial(app.assign_dossier, officer, case_id, assignee=dossier.handler.subject)
            if self._run(assigned) is None:
                return
        yield self._office(rng.uniform(0.1, 2))
        if not (yield from self._on_time(dossier)):
            return
        if self._run(partial(app.start_processing, dossier.handler, case_id)) is None:
            return
        if not (yield from self._process_dossier(dossier)):
            return

        # The result: ~8 % after the appointment date, so only after an apology.
        if rng.random() < 0.08:
            due = self._due(dossier.leader, case_id)
            if due is None:
                return
            yield self._office(rng.uniform(0.5, 6), due)
        else:
            yield self._before_due(dossier, 0.4, 0.9)
        if not (yield from self._on_time(dossier)):
            return
        note = f"Đã có kết quả giải quyết thủ tục “{dossier.procedure.name}”; mời ông/bà nhận kết quả."
        if self._run(partial(app.mark_result_ready, dossier.handler, case_id, note=note)) is None:
            return
        yield self._office(rng.uniform(1, 24))
        if self._run(partial(app.return_result, self._officer(dossier.agency), case_id)) is None:
            return
        if rng.random() < 0.6:
            yield self._citizen_time(1, 48)
            stars = rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 6, 10))[0]
            comment = RATING_COMMENTS[stars] if rng.random() < 0.4 else None
            self._run(partial(app.rate_dossier, dossier.citizen.principal, case_id, stars=stars, comment=comment))

    def _submit_dossier(self, ident: str) -> _Dossier | None:
        """A citizen files a dossier for a catalogue procedure; one in five
        lacks a paper (forgotten, or one the officer will need besides)."""
        rng = self.rng
        citizen = self._citizen()
        code = rng.choices(self.procedures, self.procedure_weights)[0]
        procedure = self.directory.procedures[code]
        agency = self.directory.procedure_agency(code, citizen.ward).code
        papers = list(procedure.required_documents) or ["Đơn đề nghị"]
        missing: tuple[str, ...] = ()
        if rng.random() < 0.2:
            if len(papers) > 1 and rng.random() < 0.6:
                missing = (papers.pop(rng.randrange(len(papers))),)
            else:
                missing = (rng.choice(EXTRA_DOCUMENTS),)
        applicant = ApplicantIdentity(
            name=citizen.name, national_id=citizen.national_id, phone=citizen.phone, address=citizen.address
        )
        submitted = self._create(
            "dossier",
            partial(
                self.app.submit_dossier,
                citizen.principal,
                procedure=code,
                ward=citizen.ward,
                applicant=applicant,
                documents=self._documents(ident, papers),
                channel=rng.choice((Channel.WEB, Channel.WEB, Channel.APP)),
                idempotency_key=self._key(ident),
            ),
        )
        if submitted is None:
            return None
        return _Dossier(
            case_id=submitted.case_id,
            ident=ident,
            citizen=citizen,
            procedure=procedure,
            agency=agency,
            leader=self._leader(agency),
            missing=missing,
        )

    def _process_dossier(self, dossier: _Dossier) -> Generator[datetime, None, bool]:
        """Processing before the result: the supplement still owed, a fee, now and
        then a suspension or an inter-agency step, a note. Each step keeps to the
        appointment date (or follows an apology); ``False`` if the story ends."""
        rng, app, case_id = self.rng, self.app, dossier.case_id
        handler, leader = dossier.handler, dossier.leader
        assert handler is not None  # Set when the dossier was received.
        if dossier.missing:
            yield self._before_due(dossier, 0.1, 0.3)
            if not (yield from self._on_time(dossier)) or not (yield from self._supplement(dossier, handler)):
                return False
        if dossier.procedure.fee > 0 and rng.random() < 0.35:
            yield self._before_due(dossier, 0.1, 0.3)
            if not (yield from self._on_time(dossier)):
                return False
            amount = dossier.procedure.fee * rng.choice((1, 1, 2, 3))
            dong = f"{amount:,}".replace(",", ".")  # 150.000 đồng, as Vietnamese writes it.
            note = f"Phí, lệ phí theo quy định: {dong} đồng."
            if self._run(partial(app.request_payment, handler, case_id, amount=amount, note=note)) is None:
                return False
            yield self._office(rng.uniform(1, 12))
            reference = f"VNPAY{rng.randrange(10**12):012d}"
            if self._run(partial(app.confirm_payment, handler, case_id, reference=reference)) is None:
                return False
        if rng.random() < 0.03:
            yield self._before_due(dossier, 0.1, 0.3)
            if not (yield from self._on_time(dossier)):
                return False
            if self._run(partial(app.suspend_dossier, leader, case_id, reason=rng.choice(SUSPENSIONS))) is None:
                return False
            yield self._office_days(1, 3)
            if self._run(partial(app.resume_dossier, leader, case_id, note="Đã có kết quả xác minh.")) is None:
                return False
        partner = PARTNERS.get(dossier.procedure.code, dossier.agency)
        partner = self._ward_committee(dossier.citizen.ward) if partner == "ward" else partner
        if partner in self.directory.agencies and partner != dossier.agency and rng.random() < 0.35:
            yield self._before_due(dossier, 0.1, 0.25)
            if not (yield from self._on_time(dossier)) or not (yield from self._forward(dossier, partner)):
                return False
        if rng.random() < 0.3:
            yield self._before_due(dossier, 0.1, 0.4)
            if self._run(partial(app.comment_dossier, handler, case_id, note=rng.choice(DOSSIER_NOTES))) is None:
                return False
        return True

    def _documents(self, folder: str, names: Sequence[str]) -> tuple[Document, ...]:
        """Scanned papers: a made-up storage URL and the SHA-256 of the paper's name."""
        return tuple(
            Document(
                name=name,
                url=f"https://storage.ihanoi.vn/sim/{self.seed}/{folder}/{index}.pdf",
                sha256=hashlib.sha256(name.encode()).hexdigest(),
            )
            for index, name in enumerate(names, start=1)
        )

    def _supplement(self, dossier: _Dossier, officer: Principal) -> Generator[datetime, None, bool]:
        """Ask once for everything missing; the applicant supplies it (or, one in
        ten, withdraws). ``True`` when supplied."""
        rng, app, case_id, missing = self.rng, self.app, dossier.case_id, dossier.missing
        note = "Đề nghị bổ sung: " + "; ".join(missing)
        if self._run(partial(app.request_supplement, officer, case_id, missing=missing, note=note)) is None:
            return False
        yield self._citizen_time(3, 72)
        applicant = dossier.citizen.principal
        if rng.random() < 0.1:
            self._run(partial(app.withdraw_dossier, applicant, case_id, reason=rng.choice(WITHDRAW_DOSSIER)))
            return False
        documents = self._documents(f"{dossier.ident}/bo-sung", missing)
        if self._run(partial(app.supplement_dossier, applicant, case_id, documents=documents)) is None:
            return False
        dossier.missing = ()
        return True

    def _forward(self, dossier: _Dossier, partner: str) -> Generator[datetime, None, bool]:
        """Send the dossier to the partner agency for a step (liên thông) that
        fits before the appointment date; the partner returns it in time."""
        rng, app, case_id = self.rng, self.app, dossier.case_id
        due = self._due(dossier.leader, case_id)
        if due is None:
            return False
        for working_days in (3, 2, 1):
            rule = DeadlineRule(working_days, TimeUnit.WORKING_DAYS, "liên thông")
            if self.calendar.due(Clock(started_at=self._now(), rule=rule)) <= due:
                break
        else:
            return True  # No time left for a partner step: the agency does without.
        note = f"Chuyển {self.directory.agencies[partner].name} thực hiện bước liên thông."
        handler = dossier.handler or dossier.leader
        sent = partial(app.forward_dossier, handler, case_id, to_agency=partner, working_days=working_days, note=note)
        if self._run(sent) is None:
            return False
        yield self._office(working_days * 8 * rng.uniform(0.3, 0.9))
        back = partial(app.return_dossier, self._officer(partner), case_id, note="Đã hoàn thành bước liên thông.")
        return self._run(back) is not None

    def _before_due(self, dossier: _Dossier, low: float, high: float) -> datetime:
        """A moment that fraction of the way from now to the appointment date."""
        due = self._due(dossier.leader, dossier.case_id)
        if due is None or due <= self._now():
            return self._now()
        return self._schedule(self._now(), due)(self.rng.uniform(low, high))

    def _on_time(self, dossier: _Dossier) -> Generator[datetime, None, bool]:
        """Past the appointment nothing moves until the leader apologises with a
        new date (phiếu xin lỗi); the step then follows within the hour or two."""
        due = self._due(dossier.leader, dossier.case_id)
        if due is None or self._now() <= due:
            return True
        apology = partial(
            self.app.apologize_for_delay,
            dossier.leader,
            dossier.case_id,
            reason=self.rng.choice(APOLOGIES),
            new_due=self._office_days(1, 3),
        )
        if self._run(apology) is None:
            return False
        yield self._office(self.rng.uniform(0.5, 2))
        return True

    # -- surveys ----------------------------------------------------------------------------------

    def _plan_surveys(self, first_day: date, days: int, start: datetime) -> None:
        """Surveys start in the first third of the period, in the morning."""
        span = max(1, days // 3)
        for index in range(self.surveys):
            day = first_day + timedelta(days=index * span // max(1, self.surveys))
            when = max(self._local(day, self.rng.uniform(8.5, 11)), start)
            # Closed, and its results published, well before the period ends.
            window = max(2, min(7, (days - (day - first_day).days) // 2))
            self._spawn(when, start, NEVER, f"survey-{index}", self._survey(index, window))

    def _survey(self, index: int, window_days: int) -> Process:
        """A survey from draft to published results (DESIGN §3.4)."""
        rng, app = self.rng, self.app
        agency, title, description, first_question = SURVEY_TOPICS[index % len(SURVEY_TOPICS)]
        if agency == "ward":
            agency = self._ward_committee(self._citizen().ward)
        if agency not in self.directory.agencies:
            agency = next(iter(self.directory.agencies))
        leader = self._leader(agency)
        anonymous = index % 2 == 1
        created = self._create(
            "survey",
            partial(
                app.create_survey,
                leader,
                title=title,
                description=description,
                anonymous=anonymous,
                idempotency_key=self._key(f"survey-{index}"),
            ),
        )
        if created is None:
            return
        case_id = created.case_id
        questions = (first_question, SATISFACTION, IMPROVEMENTS, SUGGESTIONS)
        yield self._office(rng.uniform(0.5, 4))
        staff = self._officer(agency)
        if self._run(partial(app.set_survey_questions, staff, case_id, questions=questions)) is None:
            return
        yield self._office(rng.uniform(0.5, 8))
        opens_at = self._now()
        closes_local = opens_at.astimezone(self.zone) + timedelta(days=window_days)
        closes_at = closes_local.replace(hour=17, minute=0, second=0, microsecond=0).astimezone(UTC)
        published = partial(app.publish_survey, leader, case_id, opens_at=opens_at, closes_at=closes_at)
        if self._run(published) is None:
            return
        survey = _Survey(case_id, questions, anonymous, closes_at)
        window = (closes_at - opens_at).total_seconds()
        for number, citizen in enumerate(rng.sample(self.citizens, self.answers_per_survey)):
            when = self._waking(opens_at + timedelta(seconds=round(rng.uniform(0.01, 0.97) * window)))
            if when >= closes_at:
                when = closes_at - timedelta(seconds=rng.randint(300, 7200))
            answer = f"survey-{index}-answer-{number}"
            self._spawn(when, opens_at, NEVER, answer, self._answer(survey, citizen, self._key(answer)))
        yield self._office(rng.uniform(0.1, 2), closes_at)
        if self._run(partial(app.close_survey, leader, case_id)) is None:
            return
        yield self._office(rng.uniform(2, 16))
        summary = self._survey_summary(survey)
        self._run(partial(app.publish_survey_results, leader, case_id, summary=summary))

    def _answer(self, survey: _Survey, citizen: _Citizen, token: str) -> Process:
        """One citizen's answers: mostly satisfied, a free-text remark now and then."""
        rng = self.rng
        answers: list[Answer] = []
        for question in survey.questions:
            if question.type is QuestionType.SINGLE_CHOICE:
                answers.append(Answer(question.id, choices=(rng.choice(question.options),)))
            elif question.type is QuestionType.MULTIPLE_CHOICE:
                picked = rng.sample(question.options, rng.randint(1, 3))
                answers.append(Answer(question.id, choices=tuple(picked)))
            elif question.type is QuestionType.RATING:
                answers.append(Answer(question.id, rating=rng.choices((1, 2, 3, 4, 5), (3, 7, 20, 40, 30))[0]))
            elif rng.random() < 0.4:
                answers.append(Answer(question.id, text=rng.choice(SUGGESTION_TEXTS)))
        answered = partial(
            self.app.answer_survey,
            citizen.principal,
            survey.case_id,
            answers=tuple(answers),
            respondent_token=token if survey.anonymous else None,
        )
        if self._create("survey_response", answered) is not None:
            survey.answered.append(tuple(answers))
        yield from ()  # A process of one step.

    def _survey_summary(self, survey: _Survey) -> str:
        """The summary the leader publishes, from the answers actually given."""
        count = len(survey.answered)
        if not count:
            return "Khảo sát không nhận được phiếu trả lời nào."
        ratings = [a.rating for answers in survey.answered for a in answers if a.rating is not None]
        satisfied = sum(1 for rating in ratings if rating >= 4)
        wishes: Counter[str] = Counter(
            choice
            for answers in survey.answered
            for answer in answers
            if answer.question_id == IMPROVEMENTS.id
            for choice in answer.choices
        )
        # Vietnamese writes a decimal comma: 4,2/5.
        average = f"{sum(ratings) / len(ratings):.1f}".replace(".", ",") if ratings else "-"
        top = wishes.most_common(1)[0][0] if wishes else "không có"
        return (
            f"{count} phiếu trả lời; mức hài lòng trung bình {average}/5, "
            f"{100 * satisfied / max(1, len(ratings)):.0f}% hài lòng trở lên. "
            f"Nội dung cần cải thiện được chọn nhiều nhất: {top}."
        )


def describe(summary: SimulationSummary) -> dict[str, Any]:
    """The summary as plain data (for ``--json`` output)."""
    return {
        "seed": summary.seed,
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "cases": dict(summary.cases),
        "commands": dict(summary.commands),
        "commands_issued": summary.commands_issued,
        "errors": summary.errors,
        "error_messages": list(summary.error_messages),
        "reused": summary.reused,
        "events": summary.events,
        "last_position": summary.last_position,
        "elapsed_seconds": round(summary.elapsed_seconds, 3),
        "commands_per_second": round(summary.commands_per_second, 1),
    }
