"""Retention rules (legal holds on personal data) are directory data: each names
its legal basis, the loader refuses a malformed one naming the key, and a rule
holds a case while open, for good, or for some years after it became final."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ihanoi_core.directory import directory_from_toml, load_directory
from ihanoi_core.directory.model import RetentionRule
from ihanoi_core.law.basis import source_problem
from tests.unit.test_directory import BASE, load_error

RULE = """
[[retention]]
code = "open_complaint"
kinds = ["complaint"]
held = "while_open"
legal_basis = "project default, configurable: a test rule"
"""
CLOSED = datetime(2026, 2, 28, 10, tzinfo=UTC)


@pytest.mark.parametrize("rule", load_directory().retention, ids=lambda rule: rule.code)
def test_every_shipped_retention_rule_names_its_source(rule: RetentionRule) -> None:
    assert source_problem(rule.legal_basis) is None, rule.legal_basis


def test_the_hanoi_sample_holds_open_complaints_denunciation_files_and_dossiers() -> None:
    rules = {rule.code: (rule.kinds, rule.held) for rule in load_directory().retention}
    assert rules == {
        "open_complaint": (("complaint",), "while_open"),
        "denunciation_file": (("denunciation",), "always"),
        "dossier_archive": (("dossier",), "always"),
    }


def test_a_rule_is_read_from_the_file() -> None:
    (rule,) = directory_from_toml(BASE + RULE).retention
    assert (rule.code, rule.kinds, rule.held, rule.years) == ("open_complaint", ("complaint",), "while_open", 0)


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ('kinds = ["complaint"]', 'kinds = ["petition"]', "retention[0].kinds", "unknown kind 'petition'"),
        ('kinds = ["complaint"]', "kinds = []", "retention[0].kinds", "at least one kind"),
        ('held = "while_open"', 'held = "forever"', "retention[0].held", "must be one of"),
        ('held = "while_open"', 'held = "years_after_final"', "retention[0].years", "a positive number of years"),
        ('held = "while_open"', 'held = "always"\nyears = 5', "retention[0].years", "a positive number of years"),
        ('legal_basis = "project default, configurable: a test rule"', 'legal_basis = " "',
         "retention[0].legal_basis", "must not be empty"),
    ],
)  # fmt: skip
def test_a_malformed_rule_is_refused_naming_its_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    error = load_error(tmp_path, BASE + RULE.replace(old, new))
    assert error.key == key
    assert problem in error.problem


def test_two_rules_with_one_code_are_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, BASE + RULE + RULE)
    assert error.key == "retention[1].code"


def rule(held: str, years: int = 0) -> RetentionRule:
    return RetentionRule(code="r", kinds=("dossier",), held=held, years=years, legal_basis="project default: test")


def test_a_rule_holds_its_kinds_only_and_as_long_as_it_says() -> None:
    later = CLOSED.replace(year=2027)
    assert not rule("always").holds("report", True, CLOSED, later)
    assert rule("always").holds("dossier", True, CLOSED, later)
    assert rule("while_open").holds("dossier", False, CLOSED, later)
    assert not rule("while_open").holds("dossier", True, CLOSED, later)
    assert rule("years_after_final", 2).holds("dossier", True, CLOSED, later)
    assert not rule("years_after_final", 1).holds("dossier", True, CLOSED, later)
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert rule("years_after_final", 1).holds("dossier", True, leap, datetime(2029, 2, 28, tzinfo=UTC))
    assert not rule("years_after_final", 1).holds("dossier", True, leap, datetime(2029, 3, 1, tzinfo=UTC))
