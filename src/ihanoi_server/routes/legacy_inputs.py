"""Request bodies of the families whose commands are not yet command types (to go)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ihanoi_core.commands.values import ShortText, Text, Url

__all__ = ["AssignIn", "NoteIn", "RateIn", "ReasonIn", "ShortText", "Text", "Url"]


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    assignee: Annotated[str, Meta(min_length=1, max_length=200)]


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Text


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text


class RateIn(msgspec.Struct, forbid_unknown_fields=True):
    stars: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(min_length=1, max_length=1000)] | None = None
