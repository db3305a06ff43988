"""The Q&A switchboard on 10,000 articles: the whole evaluation set
(benchmarks/questions_eval.toml, both parts) answered against the catalogue,
the sample articles and 10,000 filler articles written from everyday
municipal Vietnamese (notices, plans, schedules: the words citizens' questions
share with them — đăng ký, hồ sơ, phường, giấy — included), on SQLite and on
PostgreSQL.

Printed per store: recall@1, recall@3 and MRR of the switchboard beside the
same figures of a bare full-text ranking (the question's folded syllables
and bigrams straight into the same index, FTS5 ``bm25`` / ``ts_rank``, top 3,
no synonyms, no stopwords, no threshold);
hand-off precision beside the ideal (1.0 — and how many unanswerable
questions were answered, which must be none); and the p99 latency of
answering (``Switchboard.resolve``: analysis, search, scoring, the answer)
beside the p99 of that bare full-text query alone, in microseconds; and the
rate at which the index takes the changes of reports not yet answered (each
looked up and removed, none added) beside the same into an index of the
catalogue alone: a change must not cost more as the index grows.

Run alone: ``.venv/bin/python -m benchmarks.questions``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from benchmarks.common import Figure, postgres_database, print_figures, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.question_values import SourceKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.knowledge.articles import import_articles, read_articles
from ihanoi_core.knowledge.text import bigrams, syllables
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import ViewDatabase, open_view_database
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.knowledge_docs import Hit, IndexedDoc, document
from ihanoi_projections.knowledge_index import KnowledgeIndexModel
from ihanoi_projections.queries.question_eval import ASKER, EvalQuestion, evaluate, read_eval_set
from ihanoi_projections.queries.questions import Switchboard
from tests.integration.conftest import projection_context

EVAL_SET = Path(__file__).parent / "questions_eval.toml"
FILLERS = 10_000
ROUNDS = 3
# Reports filed after the index is built, each submitted and acknowledged.
REPORTS = 1_000
REPORTER = Principal("vneid:001099012345", Role.CITIZEN)
WARD_OFFICER = Principal("officer-bench", Role.OFFICER, "UBND_HOAN_KIEM")
TOPICS = (
    "Thông báo lịch thu gom rác", "Kế hoạch tổ chức hội nghị", "Tập huấn phòng cháy chữa cháy",
    "Hướng dẫn bầu cử tổ dân phố", "Lịch sinh hoạt văn hóa thể thao", "Phân luồng giao thông",
    "Kế hoạch trồng cây xanh", "Thông báo tạm dừng cấp nước sạch", "Hội thi an toàn giao thông",
    "Chương trình khám sức khỏe miễn phí", "Kế hoạch kiểm tra an ninh trật tự", "Lịch tiếp công dân",
    "Thông báo chỉnh trang vỉa hè", "Phát động phong trào vệ sinh môi trường", "Tổng kết công tác năm",
    "Kế hoạch phòng chống dịch bệnh", "Lịch duy tu hệ thống chiếu sáng", "Thông báo nạo vét cống rãnh",
)  # fmt: skip
WORDS_TEXT = (
    "phường tổ dân phố người dân cán bộ đăng ký hồ sơ giấy thông báo kế hoạch tổ chức thực hiện theo quy "
    "định ủy ban nhân dân thành phố quận khu vực tuyến đường ngõ ngách thời gian địa điểm nội dung kết "
    "quả báo cáo công tác triển khai phối hợp đơn vị cơ quan tuyên truyền vận động hộ gia đình nhà văn "
    "hóa sân chơi trẻ em người cao tuổi học sinh sinh viên hội phụ nữ đoàn thanh niên cựu chiến binh mặt "
    "trận lễ hội truyền thống an toàn phòng chống kiểm tra xử lý vi phạm trật tự đô thị lấn chiếm vệ sinh "
    "môi trường cây xanh chiếu sáng cấp nước thoát nước điện lực viễn thông y tế giáo dục văn hóa thể "
    "thao du lịch lao động việc làm chính sách ngày tháng năm tuần sáng chiều tối thứ hai thứ ba thứ tư "
    "thứ năm thứ sáu thứ bảy chủ nhật"
)
WORDS = tuple(WORDS_TEXT.split())


def fillers(count: int, seed: int = 17) -> list[IndexedDoc]:
    """``count`` filler articles, the same every run."""
    chance = random.Random(seed)
    docs = []
    for number in range(count):
        title = f"{chance.choice(TOPICS)} {chance.choice(('tháng', 'quý', 'đợt'))} {chance.randint(1, 12)}"
        body = " ".join(chance.choice(WORDS) for _ in range(chance.randint(30, 70))).capitalize() + "."
        fields = {"body": body, "legal_basis": "filler", "source": "benchmark"}
        docs.append(document(f"article:fill-{number}", SourceKind.ARTICLE, f"BV-FILL-{number:05d}", title, fields,
                             None, 0))  # fmt: skip
    return docs


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1e6


def bare_search(index: KnowledgeIndexModel, text: str) -> list[Hit]:
    """The question's folded syllables and bigrams straight into the index
    (names and text), top 3: no synonyms, no stopwords, no scoring."""
    tokens = syllables(text)
    phrases = bigrams(tokens)
    return index.search(sorted({*tokens, *phrases}), sorted(set(phrases)), 3)


def bare_ranking(index: KnowledgeIndexModel, questions: list[EvalQuestion]) -> tuple[float, float, float]:
    """recall@1, recall@3 and MRR of the bare full-text ranking."""
    keys = {entry.title: entry.key for entry in read_articles()}
    answerable = [question for question in questions if question.sources]
    found_1 = found_3 = 0
    reciprocal = 0.0
    for question in answerable:
        hits = bare_search(index, question.text)
        labels = [
            f"article:{keys.get(hit.doc.title, hit.doc.ref)}" if hit.doc.kind is SourceKind.ARTICLE
            else f"{hit.doc.kind.value}:{hit.doc.ref}"
            for hit in hits
        ]  # fmt: skip
        rank = next((i + 1 for i, label in enumerate(labels) if label in question.sources), None)
        if rank is not None:
            found_1 += rank == 1
            found_3 += 1
            reciprocal += 1 / rank
    total = len(answerable)
    return found_1 / total, found_3 / total, reciprocal / total


def file_reports(app: Ihanoi, count: int) -> None:
    """``count`` reports, each submitted and acknowledged: changes of cases
    the index reads that give it no source (no public answer yet)."""
    for number in range(count):
        filed = app.handle(REPORTER, SubmitReport(category="pothole", description=f"Ổ gà số {number}",
                                                  location=LocationIn(ward="HOAN_KIEM")))  # fmt: skip
        app.handle(WARD_OFFICER, AcknowledgeReport(case=filed.case_id))


def changes_rates(app: Ihanoi, *indexes: tuple[ViewDatabase, KnowledgeIndexModel]) -> list[float]:
    """Events/s of each index alone catching up with new reports' changes. Two
    rounds of ``REPORTS // 2`` reports, the indexes in turn first and last: the
    first to read new events also decodes them into the application's caches."""
    events = [0] * len(indexes)
    seconds = [0.0] * len(indexes)
    for round_number in range(2):
        file_reports(app, REPORTS // 2)
        order = list(range(len(indexes)))
        for number in order if round_number == 0 else order[::-1]:
            views, index = indexes[number]
            started = time.perf_counter()
            events[number] += Projector(app, views, [index]).catch_up()
            seconds[number] += time.perf_counter() - started
    return [applied / taken for applied, taken in zip(events, seconds, strict=True)]


def measure(name: str, url: str, questions: list[EvalQuestion], ceiling_url: str) -> list[Figure]:
    settings = Settings(database_url=url, env="test")
    app = Ihanoi(settings)
    views = open_view_database(settings)
    small_views = open_view_database(Settings(database_url=ceiling_url, env="test"))
    try:
        import_articles(app, read_articles(), approver="leader:bench")
        index = KnowledgeIndexModel(views, projection_context(app))
        Projector(app, views, [index]).catch_up()
        small = KnowledgeIndexModel(small_views, projection_context(app))
        Projector(app, small_views, [small]).catch_up()
        index.load(fillers(FILLERS))
        assert index.count() >= FILLERS
        figures = evaluate(app, index, questions)
        bare_1, bare_3, bare_mrr = bare_ranking(index, questions)
        switchboard = Switchboard(app, index)
        answering: list[float] = []
        searching: list[float] = []
        for _ in range(ROUNDS):
            for question in questions:
                answering.append(timed(partial(switchboard.resolve, ASKER, question.text)))
                searching.append(timed(partial(bare_search, index, question.text)))
        # Changes of cases the index reads cost the same whatever its size:
        # the same events into an index of the catalogue alone are the ceiling.
        loaded, alone = changes_rates(app, (views, index), (small_views, small))
        print(f"  {name}: {len(questions)} questions on {index.count():,} sources; misses:")
        for miss in figures.misses:
            print(f"    {miss}")
        return [
            Figure(f"{name} recall@1 (%)", 100 * figures.recall_at_1, "%", "bare FTS recall@1 (%)", 100 * bare_1),
            Figure(f"{name} recall@3 (%)", 100 * figures.recall_at_3, "%", "bare FTS recall@3 (%)", 100 * bare_3),
            Figure(f"{name} MRR (%)", 100 * figures.mrr, "%", "bare FTS MRR (%)", 100 * bare_mrr),
            Figure(
                f"{name} hand-off precision (%), {figures.answered_unanswerable} unanswerable answered",
                100 * figures.handoff_precision, "%", "ideal (%)", 100.0,
            ),
            Figure(f"{name} p99 answer latency", percentile(answering, 0.99), "µs",
                   "bare FTS query p99", percentile(searching, 0.99)),
            Figure(f"{name} report changes/s into the index of {index.count():,}", loaded, "events/s",
                   f"same, into the catalogue's {small.count():,}", alone),
        ]  # fmt: skip
    finally:
        small_views.close()
        views.close()
        app.close()


def run() -> list[Figure]:
    questions = read_eval_set(EVAL_SET)
    figures: list[Figure] = []
    with sqlite_file() as path, sqlite_file() as ceiling:
        figures += measure("SQLite", f"sqlite:///{path}", questions, f"sqlite:///{ceiling}")
    with postgres_database() as url, postgres_database() as ceiling_url:
        figures += measure("PostgreSQL", url, questions, ceiling_url)
    print_figures(f"Q&A switchboard ({len(questions)} questions, {FILLERS:,} filler articles)", figures)
    return figures


if __name__ == "__main__":
    run()
