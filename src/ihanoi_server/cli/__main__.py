"""``python -m ihanoi_server.cli``."""

from __future__ import annotations

from ihanoi_server.cli.main import main

raise SystemExit(main())
