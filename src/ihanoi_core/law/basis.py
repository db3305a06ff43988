"""What counts as the source of a legal period in the directory (DESIGN §10:
directory data that changes deadlines names its legal or administrative
source; nothing invented ships as the default).

A rule's ``legal_basis`` is one of three kinds, told apart by how it begins:

- a **sourced** rule names the document (its number, e.g. ``02/2011/QH13``),
  the article (``Điều 27``), the date (``11/11/2011``) and the issuer
  (``Quốc hội``);
- an **unverified** rule begins ``unverified:`` and says why (the text could
  not be read, or two texts disagree); it still names the document it comes
  from, with its number and issuer (its date too where it was read, never a
  guessed one), and is listed in
  ``docs/legal-basis.md``;
- a **project default** begins ``project default`` and says that no text sets
  the value, so the city may configure it.

``source_problem`` names what a basis lacks; the shipped directory has none
(a test checks), and ``ihanoi rules show`` prints each rule's kind.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["PROJECT_DEFAULT", "UNVERIFIED", "BasisKind", "basis_kind", "source_problem"]

PROJECT_DEFAULT = "project default"
UNVERIFIED = "unverified:"

# A document number as Vietnamese legal texts print it: 02/2011/QH13,
# 118/2025/NĐ-CP, 1207/QĐ-UBND, 12729/VPCP-KGVX.
_NUMBER = re.compile(r"\b\d+/(?:\d{4}/)?[A-ZĐ][A-ZĐa-z0-9]*(?:-[A-ZĐ0-9]+)*")
_ARTICLE = re.compile(r"\bĐiều \d+")
_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
_ISSUERS = ("Quốc hội", "Chính phủ", "Thủ tướng", "Văn phòng Chính phủ", "UBND", "Ủy ban nhân dân", "Bộ ")


class BasisKind(StrEnum):
    SOURCED = "sourced"
    UNVERIFIED = "unverified"
    PROJECT_DEFAULT = "project default"


def basis_kind(basis: str) -> BasisKind:
    text = basis.strip()
    if text.startswith(UNVERIFIED):
        return BasisKind.UNVERIFIED
    if text.startswith(PROJECT_DEFAULT):
        return BasisKind.PROJECT_DEFAULT
    return BasisKind.SOURCED


def source_problem(basis: str) -> str | None:
    """What ``basis`` lacks to count as a source, or ``None``."""
    kind = basis_kind(basis)
    text = basis.strip()
    if kind is BasisKind.PROJECT_DEFAULT:
        # Our own value: it must say why no text sets it.
        return None if len(text) > len(PROJECT_DEFAULT) + 10 else "a project default must say why no text sets it"
    missing = []
    if kind is BasisKind.UNVERIFIED and len(text.split("—", 1)[0]) <= len(UNVERIFIED) + 10:
        missing.append("the reason it is unverified")
    if not _NUMBER.search(text):
        missing.append("the document number")
    if kind is BasisKind.SOURCED and not _ARTICLE.search(text):
        missing.append("the article")
    # An unverified rule may lack the date: it is never guessed.
    if kind is BasisKind.SOURCED and not _DATE.search(text):
        missing.append("the document's date (dd/mm/yyyy)")
    if not any(issuer in text for issuer in _ISSUERS):
        missing.append("the issuer")
    return f"names no {', '.join(missing)}" if missing else None
