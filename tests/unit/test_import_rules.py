"""The dependency rule of DESIGN §1, enforced on the source text.

domain → only the standard library, ``eventsourcing.domain`` and its own
errors/values, never the event-store layer; event store → the library's
persistence, never the domain, the commands, the read side or the server;
core → never the server or a web framework; projections → the core's events,
never the server.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "src" / "ihanoi_core"
EVENTSTORE = CORE / "eventstore"
PROJECTIONS = ROOT / "projections"
WEB = ("ihanoi_server", "starlette", "uvicorn", "sse_starlette", "jwt")


def imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def violations(folder: Path, allowed: object) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for line, module in imports(path):
            if not allowed(module):  # type: ignore[operator]
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def is_domain_import(module: str) -> bool:
    top = module.split(".")[0]
    return (
        top in sys.stdlib_module_names
        or module == "eventsourcing.domain"
        or module.startswith("ihanoi_core.domain")
        or module == "ihanoi_core.errors"
    )


def test_the_domain_imports_only_the_standard_library_eventsourcing_domain_and_itself() -> None:
    assert violations(CORE / "domain", is_domain_import) == []


def test_the_domain_may_not_import_the_event_store_layer() -> None:
    assert not is_domain_import("ihanoi_core.eventstore")
    assert not is_domain_import("ihanoi_core.eventstore.mutate")
    assert not [v for v in violations(CORE / "domain", lambda module: True) if "eventstore" in v]


# What the event-store layer sits on: the library, the drivers, and of ihanoi
# only its settings, its errors and the layer itself. It knows no aggregate:
# a store that imported the domain could not be tested against the library alone.
EVENTSTORE_MAY_IMPORT = (
    "eventsourcing",
    "psycopg",
    "orjson",
    "structlog",
    "ihanoi_core.eventstore",
    "ihanoi_core.errors",
    "ihanoi_core.settings",
)


def is_eventstore_import(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module.startswith(EVENTSTORE_MAY_IMPORT)


def test_the_event_store_layer_imports_only_the_library_drivers_settings_and_errors() -> None:
    assert violations(EVENTSTORE, is_eventstore_import) == []
    # The rule itself refuses the layers above and below.
    assert not any(map(is_eventstore_import, ["ihanoi_core.domain.case", "ihanoi_core.commands", "ihanoi_projections"]))


@pytest.mark.parametrize("folder", [CORE, PROJECTIONS], ids=["core", "projections"])
def test_core_and_projections_never_import_the_server_or_web_framework(folder: Path) -> None:
    assert violations(folder, lambda module: not module.startswith(WEB)) == []


def test_the_rule_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom starlette.requests import Request\nfrom holidays import VN\n")
    assert [m for _, m in imports(bad) if not is_domain_import(m)] == ["starlette.requests", "holidays"]
