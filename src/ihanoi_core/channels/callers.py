"""Who a hotline caller is to the store: a keyed hash of their number.

The call centre sends the caller's number; ihanoi keeps only an HMAC of its
national digits under the store's secret pepper (``KeyStore.subject_hash``),
so a thread can be found again for the same number and erased
(``ihanoi privacy erase tel:0912345678`` names the same subject), while the
number itself is stored nowhere.
"""

from __future__ import annotations

from ihanoi_core.errors import ValidationError
from ihanoi_core.eventstore.keys import KeyStore

TEL = "tel:"


def caller_id(keys: KeyStore, number: str) -> str:
    """The pseudonymous id of the caller of ``number`` (+84 912…, 0912…, 84912… alike)."""
    digits = "".join(char for char in number if char.isdigit())
    if not 6 <= len(digits) <= 15:
        raise ValidationError({"caller_number": "must be a telephone number"})
    national = digits.removeprefix("84").lstrip("0")
    return keys.subject_hash(f"{TEL}{national}")[:32]
