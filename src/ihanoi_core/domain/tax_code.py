"""The Vietnamese tax code (mã số thuế, MST) of a business: checked, never trusted.

An MST is 10 digits — a two-digit province code, a seven-digit sequence and a
check digit — or, for a branch or dependent unit, those 10 digits and a
three-digit suffix 001–999, usually written after a dash (``0100109106-001``).
The check digit is ``10 - (Σ dᵢ·wᵢ mod 11)`` over the first nine digits with
the weights 31, 29, 23, 19, 17, 13, 7, 5, 3; a sum whose remainder is 0 would
need the digit "10", so no such code is issued. Sources: the rule as the
``stdnum`` libraries implement it (koblas/stdnum-js ``src/vn/mst.ts``, after
vi.wikipedia "Thuế Việt Nam — Mã số thuế"); the test vectors in
``tests/unit/test_tax_code.py`` name where each comes from.

``normalise`` returns the canonical form (10 digits, or ``NNNNNNNNNN-NNN``),
ignoring spaces, dots and the dash, or raises ``ValidationError`` naming the
field, so HTTP answers 422 with a field error.
"""

from __future__ import annotations

from ihanoi_core.errors import ValidationError

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_IGNORED = str.maketrans("", "", " .-")


def check_digit(first_nine: str) -> int | None:
    """The check digit of the nine digits, or None when none exists (remainder 0)."""
    remainder = sum(int(digit) * weight for digit, weight in zip(first_nine, WEIGHTS, strict=True)) % 11
    return None if remainder == 0 else (10 - remainder) % 10


def problem(value: str) -> str | None:
    """What is wrong with ``value`` as a tax code, or None."""
    digits = value.translate(_IGNORED)
    if len(digits) not in (10, 13) or not digits.isascii() or not digits.isdigit():
        return "must be 10 digits, or 13 for a branch (10 digits, '-', 3 digits)"
    if digits[:2] == "00" or digits[2:9] == "0000000":
        return "has no valid province code or sequence number"
    if len(digits) == 13 and digits[10:] == "000":
        return "has a branch suffix 000; branches are numbered 001 to 999"
    if check_digit(digits[:9]) != int(digits[9]):
        return "its check digit (the 10th) does not match the first nine digits"
    return None


def normalise(value: str, field: str = "tax_code") -> str:
    """The canonical form of the tax code ``value``; ``ValidationError`` on ``field``."""
    if (wrong := problem(value)) is not None:
        raise ValidationError({field: f"not a valid tax code (mã số thuế): {wrong}"})
    digits = value.translate(_IGNORED)
    return digits if len(digits) == 10 else f"{digits[:10]}-{digits[10:]}"


def is_valid(value: str) -> bool:
    return problem(value) is None
