"""What the simulated citizens and officials write, by kind of case: report
texts and answers, complaint and denunciation stories, dossier papers and
notes, survey questions and remarks, with how often each kind of thing comes.
All made up, in the style of real Hanoi cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ihanoi_core.domain.grievance_values import ComplaintKind
from ihanoi_core.domain.questionnaire import Question, QuestionType
from ihanoi_core.simulation.city import HOTLINE_AGENCY

# -- field reports ----------------------------------------------------------------------

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

# -- complaints and denunciations ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrievanceStory:
    """A complaint or denunciation story: with whom it is filed ("ward" = the
    filer's ward committee) and the competent agency it may be forwarded to."""

    kind: ComplaintKind
    subject: str
    content: str
    respondent: str
    forward_to: str


_C, _D = ComplaintKind.COMPLAINT, ComplaintKind.DENUNCIATION
GRIEVANCES = (
    GrievanceStory(
        _C,
        "Khiếu nại quyết định xử phạt vi phạm hành chính về trật tự xây dựng",
        "Tôi không đồng ý với Quyết định xử phạt số {n}/QĐ-XPHC về việc xây dựng sai phép tại nhà số "
        "{house} {street}. Phần cơi nới đã có từ trước năm 2010. Đề nghị xem xét hủy quyết định.",
        "ward",
        "SXD",
    ),
    GrievanceStory(
        _C,
        "Khiếu nại phương án bồi thường, hỗ trợ khi thu hồi đất",
        "Gia đình tôi có đất bị thu hồi để mở rộng {street}. Đơn giá bồi thường thấp hơn giá thị "
        "trường và chưa tính tài sản trên đất. Đề nghị xem xét lại phương án.",
        "ward",
        "SNNMT",
    ),
    GrievanceStory(
        _C,
        "Khiếu nại việc từ chối cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Hồ sơ xin phép xây dựng nhà số {house} {street} của tôi đã đủ giấy tờ nhưng bị từ chối "
        "với lý do chưa phù hợp quy hoạch, không nêu rõ căn cứ.",
        "ward",
        "SXD",
    ),
    GrievanceStory(
        _C,
        "Khiếu nại quyết định xử phạt vi phạm về an toàn thực phẩm",
        "Cơ sở kinh doanh của tôi tại {street} bị xử phạt theo Quyết định số {n}/QĐ-XPHC; mẫu "
        "kiểm nghiệm được lấy không đúng quy trình. Đề nghị kiểm tra lại.",
        "SYT",
        "SCT",
    ),
    GrievanceStory(
        _C,
        "Khiếu nại quyết định xử phạt vi phạm giao thông qua hình ảnh",
        "Tôi bị xử phạt lỗi vượt đèn đỏ tại {street} nhưng hình ảnh không rõ biển số. Đề nghị "
        "cung cấp bằng chứng và xem xét lại.",
        "CATP",
        "TTTP",
    ),
    GrievanceStory(
        _D,
        "Tố cáo cán bộ địa chính nhũng nhiễu khi giải quyết hồ sơ đất đai",
        "Khi tôi nộp hồ sơ cấp Giấy chứng nhận tại bộ phận một cửa phường, cán bộ địa chính nhiều "
        "lần yêu cầu bổ sung giấy tờ ngoài quy định và gợi ý chi phí để làm nhanh.",
        "ward",
        "TTTP",
    ),
    GrievanceStory(
        _D,
        "Tố cáo cán bộ bao che công trình xây dựng sai phép",
        "Công trình tại số {house} {street} xây vượt tầng nhiều tháng nay nhưng cán bộ phụ trách "
        "địa bàn không lập biên bản, có dấu hiệu bao che.",
        "ward",
        "SXD",
    ),
    GrievanceStory(
        _D,
        "Tố cáo hành vi nhận tiền để bỏ qua vi phạm lấn chiếm vỉa hè",
        "Tôi chứng kiến người tự xưng là cán bộ trật tự thu tiền của các hộ kinh doanh trên {street} "
        "để không xử lý việc lấn chiếm vỉa hè.",
        "ward",
        "CATP",
    ),
    GrievanceStory(
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

# -- dossiers --------------------------------------------------------------------------

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

# -- surveys ---------------------------------------------------------------------------

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

# Late explanations (giải trình, issue #16) of a late complaint decision or
# denunciation conclusion, and of a dossier returned after an apology.
GRIEVANCE_LATE_EXPLANATION = (
    "Chậm do phải xác minh thêm tại nhiều đơn vị liên quan."  # "Late: more verification at several bodies."
)
DOSSIER_LATE_EXPLANATION = (
    "Chậm do chờ kết quả phối hợp của cơ quan liên thông."  # "Late: waited for the partner agency's result."
)
