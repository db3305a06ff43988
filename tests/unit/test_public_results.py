"""The minimum-volume rule's arithmetic and the public pages' strings, without I/O."""

from __future__ import annotations

import pytest

from ihanoi_projections.public_results.figures import withheld
from ihanoi_server.public.i18n import STRINGS


@pytest.mark.parametrize(
    ("counts", "remainder", "hidden"),
    [
        ({"a": 12, "b": 30}, 0, set()),  # nothing small: nothing withheld
        ({"a": 3, "b": 30, "c": 12}, 0, {"a", "c"}),  # a alone = total − b − c: the smallest other goes too
        ({"a": 3, "b": 8, "c": 30}, 0, {"a", "b"}),  # both small, 11 together: enough
        ({"a": 4, "b": 4, "c": 4}, 0, {"a", "b", "c"}),  # all small: all withheld, the total says 12
        ({"a": 0, "b": 30}, 0, set()),  # an empty group withholds nothing
        ({"a": 30, "b": 12}, 4, {"b"}),  # 4 withheld elsewhere: the smallest shown one completes them
        ({"a": 30, "b": 12}, 10, set()),  # 10 withheld elsewhere are enough on their own
    ],
)
def test_small_counts_are_withheld_with_enough_others_that_no_subtraction_recovers_them(
    counts: dict[str, int], remainder: int, hidden: set[str]
) -> None:
    assert withheld(counts, 10, remainder=remainder) == hidden


def test_both_languages_have_the_same_strings() -> None:
    assert set(STRINGS["vi"]) == set(STRINGS["en"])
    assert STRINGS["vi"]["number.decimal"] == ","
    assert STRINGS["en"]["number.decimal"] == "."
