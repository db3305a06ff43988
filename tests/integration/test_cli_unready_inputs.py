"""Operator commands given what is not there yet say so in one line: a file
that is missing, a folder or not UTF-8, and a new deployment's view database
whose outbox no projection has made. Each used to end in a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_in_process import run_cli


def env(tmp_path: Path) -> dict[str, str]:
    return {"IHANOI_ENV": "test", "IHANOI_DATABASE_URL": f"sqlite:///{tmp_path / 'ihanoi.db'}"}


@pytest.mark.parametrize("command", [["knowledge", "import"], ["questions", "eval"]], ids=" ".join)
def test_a_file_that_cannot_be_read_is_named_with_the_reason(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "utf16.toml").write_bytes("tiêu đề".encode("utf-16"))  # as some editors save it
    for name, reason in (
        ("missing.toml", "No such file or directory"),
        (".", "Is a directory"),
        ("utf16.toml", "it is not UTF-8 text"),
    ):
        path = tmp_path / name
        done = run_cli([*command, str(path)], env(tmp_path))
        assert done.returncode in (1, 2), done
        assert done.stderr.count("\n") == 1, done.stderr
        assert f"cannot read {path}: {reason}" in done.stderr


def test_a_toml_error_in_an_evaluation_set_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "eval.toml"
    broken.write_text("[[questions]\n", encoding="utf-8")
    done = run_cli(["questions", "eval", str(broken)], env(tmp_path))
    assert done.returncode == 2, done
    assert done.stderr.startswith(f"error: {broken}: ")


def test_the_outbox_commands_on_a_new_deployment_find_nothing_to_show_or_retry(tmp_path: Path) -> None:
    assert not (tmp_path / "ihanoi.views.db").exists()

    retried = run_cli(["notifications", "retry"], env(tmp_path))
    assert (retried.returncode, retried.stdout.strip()) == (0, "0 notices queued again"), retried
    status = run_cli(["notifications", "status", "--json"], env(tmp_path))
    assert (status.returncode, status.stdout) == (0, ""), status
    dead = run_cli(["notifications", "dead-letters", "--json"], env(tmp_path))
    assert (dead.returncode, dead.stdout) == (0, ""), dead
