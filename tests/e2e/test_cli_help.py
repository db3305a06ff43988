"""``ihanoi --help`` names every setting with its default, and cannot drift from them.

The variables are gathered from ``ihanoi_core/settings/__init__.py`` itself: the
``Settings`` fields and every ``IHANOI_*`` name or ``get("NAME")`` in its source.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import ihanoi_core.settings
from ihanoi_core.settings import Settings
from ihanoi_core.settings.help import MEANINGS, environment_variable, settings_reference

ROOT = Path(__file__).resolve().parents[2]


def variables_read_by_settings() -> set[str]:
    source = Path(ihanoi_core.settings.__file__).read_text(encoding="utf-8")
    read = {f"IHANOI_{name}" for name in re.findall(r'(?<!\.)\bget\("([A-Z0-9_]+)"\)', source)}
    read |= set(re.findall(r"IHANOI_[A-Z0-9_]+", source))
    read |= {environment_variable(field.name) for field in fields(Settings)}
    return read


def test_help_lists_every_setting_with_its_default() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")}
    done = subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for variable in variables_read_by_settings():
        assert any(line.split()[:1] == [variable] for line in lines), f"{variable} is missing from ihanoi --help"
    for variable, default, _ in settings_reference():
        assert any(line.split()[:1] == [variable] and line.endswith(f"default: {default}") for line in lines)
    assert "default: sqlite:///./ihanoi.db" in done.stdout


def test_every_setting_has_a_meaning() -> None:
    assert {field.name for field in fields(Settings)} == set(MEANINGS)


def test_every_setting_is_documented_in_configuration_md() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [v for v in sorted(variables_read_by_settings()) if f"`{v}`" not in documented]
    assert not missing, f"docs/configuration.md does not describe {missing}"
