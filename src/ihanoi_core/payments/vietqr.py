"""The VietQR payload: NAPAS 247's EMVCo merchant-presented QR, encoded and
decoded here (no library: it is a few TLV fields and a CRC).

A payload is a run of ``ID LL value`` data objects (two-digit id, two-digit
length, the value); templates (``38`` merchant account, ``62`` additional
data) nest the same format. The fields ihanoi writes, in this order:

====  =======================================================
00    payload format indicator, ``01``
01    point of initiation: ``11`` static (the payer types the amount), ``12`` dynamic (amount fixed)
38    merchant account information: ``00`` the NAPAS GUID ``A000000727``,
      ``01`` the beneficiary (``00`` bank BIN, ``01`` account number),
      ``02`` the service code ``QRIBFTTA`` (transfer to an account)
53    currency, ``704`` (VND)
54    amount, whole đồng (dynamic codes only)
58    country, ``VN``
62    additional data: ``08`` purpose of transaction (our transfer reference)
63    CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of everything before it
      including ``6304``, four upper-case hex digits
====  =======================================================

Lengths count characters; NAPAS payloads are ASCII, so a value outside
printable ASCII is refused rather than mis-counted.
"""

from __future__ import annotations

import binascii
import unicodedata
from dataclasses import dataclass

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
STATIC = "11"
DYNAMIC = "12"


class VietQRError(ValueError):
    """A payload that is not well-formed VietQR (bad TLV, length or CRC)."""


def crc16(data: bytes) -> str:
    """CRC-16/CCITT-FALSE of ``data`` as four upper-case hex digits."""
    return f"{binascii.crc_hqx(data, 0xFFFF):04X}"


def tlv(tag: str, value: str) -> str:
    """One data object: ``tag`` (two digits), the value's length (two digits), the value."""
    if len(tag) != 2 or not tag.isdigit():
        raise VietQRError(f"tag {tag!r} is not two digits")
    if not value.isascii() or not value.isprintable():
        raise VietQRError(f"field {tag}: only printable ASCII may be encoded")
    if len(value) > 99:
        raise VietQRError(f"field {tag}: {len(value)} characters, at most 99")
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(text: str) -> list[tuple[str, str]]:
    """The data objects of ``text``, in order; ``VietQRError`` on a truncated one."""
    fields: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        head = text[at : at + 4]
        if len(head) < 4 or not head.isdigit():
            raise VietQRError(f"bad data object header {head!r} at {at}")
        length = int(head[2:])
        value = text[at + 4 : at + 4 + length]
        if len(value) != length:
            raise VietQRError(f"field {head[:2]} is cut short at {at}")
        fields.append((head[:2], value))
        at += 4 + length
    return fields


@dataclass(frozen=True, slots=True)
class VietQR:
    """What a VietQR transfer code says: pay ``amount`` đồng (``None``: the
    payer types it) to ``account`` at the bank ``bank_bin``, with
    ``purpose`` (the transfer reference the statement shows)."""

    bank_bin: str
    account: str
    amount: int | None = None
    purpose: str | None = None
    service: str = SERVICE_TO_ACCOUNT

    @property
    def dynamic(self) -> bool:
        return self.amount is not None

    def encode(self) -> str:
        """The payload string, CRC included."""
        if len(self.bank_bin) != 6 or not self.bank_bin.isdigit():
            raise VietQRError("a bank BIN is six digits")
        if self.amount is not None and (isinstance(self.amount, bool) or self.amount <= 0):
            raise VietQRError("an amount is a positive whole number of đồng")
        beneficiary = tlv("00", self.bank_bin) + tlv("01", self.account)
        merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", self.service)
        body = (
            tlv("00", "01")
            + tlv("01", DYNAMIC if self.dynamic else STATIC)
            + tlv("38", merchant)
            + tlv("53", CURRENCY_VND)
            + (tlv("54", str(self.amount)) if self.amount is not None else "")
            + tlv("58", COUNTRY_VN)
            + (tlv("62", tlv("08", self.purpose)) if self.purpose else "")
            + "6304"
        )
        return body + crc16(body.encode("ascii"))

    @classmethod
    def decode(cls, payload: str) -> VietQR:
        """Read a payload back; ``VietQRError`` unless it is a well-formed
        VietQR transfer code with a correct CRC."""
        payload = payload.strip()
        if len(payload) < 8 or payload[-8:-4] != "6304":
            raise VietQRError("the payload does not end with its CRC (63 04 ….)")
        if not payload.isascii():
            raise VietQRError("a VietQR payload is ASCII")
        if crc16(payload[:-4].encode("ascii")) != payload[-4:].upper():
            raise VietQRError("CRC mismatch")
        fields = dict(parse_tlv(payload[:-8]))
        if fields.get("00") != "01":
            raise VietQRError("payload format indicator must be 01")
        if fields.get("53") != CURRENCY_VND or fields.get("58") != COUNTRY_VN:
            raise VietQRError("not a VND payment in VN")
        merchant = dict(parse_tlv(fields.get("38", "")))
        if merchant.get("00") != NAPAS_GUID:
            raise VietQRError("no NAPAS merchant account information (38/00)")
        beneficiary = dict(parse_tlv(merchant.get("01", "")))
        if "00" not in beneficiary or "01" not in beneficiary:
            raise VietQRError("no bank BIN and account (38/01)")
        amount_text = fields.get("54")
        if amount_text is not None and not amount_text.isdigit():
            raise VietQRError(f"amount {amount_text!r} is not a whole number of đồng")
        purpose = dict(parse_tlv(fields["62"])).get("08") if "62" in fields else None
        return cls(
            bank_bin=beneficiary["00"],
            account=beneficiary["01"],
            amount=int(amount_text) if amount_text is not None else None,
            purpose=purpose,
            service=merchant.get("02", ""),
        )


def purpose_text(text: str, limit: int = 25) -> str:
    """``text`` as a transfer purpose banks pass on: ASCII letters, digits and
    spaces only (Vietnamese marks dropped), at most ``limit`` characters."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(ch for ch in plain if ch.isascii() and (ch.isalnum() or ch == " "))
    return " ".join(kept.split())[:limit]
