"""The Q&A switchboard on all three stores: a question answered from the
catalogue with citations that exist and quote the fact; an unanswerable one
handed off with a due time, on the agency's worklist and under the deadline
watcher; a case code answered from the asker's own case only; published
articles and resolved reports' public answers indexed, retired ones gone; a
rebuild equal to the incremental index; the optional generator, a loopback
server imitating an OpenAI-compatible endpoint, kept only when it keeps every
citation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.questions import (
    AnswerQuestion,
    ApproveArticle,
    AskQuestion,
    DraftArticle,
    GiveFeedback,
    PromoteQuestion,
    PublishArticle,
    RetireArticle,
    ReviseArticle,
)
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, ResolveReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.question_values import QuestionChannel, SourceKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError, RuleViolationError
from ihanoi_core.knowledge.generator import OpenAICompatibleGenerator
from ihanoi_projections.case_status import CaseStatusModel
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.queries.questions import Switchboard, verify_citation
from ihanoi_projections.worklist import WorklistModel
from tests.conftest import FakeClock
from tests.integration.conftest import projection_context
from tests.loopback_generator import LoopbackGenerator

CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
NEIGHBOUR = Principal("vneid:001099054321", Role.CITIZEN)
HOTLINE = Principal("officer-hotline", Role.OFFICER, "TTPVHCC")
OFFICER = Principal("officer-catp", Role.OFFICER, "CATP")
LEADER = Principal("leader-catp", Role.LEADER, "CATP")
DEPUTY = Principal("deputy-catp", Role.LEADER, "CATP")
WARD_OFFICER = Principal("officer-hk", Role.OFFICER, "UBND_HOAN_KIEM")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 7, 15, 2, 30, tzinfo=UTC))  # Wednesday 09:30 in Hanoi


@pytest.fixture
def index(app: Ihanoi, views: ViewDatabase) -> KnowledgeIndexModel:
    return KnowledgeIndexModel(views, projection_context(app))


@pytest.fixture
def projector(app: Ihanoi, views: ViewDatabase, index: KnowledgeIndexModel) -> Projector:
    context = projection_context(app)
    models = [index, WorklistModel(views, context), DeadlineClocksModel(views, context)]
    return Projector(app, views, models, batch_size=4)


@pytest.fixture
def switchboard(app: Ihanoi, index: KnowledgeIndexModel) -> Switchboard:
    board = Switchboard(app, index)
    app.answerer = board
    return board


def gplx_article(app: Ihanoi) -> str:
    draft = DraftArticle(
        title="Đổi giấy phép lái xe",
        text="Giấy phép lái xe sắp hết hạn được đổi tại cơ quan công an, hồ sơ gồm đơn đề nghị và giấy khám sức khỏe.",
        legal_basis="unverified: test article",
        source="https://dichvucong.gov.vn",
        keywords=("gplx", "bằng lái xe"),
    )
    code = app.handle(OFFICER, draft).code
    app.handle(LEADER, ApproveArticle(case=code))
    app.handle(OFFICER, PublishArticle(case=code))
    return code


def test_a_fee_question_is_answered_from_the_catalogue_with_a_citation_holding_the_fee(
    app: Ihanoi, projector: Projector, index: KnowledgeIndexModel, switchboard: Switchboard
) -> None:
    # Step: asked without diacritics, with the abbreviation "hkd".
    result = app.handle(CITIZEN, AskQuestion(text="phi dang ky hkd bao nhieu vay"))
    question = app.get_case(CITIZEN, result.case_id)
    assert question["status"] == "answered"
    assert question["intent"] == "fee"
    assert question["confidence"] >= app.directory.questions.confidence_threshold
    # Step: the first citation is the procedure's fee, as the catalogue states it, and the answer says it.
    first = question["citations"][0]
    assert (first.kind, first.ref, first.field) == (SourceKind.PROCEDURE, "business_household_registration", "fee")
    assert "100.000 đồng" in first.quote
    assert first.quote in question["answer_text"]
    assert all(verify_citation(index, citation) for citation in question["citations"])
    # Step: the asker owns it; a neighbour cannot see it; its text is personal, sealed in the store.
    assert app.get_case(CITIZEN, result.code)["text"] == "phi dang ky hkd bao nhieu vay"
    assert app.handle(CITIZEN, GiveFeedback(case=result.case_id, helpful=True)).status == "answered"
    # Step: answered automatically, it belongs to no agency: staff do not see it.
    with pytest.raises(CaseNotFoundError):
        app.handle(HOTLINE, AnswerQuestion(case=result.case_id, answer="x", legal_basis="y"))


def test_an_unanswerable_question_is_handed_off_with_a_due_time_on_the_worklist_and_the_watcher(
    app: Ihanoi, projector: Projector, views: ViewDatabase, switchboard: Switchboard
) -> None:
    # Step: the catalogue knows nothing of passports: handed off, never answered.
    result = app.handle(CITIZEN, AskQuestion(text="thủ tục làm hộ chiếu mất bao lâu", channel=QuestionChannel.ZALO))
    question = app.get_case(CITIZEN, result.case_id)
    assert (question["status"], question["answer_text"], question["citations"]) == ("handed_off", None, ())
    assert question["agency"] == app.directory.questions.handoff_agency
    rule = app.directory.deadline("question_answer")
    assert question["clock"].rule == rule
    assert question["due_at"] == app.calendar.due(question["clock"])
    # Step: it is on the agency's worklist, with no personal text, and its clock runs for the watcher.
    projector.catch_up()
    work = views.query("SELECT kind, code, summary FROM view_worklist WHERE agency = ?", (question["agency"],))
    assert work == [{"kind": "question", "code": result.code, "summary": "question"}]
    assert views.query("SELECT DISTINCT code FROM view_running_clocks") == [{"code": result.code}]
    # Step: staff of that agency answer it with its basis; the clock stops, it leaves the worklist.
    with pytest.raises(ForbiddenError):
        app.handle(CITIZEN, AnswerQuestion(case=result.case_id, answer="x", legal_basis="y"))
    app.handle(
        HOTLINE, AnswerQuestion(case=result.case_id, answer="Nộp tại công an.", legal_basis="Luật Xuất nhập cảnh")
    )
    projector.catch_up()
    assert views.query("SELECT code FROM view_worklist") == []
    assert app.get_case(CITIZEN, result.case_id)["status"] == "answered_by_staff"
    # Step: the answer becomes an article of the agency, recorded on the question.
    article = app.handle(
        HOTLINE, DraftArticle(title="Làm hộ chiếu", text="Nộp tại công an.", legal_basis="b", source="s")
    )
    app.handle(HOTLINE, PromoteQuestion(case=result.case_id, article=article.code))
    assert app.get_case(HOTLINE, result.case_id)["article"] == article.code


@pytest.mark.parametrize(
    "question",
    ["đăng ký kết hôn với người nước ngoài", "cấp lại giấy khai sinh bị mất", "thủ tục thi bằng lái xe lần đầu"],
)
def test_a_question_that_says_another_procedures_qualifier_is_handed_off(
    app: Ihanoi, projector: Projector, switchboard: Switchboard, question: str
) -> None:
    # Step: it shares every other word with a procedure of the catalogue (or an article), yet is not it.
    gplx_article(app)
    projector.catch_up()
    resolution = switchboard.resolve(CITIZEN, question)
    assert resolution.handed_off
    assert resolution.ranked  # it was found, and not trusted


def test_a_case_code_answers_from_the_askers_own_case_and_never_from_anothers(
    app: Ihanoi, projector: Projector, switchboard: Switchboard
) -> None:
    filed = app.handle(
        CITIZEN, SubmitReport(category="pothole", description="Ổ gà lớn", location=LocationIn(ward="HOAN_KIEM"))
    )
    # Step: the reporter asks about their own report by its code: answered from the case.
    own = app.handle(CITIZEN, AskQuestion(text=f"phản ánh {filed.code.lower()} đến đâu rồi"))
    answered = app.get_case(CITIZEN, own.case_id)
    assert answered["status"] == "answered"
    assert answered["intent"] == "case_status"
    assert answered["citations"][0].ref == filed.code
    assert "đã tiếp nhận" in answered["answer_text"]
    # Step: a neighbour asks with the same code: handed off, nothing of the case in what they get.
    other = app.handle(NEIGHBOUR, AskQuestion(text=f"hồ sơ {filed.code} đến đâu rồi"))
    theirs = app.get_case(NEIGHBOUR, other.case_id)
    assert (theirs["status"], theirs["handoff_reason"], theirs["answer_text"]) == ("handed_off", "case_not_found", None)
    # Step: staff relaying a hotline call cannot learn a case by its code either.
    relayed = app.handle(HOTLINE, AskQuestion(text=f"{filed.code}?", channel=QuestionChannel.HOTLINE))
    assert app.get_case(HOTLINE, relayed.case_id)["handoff_reason"] == "case_code_for_unknown_asker"


def test_published_articles_and_resolved_reports_are_indexed_and_retired_ones_leave(
    app: Ihanoi, projector: Projector, index: KnowledgeIndexModel, switchboard: Switchboard, clock: FakeClock
) -> None:
    # Step: a draft is not cited; four eyes: its author cannot approve it.
    draft = app.handle(
        LEADER, DraftArticle(title="Đổi giấy phép lái xe", text="Tại công an.", legal_basis="b", source="s")
    )
    with pytest.raises(RuleViolationError):
        app.handle(LEADER, ApproveArticle(case=draft.case_id))
    projector.catch_up()
    assert switchboard.resolve(CITIZEN, "đổi gplx ở đâu").handed_off
    # Step: published, it answers (typo-free or not), quoting its body.
    code = gplx_article(app)
    projector.catch_up()
    resolution = switchboard.resolve(CITIZEN, "doi bang lai xe o dau")
    assert not resolution.handed_off
    assert resolution.citations[0].ref == code
    assert all(verify_citation(index, citation) for citation in resolution.citations)
    # Step: a revision on its way changes nothing until it is published.
    app.handle(OFFICER, ReviseArticle(case=code, text="Nội dung mới đang chờ duyệt."))
    projector.catch_up()
    assert "hết hạn" in switchboard.resolve(CITIZEN, "đổi gplx ở đâu").citations[0].quote
    # Step: retired, it is gone from the index.
    app.handle(DEPUTY, RetireArticle(case=code, reason="Quy định đã thay đổi."))
    projector.catch_up()
    assert index.get(SourceKind.ARTICLE, code) is None
    # Step: a resolved report's public answer is indexed (the category and the answer, nothing personal).
    filed = app.handle(
        CITIZEN, SubmitReport(category="pothole", description="Ổ gà ở số 5", location=LocationIn(ward="HOAN_KIEM"))
    )
    app.handle(WARD_OFFICER, AcknowledgeReport(case=filed.case_id))
    app.handle(WARD_OFFICER, AssignReport(case=filed.case_id, assignee="officer-hk"))
    app.handle(WARD_OFFICER, ResolveReport(case=filed.case_id, answer="Đã vá ổ gà trên phố Hàng Bài."))
    projector.catch_up()
    doc = index.get(SourceKind.REPORT, filed.code)
    assert doc is not None
    assert doc.fields == {"answer": "Đã vá ổ gà trên phố Hàng Bài."}
    assert "so 5" not in doc.terms
    assert CITIZEN.subject not in doc.terms


def test_the_index_built_in_batches_equals_a_rebuild_from_zero(
    app: Ihanoi, projector: Projector, views: ViewDatabase, index: KnowledgeIndexModel
) -> None:
    gplx_article(app)
    code = gplx_article(app)
    app.handle(DEPUTY, RetireArticle(case=code, reason="Trùng."))
    projector.catch_up()
    query = "SELECT doc_id, kind, ref, title, fields, agency, terms, position FROM view_knowledge_docs ORDER BY doc_id"
    incremental = views.query(query)
    assert len(incremental) == len(app.directory.procedures) + 1
    projector.reset()
    Projector(app, views, [KnowledgeIndexModel(views, projection_context(app))], batch_size=50).catch_up()
    assert views.query(query) == incremental


def full_text_rows(views: ViewDatabase) -> list[tuple[str, bool]]:
    """Each SQLite full-text row's doc, and whether it has its doc row's rowid."""
    rows = views.query(
        "SELECT fts.doc_id, fts.rowid = docs.rowid AS aligned FROM view_knowledge_fts AS fts"
        " LEFT JOIN view_knowledge_docs AS docs USING (doc_id) ORDER BY fts.doc_id"
    )
    return [(row["doc_id"], bool(row["aligned"])) for row in rows]


@pytest.mark.parametrize("store", ["sqlite"])
def test_on_sqlite_each_full_text_row_has_its_docs_rowid_and_an_older_index_is_aligned_once(
    app: Ihanoi, projector: Projector, views: ViewDatabase, index: KnowledgeIndexModel
) -> None:
    # A change is removed from the full-text index by the doc's rowid, not by a
    # scan of the whole index for its doc_id.
    code = gplx_article(app)
    filed = app.handle(
        CITIZEN, SubmitReport(category="pothole", description="Ổ gà ở số 5", location=LocationIn(ward="HOAN_KIEM"))
    )
    for command in (AcknowledgeReport(case=filed.case_id), AssignReport(case=filed.case_id, assignee="officer-hk")):
        app.handle(WARD_OFFICER, command)
    app.handle(WARD_OFFICER, ResolveReport(case=filed.case_id, answer="Đã vá ổ gà trên phố Hàng Bài."))
    projector.catch_up()
    docs = [row["doc_id"] for row in views.query("SELECT doc_id FROM view_knowledge_docs ORDER BY doc_id")]
    assert full_text_rows(views) == [(doc_id, True) for doc_id in docs]
    assert f"report:{filed.case_id}" in docs

    # Step: an index as written before (full-text rowids of its own), the mark gone.
    with views.transaction() as cursor:
        cursor.execute("CREATE TEMP TABLE old_rows AS SELECT rowid + 100000 AS r, * FROM view_knowledge_fts")
        cursor.execute("DELETE FROM view_knowledge_fts")
        cursor.execute("INSERT INTO view_knowledge_fts (rowid, doc_id, names, terms) SELECT * FROM temp.old_rows")
        # Whatever else it may hold: a doc's row twice, a row of a doc no longer indexed.
        cursor.execute(
            "INSERT INTO view_knowledge_fts (doc_id, names, terms) SELECT doc_id, names, terms FROM temp.old_rows"
            " WHERE doc_id = ?",
            (f"report:{filed.case_id}",),
        )
        cursor.execute("INSERT INTO view_knowledge_fts (doc_id, names, terms) VALUES ('report:gone', 'a', 'b')")
        cursor.execute("DROP TABLE temp.old_rows")
        cursor.execute("DELETE FROM view_knowledge_meta WHERE key = 'full_text_rowids'")
    assert {aligned for _, aligned in full_text_rows(views)} == {False}
    # Step: the next process's first batch aligns it; the retired article's row
    # goes, and only that one.
    app.handle(DEPUTY, RetireArticle(case=code, reason="Quy định đã thay đổi."))
    later = KnowledgeIndexModel(views, projection_context(app))
    Projector(app, views, [later], batch_size=4).catch_up()
    article = index.get(SourceKind.ARTICLE, code)
    assert article is None
    remaining = [doc_id for doc_id in docs if not doc_id.startswith("article:")]
    assert full_text_rows(views) == [(doc_id, True) for doc_id in remaining]
    report = later.get(SourceKind.REPORT, filed.code)
    assert report is not None
    assert filed.code in [hit.doc.ref for hit in later.search([], report.phrases.split())]


@pytest.fixture
def generator_server() -> Iterator[LoopbackGenerator]:
    with LoopbackGenerator() as server:
        yield server


def test_a_rephrasing_is_kept_only_when_it_keeps_every_citation(
    app: Ihanoi, projector: Projector, index: KnowledgeIndexModel, generator_server: LoopbackGenerator
) -> None:
    generator = OpenAICompatibleGenerator(generator_server.url, timeout=5)
    board = Switchboard(app, index, generator)
    # Step: the endpoint keeps the markers: its words are the answer, the citations unchanged.
    generator_server.reply = "Bạn cần nộp lệ phí như sau [1]."
    kept = board.resolve(CITIZEN, "lệ phí đăng ký kết hôn")
    assert kept.generated
    assert kept.answer == "Bạn cần nộp lệ phí như sau [1]."
    assert kept.citations[0].ref == "marriage_registration"
    assert generator_server.requests[-1]["messages"][1]["content"].count("[1]") == 1
    # Step: it drops a marker: discarded, the extractive answer stands.
    generator_server.reply = "Lệ phí là 500.000 đồng."
    dropped = board.resolve(CITIZEN, "lệ phí đăng ký kết hôn")
    assert not dropped.generated
    assert dropped.answer is not None
    assert "Miễn lệ phí" in dropped.answer
    # Step: the endpoint is down: extractive again, nothing fails.
    generator_server.status = 503
    assert not board.resolve(CITIZEN, "lệ phí đăng ký kết hôn").generated


def test_my_cases_without_a_code_answers_from_the_askers_own_latest_cases(
    app: Ihanoi, views: ViewDatabase, index: KnowledgeIndexModel
) -> None:
    statuses = CaseStatusModel(views, projection_context(app))
    projector = Projector(app, views, [index, statuses])
    board = Switchboard(app, index, my_cases=lambda who: statuses.list_for_owner(who.subject, limit=10))
    location = LocationIn(ward="HOAN_KIEM")
    filed = app.handle(CITIZEN, SubmitReport(category="pothole", description="Ổ gà", location=location))
    app.handle(NEIGHBOUR, SubmitReport(category="pothole", description="Ổ gà khác", location=location))
    projector.catch_up()
    # Step: the reporter's own report, and only theirs, answers; the code without dashes is read too.
    mine = board.resolve(CITIZEN, "ho so cua toi den dau roi")
    assert [citation.ref for citation in mine.citations] == [filed.code]
    assert board.resolve(CITIZEN, f"hồ sơ {filed.code.replace('-', '')}?").citations[0].ref == filed.code
    # Step: someone with no case gets what the sources say, here nothing: handed off.
    assert board.resolve(Principal("vneid:000", Role.CITIZEN), "phản ánh của tôi thế nào rồi").handed_off


def test_the_deadline_watcher_reminds_records_the_miss_and_escalates_an_unanswered_question(
    app: Ihanoi, views: ViewDatabase, index: KnowledgeIndexModel, switchboard: Switchboard, clock: FakeClock
) -> None:
    clocks = DeadlineClocksModel(views, projection_context(app))
    projector = Projector(app, views, [index, clocks])
    # Step: handed off on a Wednesday morning, due 8 working hours later.
    handed = app.handle(CITIZEN, AskQuestion(text="thủ tục làm hộ chiếu"))
    projector.catch_up()
    watcher = Watcher(app, clocks, lambda _: projector.catch_up(), clock=clock)
    # Step: three days later nobody has answered: the miss and the escalation fire, once.
    clock.advance(hours=72)
    fired = {due.threshold for due in watcher.run_once()}
    assert {"missed", "escalation"} <= fired
    assert watcher.run_once() == []
    names = {type(event).__name__ for event in app.events.get(handed.case_id)}
    assert {"DeadlineMissed", "EscalatedForOverdue"} <= names
    # Step: the agency above, a co-owner now, sees it.
    assert app.get_case(Principal("leader-ubnd", Role.LEADER, "UBND_TP"), handed.case_id)["status"] == "handed_off"
