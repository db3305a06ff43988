"""The minimum-volume rule's arithmetic and the public pages' strings, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from ihanoi_core.directory import load_directory
from ihanoi_projections.public_reports import PublicReport
from ihanoi_projections.public_results.figures import withheld
from ihanoi_server.public.i18n import STRINGS
from ihanoi_server.public.pages import report_page


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


def test_a_report_page_shows_uploaded_photos_first_and_escapes_everything() -> None:
    when = datetime(2026, 11, 30, 2, tzinfo=UTC)
    report = PublicReport(
        case_id=uuid4(), code="PA-261130-000001", service_code="pothole", service_name="Ổ gà",
        service_name_en="Pothole",
        status="submitted", open311_status="open", status_notes=None, description='<b onclick="x()">hố</b>',
        agency=None, agency_name=None, ward="HOAN_KIEM", latitude=None, longitude=None, address=None,
        media_urls=("https://p.example/1.jpg",), requested_at=when, updated_at=when, expected_at=None, position=1,
    )  # fmt: skip
    html = report_page("en", STRINGS["en"], report, [], load_directory(None), UTC, photos=("a" * 64,))
    assert html.index(f'src="/public/photos/{"a" * 64}"') < html.index('src="https://p.example/1.jpg"')
    assert 'alt="Photo 2 of report PA-261130-000001"' in html
    assert "&lt;b onclick=&quot;x()&quot;&gt;hố&lt;/b&gt;" in html
    assert "<b onclick" not in html
