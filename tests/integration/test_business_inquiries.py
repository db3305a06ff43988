"""Business inquiries (issue #18) on every store: routed by the directory,
due by the ``business_inquiry_answer`` rule with its basis, visible to every
person of the business and to nobody of another, watched by the deadline
watcher, answered late only with an explanation, published anonymised into
the knowledge index with consent, and counted in the on-time answer rates.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import (
    AnswerInquiry,
    AskFollowUp,
    ConsentPublication,
    PublishInquiry,
    RateInquiry,
    SubmitBusinessInquiry,
)
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError, RuleViolationError, ValidationError
from ihanoi_projections.business_inquiries import BusinessInquiriesModel
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.queries.questions import Switchboard
from tests.conftest import FakeClock
from tests.integration.conftest import projection_context

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HOUSEHOLD = "0100109106"
OWNER = Principal("vneid:001088000111", Role.BUSINESS, HOUSEHOLD)
BOOKKEEPER = Principal("vneid:001088000222", Role.BUSINESS, HOUSEHOLD)
OTHER_BUSINESS = Principal("vneid:001088000333", Role.BUSINESS, "0300588569")
STC_OFFICER = Principal("officer-stc", Role.OFFICER, "STC")
SXD_OFFICER = Principal("officer-sxd", Role.OFFICER, "SXD")
BASIS = "Thông tư số 40/2021/TT-BTC ngày 01/06/2021 của Bộ Tài chính, Điều 7"
TEXT = "Hộ kinh doanh của tôi ở phố Hàng Bạc, ông Nguyễn Văn A, hỏi về mức thuế khoán năm 2027 và cách kê khai."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=HANOI))  # Monday


@pytest.fixture
def models(app: Ihanoi, views: ViewDatabase) -> tuple[Projector, BusinessInquiriesModel, KnowledgeIndexModel]:
    context = projection_context(app)
    inquiries, index = BusinessInquiriesModel(views, context), KnowledgeIndexModel(views, context)
    clocks = DeadlineClocksModel(views, context)
    return Projector(app, views, [inquiries, index, clocks], batch_size=3), inquiries, index


def submit(app: Ihanoi, who: Principal = OWNER, **fields: str | None) -> str:
    body = {"tax_code": who.organisation or "", "business_kind": "household", "topic": "tax_fees", "text": TEXT}
    return str(app.handle(who, SubmitBusinessInquiry(**{**body, **fields})).case_id)  # type: ignore[arg-type]


def test_an_inquiry_is_routed_and_due_by_the_directory_rule_with_its_basis(app: Ihanoi) -> None:
    case = app.get_case(OWNER, submit(app))
    assert (case["agency"], case["status"], case["business"], case["code"][:3]) == ("STC", "open", HOUSEHOLD, "DN-")
    rule = app.directory.deadline("business_inquiry_answer")
    assert case["clock"].rule == rule
    assert "20/2008/NĐ-CP" in rule.legal_basis
    assert case["due_at"] == datetime(2026, 11, 16, 9, 0, tzinfo=HANOI)  # 10 working days from Monday 09:00
    # A procedure of the catalogue routes to its agency; an unknown topic or procedure is a field error.
    by_procedure = app.get_case(OWNER, submit(app, topic="other", procedure="advertising_notice"))
    assert by_procedure["agency"] == "SVHTT"
    assert app.get_case(OWNER, submit(app, topic="other"))["agency"] == "TTPVHCC"
    for fields, field in (({"topic": "weather"}, "topic"), ({"procedure": "nope"}, "procedure")):
        with pytest.raises(ValidationError) as refused:
            submit(app, OWNER, **fields)
        assert set(refused.value.errors) == {field}


def test_tax_codes_are_checked_and_must_be_the_business_one_acts_for(app: Ihanoi) -> None:
    for given in ("0100109107", "123", "0100109106-000"):
        with pytest.raises(ValidationError) as refused:
            submit(app, tax_code=given)
        assert set(refused.value.errors) == {"tax_code"}
    with pytest.raises(ValidationError, match="act for"):
        submit(app, tax_code="0300588569")
    with pytest.raises(ForbiddenError):
        app.handle(
            Principal("vneid:1", Role.CITIZEN),
            SubmitBusinessInquiry(tax_code=HOUSEHOLD, business_kind=BusinessKind.HOUSEHOLD, topic="tax_fees", text="x"),
        )


def test_every_person_of_the_business_sees_it_and_another_business_never(
    app: Ihanoi, models: tuple[Projector, BusinessInquiriesModel, KnowledgeIndexModel]
) -> None:
    projector, inquiries, _ = models
    case_id = submit(app)
    assert app.get_case(BOOKKEEPER, case_id)["text"] == TEXT
    app.handle(BOOKKEEPER, AskFollowUp(case=case_id, text="Bổ sung: doanh thu dưới 200 triệu"))
    for stranger in (OTHER_BUSINESS, SXD_OFFICER, Principal("vneid:001099012345", Role.CITIZEN)):
        with pytest.raises(CaseNotFoundError):
            app.get_case(stranger, case_id)
        with pytest.raises(CaseNotFoundError):
            app.handle(stranger, AskFollowUp(case=case_id, text="?"))
    projector.catch_up()
    assert [row.code for row in inquiries.list_for_business(HOUSEHOLD)] == [app.get_case(OWNER, case_id)["code"]]
    assert inquiries.list_for_business("0300588569") == []
    assert [str(row.case_id) for row in inquiries.list_for_agency("STC")] == [case_id]


def test_the_watcher_escalates_an_unanswered_inquiry_and_a_late_answer_must_explain(
    app: Ihanoi,
    views: ViewDatabase,
    clock: FakeClock,
    models: tuple[Projector, BusinessInquiriesModel, KnowledgeIndexModel],
) -> None:
    projector, inquiries, _ = models
    case_id = submit(app)
    projector.catch_up()
    clocks = DeadlineClocksModel(views, projection_context(app))
    watcher = Watcher(app, clocks, lambda _: projector.catch_up(), clock=clock)
    clock.now = datetime(2026, 11, 18, 9, 0, tzinfo=HANOI)  # due 16/11 09:00; the grace of 8 working hours passed
    fired = {due.threshold for due in watcher.run_once()}
    assert {"missed", "escalation"} <= fired
    assert watcher.run_once() == []
    # The agency above (the city's People's Committee), a co-owner now, sees it.
    assert app.get_case(Principal("leader-ubnd", Role.LEADER, "UBND_TP"), case_id)["status"] == "open"
    answer = AnswerInquiry(
        case=case_id,
        answer="Mức thuế khoán theo Thông tư 40/2021/TT-BTC.",
        legal_basis="Thông tư số 40/2021/TT-BTC ngày 01/06/2021 của Bộ Tài chính, Điều 7",
    )
    with pytest.raises(ValidationError) as refused:
        app.handle(STC_OFFICER, answer)
    assert set(refused.value.errors) == {"late_explanation"}
    explained = AnswerInquiry(
        case=case_id, answer=answer.answer, legal_basis=answer.legal_basis, late_explanation="Phải xin ý kiến Cục Thuế"
    )
    app.handle(STC_OFFICER, explained)
    case = app.get_case(OWNER, case_id)
    assert (case["status"], case["answered_late"], case["late_explanation"]) == (
        "answered",
        True,
        "Phải xin ý kiến Cục Thuế",
    )
    projector.catch_up()
    [rate] = inquiries.answer_rates(clock.now, "STC")
    assert (rate.answered, rate.on_time, rate.late, rate.on_time_rate) == (1, 0, 1, 0.0)


def test_publication_needs_consent_is_anonymised_and_found_by_the_switchboard(
    app: Ihanoi, models: tuple[Projector, BusinessInquiriesModel, KnowledgeIndexModel]
) -> None:
    projector, inquiries, index = models
    case_id = submit(app)
    app.handle(
        STC_OFFICER,
        AnswerInquiry(
            case=case_id,
            answer="Hộ kinh doanh nộp thuế khoán theo thông báo của cơ quan thuế.",
            legal_basis="Thông tư số 40/2021/TT-BTC ngày 01/06/2021 của Bộ Tài chính, Điều 7",
        ),
    )
    question = "Hộ kinh doanh nộp thuế khoán năm 2027 như thế nào?"
    with pytest.raises(RuleViolationError, match="consented"):
        app.handle(STC_OFFICER, PublishInquiry(case=case_id, question=question))
    app.handle(BOOKKEEPER, ConsentPublication(case=case_id))
    with pytest.raises(RuleViolationError, match="tax code"):
        app.handle(STC_OFFICER, PublishInquiry(case=case_id, question=f"Hộ 0100 109 106 hỏi: {question}"))
    app.handle(STC_OFFICER, PublishInquiry(case=case_id, question=question))
    app.handle(OWNER, RateInquiry(case=case_id, stars=4))
    projector.catch_up()
    [published] = inquiries.published()
    assert published.question == question
    assert published.agency == "STC"
    hits = Switchboard(app, index).search("thuế khoán hộ kinh doanh", 5)
    cited = [citation for citation, _ in hits if citation.kind.value == "business_answer"]
    assert cited
    assert cited[0].ref == app.get_case(OWNER, case_id)["code"]
    indexed = index.get(cited[0].kind, cited[0].ref)
    assert indexed is not None
    for personal in (HOUSEHOLD, OWNER.subject, BOOKKEEPER.subject, "Nguyễn Văn A", "Hàng Bạc"):
        assert personal not in repr(indexed)
        assert personal not in repr(published)
