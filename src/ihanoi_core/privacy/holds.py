"""Legal holds: which of a data subject's cases a retention rule keeps.

Law 91/2025/QH15 gives the right to deletion with exceptions where other law
requires the data to be kept (a pending complaint, a denunciation file, an
archived dossier). Those exceptions are data in the directory
(``[[retention]]``, ``RetentionRule``); an erasure is refused while any rule
holds any of the subject's cases, and the refusal names each rule, its legal
basis and the case it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ihanoi_core.directory.model import RetentionRule
from ihanoi_core.domain.case import Case


@dataclass(frozen=True, slots=True)
class Hold:
    """One case held by one rule."""

    rule: str
    case: str
    kind: str
    legal_basis: str
    description: str


def holds_on(rules: Sequence[RetentionRule], cases: Iterable[Case], now: datetime) -> list[Hold]:
    """Every (rule, case) pair where the rule holds the case at ``now``."""
    return [
        Hold(rule.code, case.code, case.kind, rule.legal_basis, rule.description)
        for case in cases
        for rule in rules
        if rule.holds(case.kind, case.is_final, case.modified_on, now)
    ]


def refusal_reason(holds: Sequence[Hold]) -> str:
    """The written reason of a refusal: each rule with the cases it holds."""
    rules: dict[str, list[str]] = {}
    for hold in holds:
        rules.setdefault(hold.rule, []).append(hold.case)
    listed = "; ".join(f"{rule} ({_some(cases)})" for rule, cases in rules.items())
    return f"Personal data that the law requires to be kept: held by {listed}."


def refusal_basis(holds: Sequence[Hold]) -> str:
    """The legal bases of the rules that hold, each once."""
    return " | ".join(dict.fromkeys(hold.legal_basis for hold in holds))


def _some(codes: list[str], most: int = 10) -> str:
    more = f" and {len(codes) - most} more" if len(codes) > most else ""
    return ", ".join(codes[:most]) + more
