"""The business portal (issue #18): filing and answering inquiries beside
filing and resolving field reports on the same store, and tax-code checks
beside a bare regular-expression match, measured in the same run, as ratios.

- Inquiries: a household business's inquiry filed (routed, its due time
  counted on the working calendar, the person's text sealed) and answered
  with its legal basis — 2 commands — beside a report submitted, acknowledged,
  assigned and resolved (4 commands), per command, on SQLite (one client) and
  PostgreSQL (eight).
- Tax codes: ``tax_code.normalise`` (separators, length, province, branch
  suffix, the weighted check digit) over a mix of valid and invalid codes,
  beside ``re.fullmatch`` of the shape alone (no check digit): what the
  check digit costs.

Run alone: ``.venv/bin/python -m benchmarks.business``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import random
import re

from benchmarks.common import MASTER_KEY, Figure, concurrent_rate, postgres_database, print_figures, rate, sqlite_file
from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.business import AnswerInquiry, SubmitBusinessInquiry
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, ResolveReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain import tax_code
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.settings import Settings

PG_CLIENTS = 8
LOCATION = LocationIn(ward="HOAN_KIEM", latitude=21.03, longitude=105.85)
BUSINESS = Principal("vneid:bench-business", Role.BUSINESS, "0100109106")
STC = Principal("officer-stc", Role.OFFICER, "STC")
TEXT = "Hộ kinh doanh hỏi mức thuế khoán năm 2027 và cách kê khai doanh thu theo quý."
BASIS = "Thông tư số 40/2021/TT-BTC ngày 01/06/2021 của Bộ Tài chính, Điều 7"
SHAPE = re.compile(r"[0-9]{10}(-?[0-9]{3})?")


def inquiry_life(app: Ihanoi) -> int:
    filed = app.handle(BUSINESS, SubmitBusinessInquiry(tax_code=BUSINESS.organisation or "",
                                                       business_kind=BusinessKind.HOUSEHOLD, topic="tax_fees",
                                                       text=TEXT))  # fmt: skip
    app.handle(STC, AnswerInquiry(case=filed.case_id, answer="Theo thông báo của cơ quan thuế.", legal_basis=BASIS))
    return 2


def report_life(app: Ihanoi, subjects: itertools.count[int]) -> int:
    citizen = Principal(f"vneid:bench-{next(subjects) % 300}", Role.CITIZEN)
    officer = Principal("officer-bench", Role.OFFICER, app.directory.route("pothole", "HOAN_KIEM").code)
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà trước số 12", location=LOCATION))
    app.handle(officer, AcknowledgeReport(case=filed.case_id))
    app.handle(officer, AssignReport(case=filed.case_id, assignee="officer-bench"))
    app.handle(officer, ResolveReport(case=filed.case_id, answer="Đã vá"))
    return 4


def write_rates(settings: Settings, clients: int) -> tuple[float, float]:
    """Commands/s of inquiries and of reports, on the same fresh store."""
    app = Ihanoi(settings)
    try:
        measure = rate if clients == 1 else functools.partial(concurrent_rate, clients=clients)
        inquiries = measure(functools.partial(inquiry_life, app))
        reports = measure(functools.partial(report_life, app, itertools.count()))
        return inquiries, reports
    finally:
        app.close()


def codes(count: int = 2000, seed: int = 18) -> list[str]:
    """Valid codes (10 and 13 digits, some written with separators) and as many with a wrong check digit."""
    chance = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        nine = f"{chance.randint(1, 99):02d}{chance.randint(1, 9_999_999):07d}"
        digit = tax_code.check_digit(nine)
        if digit is None:
            continue
        valid = nine + str(digit) + (f"-{chance.randint(1, 999):03d}" if chance.random() < 0.3 else "")
        found += [valid, nine + str((digit + 1) % 10)]
    return found


def check_all(batch: list[str]) -> int:
    for code in batch:
        with contextlib.suppress(ValidationError):
            tax_code.normalise(code)
    return len(batch)


def match_all(batch: list[str]) -> int:
    for code in batch:
        SHAPE.fullmatch(code)
    return len(batch)


def run() -> list[Figure]:
    with sqlite_file() as path:
        sqlite = write_rates(Settings(database_url=f"sqlite:///{path}", pii_master_key=MASTER_KEY), 1)
    with postgres_database() as url:
        settings = Settings(database_url=url, postgres_pool_size=PG_CLIENTS, pii_master_key=MASTER_KEY)
        postgres = write_rates(settings, PG_CLIENTS)
    batch = codes()
    checked, matched = rate(functools.partial(check_all, batch)), rate(functools.partial(match_all, batch))
    figures = [
        Figure("SQLite inquiry commands/s (file, answer)", sqlite[0], "cmd/s", "report commands/s, same store",
               sqlite[1]),
        Figure(f"PostgreSQL inquiry commands/s ({PG_CLIENTS} clients)", postgres[0], "cmd/s",
               "report commands/s, same store", postgres[1]),
        Figure("tax-code checks/s (check digit, normalised)", checked, "codes/s", "bare regex fullmatch/s", matched),
    ]  # fmt: skip
    print_figures("The business portal (inquiries / reports; tax-code check / regex)", figures)
    return figures


if __name__ == "__main__":
    run()
