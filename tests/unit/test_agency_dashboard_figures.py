"""The pure pieces of the agency dashboard: nearest-rank percentiles and the
per-kind resolution table."""

from __future__ import annotations

import pytest

from ihanoi_projections.agency_dashboard.facts import RULES
from ihanoi_projections.agency_dashboard.figures import nearest_rank


def test_the_median_of_an_odd_count_is_the_middle_value() -> None:
    assert nearest_rank([7.0, 1.0, 46.0, 2.5, 4.0, 10.5, 3.0], 50) == 4.0


def test_the_median_of_an_even_count_is_the_lower_middle_value_not_an_average() -> None:
    # Rank ⌈50·4/100⌉ = 2 of [1, 3, 4, 10.5].
    assert nearest_rank([10.5, 1.0, 4.0, 3.0], 50) == 3.0


def test_the_90th_percentile_rounds_the_rank_up() -> None:
    # Rank ⌈90·7/100⌉ = ⌈6.3⌉ = 7: the largest of seven values.
    assert nearest_rank([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 90) == 7.0
    # Rank ⌈90·20/100⌉ = 18.
    assert nearest_rank([float(n) for n in range(1, 21)], 90) == 18.0


def test_a_rank_that_is_a_whole_number_is_not_pushed_up_by_floating_point() -> None:
    # 0.7 · 10 is 7.000000000000001 in floating point; the rank must stay 7.
    assert nearest_rank([float(n) for n in range(1, 11)], 70) == 7.0


def test_one_value_is_every_percentile_and_no_value_has_none() -> None:
    assert nearest_rank([5.0], 50) == 5.0
    assert nearest_rank([5.0], 90) == 5.0
    assert nearest_rank([], 50) is None


@pytest.mark.parametrize("percent", [0, 101, -5])
def test_a_percentile_outside_1_to_100_is_refused(percent: int) -> None:
    with pytest.raises(ValueError, match="from 1 to 100"):
        nearest_rank([1.0], percent)


def test_every_case_kind_with_a_deadline_has_one_resolution_rule() -> None:
    assert set(RULES) == {"report", "dossier", "complaint", "denunciation"}
    assert [RULES[kind].resolved_by for kind in sorted(RULES)] == [
        "Decided", "Concluded", "MarkedResultReady", "Resolved",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "status", "is_open"),
    [
        ("report", "in_progress", True),
        ("report", "transferred", True),
        ("report", "resolved", False),
        ("report", "duplicate", False),
        ("dossier", "supplement_requested", True),
        ("dossier", "result_ready", False),
        ("dossier", "withdrawn", False),
        ("complaint", "accepted", True),
        ("complaint", "decided", False),
        ("denunciation", "preliminary_check", True),
        ("denunciation", "refused", False),
    ],
)
def test_a_case_is_open_until_it_is_resolved_or_closed_without_resolution(
    kind: str, status: str, is_open: bool
) -> None:
    assert RULES[kind].is_open(status) is is_open
