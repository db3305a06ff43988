"""The leader dashboard's weekly chart as SVG, rendered on the server.

``weekly_chart_svg`` draws three bars per ISO week — received, resolved on
time, resolved late — on one linear scale from 0, so a bar's height is exactly
proportional to its value; each bar carries ``data-series``, ``data-week`` and
``data-value`` and a ``<title>`` tooltip. Every text and attribute goes
through ``pages.e`` (``html.escape``). A pure function: no request, no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ihanoi_projections.agency_dashboard.figures import WeekFigures
from ihanoi_projections.queries.dashboard import iso_week
from ihanoi_server.dashboard.pages import e

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 52, 48
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
SERIES: tuple[tuple[str, str, str], ...] = (
    ("received", "chart.received", "#2563eb"),
    ("resolved_on_time", "chart.on_time", "#15803d"),
    ("resolved_late", "chart.late", "#dc2626"),
)
MAX_X_LABELS = 12


def _n(value: float) -> str:
    return f"{value:.2f}"


def nice_step(maximum: int, max_ticks: int = 5) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ step that covers ``maximum`` in at most
    ``max_ticks`` steps."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if maximum <= step * max_ticks:
                return step
        magnitude *= 10


def weekly_chart_svg(weeks: Sequence[WeekFigures], text: Mapping[str, str], *, caption: str = "") -> str:
    """The weekly trend as a standalone SVG document (see module docstring)."""
    title = text["chart.title"]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="weekly-chart" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        'aria-labelledby="chart-title chart-desc" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="chart-title">{e(title)}</title>',
        f'<desc id="chart-desc">{e(caption)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for index, (_, key, colour) in enumerate(SERIES):
        x = LEFT + index * 190
        parts.append(
            f'<g class="legend"><rect x="{x}" y="14" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="24" fill="#1f2937">{e(text[key])}</text></g>'
        )
    if not weeks:
        parts.append(
            f'<text class="no-data" x="{WIDTH / 2:.0f}" y="{TOP + PLOT_HEIGHT / 2:.0f}" text-anchor="middle" '
            f'fill="#4b5563">{e(text["chart.no_data"])}</text>'
        )
        parts.append("</svg>")
        return "\n".join(parts)
    largest = max(max(week.received, week.resolved_on_time, week.resolved_late) for week in weeks)
    step = nice_step(max(largest, 1))
    top = step * math.ceil(max(largest, 1) / step)
    scale = PLOT_HEIGHT / top
    baseline = TOP + PLOT_HEIGHT
    parts.append(f'<g class="axis" data-top="{top}">')
    for tick in range(0, top + 1, step):
        y = baseline - tick * scale
        parts.append(
            f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}" stroke="#e5e7eb"/>'
            f'<text x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end" fill="#4b5563">{tick}</text>'
        )
    parts.append(
        f'<text x="14" y="{_n(TOP + PLOT_HEIGHT / 2)}" text-anchor="middle" fill="#4b5563" '
        f'transform="rotate(-90 14 {_n(TOP + PLOT_HEIGHT / 2)})">{e(text["chart.axis"])}</text>'
    )
    parts.append("</g>")
    group = PLOT_WIDTH / len(weeks)
    bar = group * 0.8 / len(SERIES)
    stride = math.ceil(len(weeks) / MAX_X_LABELS)
    for index, week in enumerate(weeks):
        x0 = LEFT + index * group + group * 0.1
        label = iso_week(week.week_start)
        parts.append(f'<g class="week" data-week="{e(week.week_start.isoformat())}">')
        for offset, (series, key, colour) in enumerate(SERIES):
            value: int = getattr(week, series)
            height = value * scale
            tooltip = f"{text['chart.week']} {label} ({week.week_start:%d/%m/%Y}) — {text[key]}: {value}"
            parts.append(
                f'<rect class="bar" data-series="{series}" data-week="{e(week.week_start.isoformat())}" '
                f'data-value="{value}" x="{_n(x0 + offset * bar)}" y="{_n(baseline - height)}" '
                f'width="{_n(bar)}" height="{_n(height)}" fill="{colour}"><title>{e(tooltip)}</title></rect>'
            )
        if index % stride == 0:
            centre = LEFT + index * group + group / 2
            parts.append(
                f'<text class="week-label" x="{_n(centre)}" y="{baseline + 16}" text-anchor="middle" '
                f'fill="#1f2937">{e(f"{week.week_start:%d/%m}")}</text>'
                f'<text x="{_n(centre)}" y="{baseline + 30}" text-anchor="middle" fill="#6b7280">'
                f"{e(label[5:])}</text>"
            )
        parts.append("</g>")
    parts.append(f'<line x1="{LEFT}" y1="{baseline}" x2="{WIDTH - RIGHT}" y2="{baseline}" stroke="#9ca3af"/>')
    parts.append("</svg>")
    return "\n".join(parts)
