"""Demo data of the business portal (``ihanoi demo``): a household business
(tax code ``0100109106``) whose first inquiry the Department of Finance has
answered and, with its consent, published anonymised (so ``/public/faq``
cites it) and whose second is open on that department's business worklist; a
consultation taking comments for two weeks, with one; and a dialogue session
in ten days with the business's question registered."""

from __future__ import annotations

from datetime import timedelta

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import AnswerInquiry, ConsentPublication, PublishInquiry, SubmitBusinessInquiry
from ihanoi_core.commands.consultations import GiveComment, OpenConsultation
from ihanoi_core.commands.dialogues import RegisterQuestion, ScheduleSession
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_projections.read_side import ReadSide

DEMO_TAX_CODE = "0100109106"
DEMO_BUSINESS = Principal("vneid:001088000111", Role.BUSINESS, DEMO_TAX_CODE)
FINANCE = Principal("officer-1-stc", Role.OFFICER, "STC")
CITY_LEADER = Principal("leader-ubnd_tp", Role.LEADER, "UBND_TP")
BASIS = "Thông tư số 40/2021/TT-BTC ngày 01/06/2021 của Bộ Tài chính, Điều 7"


def inquiry(text: str, topic: str = "tax_fees") -> SubmitBusinessInquiry:
    return SubmitBusinessInquiry(tax_code=DEMO_TAX_CODE, business_kind=BusinessKind.HOUSEHOLD, topic=topic, text=text)


def seed_business(app: Ihanoi, read_side: ReadSide) -> list[str]:
    """File, answer and publish the demo inquiries, open a consultation and
    schedule a dialogue session; their codes."""
    now = app.clock()
    answered = app.handle(DEMO_BUSINESS, inquiry("Hộ kinh doanh nộp thuế khoán năm nay thế nào, kê khai ra sao?"))
    app.handle(
        FINANCE,
        AnswerInquiry(
            case=answered.case_id,
            legal_basis=BASIS,
            answer="Hộ kinh doanh nộp thuế khoán theo thông báo của cơ quan thuế quản lý; "
            "doanh thu kê khai mỗi năm một lần trước ngày 15/12.",
        ),
    )
    app.handle(DEMO_BUSINESS, ConsentPublication(case=answered.case_id))
    question = "Hộ kinh doanh nộp thuế khoán và kê khai doanh thu như thế nào?"
    app.handle(FINANCE, PublishInquiry(case=answered.case_id, question=question))
    pending = app.handle(DEMO_BUSINESS, inquiry("Xin hướng dẫn đăng ký mở rộng mặt bằng kinh doanh", "investment"))
    draft = OpenConsultation(
        title="Dự thảo quy định hỗ trợ hộ kinh doanh chuyển đổi thành doanh nghiệp",
        summary="Lấy ý kiến doanh nghiệp, hộ kinh doanh và người dân về mức hỗ trợ.",
        document_url="https://hanoi.gov.vn/du-thao/ho-tro-hkd.pdf",
        document_sha256="0" * 64,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=14),
    )
    consultation = app.handle(FINANCE, draft)
    app.handle(
        DEMO_BUSINESS,
        GiveComment(
            case=consultation.case_id, section="Điều 3", text="Đề nghị miễn lệ phí môn bài năm đầu sau chuyển đổi."
        ),
    )
    schedule = ScheduleSession(
        title="Hội nghị đối thoại doanh nghiệp",
        chair="Chủ tịch UBND Thành phố",
        participants=("STC", "SXD", "SNNMT"),
        held_at=now + timedelta(days=10),
        place="Hội trường UBND Thành phố",
    )
    session = app.handle(CITY_LEADER, schedule)
    app.handle(DEMO_BUSINESS, RegisterQuestion(case=session.case_id, text="Thời gian hoàn thuế giá trị gia tăng"))
    read_side.catch_up()
    return [answered.code, pending.code, consultation.code, session.code]
