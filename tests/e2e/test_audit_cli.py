"""``ihanoi audit …`` as a user runs it: against a SQLite store, configured only
through ``IHANOI_*`` variables, checked by exit code (0 ok, 1 a problem found,
2 usage) and output.

Most calls go through the same ``main(argv)`` in this process
(``tests/cli_in_process.py``: the audit commands keep no global state), so an
uncaught exception fails the test outright. ``Store.spawn`` keeps
a true child process where the test is about one: exit codes seen by a shell,
a key missing from the environment, and the long-running chain worker."""

from __future__ import annotations

import base64
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit import EXPORT_FIELDS, generate_key
from ihanoi_core.commands.reports import AcknowledgeReport, SubmitReport
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_core.settings import Settings
from ihanoi_projections.read_side import ReadSide
from tests.cli_in_process import run_cli
from tests.conftest import FakeClock

SECRET = "audit-cli-test-secret-key-audit-cli-test"
AGENCY = "UBND_HOAN_KIEM"
OFFICER = Principal("officer-hk-1", Role.OFFICER, AGENCY)
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
OK, PROBLEM, USAGE = 0, 1, 2


@dataclass
class Store:
    folder: Path
    url: str
    audit_key: str
    public_key: str
    reports: list[CommandResult]

    def env(self, audit_key: str | None = "default") -> dict[str, str]:
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("IHANOI_")},
            "IHANOI_DATABASE_URL": self.url,
            "IHANOI_ENV": "test",
            "IHANOI_SECRET_KEY": SECRET,
            "COLUMNS": "200",
        }
        key = self.audit_key if audit_key == "default" else audit_key
        if key is not None:
            env["IHANOI_AUDIT_KEY"] = key
        return env

    def run(self, *args: str, audit_key: str | None = "default") -> subprocess.CompletedProcess[str]:
        """``ihanoi audit ARGS`` through ``main`` in this process."""
        return run_cli(["audit", *args], self.env(audit_key), cwd=self.folder)

    def spawn(self, *args: str, audit_key: str | None = "default") -> subprocess.CompletedProcess[str]:
        """``ihanoi audit ARGS`` as a child process."""
        return self.ihanoi("audit", *args, audit_key=audit_key)

    def ihanoi(self, *args: str, audit_key: str | None = "default") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ihanoi_server.cli", *args],
            env=self.env(audit_key),
            cwd=self.folder,  # no stray .env file
            capture_output=True,
            text=True,
            timeout=120,
        )

    def app(self) -> Ihanoi:
        return Ihanoi(Settings(database_url=self.url, env="test", secret_key=SECRET))

    def chain(self) -> None:
        """Chain what is new, as a running server or worker would."""
        app = self.app()
        read_side = ReadSide(app, names=["audit_chain"], start=False)
        read_side.catch_up()
        read_side.close()
        app.close()

    def sql(self, database: str, statement: str, params: tuple[Any, ...] = ()) -> None:
        with sqlite3.connect(self.folder / database) as conn:
            conn.execute(statement, params)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Four reports under a controlled clock (Monday 2026-11-30 from 09:00 in
    Hanoi, one event every 30 minutes), with the read models built."""
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}"
    settings = Settings(database_url=url, env="test", secret_key=SECRET)
    clock = FakeClock(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    app = Ihanoi(settings, clock=clock)
    reports = []
    for n in range(4):
        filed = app.handle(
            CITIZEN,
            SubmitReport(
                category="pothole",
                description=f"Ổ gà số {n}",
                location=LocationIn("HOAN_KIEM"),
                contact=ContactIn(name="Trần Thị Bình", phone="0988111222"),
            ),
        )
        clock.advance(minutes=30)
        app.handle(OFFICER, AcknowledgeReport(case=filed.case_id))
        clock.advance(minutes=30)
        reports.append(filed)
    read_side = ReadSide(app, start=False)
    read_side.catch_up()
    read_side.close()
    app.close()
    seed, public = generate_key()
    return Store(tmp_path, url, seed, public, reports)


def lines(output: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in output.splitlines() if line.strip()]


def test_keygen_prints_a_32_byte_key_and_its_public_key(store: Store) -> None:
    done = store.spawn("keygen", "--json")
    assert done.returncode == OK, done.stderr
    (keys,) = lines(done.stdout)
    assert len(base64.b64decode(keys["audit_key"])) == 32
    assert len(base64.b64decode(keys["public_key"])) == 32
    human = store.run("keygen")
    assert human.stdout.startswith("IHANOI_AUDIT_KEY=")


def test_verify_passes_an_untouched_store_and_names_the_position_of_an_edited_event(store: Store) -> None:
    # Step: the city chains the log and publishes a signed checkpoint.
    done = store.run("checkpoint", "--output", "checkpoint.json")
    assert done.returncode == OK, done.stderr
    checkpoint = orjson.loads((store.folder / "checkpoint.json").read_bytes())
    assert set(checkpoint) == {"jurisdiction", "position", "link", "events", "created_at", "public_key", "signature"}
    assert (checkpoint["position"], checkpoint["events"], checkpoint["public_key"]) == (12, 12, store.public_key)

    # Step: verify, with and without the checkpoint, finds the store intact.
    intact = store.spawn("verify")
    assert intact.returncode == OK, intact.stdout + intact.stderr
    assert "INTACT" in intact.stdout
    assert store.run("verify", "--checkpoint", "checkpoint.json").returncode == OK

    # Step: someone changes one byte of the event at position 5.
    with sqlite3.connect(store.folder / "ihanoi.db") as conn:
        (state,) = conn.execute("SELECT state FROM stored_events WHERE rowid = 5").fetchone()
        edited = bytearray(state)
        edited[-3] ^= 0x01
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 5", (bytes(edited),))

    # Step: verify exits 1 and names position 5, as text and as JSON.
    tampered = store.spawn("verify")
    assert tampered.returncode == PROBLEM
    assert "TAMPERED: first problem at position 5 (edited)" in tampered.stdout
    report = lines(store.run("verify", "--json").stdout)[0]
    assert (report["ok"], report["first_problem"]["position"], report["first_problem"]["kind"]) == (
        False,
        5,
        "edited",
    )
    with_checkpoint = store.run("verify", "--checkpoint", "checkpoint.json", "--json")
    assert with_checkpoint.returncode == PROBLEM
    assert {problem["kind"] for problem in lines(with_checkpoint.stdout)[0]["problems"]} == {"edited", "checkpoint"}


def test_new_events_are_not_yet_chained_and_a_deleted_event_exits_1(store: Store) -> None:
    # Step: the chain reaches position 12; a report is filed afterwards.
    assert store.run("checkpoint").returncode == OK
    app = Ihanoi(Settings(database_url=store.url, env="test", secret_key=SECRET))
    app.handle(CITIZEN, SubmitReport(category="pothole", description="Ổ gà mới", location=LocationIn("HOAN_KIEM")))
    app.close()
    fresh = store.run("verify")
    assert fresh.returncode == OK
    assert "2 events after the chain head are not yet chained" in fresh.stdout

    # Step: a chained event is deleted.
    store.sql("ihanoi.db", "DELETE FROM stored_events WHERE rowid = 8")
    done = store.run("verify", "--json")
    assert done.returncode == PROBLEM
    report = lines(done.stdout)[0]
    assert (report["first_problem"]["position"], report["first_problem"]["kind"]) == (8, "deleted")
    assert report["not_yet_chained"] == 2


def test_a_forged_or_foreign_checkpoint_exits_1_and_a_missing_key_exits_2(store: Store) -> None:
    assert store.run("checkpoint", "--output", "checkpoint.json").returncode == OK
    checkpoint = orjson.loads((store.folder / "checkpoint.json").read_bytes())

    # Step: a signature altered by one bit.
    signature = bytearray(base64.b64decode(checkpoint["signature"]))
    signature[10] ^= 0x04
    forged = {**checkpoint, "signature": base64.b64encode(bytes(signature)).decode()}
    (store.folder / "forged.json").write_bytes(orjson.dumps(forged))
    done = store.run("verify", "--checkpoint", "forged.json")
    assert done.returncode == PROBLEM
    assert "does not verify with the trusted key" in done.stdout

    # Step: a genuine checkpoint checked against another city's key.
    other = generate_key()[1]
    done = store.run("verify", "--checkpoint", "checkpoint.json", "--public-key", other)
    assert done.returncode == PROBLEM
    assert "not the trusted key" in done.stdout

    # Step: no trusted key at all, a missing file, no signing key: usage errors.
    assert store.run("verify", "--checkpoint", "checkpoint.json", audit_key=None).returncode == USAGE
    assert store.run("verify", "--checkpoint", "missing.json").returncode == USAGE
    no_key = store.spawn("checkpoint", audit_key=None)
    assert no_key.returncode == USAGE
    assert "IHANOI_AUDIT_KEY is not set" in no_key.stderr


def test_history_shows_every_event_with_hanoi_time_as_an_auditor_by_default(store: Store) -> None:
    code = store.reports[1].code
    done = store.run("history", code, "--json")
    assert done.returncode == OK, done.stderr
    submitted, acknowledged = lines(done.stdout)
    assert (submitted["event"], submitted["time"]) == ("Submitted", "2026-11-30T10:00:00+07:00")
    assert submitted["actor"] == {"subject": None, "role": "citizen", "agency": None}
    assert submitted["changes"]["contact"] is None
    assert acknowledged["actor"] == {"subject": OFFICER.subject, "role": "officer", "agency": AGENCY}

    table = store.run("history", code)
    assert table.returncode == OK
    for text in ("Submitted", "Acknowledged", "2026-11-30 10:30:00", "officer-hk-1"):
        assert text in table.stdout

    # Step: read as the reporter, the citizen's own subject is shown.
    own = store.run("history", code, "--json", "--as", CITIZEN.subject, "--role", "citizen")
    assert lines(own.stdout)[0]["actor"]["subject"] == CITIZEN.subject
    # Step: another citizen does not see the case at all.
    stranger = store.run("history", code, "--as", "vneid:000000000001", "--role", "citizen")
    assert stranger.returncode == PROBLEM


def test_show_gives_the_case_as_it_stood_at_a_time_or_version(store: Store) -> None:
    code = store.reports[0].code
    before = lines(store.run("show", code, "--as-of", "2026-11-30T09:15", "--json").stdout)[0]
    # The same fields as GET /api/v1/audit/{id}?as_of=…: the case is under "case".
    assert set(before) == {"case_id", "version", "recorded_at", "case"}
    assert (before["version"], before["case"]["status"]) == (1, "submitted")
    after = lines(store.run("show", code, "--as-of", "2026-11-30T02:30:00+00:00", "--json").stdout)[0]
    assert (after["version"], after["case"]["status"]) == (2, "acknowledged")
    by_version = store.run("show", code, "--version", "1")
    assert by_version.returncode == OK
    assert "submitted" in by_version.stdout

    assert store.run("show", code, "--as-of", "2026-11-30T08:00").returncode == PROBLEM
    assert store.run("show", code).returncode == USAGE
    assert store.run("show", "PA-000000-000000", "--version", "1").returncode == PROBLEM


def test_export_writes_the_documented_json_lines(store: Store) -> None:
    done = store.run("export")
    assert done.returncode == OK, done.stderr
    everything = lines(done.stdout)
    assert len(everything) == 12
    assert all(tuple(record) == EXPORT_FIELDS for record in everything)
    assert [record["position"] for record in everything] == list(range(1, 13))
    assert "0988111222" not in done.stdout  # the reporter's phone

    one_case = lines(store.run("export", "--case", store.reports[2].code).stdout)
    assert [record["event"] for record in one_case] == ["Submitted", "Registered", "Acknowledged"]
    since = lines(store.run("export", "--since", "9").stdout)
    assert [record["position"] for record in since] == [10, 11, 12]
    late = lines(store.run("export", "--since", "2026-11-30T12:30").stdout)
    assert [record["event"] for record in late] == ["Acknowledged"]


def test_export_shows_progress_on_stderr_and_keeps_stdout_for_the_data(store: Store) -> None:
    done = store.run("export")
    assert "exporting the log" in done.stderr
    assert "12/12" in done.stderr
    assert len(lines(done.stdout)) == 12  # every stdout line is an export record
    to_file = store.run("export", "--since", "6", "--output", "log.jsonl")
    assert to_file.returncode == OK
    assert (to_file.stdout, "6/6" in to_file.stderr) == ("", True)
    assert len(lines((store.folder / "log.jsonl").read_text())) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "--since", "yesterday"), "--since 'yesterday' is not a log position or an ISO 8601 time"),
        (("export", "--since", "-3"), "--since '-3' is not a log position or an ISO 8601 time"),
        (("show", "PA-000000-000000", "--as-of", "yesterday"), "--as-of 'yesterday' is not an ISO 8601 time"),
        (("export", "--bogus"), "unrecognized arguments: --bogus"),
        (("verify", "--public-key", "%%%"), "not valid base64"),
        (("verify", "--checkpoint"), "expected one argument"),
        (("history", "PA-000000-000000", "--as", "someone"), "--as and --role go together"),
        (("history",), "the following arguments are required: CASE"),
        (("show", "PA-000000-000000", "--version", "two"), "invalid int value"),
        (("export", "--output", "missing/log.jsonl"), "cannot write missing/log.jsonl: No such file or directory"),
        (("checkpoint", "--output", "missing/checkpoint.json"), "missing is not a directory"),
        (("replay", "--scratch-dir", "missing"), "--scratch-dir missing is not a directory"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_saying_what_is_wrong(
    store: Store, args: tuple[str, ...], message: str
) -> None:
    done = store.run(*args)
    assert done.returncode == USAGE, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_replay_finds_no_difference_until_a_read_model_row_is_edited(store: Store) -> None:
    same = store.run("replay")
    assert same.returncode == OK, same.stdout + same.stderr
    assert "SAME" in same.stdout

    store.sql(
        "ihanoi.views.db",
        "UPDATE view_case_status SET status = 'closed' WHERE case_id = ?",
        (str(store.reports[3].case_id),),
    )
    different = store.run("replay", "--json")
    assert different.returncode == PROBLEM
    report = lines(different.stdout)[0]
    assert [model["name"] for model in report["models"] if not model["same"]] == ["case_status"]
    human = store.run("replay")
    assert "status: live 'closed', rebuilt 'acknowledged'" in human.stdout


def test_verify_says_how_many_events_no_signature_covers_where_a_forged_tail_would_hide(store: Store) -> None:
    # Step: the city signs a checkpoint at position 12; it is recorded beside the chain.
    assert store.run("checkpoint", "--output", "checkpoint.json").returncode == OK

    # Step: someone appends a forged event to the log and the chain picks it up.
    with sqlite3.connect(store.folder / "ihanoi.db") as conn:
        topic, state = conn.execute("SELECT topic, state FROM stored_events WHERE rowid = 12").fetchone()
        conn.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (13, ?, 1, ?, ?)",
            (uuid4().hex, topic, state),
        )
    store.chain()

    # Step: the chain is intact, and verify names the window the forged event sits in.
    human = store.run("verify")
    assert human.returncode == OK, human.stdout + human.stderr
    assert "INTACT" in human.stdout
    assert "newest checkpoint signed with the trusted key is at position 12" in human.stdout
    assert "1 stored event after it is not covered by any signature" in human.stdout
    report = lines(store.run("verify", "--json").stdout)[0]
    assert report["signed_checkpoint"]["position"] == 12
    assert (report["not_covered_by_signature"], report["events"]) == (1, 13)

    # Step: without a trusted key, no checkpoint counts.
    keyless = store.run("verify", audit_key=None)
    assert "Not signed: 13 of 13 stored events are not covered by any signature" in keyless.stdout
    assert lines(store.run("verify", "--json", audit_key=None).stdout)[0]["not_covered_by_signature"] == 13


def test_an_edited_or_non_hash_chain_digest_exits_1_naming_the_position_without_a_traceback(store: Store) -> None:
    store.sql("ihanoi.views.db", "UPDATE audit_chain SET digest = ? WHERE position = 4", ("abc",))
    store.sql("ihanoi.views.db", "UPDATE audit_chain SET digest = ? WHERE position = 7", (b"\x00" * 32,))
    for args in (("verify",), ("verify", "--json"), ("replay",)):
        done = store.run(*args)
        assert done.returncode == PROBLEM, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
    human = store.run("verify")
    assert "TAMPERED: first problem at position 4 (chain_altered)" in human.stdout
    assert "digest at position 4 is the text 'abc'" in human.stdout
    report = lines(store.run("verify", "--json").stdout)[0]
    assert [(problem["position"], problem["kind"]) for problem in report["problems"]] == [
        (4, "chain_altered"),
        (7, "chain_altered"),
    ]


def test_a_deleted_chain_tail_exits_1_as_chain_truncated(store: Store) -> None:
    store.sql("ihanoi.views.db", "DELETE FROM audit_chain WHERE position > 10")
    done = store.run("verify", "--json")
    assert done.returncode == PROBLEM
    report = lines(done.stdout)[0]
    assert [(problem["position"], problem["kind"]) for problem in report["problems"]] == [(11, "chain_truncated")]


def test_the_chain_worker_signs_a_checkpoint_every_n_chained_events(store: Store) -> None:
    # Step: wrong uses of --checkpoint-every are usage errors.
    for args, key, message in (
        (("audit_chain", "--checkpoint-every", "0"), "default", "at least 1"),
        (("case_status", "--checkpoint-every", "5"), "default", "audit_chain"),
        (("audit_chain", "--checkpoint-every", "5"), None, "IHANOI_AUDIT_KEY is not set"),
    ):
        done = store.ihanoi("projections", "run", *args, audit_key=key)
        assert done.returncode == USAGE, done.stdout + done.stderr
        assert message in done.stderr

    # Step: the worker starts; 12 events are chained and none signed, so it signs at once.
    worker = subprocess.Popen(
        [sys.executable, "-m", "ihanoi_server.cli", "projections", "run", "audit_chain", "--checkpoint-every", "5"],
        env=store.env(),
        cwd=store.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: recorded_positions(store) == [12])
        # Step: three more reports (6 events) are chained and signed; two more (4) are not yet.
        app = store.app()
        for n in range(3):
            app.handle(CITIZEN, SubmitReport(category="pothole", description=f"#{n}", location=LocationIn("HOAN_KIEM")))
        assert wait_for(lambda: recorded_positions(store) == [12, 18])
        for n in range(2):
            app.handle(CITIZEN, SubmitReport(category="pothole", description=f"#{n}", location=LocationIn("HOAN_KIEM")))
        app.close()
        assert wait_for(lambda: store.run("verify", "--json").stdout.count('"not_covered_by_signature":4') == 1)
        assert recorded_positions(store) == [12, 18]
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == OK, out + err


def recorded_positions(store: Store) -> list[int]:
    with sqlite3.connect(store.folder / "ihanoi.views.db") as conn:
        try:
            rows = conn.execute("SELECT position FROM audit_checkpoints ORDER BY position").fetchall()
        except sqlite3.OperationalError:
            return []  # not created yet
    return [position for (position,) in rows]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()
