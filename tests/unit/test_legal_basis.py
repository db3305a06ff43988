"""Every legal period the shipped directory holds names its source (DESIGN §10):
the document's number, article, date and issuer, or says plainly that it is
unverified and why, or that it is ihanoi's own configurable default."""

from __future__ import annotations

import pytest

from ihanoi_core.directory import load_directory
from ihanoi_core.domain.values import DeadlineRule
from ihanoi_core.law.basis import BasisKind, basis_kind, source_problem


def _shipped_rules() -> list[tuple[str, DeadlineRule]]:
    hanoi = load_directory()
    rules = [(f"deadlines.{name}", rule) for name, rule in hanoi.deadlines.items()]
    rules += [
        (f"categories.{category.code}.deadlines.{name}", rule)
        for category in hanoi.categories.values()
        for name, rule in category.deadlines.items()
    ]
    rules += [
        (f"procedures.{procedure.code}.processing", procedure.processing) for procedure in hanoi.procedures.values()
    ]
    return rules


@pytest.mark.parametrize(("key", "rule"), _shipped_rules(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_shipped_rule_names_its_source(key: str, rule: DeadlineRule) -> None:
    assert source_problem(rule.legal_basis) is None, f"{key}: {rule.legal_basis}"


def test_a_basis_naming_only_a_law_without_article_date_or_issuer_is_not_a_source() -> None:
    assert source_problem("Luật Khiếu nại 2011") == (
        "names no the document number, the article, the document's date (dd/mm/yyyy), the issuer"
    )


def test_a_full_citation_is_a_source() -> None:
    basis = "Luật Tố cáo số 25/2018/QH14 của Quốc hội (hiệu lực 01/01/2019), Điều 30"
    assert source_problem(basis) is None
    assert basis_kind(basis) is BasisKind.SOURCED


def test_an_unverified_rule_must_say_why_and_still_name_its_document() -> None:
    assert source_problem("unverified: — Nghị định số 45/2020/NĐ-CP của Chính phủ") is not None
    assert source_problem("unverified: the text could not be read here") is not None
    basis = "unverified: the text could not be read here — Nghị định số 45/2020/NĐ-CP của Chính phủ"
    assert source_problem(basis) is None
    assert basis_kind(basis) is BasisKind.UNVERIFIED


def test_a_project_default_must_say_why_no_text_sets_it() -> None:
    assert source_problem("project default") is not None
    assert basis_kind("project default, configurable: no text sets it") is BasisKind.PROJECT_DEFAULT


def test_the_report_periods_for_normal_and_complex_reports_are_declared_project_defaults() -> None:
    hanoi = load_directory()
    for name in ("report_resolve_normal", "report_resolve_complex", "report_reopen_window"):
        assert basis_kind(hanoi.deadlines[name].legal_basis) is BasisKind.PROJECT_DEFAULT


def test_complaint_and_denunciation_bases_name_the_2025_amending_law() -> None:
    hanoi = load_directory()
    for name, rule in hanoi.deadlines.items():
        if name.startswith(("complaint_", "denunciation_")):
            assert "136/2025/QH15" in rule.legal_basis, name


def test_the_deadline_watchers_rules_are_declared_project_defaults() -> None:
    hanoi = load_directory()
    for name in ("watch_reminder_before_due", "watch_escalation_grace", "watch_escalated_resolve"):
        assert basis_kind(hanoi.deadlines[name].legal_basis) is BasisKind.PROJECT_DEFAULT, name
    share = hanoi.deadline_watch
    assert share.reminder_share_percent == 75
    assert source_problem(share.reminder_share_basis) is None
    assert basis_kind(share.reminder_share_basis) is BasisKind.PROJECT_DEFAULT
