"""Placeholder: filled in by its own change."""

from __future__ import annotations

from ihanoi_core.commands.base import CaseCommands


class ComplaintCommands(CaseCommands):
    """Commands of this kind of case."""
