"""Subscriptions to new reports in an area (issue #14), as FixMyStreet's
local alerts: a person hears of each new public field report in a ward,
within a radius of a point, and/or of a category.

A subscription is a small value on the person's ``Contactability``: a ward
code, a point with a radius in metres, a category code — at least one, and
every one given must match (``ward`` HOAN_KIEM and ``category`` pothole: the
potholes of Hoàn Kiếm). Its id is derived from the person and the values, so
subscribing twice to the same area is one subscription. A person has at most
``MAX_REPORT_AREAS``. Pure: no I/O; the application passes the directory's
codes to check against.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from ihanoi_core.errors import ValidationError

REPORT_AREA_NAMESPACE = uuid5(NAMESPACE_URL, "https://ihanoi.local/report-area")
MAX_REPORT_AREAS = 10
MIN_RADIUS_M = 50
MAX_RADIUS_M = 5000
REPORT_AREA_KIND = "report_area"


def check_report_area(
    *,
    ward: str | None,
    category: str | None,
    latitude: float | None,
    longitude: float | None,
    radius_m: int | None,
    wards: Container[str],
    categories: Container[str],
) -> dict[str, Any]:
    """The subscription's values, checked: ``ValidationError`` naming each bad field."""
    errors: dict[str, str] = {}
    if latitude is not None and longitude is not None and radius_m is not None:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            errors["near"] = "latitude in [-90, 90], longitude in [-180, 180]"
        elif not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
            errors["radius_m"] = f"from {MIN_RADIUS_M} to {MAX_RADIUS_M} metres"
    elif (latitude, longitude, radius_m) != (None, None, None):
        errors["near"] = "give latitude, longitude and radius_m together"
    if ward is not None and ward not in wards:
        errors["ward"] = f"unknown ward {ward!r}"
    if category is not None and category not in categories:
        errors["category"] = f"unknown category {category!r}"
    if ward is None and category is None and latitude is None and not errors:
        errors["ward"] = "give a ward, a point with a radius, or a category (or several)"
    if errors:
        raise ValidationError(errors)
    return {"ward": ward, "category": category, "latitude": latitude, "longitude": longitude, "radius_m": radius_m}


def report_area_id(contactability: UUID, area: Mapping[str, Any]) -> str:
    """The subscription's id: the same for the same person and values."""
    canonical = "\x1f".join(f"{name}={area[name]}" for name in sorted(area))
    return str(uuid5(REPORT_AREA_NAMESPACE, f"{contactability}\x1f{canonical}"))
