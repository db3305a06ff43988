"""``ihanoi calendar show YEAR`` and ``ihanoi rules show`` as an operator runs
them: reading the directory named by its environment, no store. A real process
for the calendar as JSON and for a failing rules check (exit 1); the other calls
through the same ``main(argv)`` in this process (``tests/cli_in_process.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from ihanoi_core.directory import load_directory
from tests.cli_in_process import run_cli

ENV = {"IHANOI_ENV": "test", "IHANOI_SECRET_KEY": "cli-test-secret-key-cli-test-secret"}


def ihanoi(env: dict[str, str], *args: str, spawn: bool = False) -> subprocess.CompletedProcess[str]:
    """``ihanoi ARGS``: through ``main`` in this process, or as a child process with ``spawn``."""
    if not spawn:
        return run_cli(list(args), {**os.environ, **env})
    return subprocess.run(
        [sys.executable, "-m", "ihanoi_server.cli", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_2026_calendar_lists_the_new_year_swap_with_its_notice_among_the_holidays(tmp_path: Path) -> None:
    # The store is never opened: a URL no process could open proves it.
    env = {**ENV, "IHANOI_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'ihanoi.db'}"}

    # Step: as JSON lines, one per listed day.
    shown = ihanoi(env, "calendar", "show", "2026", "--json", spawn=True)
    assert shown.returncode == 0, shown.stderr
    days = {row["date"]: row for row in map(json.loads, shown.stdout.splitlines())}
    notice = {"notice": "Công văn số 12729/VPCP-KGVX", "notice_date": "2025-12-25", "issuer": "Văn phòng Chính phủ"}
    assert days["2026-01-02"] == {
        "date": "2026-01-02", "weekday": "Friday", "working": False, "source": "override",
        "name": days["2026-01-02"]["name"], **notice,
    }  # fmt: skip
    assert days["2026-01-10"] | {"name": ""} == {
        "date": "2026-01-10", "weekday": "Saturday", "working": True, "source": "override", "name": "", **notice,
    }  # fmt: skip
    # The package's days come with their names; its own make-up Saturday names
    # the day off it pays for.
    assert days["2026-01-01"]["name"] == "New Year's Day"
    assert days["2026-01-01"]["notice"] is None
    assert days["2026-11-24"]["working"] is False
    assert days["2026-08-22"]["working"] is True
    assert days["2026-08-22"]["name"] == "worked in exchange for 2026-08-31"
    # Nothing but the listed kinds of day: no ordinary weekday, no ordinary weekend.
    assert "2026-01-05" not in days
    assert "2026-01-03" not in days

    # Step: as a table (wide enough that no cell wraps), each swap row carries
    # the notice number, its date and the issuer.
    table = ihanoi({**env, "COLUMNS": "300"}, "calendar", "show", "2026")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[1]: line for line in table.stdout.splitlines() if line.startswith("│ 2026-")}
    for day, weekday, kind in (("2026-01-02", "Friday", "off"), ("2026-01-10", "Saturday", "worked")):
        cells = [cell.strip() for cell in rows[day].split("│")[1:-1]]
        assert cells[:3] == [day, weekday, kind]
        assert cells[4:] == ["override", "Công văn số 12729/VPCP-KGVX", "25/12/2025", "Văn phòng Chính phủ"]
    assert rows["2026-01-01"].split("│")[4].strip() == "New Year's Day"

    # Step: a YEAR that is not a year, or one the holiday data does not cover, is a usage error.
    for year in ("twenty", "1800"):
        refused = ihanoi(env, "calendar", "show", year)
        assert refused.returncode == 2, year
        assert "YEAR" in refused.stderr


def test_every_rule_line_carries_a_period_a_unit_and_its_basis() -> None:
    shown = ihanoi(ENV, "rules", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    rows = [json.loads(line) for line in shown.stdout.splitlines()]

    hanoi = load_directory()
    expected = (
        len(hanoi.deadlines)
        + sum(len(category.deadlines) for category in hanoi.categories.values())
        + len(hanoi.procedures)
    )
    assert len(rows) == expected
    for row in rows:
        assert row["basis"].strip(), row
        assert row["problem"] is None, row
        assert row["status"] in {"sourced", "unverified", "project default"}, row
        assert row["unit"] in {"working_hours", "working_days", "calendar_days"}, row
    by_name = {row["rule"]: row for row in rows}
    assert by_name["complaint_accept"]["status"] == "unverified"
    assert by_name["complaint_resolve"]["status"] == "sourced"
    assert by_name["report_resolve_normal"]["status"] == "project default"
    assert by_name["procedure criminal_record_certificate"]["unit"] == "calendar_days"
    assert by_name["category fallen_tree: urgent"]["amount"] == 2

    table = ihanoi(ENV, "rules", "show")
    assert table.returncode == 0, table.stderr
    assert "working hours" in table.stdout
    assert "calendar days" in table.stdout


def test_a_rule_without_a_source_is_flagged_and_fails_the_command(tmp_path: Path) -> None:
    shipped = resources.files("ihanoi_core.data").joinpath("hanoi.toml").read_text(encoding="utf-8")
    unsourced = (
        'legal_basis = "project default, configurable: no text sets how long a reporter may reopen a resolved report"'
    )
    assert unsourced in shipped
    directory = tmp_path / "city.toml"
    directory.write_text(shipped.replace(unsourced, 'legal_basis = "Luật Khiếu nại 2011"'), encoding="utf-8")

    shown = ihanoi({**ENV, "IHANOI_DIRECTORY": str(directory)}, "rules", "show", "--json", spawn=True)

    assert shown.returncode == 1
    flagged = [row for row in map(json.loads, shown.stdout.splitlines()) if row["problem"]]
    assert [row["rule"] for row in flagged] == ["report_reopen_window"]
    assert "the document number" in flagged[0]["problem"]
