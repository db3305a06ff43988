"""The dependency rule of DESIGN §1, enforced on the source text.

domain → only the standard-library modules listed here, ``eventsourcing.domain``
and its own errors/values (no clock, no I/O), never the event-store layer;
event store → the library's persistence, never the domain, the commands, the
read side or the server; core → never the read side, the server or a web
framework; projections → the core, never the server. And no import cycles
anywhere, counting imports inside functions (a cycle hidden in a function is
still a cycle, only a later one).
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "src" / "ihanoi_core"
EVENTSTORE = CORE / "eventstore"
PROJECTIONS = ROOT / "projections"
WEB = ("ihanoi_server", "starlette", "uvicorn", "sse_starlette", "jwt")


@functools.cache
def import_statements(path: Path) -> tuple[tuple[ast.Import | ast.ImportFrom, bool], ...]:
    """A file's import statements at any depth, each with whether it stands in
    an ``if TYPE_CHECKING:`` block. Cached: the rules below read the core's
    files five times over (parsing them each time, this module took 4.2-5.5 s;
    once, 3.1-3.3 s)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }
    return tuple(
        (node, id(node) in typing_only) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
    )


def imports(path: Path) -> Iterator[tuple[int, str]]:
    for node, _ in import_statements(path):
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


# What the domain may use from the standard library: values, dates and text.
# No os, io, time, random, logging, socket…: time and ids come in as arguments.
DOMAIN_STDLIB = frozenset(
    {"__future__", "collections", "dataclasses", "datetime", "decimal", "enum", "hashlib", "re", "typing", "uuid"}
)
PACKAGES = {
    "ihanoi_core": ROOT / "src" / "ihanoi_core",
    "ihanoi_server": ROOT / "src" / "ihanoi_server",
    "ihanoi_projections": PROJECTIONS,
}


def is_domain_import(module: str) -> bool:
    top = module.split(".")[0]
    return (
        top in DOMAIN_STDLIB
        or module == "eventsourcing.domain"
        or module.startswith("ihanoi_core.domain")
        or module == "ihanoi_core.errors"
    )


def test_the_domain_imports_only_the_standard_library_eventsourcing_domain_and_itself() -> None:
    assert violations(CORE / "domain", is_domain_import) == []


def test_the_core_never_imports_the_read_side() -> None:
    assert violations(CORE, lambda module: not module.startswith("ihanoi_projections")) == []


def test_the_domain_may_not_import_the_event_store_layer() -> None:
    assert not is_domain_import("ihanoi_core.eventstore")
    assert not is_domain_import("ihanoi_core.eventstore.mutate")
    assert not [v for v in violations(CORE / "domain", lambda module: True) if "eventstore" in v]


# What the event-store layer sits on: the library, the drivers, and of ihanoi
# only its settings, its errors and the layer itself. It knows no aggregate:
# a store that imported the domain could not be tested against the library alone.
# ``cryptography`` seals personal fields (AES-GCM).
EVENTSTORE_MAY_IMPORT = (
    "eventsourcing",
    "psycopg",
    "orjson",
    "structlog",
    "cryptography",
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
    assert [m for _, m in imports(bad) if not is_domain_import(m)] == ["os", "starlette.requests", "holidays"]


def module_files() -> dict[str, Path]:
    """Every module of our three packages, by dotted name."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Which of our modules each module imports when it runs: imports at any
    depth (functions included), relative ones resolved, ``if TYPE_CHECKING:``
    blocks left out. ``from package import module`` is an edge to the module;
    to the package only for names that are not modules."""
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges: set[str] = set()
        for node, typing_only in import_statements(path):
            if typing_only:
                continue
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
                for alias in node.names:
                    edges.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base)
        graph[name] = {edge for edge in edges if edge in files and edge != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while (member := stack.pop()) != module:
                group.append(member)
            if group:
                found.append(sorted([module, *group]))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others() -> None:
    assert cycles(import_graph(module_files())) == []


def test_the_cycle_finder_sees_a_cycle_closed_inside_a_function(tmp_path: Path) -> None:
    sources = {
        "pkg.a": "from pkg import b\n",
        "pkg.b": "def later():\n    from pkg.a import thing\n",
        "pkg.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
    }
    files = {}
    for name, text in sources.items():
        files[name] = tmp_path / f"{name}.py"
        files[name].write_text(text)
    files["pkg"] = tmp_path / "__init__.py"
    files["pkg"].write_text("")
    assert cycles(import_graph(files)) == [["pkg.a", "pkg.b"]]


def test_the_application_on_sqlite_does_not_load_the_postgresql_driver() -> None:
    # psycopg costs ~90 ms at every start; a library user on the embedded store never needs it.
    script = (
        "import sys, ihanoi_core.application\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'psycopg', 'psycopg_pool'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert loaded.stdout.strip() == "[]"
