"""The input vocabulary commands share, with the bounds HTTP enforces.

These are the shapes a command takes in (decoded from a request body or built
by a library caller); handlers turn them into the domain's values
(``ihanoi_core.domain.values``), which carry no input bounds of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from ihanoi_core.domain.values import Contact, Document, Location

Text = Annotated[str, Meta(min_length=1, max_length=4000)]
ShortText = Annotated[str, Meta(min_length=1, max_length=500)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Code = Annotated[str, Meta(min_length=1, max_length=64)]
Url = Annotated[str, Meta(max_length=2000, pattern=r"^https?://\S+$")]
Phone = Annotated[str, Meta(max_length=30, pattern=r"^\+?[0-9 .-]{6,30}$")]
Email = Annotated[str, Meta(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]
NationalId = Annotated[str, Meta(pattern=r"^[0-9]{9}([0-9]{3})?$")]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
# A moment with its time zone (RFC 3339 with an offset): a naive one is refused.
AwareDatetime = Annotated[datetime, Meta(tz=True)]


class LocationIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where: the ward, and coordinates and/or a street address."""

    ward: Code
    latitude: Annotated[float, Meta(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Meta(ge=-180, le=180)] | None = None
    address: ShortText | None = None

    def value(self) -> Location:
        return Location(ward=self.ward, latitude=self.latitude, longitude=self.longitude, address=self.address)


class ContactIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How to reach the person who filed (personal data, never public)."""

    name: Annotated[str, Meta(max_length=200)] | None = None
    phone: Phone | None = None
    email: Email | None = None

    def value(self) -> Contact:
        return Contact(name=self.name, phone=self.phone, email=self.email)


class DocumentIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A paper handed in: its name, where the scan is stored and its SHA-256."""

    name: ShortText
    url: Url
    sha256: Sha256

    def value(self) -> Document:
        return Document(name=self.name, url=self.url, sha256=self.sha256)
