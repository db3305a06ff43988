"""Which wards an alert's polygon or circles reach (cảnh báo theo vùng vẽ):
plain geometry on WGS 84 points, outside the domain, which computes nothing
of the kind (``math`` is not among its imports).

People subscribe to wards, so an area drawn as a polygon or circles reaches
the wards it covers. The directory knows each ward's approximate centre, not
its boundary, so a ward is covered when its centre lies inside a shape: the
even-odd rule on the plane of latitude and longitude for a polygon (exact
enough for a city, far from the poles and the antimeridian), the
great-circle distance for a circle. The handler adds the covered wards to
an area's own when the alert is drafted or revised, so the leader approves
and the event records the very wards the alert will reach.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import replace

from ihanoi_core.domain.alert_values import AlertArea, circle_problem, polygon_problem

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


def within_polygon(point: tuple[float, float], polygon: tuple[tuple[float, float], ...]) -> bool:
    """Whether ``point`` (latitude, longitude) lies inside the closed ring
    ``polygon`` (even-odd rule on the plane of latitude and longitude: exact
    enough for a city's wards, far from the poles and the antimeridian)."""
    latitude, longitude = point
    inside = False
    for (lat_a, lon_a), (lat_b, lon_b) in itertools.pairwise(polygon):
        if (lat_a > latitude) != (lat_b > latitude):
            crossing = lon_a + (latitude - lat_a) * (lon_b - lon_a) / (lat_b - lat_a)
            if longitude < crossing:
                inside = not inside
    return inside


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two WGS 84 points (haversine)."""
    lat_a, lon_a, lat_b, lon_b = map(math.radians, (*a, *b))
    h = math.sin((lat_b - lat_a) / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin((lon_b - lon_a) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def covered_wards(area: AlertArea, centres: Mapping[str, tuple[float, float]]) -> tuple[str, ...]:
    """The wards whose centre lies in the area's polygon or one of its
    circles, in ``centres`` order. The directory knows each ward's
    approximate centre, not its boundary, so a ward is covered when its
    centre is: one a polygon only grazes is not."""
    polygon = area.polygon if area.polygon and polygon_problem(area.polygon) is None else ()
    circles = [circle for circle in area.circles if circle_problem(circle) is None]
    if not polygon and not circles:
        return ()
    return tuple(
        ward
        for ward, centre in centres.items()
        if (polygon and within_polygon(centre, polygon))
        or any(distance_km(centre, (c.latitude, c.longitude)) <= c.radius_km for c in circles)
    )


def with_covered_wards(area: AlertArea, centres: Mapping[str, tuple[float, float]]) -> AlertArea:
    """The area with the wards its polygon and circles cover added after those it names."""
    covered = [ward for ward in covered_wards(area, centres) if ward not in area.wards]
    return replace(area, wards=(*area.wards, *covered)) if covered else area
