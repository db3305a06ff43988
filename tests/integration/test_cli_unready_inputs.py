"""Operator commands given what is not there yet say so in one line: a file
that is missing, a folder or not UTF-8, and a new deployment's view database
whose outbox no projection has made. Each used to end in a traceback."""

from __future__ import annotations

import threading
from pathlib import Path
from subprocess import CompletedProcess

import psycopg
import pytest
from psycopg import sql

from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env
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


def test_on_postgresql_the_outbox_commands_make_the_tables_once_and_then_never_wait_for_the_dispatcher(
    postgres_url: str,
) -> None:
    env = {"IHANOI_ENV": "test", "IHANOI_DATABASE_URL": postgres_url}
    schema = postgres_env(postgres_url)["POSTGRES_SCHEMA"]
    first = run_cli(["notifications", "status", "--json"], env)
    assert (first.returncode, first.stdout) == (0, ""), first

    # Step: a dispatcher's transaction holds the outbox as its updates do. Making
    # the tables again would wait for it (ALTER TABLE … IF NOT EXISTS and CREATE
    # INDEX … IF NOT EXISTS both do on PostgreSQL, and the queries then queue
    # behind them): each command must be done in seconds all the same.
    with psycopg.connect(postgres_conninfo(postgres_url)) as dispatcher:
        outbox = sql.Identifier(schema, "notification_outbox")
        dispatcher.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(outbox))
        for command in (["status", "--json"], ["dead-letters", "--json"], ["retry"]):
            answers: list[CompletedProcess[str]] = []
            running = threading.Thread(target=answer, args=(["notifications", *command], env, answers))
            running.start()
            running.join(10)
            if running.is_alive():
                dispatcher.rollback()  # let it finish, then fail
                running.join()
                pytest.fail(f"`ihanoi notifications {command[0]}` waited for the dispatcher's lock")
            assert answers[0].returncode == 0, answers[0]


def answer(args: list[str], env: dict[str, str], answers: list[CompletedProcess[str]]) -> None:
    answers.append(run_cli(args, env))
