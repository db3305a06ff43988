"""Which wards an alert's polygon or circle covers: a ward is covered when its
directory centre lies inside (the directory has centres, not boundaries)."""

from __future__ import annotations

import pytest

from ihanoi_core.domain.alert_values import AlertArea, Circle
from ihanoi_core.geometry import covered_wards, distance_km, within_polygon

SQUARE = ((21.0, 105.8), (21.1, 105.8), (21.1, 105.9), (21.0, 105.9), (21.0, 105.8))
CENTRES = {"IN": (21.05, 105.85), "OUT": (21.15, 105.85), "EAST": (21.05, 105.95)}


@pytest.mark.parametrize(("ward", "inside"), [("IN", True), ("OUT", False), ("EAST", False)])
def test_a_point_is_inside_a_closed_ring_by_the_even_odd_rule(ward: str, inside: bool) -> None:
    assert within_polygon(CENTRES[ward], SQUARE) is inside


def test_a_concave_ring_leaves_its_notch_uncovered() -> None:
    notched = ((21.0, 105.8), (21.1, 105.8), (21.1, 105.9), (21.05, 105.85), (21.0, 105.9), (21.0, 105.8))
    assert within_polygon((21.02, 105.82), notched)
    assert not within_polygon((21.05, 105.88), notched)


def test_the_great_circle_distance_of_a_tenth_of_a_degree_of_latitude_is_about_11_km() -> None:
    assert distance_km((21.0, 105.8), (21.1, 105.8)) == pytest.approx(11.12, abs=0.01)
    assert distance_km((21.0, 105.8), (21.0, 105.8)) == 0


def test_an_area_covers_the_wards_whose_centre_its_polygon_or_a_circle_contains() -> None:
    assert covered_wards(AlertArea(wards=(), polygon=SQUARE), CENTRES) == ("IN",)
    circle = Circle(21.05, 105.95, 2.0)
    assert covered_wards(AlertArea(wards=(), polygon=SQUARE, circles=(circle,)), CENTRES) == ("IN", "EAST")
    assert covered_wards(AlertArea(wards=("OUT",)), CENTRES) == ()
    # A malformed shape covers nothing (the content check names it).
    assert covered_wards(AlertArea(wards=(), polygon=SQUARE[:3]), CENTRES) == ()
