"""Schema versions that several events share.

Events are a stored contract (``docs/events.md``): a field added later comes
with a ``class_version`` and an upcaster that gives events stored before it the
value they stand for. Where the same field was added to several events for the
same reason, the version and its upcaster are written once here and mixed into
each event class (first among its bases, so its ``class_version`` is the one read).
"""

from __future__ import annotations

from typing import Any, ClassVar


class LateExplanationAdded:
    """Version 2 of an event that closes a deadline carries ``late_explanation``,
    the explanation (giải trình, issue #16) of a step taken past its due time;
    version 1 events had none and load with ``None``."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["late_explanation"] = None


class PublicNoteAdded:
    """Version 2 of an event that ends a report with a note to the public
    carries ``public_note``, the note the command wrote; version 1 events had it
    composed in the event body, and load with the wording they were shown with,
    the class's ``V1_PUBLIC_NOTE`` filled in from their fields: never change it."""

    class_version = 2
    V1_PUBLIC_NOTE: ClassVar[str]

    @classmethod
    def upcast_v1_v2(cls, state: dict[str, Any]) -> None:
        state["public_note"] = cls.V1_PUBLIC_NOTE.format_map(state)
