"""The index of alerts in force as an Atom feed (RFC 4287), the OASIS "CAP
feeds" practice: one ``<entry>`` per alert, linking to its latest CAP message
(``rel="alternate"``, ``type="application/cap+xml"``).

Built with the standard library's ElementTree rather than ``feedgen``: the
feed is a dozen elements of text ihanoi checked, and ``feedgen`` would bring
``lxml`` and ``python-dateutil`` into the server for that. What RFC 4287
requires is here: the feed's ``id``, ``title``, ``updated`` and ``author``,
a ``rel="self"`` link; each entry's ``id``, ``title``, ``updated``, a
``summary`` and its ``alternate`` link.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ihanoi_core.cap.render import CAP_MEDIA_TYPE

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One alert in the feed: ``id`` and ``cap_url`` are absolute IRIs."""

    id: str
    title: str
    summary: str
    updated: datetime
    published: datetime
    cap_url: str
    author: str
    categories: tuple[str, ...] = ()


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, name, attributes)
    element.text = text
    return element


def render_atom(
    *, feed_id: str, title: str, self_url: str, author: str, updated: datetime, entries: Sequence[FeedEntry]
) -> bytes:
    """The feed (UTF-8, with an XML declaration). ``updated`` is the newest
    change the feed reflects (RFC 3339 with an offset)."""
    # Plain names under an ``xmlns`` declaration: ElementTree's default_namespace
    # option refuses the unqualified attributes (rel, href) Atom uses.
    feed = ET.Element("feed", {"xmlns": ATOM_NAMESPACE})
    _add(feed, "id", feed_id)
    _add(feed, "title", title)
    _add(feed, "updated", updated.isoformat(timespec="seconds"))
    _add(feed, "link", rel="self", type=ATOM_MEDIA_TYPE, href=self_url)
    author_element = _add(feed, "author")
    _add(author_element, "name", author)
    for item in entries:
        entry = _add(feed, "entry")
        _add(entry, "id", item.id)
        _add(entry, "title", item.title)
        _add(entry, "updated", item.updated.isoformat(timespec="seconds"))
        _add(entry, "published", item.published.isoformat(timespec="seconds"))
        by = _add(entry, "author")
        _add(by, "name", item.author)
        _add(entry, "summary", item.summary)
        for term in item.categories:
            _add(entry, "category", term=term)
        _add(entry, "link", rel="alternate", type=CAP_MEDIA_TYPE, href=item.cap_url)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(feed, encoding="unicode").encode("utf-8")
