"""Every relative link of the README and docs/ leads somewhere: the file
exists, and a ``#fragment`` into a Markdown page names one of its headings
(as GitHub makes heading anchors: lower case, punctuation dropped, spaces
to hyphens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.M)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def prose(page: Path) -> str:
    """The page without its code blocks (a ``# comment`` there is no heading)."""
    return FENCED.sub("", page.read_text(encoding="utf-8"))


def anchor(heading: str) -> str:
    text = re.sub(r"[`*_]|\[|\]\([^)]*\)", "", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {anchor(heading) for heading in HEADING.findall(prose(page))}


def test_anchors_are_made_as_github_makes_them() -> None:
    assert anchor('14. The public map feed (GeoJSON) and "is it already reported"') == (
        "14-the-public-map-feed-geojson-and-is-it-already-reported"
    )
    assert anchor("Zalo tokens: renewed when Zalo says they expired") == (
        "zalo-tokens-renewed-when-zalo-says-they-expired"
    )
    assert anchor("`ihanoi demo` and Thủ tục") == "ihanoi-demo-and-thủ-tục"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_leads_to_a_file_and_a_heading_there(page: Path) -> None:
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, fragment = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no heading #{fragment} in {destination.name}")
    assert not broken, f"{page.name}: {broken}"
