"""Every package in the source tree is listed for installation, so a built
wheel (not only an editable install) contains all of ihanoi."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_python_package_in_the_tree_is_packaged() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(init.parent.relative_to(ROOT / "src").parts) for init in (ROOT / "src").rglob("__init__.py")} | {
        ".".join(("ihanoi_projections", *init.parent.relative_to(ROOT / "projections").parts))
        for init in (ROOT / "projections").rglob("__init__.py")
    }
    assert found - listed == set()
    assert config["package-dir"]["ihanoi_projections"] == "projections"
