"""The dashboard's server-rendered output, without a server: the weekly chart
is well-formed SVG whose bar heights are proportional to the values, every
label is escaped, the pages escape what they are given and load nothing from
elsewhere, and both languages have every string."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from ihanoi_projections.agency_dashboard.figures import WeekFigures
from ihanoi_server.dashboard import chart
from ihanoi_server.dashboard import pages as dashboard_page
from ihanoi_server.dashboard.chart import nice_step, weekly_chart_svg
from ihanoi_server.dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, STRINGS, language, strings
from ihanoi_server.dashboard.pages import case_page, script_json

SVG = "{http://www.w3.org/2000/svg}"
MONDAY = date(2026, 11, 2)
HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


def weeks(*values: tuple[int, int, int]) -> list[WeekFigures]:
    return [WeekFigures(MONDAY + timedelta(weeks=index), *triple) for index, triple in enumerate(values)]


def bars(svg: str) -> list[ET.Element]:
    return [element for element in ET.fromstring(svg).iter(f"{SVG}rect") if element.get("class") == "bar"]


def test_the_chart_is_a_well_formed_svg_document() -> None:
    svg = weekly_chart_svg(weeks((5, 3, 1), (2, 0, 2)), strings("vi"), caption="Phường Hoàn Kiếm")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {chart.WIDTH} {chart.HEIGHT}"
    assert root.findtext(f"{SVG}title") == "Xu hướng theo tuần"
    assert root.findtext(f"{SVG}desc") == "Phường Hoàn Kiếm"
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_each_week_has_a_bar_per_series_in_order() -> None:
    found = [(bar.get("data-week"), bar.get("data-series"), bar.get("data-value")) for bar in bars(
        weekly_chart_svg(weeks((5, 3, 1), (2, 0, 2)), strings("en"))
    )]  # fmt: skip
    assert found == [
        ("2026-11-02", "received", "5"), ("2026-11-02", "resolved_on_time", "3"), ("2026-11-02", "resolved_late", "1"),
        ("2026-11-09", "received", "2"), ("2026-11-09", "resolved_on_time", "0"), ("2026-11-09", "resolved_late", "2"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "values",
    [
        ((5, 3, 1), (2, 0, 2)),
        ((1, 0, 0),),
        ((137, 120, 9), (0, 0, 0), (64, 60, 4), (99, 1, 98)),
        ((0, 0, 0), (0, 0, 0)),
    ],
)
def test_bar_heights_are_proportional_to_the_values(values: tuple[tuple[int, int, int], ...]) -> None:
    svg = weekly_chart_svg(weeks(*values), strings("vi"))
    baseline = chart.TOP + chart.PLOT_HEIGHT
    top = int(ET.fromstring(svg).find(f"{SVG}g[@class='axis']").get("data-top", "0"))  # type: ignore[union-attr]
    assert top >= max(max(triple) for triple in values)
    for bar in bars(svg):
        value, height, y = int(bar.get("data-value", "")), float(bar.get("height", "")), float(bar.get("y", ""))
        # Every bar stands on the baseline, its height value × (plot height ÷ axis top).
        assert y + height == pytest.approx(baseline, abs=0.01)
        assert height == pytest.approx(value * chart.PLOT_HEIGHT / top, abs=0.01)
        assert height <= chart.PLOT_HEIGHT + 0.01


def test_the_tallest_bar_of_a_nice_maximum_fills_the_plot() -> None:
    heights = [float(bar.get("height", "")) for bar in bars(weekly_chart_svg(weeks((10, 4, 0)), strings("vi")))]
    assert max(heights) == pytest.approx(chart.PLOT_HEIGHT)


def test_labels_and_captions_are_escaped() -> None:
    hostile = {key: HOSTILE for key in strings("en")}
    svg = weekly_chart_svg(weeks((1, 1, 0)), hostile, caption=HOSTILE)
    assert "<script>" not in svg
    root = ET.fromstring(svg)  # still well-formed
    assert root.findtext(f"{SVG}title") == HOSTILE
    assert root.findtext(f"{SVG}desc") == HOSTILE
    legend = [text.text for group in root.iter(f"{SVG}g") if group.get("class") == "legend"
              for text in group.iter(f"{SVG}text")]  # fmt: skip
    assert legend == [HOSTILE] * 3
    tooltip = bars(svg)[0].findtext(f"{SVG}title") or ""
    assert tooltip.startswith(HOSTILE)
    assert tooltip.endswith(": 1")


def test_a_period_without_weeks_says_so() -> None:
    root = ET.fromstring(weekly_chart_svg([], strings("en")))
    assert [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "no-data"] == [
        "No week falls in this period."
    ]
    assert bars(ET.tostring(root, encoding="unicode")) == []


@pytest.mark.parametrize(("maximum", "step"), [(1, 1), (5, 1), (6, 2), (10, 2), (11, 5), (25, 5), (26, 10), (501, 200)])
def test_axis_steps_are_one_two_or_five_times_a_power_of_ten(maximum: int, step: int) -> None:
    assert nice_step(maximum) == step


# -- the pages -------------------------------------------------------------------------------


def test_the_pages_escape_what_they_are_given() -> None:
    page = case_page("en", strings("en"), HOSTILE)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in page
    dashboard = dashboard_page.dashboard_page("vi", strings("vi"), [("A&B", HOSTILE)])
    assert '<option value="A&amp;B">&lt;script&gt;' in dashboard


def test_the_script_strings_cannot_close_their_block() -> None:
    encoded = script_json({"x": "</script><script>alert(1)</script> & more"})
    assert "<" not in encoded
    assert ">" not in encoded
    assert "&" not in encoded


def test_the_pages_load_nothing_from_elsewhere() -> None:
    for page in (dashboard_page.dashboard_page("vi", strings("vi"), []), case_page("vi", strings("vi"), "PA-1")):
        references = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert references, page
        assert all(ref.startswith(("/dashboard", "?", "data:")) for ref in references), references
        assert "<script>" not in page  # only the external, self-served script and a JSON data block


def test_every_kpi_has_a_stable_data_attribute_and_a_label() -> None:
    page = dashboard_page.dashboard_page("en", strings("en"), [])
    for name in ("on_time_rate", "overdue_now", "median_hours_to_resolve", "p90_hours_to_resolve",
                 "average_rating", "reopen_rate"):  # fmt: skip
        assert f'data-kpi="{name}"' in page
        assert f'data-label="{name}">{strings("en")["kpi." + name]}<' in page


# -- the strings -------------------------------------------------------------------------------


def test_both_languages_have_every_string() -> None:
    assert set(STRINGS) == set(LANGUAGES)
    assert set(STRINGS["vi"]) == set(STRINGS["en"])
    assert all(value.strip() for table in STRINGS.values() for value in table.values())


def test_vietnamese_is_the_default_language() -> None:
    assert DEFAULT_LANGUAGE == "vi"
    assert language(None) == "vi"
    assert language("fr") == "vi"
    assert language(" EN ") == "en"
    assert strings("en")["number.decimal"] == "."
    assert strings("vi")["number.decimal"] == ","
