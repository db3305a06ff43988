"""The directory's ``[alerts]`` table: templates for the city's frequent
warnings and the flood-hotspot threshold.

A template pre-fills an alert (CAP category, urgency, severity, certainty,
how long it lasts, texts in Vietnamese and English); the drafter still names
the wards and may change anything. The flood-hotspot threshold says when open
``flooding`` reports suggest a warning to the responsible agency's leader
(``ihanoi_projections.flood_hotspots``); nothing is ever issued by it. Every
figure names its ``basis``: the sample's are a project default, configurable
per deployment, not a legal or hydrological standard.

The table is optional: a directory without it has no templates and suggests
nothing.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ihanoi_core.domain.alert_values import CapCategory, Certainty, ResponseType, Severity, Urgency

Text = Annotated[str, Meta(min_length=1, max_length=4000)]
Short = Annotated[str, Meta(min_length=1, max_length=160)]


class AlertTemplate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A warning the city issues often (ngập úng, bão, rét đậm …), as data."""

    code: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    name_vi: Short
    name_en: Short
    category: CapCategory
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    response_type: ResponseType | None = None
    # How long the warning lasts unless the drafter says otherwise.
    hours: Annotated[int, Meta(ge=1, le=24 * 14)]
    event_vi: Short
    event_en: Short
    headline_vi: Short
    headline_en: Short
    description_vi: Text
    description_en: Text
    instruction_vi: Annotated[str, Meta(max_length=4000)] = ""
    instruction_en: Annotated[str, Meta(max_length=4000)] = ""


class FloodHotspots(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """When open flood reports suggest a warning: in one ward, within one
    clock hour, at least ``reports_per_hour`` open reports of ``category``, or
    one whose reported ``depth_attribute`` reaches ``depth_cm``. Hours older
    than ``window_hours`` are not suggested any more."""

    category: str = "flooding"
    depth_attribute: str | None = "depth_cm"
    reports_per_hour: Annotated[int, Meta(ge=1, le=10_000)] = 3
    depth_cm: Annotated[int, Meta(ge=1, le=10_000)] = 30
    window_hours: Annotated[int, Meta(ge=1, le=72)] = 3
    template: str | None = None
    basis: Annotated[str, Meta(min_length=1, max_length=500)]


class AlertDirectory(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The ``[alerts]`` table (see module docstring)."""

    templates: tuple[AlertTemplate, ...] = ()
    flood_hotspots: FloodHotspots | None = None

    def template(self, code: str) -> AlertTemplate | None:
        return next((template for template in self.templates if template.code == code), None)


def alert_problems(alerts: AlertDirectory, attributes_of: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """What a schema cannot check, as (key, problem): unique template codes,
    and a hotspot threshold naming a known category, one of its attributes
    and a known template. ``attributes_of`` maps each category code to its
    attribute codes."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, template in enumerate(alerts.templates):
        if template.code in seen:
            problems.append((f"alerts.templates[{index}].code", f"duplicates template {template.code!r}"))
        seen.add(template.code)
    hotspots = alerts.flood_hotspots
    if hotspots is not None:
        key = "alerts.flood_hotspots"
        if hotspots.category not in attributes_of:
            problems.append((f"{key}.category", f"unknown category {hotspots.category!r}"))
        elif hotspots.depth_attribute is not None and hotspots.depth_attribute not in attributes_of[hotspots.category]:
            problems.append((f"{key}.depth_attribute", f"category {hotspots.category!r} has no such attribute"))
        if hotspots.template is not None and hotspots.template not in seen:
            problems.append((f"{key}.template", f"unknown template {hotspots.template!r}"))
    return problems
