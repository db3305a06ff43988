"""The privacy canary in the business portal (issue #18): a business's person
who writes their name, phone and national id into an inquiry, a follow-up and
a consultation comment is in no byte of the store or of the read models in
clear, and the published Q&A — in the knowledge index, the public list and
the switchboard's search — carries none of them, nor the tax code.
"""

from __future__ import annotations

from datetime import timedelta

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import (
    AnswerInquiry,
    AskFollowUp,
    ConsentPublication,
    PublishInquiry,
    SubmitBusinessInquiry,
)
from ihanoi_core.commands.consultations import GiveComment, OpenConsultation
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.settings import Settings
from ihanoi_projections.business_inquiries import BusinessInquiriesModel
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.queries.questions import Switchboard
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock
from tests.integration.test_privacy import EMAIL, NAME, NATIONAL_ID, PHONE, raw_bytes

TAX_CODE = "0300588569"
PERSON = Principal(f"vneid:{NATIONAL_ID}", Role.BUSINESS, TAX_CODE)
STC = Principal("officer-stc", Role.OFFICER, "STC")
CANARY = (NAME, PHONE, NATIONAL_ID, EMAIL)
BASIS = "Thông tư số 40/2021/TT-BTC ngày 01/06/2021 của Bộ Tài chính, Điều 7"


def canary_in(text: str) -> list[str]:
    return [value for value in CANARY if value in text]


def test_the_canary_is_sealed_in_the_store_and_absent_from_the_published_answer(
    settings: Settings, clock: FakeClock
) -> None:
    app = Ihanoi(settings, clock=clock)
    read_side = ReadSide(app, settings, start=False)
    try:
        words = f"Tôi là {NAME}, ĐT {PHONE}, email {EMAIL}: hỏi thời hạn hoàn thuế giá trị gia tăng xuất khẩu."
        filed = app.handle(PERSON, SubmitBusinessInquiry(tax_code=TAX_CODE, business_kind=BusinessKind.ENTERPRISE,
                                                         topic="tax_fees", text=words))  # fmt: skip
        app.handle(PERSON, AskFollowUp(case=filed.case_id, text=f"Bổ sung: gọi {PHONE}"))
        answer = "Hồ sơ hoàn thuế giá trị gia tăng hàng xuất khẩu được giải quyết trong sáu ngày làm việc."
        app.handle(STC, AnswerInquiry(case=filed.case_id, answer=answer, legal_basis=BASIS))
        app.handle(PERSON, ConsentPublication(case=filed.case_id))
        question = "Thời hạn hoàn thuế giá trị gia tăng hàng xuất khẩu là bao lâu?"
        app.handle(STC, PublishInquiry(case=filed.case_id, question=question))
        draft = OpenConsultation(
            title="Dự thảo",
            summary="Lấy ý kiến",
            document_url="https://hanoi.gov.vn/d.pdf",
            document_sha256="1" * 64,
            opens_at=clock.now,
            closes_at=clock.now + timedelta(days=7),
        )
        consultation = app.handle(STC, draft)
        app.handle(PERSON, GiveComment(case=consultation.case_id, text=f"{NAME} ({PHONE}) đề nghị giảm phí"))
        read_side.catch_up()
        published = read_side.model(BusinessInquiriesModel).published()
        hits = Switchboard(app, read_side.model(KnowledgeIndexModel)).search("hoàn thuế giá trị gia tăng xuất khẩu", 5)
        public = repr(published) + repr(hits)
        assert question in public
        assert canary_in(public) == []
        assert TAX_CODE not in public
        assert PERSON.subject not in public
    finally:
        read_side.close()
        app.close()
    if store_kind(settings) != "memory":
        dump = raw_bytes(settings)
        assert question.encode() in dump, "the dump holds what is not personal"
        assert [value for value in CANARY if value.encode() in dump] == []
