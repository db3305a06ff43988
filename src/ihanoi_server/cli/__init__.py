"""The ``ihanoi`` command line (``main``), one module per group of commands."""

from __future__ import annotations

from ihanoi_server.cli.main import main

__all__ = ["main"]
