"""Audit and integrity (DESIGN §8) against real stores.

History and time travel run on POPO, SQLite and PostgreSQL. Tamper evidence
and replay run on SQLite and PostgreSQL, where the tests edit the stored rows
directly with SQL — as someone with database access would — and ``verify``
must name the position of each edit. The log is built with a few dozen
commands through the application, under a controlled clock that starts on
Monday 2026-11-30 09:00 in Hanoi.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import msgspec
import orjson
import psycopg
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit import (
    AUDITOR,
    EXPORT_FIELDS,
    VersionNotFoundError,
    case_history,
    case_state,
    export_events,
    generate_key,
    load_signing_key,
    public_key_of,
)
from ihanoi_core.commands.grievances import (
    AcceptComplaint,
    AssignComplaint,
    ComplainantIn,
    FileComplaint,
    WithdrawComplaint,
)
from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    RateReport,
    ResolveReport,
    StartReport,
    SubmitReport,
)
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.grievance_values import ComplaintKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env, sqlite_path
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_core.settings import Settings
from ihanoi_projections.audit_chain import (
    PeriodicCheckpoints,
    bring_chain_up_to_date,
    make_checkpoint,
    open_chain,
    verify_store,
)
from ihanoi_projections.engine.database import ViewDatabase, open_view_database
from ihanoi_projections.engine.projector import Projector
from ihanoi_projections.engine.replay import replay_and_diff
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.app import create_app
from ihanoi_server.auth.tokens import issue_token
from tests.conftest import FakeClock, make_settings

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY = "UBND_HOAN_KIEM"
OFFICER = Principal("officer-hk-1", Role.OFFICER, AGENCY)
LEADER = Principal("leader-hk", Role.LEADER, AGENCY)
HANDLER = Principal("officer-hk-handler", Role.OFFICER, AGENCY)
OTHER_AGENCY_OFFICER = Principal("officer-bd", Role.OFFICER, "UBND_BA_DINH")
DENOUNCER = Principal("vneid:001099077777", Role.CITIZEN)
COMPLAINANT = ComplainantIn(
    name="Nguyễn Văn An", national_id="001099012345", phone="0912345678", address="Số 12 phố Hàng Bài"
)
IDENTITY = COMPLAINANT.value()
CONTACT = ContactIn(name="Trần Thị Bình", phone="0988111222", email="binh@example.vn")


def hanoi(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HANOI)


@dataclass
class Scenario:
    reports: list[CommandResult]
    complaint: CommandResult
    denunciation: CommandResult


def populate(app: Ihanoi, clock: FakeClock) -> Scenario:
    """Six reports (half taken to resolution and rated), a complaint and a
    withdrawn denunciation: 26 commands, 38 events."""
    reports = []
    for n in range(6):
        citizen = Principal(f"vneid:0010990000{n:02d}", Role.CITIZEN)
        filed = app.handle(
            citizen,
            SubmitReport(
                category="pothole",
                description=f"Ổ gà số {n} trước nhà",
                location=LocationIn("HOAN_KIEM", address=f"Số {n} phố Hàng Bài"),
                contact=CONTACT,
            ),
        )
        clock.advance(minutes=20)
        app.handle(OFFICER, AcknowledgeReport(case=filed.case_id))
        if n % 2 == 0:
            app.handle(OFFICER, AssignReport(case=filed.case_id, assignee=OFFICER.subject))
            app.handle(OFFICER, StartReport(case=filed.case_id))
            clock.advance(minutes=40)
            app.handle(OFFICER, ResolveReport(case=filed.case_id, answer="Đã vá ổ gà."))
            app.handle(citizen, RateReport(case=filed.case_id, stars=4))
        reports.append(filed)
    complainant = Principal("vneid:001099066666", Role.CITIZEN)
    complaint = app.handle(
        complainant,
        FileComplaint(
            kind=ComplaintKind.COMPLAINT,
            subject="Quyết định thu hồi đất số 12/QĐ-UBND",
            content="Mức bồi thường thấp hơn giá thị trường.",
            respondent_agency=AGENCY,
            ward="HOAN_KIEM",
            complainant=msgspec.structs.replace(COMPLAINANT, name="Lê Văn Cường"),
        ),
    )
    app.handle(LEADER, AcceptComplaint(case=complaint.case_id))
    app.handle(LEADER, AssignComplaint(case=complaint.case_id, assignee=HANDLER.subject))
    clock.advance(hours=1)
    denunciation = file_denunciation(app)
    app.handle(LEADER, AssignComplaint(case=denunciation.case_id, assignee=HANDLER.subject))
    clock.advance(hours=1)
    app.handle(DENOUNCER, WithdrawComplaint(case=denunciation.case_id, reason="Tôi rút đơn."))
    return Scenario(reports, complaint, denunciation)


def file_denunciation(app: Ihanoi) -> CommandResult:
    return app.handle(
        DENOUNCER,
        FileComplaint(
            kind=ComplaintKind.DENUNCIATION,
            subject="Cán bộ địa chính nhận tiền",
            content="Ông X nhận 20 triệu đồng để xác nhận hồ sơ.",
            respondent_agency=AGENCY,
            ward="HOAN_KIEM",
            complainant=COMPLAINANT,
        ),
    )


def pseudonym_of(case_id: UUID) -> str:
    return f"Người tố cáo #{hashlib.sha256(f'{case_id}denouncer'.encode()).hexdigest()[:8]}"


# -- history -----------------------------------------------------------------------------


def test_the_history_lists_every_event_with_hanoi_time_actor_and_changes(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: a citizen reports at 09:00; the officer acknowledges at 09:30.
    filed = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM"), contact=CONTACT)
    )
    clock.advance(minutes=30)
    app.handle(OFFICER, AcknowledgeReport(case=filed.case_id))

    # Step: the auditor reads the history by the case's code.
    history = case_history(app, AUDITOR, filed.code)
    assert (history.case_id, history.code, history.kind) == (filed.case_id, filed.code, "report")
    submitted, acknowledged = history.entries
    assert (submitted.version, submitted.event, submitted.time) == (1, "Submitted", hanoi(11, 30, 9))
    assert submitted.time.tzinfo == HANOI
    assert (acknowledged.version, acknowledged.event, acknowledged.time) == (2, "Acknowledged", hanoi(11, 30, 9, 30))
    assert acknowledged.actor == {"subject": OFFICER.subject, "role": "officer", "agency": AGENCY}
    assert acknowledged.changes["due_at"] == app.get_case(AUDITOR, filed.case_id)["due_at"]
    assert submitted.changes["category"] == "pothole"


def test_the_auditor_sees_personal_fields_and_citizen_subjects_redacted_the_reporter_sees_them(
    app: Ihanoi, citizen: Principal
) -> None:
    filed = app.handle(
        citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM"), contact=CONTACT)
    )
    # Step: the auditor sees neither who reported nor how to reach them.
    (submitted,) = case_history(app, AUDITOR, filed.case_id).entries
    assert submitted.actor == {"subject": None, "role": "citizen", "agency": None}
    assert (submitted.changes["contact"], submitted.changes["reporter"]) == (None, None)
    assert citizen.subject not in repr(submitted)
    assert CONTACT.phone
    assert CONTACT.phone not in repr(submitted)

    # Step: the reporter reads their own case in full.
    (own,) = case_history(app, citizen, filed.case_id).entries
    assert own.actor is not None
    assert own.actor["subject"] == citizen.subject
    assert own.changes["contact"] == CONTACT.value()


def test_a_denouncer_appears_in_the_history_by_pseudonym_unless_the_reader_is_entitled(
    app: Ihanoi, clock: FakeClock
) -> None:
    # Step: a denunciation is filed, assigned and withdrawn by the denouncer.
    filed = file_denunciation(app)
    app.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=HANDLER.subject))
    app.handle(DENOUNCER, WithdrawComplaint(case=filed.case_id, reason="Tôi rút đơn."))
    pseudonym = pseudonym_of(filed.case_id)

    # Step: the auditor and another officer see the pseudonym as actor and as
    # complainant, and nothing of the identity anywhere.
    for outsider in (AUDITOR, OFFICER):
        entries = case_history(app, outsider, filed.case_id).entries
        assert [entry.event for entry in entries] == ["Filed", "Assigned", "Withdrawn"]
        assert entries[0].actor == {"subject": pseudonym, "role": "citizen", "agency": None}
        assert entries[2].actor == entries[0].actor
        assert entries[0].changes["complainant"] == pseudonym
        assert entries[0].changes["owner"] is None
        shown = repr(entries)
        for secret in (*(value for value in astuple(IDENTITY) if value), DENOUNCER.subject):
            assert secret not in shown

    # Step: the leader of the handling agency and the assigned handler read the identity.
    for entitled in (LEADER, HANDLER):
        entries = case_history(app, entitled, filed.case_id).entries
        assert entries[0].changes["complainant"] == IDENTITY
        assert entries[0].actor is not None
        assert entries[0].actor["subject"] == DENOUNCER.subject


def test_a_case_the_reader_may_not_see_has_no_history(
    app: Ihanoi, citizen: Principal, other_citizen: Principal
) -> None:
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM")))
    for outsider in (other_citizen, OTHER_AGENCY_OFFICER, Principal("ops", Role.ADMIN)):
        with pytest.raises(CaseNotFoundError):
            case_history(app, outsider, filed.case_id)
    with pytest.raises(CaseNotFoundError):
        case_history(app, AUDITOR, uuid4())
    assert len(case_history(app, OFFICER, filed.case_id).entries) == 1


# -- time travel -----------------------------------------------------------------------


def test_the_state_as_of_a_time_is_the_state_the_case_had_then(
    app: Ihanoi, clock: FakeClock, citizen: Principal
) -> None:
    # Step: Monday 09:00 submitted, 10:00 acknowledged, 11:00 assigned, 14:00
    # started, Tuesday 15:00 resolved; the state is recorded after each step.
    seen: dict[datetime, dict[str, Any]] = {}
    filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM")))
    seen[clock.now] = app.get_case(AUDITOR, filed.case_id)
    steps: tuple[tuple[datetime, Callable[[], object]], ...] = (
        (hanoi(11, 30, 10), lambda: app.handle(OFFICER, AcknowledgeReport(case=filed.case_id))),
        (hanoi(11, 30, 11), lambda: app.handle(OFFICER, AssignReport(case=filed.case_id, assignee=OFFICER.subject))),
        (hanoi(11, 30, 14), lambda: app.handle(OFFICER, StartReport(case=filed.case_id))),
        (hanoi(12, 1, 15), lambda: app.handle(OFFICER, ResolveReport(case=filed.case_id, answer="Đã vá."))),
    )
    for moment, step in steps:
        clock.set(moment)
        step()
        seen[moment] = app.get_case(AUDITOR, filed.case_id)

    # Step: between two events, the state is the one after the earlier event.
    then = case_state(app, AUDITOR, filed.code, as_of=hanoi(11, 30, 10, 30))
    assert (then.version, then.state["status"]) == (2, "acknowledged")
    assert then.state == seen[hanoi(11, 30, 10)]
    assert then.recorded_at == hanoi(11, 30, 10)

    # Step: at the very time of an event, that event counts; on Tuesday
    # morning the case was still in progress.
    assert case_state(app, AUDITOR, filed.case_id, as_of=hanoi(11, 30, 11)).state == seen[hanoi(11, 30, 11)]
    assert case_state(app, AUDITOR, filed.case_id, as_of=hanoi(12, 1, 9)).state == seen[hanoi(11, 30, 14)]
    assert case_state(app, AUDITOR, filed.case_id, as_of=hanoi(12, 2, 9)).state == seen[hanoi(12, 1, 15)]

    # Step: by version, and the limits.
    assert case_state(app, AUDITOR, filed.case_id, version=1).state["status"] == "submitted"
    with pytest.raises(VersionNotFoundError):
        case_state(app, AUDITOR, filed.case_id, as_of=hanoi(11, 30, 8, 59))
    with pytest.raises(VersionNotFoundError):
        case_state(app, AUDITOR, filed.case_id, version=6)


def test_a_past_state_of_a_denunciation_keeps_the_denouncer_sealed(app: Ihanoi) -> None:
    filed = file_denunciation(app)
    app.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=HANDLER.subject))
    assert case_state(app, AUDITOR, filed.case_id, version=1).state["complainant"] == pseudonym_of(filed.case_id)
    assert case_state(app, LEADER, filed.case_id, version=1).state["complainant"] == IDENTITY


# -- export ------------------------------------------------------------------------------


def test_the_export_lists_every_event_in_position_order_with_the_documented_fields(
    app: Ihanoi, clock: FakeClock
) -> None:
    scenario = populate(app, clock)
    records = list(export_events(app))
    assert len(records) == 38
    assert records[-1]["position"] == app.recorder.max_notification_id()
    assert all(tuple(record) == EXPORT_FIELDS for record in records)
    positions = [record["position"] for record in records]
    assert positions == sorted(positions)
    first = records[0]
    assert (first["case_id"], first["version"], first["event"]) == (str(scenario.reports[0].case_id), 1, "Submitted")
    assert first["timestamp"] == "2026-11-30T02:00:00+00:00"
    assert first["topic"] == "ihanoi_core.domain.report:Report.Submitted"
    assert first["data"]["contact"] is None
    assert first["data"]["category"] == "pothole"
    # Every line is JSON as written by export_line, and no personal data leaks.
    text = b"".join(orjson.dumps(record) for record in records).decode()
    for secret in (IDENTITY.national_id, IDENTITY.phone, CONTACT.phone, DENOUNCER.subject, "vneid:001099000000"):
        assert secret is not None
        assert secret not in text
    assert pseudonym_of(scenario.denunciation.case_id) in text


def test_the_export_of_one_case_and_since_a_position_or_time(app: Ihanoi, clock: FakeClock) -> None:
    scenario = populate(app, clock)
    denunciation = list(export_events(app, case=scenario.denunciation.case_id))
    assert [record["event"] for record in denunciation] == ["Filed", "Registered", "Assigned", "Withdrawn"]
    everything = list(export_events(app))
    middle = everything[20]["position"]
    assert list(export_events(app, since_position=middle)) == everything[21:]
    late = list(export_events(app, since_time=clock.now))
    assert [record["event"] for record in late] == ["Withdrawn"]


# -- tamper evidence ---------------------------------------------------------------------


class StoredLog:
    """The event table, edited with SQL behind the application's back."""

    def __init__(self, settings: Settings) -> None:
        self.kind = store_kind(settings)
        if self.kind == "sqlite":
            self.path = sqlite_path(settings.database_url)
            self.table, self.position, self.mark = "stored_events", "rowid", "?"
        else:
            self.url = settings.database_url
            schema = postgres_env(settings.database_url)["POSTGRES_SCHEMA"]
            self.table, self.position, self.mark = f'"{schema}".cases_events', "notification_id", "%s"

    def execute(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                for sql, params in statements:
                    conn.execute(sql.replace("%s", "?"), params)
        else:
            with psycopg.connect(postgres_conninfo(self.url)) as conn:
                for sql, params in statements:
                    conn.execute(sql, params)

    def fetch(self, position: int) -> tuple[Any, ...]:
        sql = f"SELECT originator_id, originator_version, topic, state FROM {self.table} WHERE {self.position} = "
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                row = conn.execute(sql + "?", (position,)).fetchone()
        else:
            with psycopg.connect(postgres_conninfo(self.url)) as conn:
                row = conn.execute(sql + "%s", (position,)).fetchone()
        assert row is not None
        return tuple(row)

    def change_a_byte(self, position: int) -> None:
        state = bytearray(self.fetch(position)[3])
        state[len(state) // 2] ^= 0x01
        self.execute((f"UPDATE {self.table} SET state = %s WHERE {self.position} = %s", (bytes(state), position)))

    def delete(self, position: int) -> None:
        self.execute((f"DELETE FROM {self.table} WHERE {self.position} = %s", (position,)))

    def swap(self, first: int, second: int) -> None:
        move = f"UPDATE {self.table} SET {self.position} = %s WHERE {self.position} = %s"
        self.execute((move, (-first, first)), (move, (first, second)), (move, (second, -first)))

    def insert_forged(self, position: int) -> None:
        """Shift every event from ``position`` on one place up and slip a forged
        event (a copy of the one there, under a new case id) into the hole."""
        _, _, topic, state = self.fetch(position)
        p = self.position
        forged_id: Any = uuid4().hex if self.kind == "sqlite" else uuid4()
        self.execute(
            (f"UPDATE {self.table} SET {p} = -{p} - 1 WHERE {p} >= %s", (position,)),
            (f"UPDATE {self.table} SET {p} = -{p} WHERE {p} < 0", ()),
            (
                f"INSERT INTO {self.table} (originator_id, originator_version, topic, state, {p}) "
                "VALUES (%s, 1, %s, %s, %s)",
                (forged_id, topic, state, position),
            ),
        )

    def append_forged(self, after: int) -> int:
        """Store a forged event (a copy of the last one, under a new case id)
        at the end of the log, as someone with write access to the table could."""
        _, _, topic, state = self.fetch(after)
        forged_id: Any = uuid4().hex if self.kind == "sqlite" else uuid4()
        self.execute(
            (
                f"INSERT INTO {self.table} (originator_id, originator_version, topic, state, {self.position}) "
                "VALUES (%s, 1, %s, %s, %s)",
                (forged_id, topic, state, after + 1),
            )
        )
        return after + 1


@pytest.fixture(params=["sqlite", "postgres"])
def durable_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return make_settings(str(request.param), tmp_path, request)


@dataclass
class ChainedStore:
    app: Ihanoi
    database: ViewDatabase
    log: StoredLog
    scenario: Scenario
    head: int


@pytest.fixture
def chained(durable_settings: Settings, clock: FakeClock) -> Iterator[ChainedStore]:
    """A few dozen commands, then the chain brought up to the head by the read side."""
    app = Ihanoi(durable_settings, clock=clock)
    scenario = populate(app, clock)
    read_side = ReadSide(app, names=["audit_chain"], start=False)
    read_side.catch_up()
    read_side.close()
    database = open_view_database(durable_settings)
    yield ChainedStore(app, database, StoredLog(durable_settings), scenario, app.head_position())
    database.close()
    app.close()


def problems(store: ChainedStore) -> list[tuple[int, str]]:
    return [(problem.position, problem.kind) for problem in verify_store(store.app, store.database).problems]


def test_an_untouched_log_verifies(chained: ChainedStore) -> None:
    report = verify_store(chained.app, chained.database)
    assert report.ok
    assert (report.checked, report.chain_head, report.log_head, report.unchained) == (38, chained.head, chained.head, 0)


def test_a_changed_payload_byte_is_caught_at_its_position(chained: ChainedStore) -> None:
    chained.log.change_a_byte(17)
    assert problems(chained) == [(17, "edited")]


def test_a_deleted_event_is_caught_at_its_position(chained: ChainedStore) -> None:
    chained.log.delete(23)
    assert problems(chained) == [(23, "deleted")]


def test_two_swapped_events_are_caught_as_reordered(chained: ChainedStore) -> None:
    chained.log.swap(5, 30)
    assert problems(chained) == [(5, "reordered"), (30, "reordered")]


def test_a_forged_event_inserted_into_the_log_is_caught_at_its_position(chained: ChainedStore) -> None:
    chained.log.insert_forged(12)
    report = verify_store(chained.app, chained.database)
    assert report.first_problem is not None
    assert (report.first_problem.position, report.first_problem.kind) == (12, "inserted")
    assert report.unchained == 1  # The last event was pushed past the chain head.


def test_events_saved_after_the_chain_head_are_reported_as_not_yet_chained(
    chained: ChainedStore, citizen: Principal
) -> None:
    chained.app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM")))
    report = verify_store(chained.app, chained.database)
    assert report.ok
    assert (report.unchained, report.chain_head) == (2, chained.head)


def test_the_chain_is_kept_incrementally_exactly_once_and_equals_a_chain_built_at_once(
    chained: ChainedStore, citizen: Principal
) -> None:
    # Step: more events, chained in small batches by a second projector.
    for n in range(5):
        chained.app.handle(
            citizen, SubmitReport(category="pothole", description=f"#{n}", location=LocationIn("HOAN_KIEM"))
        )
    model = open_chain(chained.app, chained.database)
    Projector(chained.app, chained.database, [model], batch_size=3).catch_up()
    incremental = model.rows()

    # Step: re-running the projector applies nothing twice; a rebuild from
    # zero gives the very same rows.
    assert Projector(chained.app, chained.database, [model]).catch_up() == 0
    rebuilt = Projector(chained.app, chained.database, [model])
    rebuilt.reset()
    rebuilt.catch_up()
    assert model.rows() == incremental
    assert [row["position"] for row in incremental][-1] == chained.app.recorder.max_notification_id()
    assert verify_store(chained.app, chained.database).ok


def test_an_edited_chain_row_is_caught_as_chain_altered(chained: ChainedStore) -> None:
    with chained.database.transaction() as cursor:
        cursor.execute("UPDATE audit_chain SET link = ? WHERE position = 9", (b"\x00" * 32,))
    assert problems(chained) == [(9, "chain_altered")]


def test_an_edited_chain_digest_is_caught_as_chain_altered(chained: ChainedStore) -> None:
    # The link still follows from the log: only recomputing the digest finds this.
    with chained.database.transaction() as cursor:
        cursor.execute("UPDATE audit_chain SET digest = ? WHERE position = 9", (hashlib.sha256(b"x").digest(),))
    assert problems(chained) == [(9, "chain_altered")]


def test_a_chain_digest_that_is_not_a_hash_is_named_at_its_position_not_a_crash(
    chained: ChainedStore, tmp_path: Path
) -> None:
    # SQLite stores text in a BLOB column as text; PostgreSQL casts it to 10 bytes.
    with chained.database.transaction() as cursor:
        cursor.execute("UPDATE audit_chain SET digest = ? WHERE position = 9", ("not a hash",))
    report = verify_store(chained.app, chained.database)
    assert [(problem.position, problem.kind) for problem in report.problems] == [(9, "chain_altered")]
    assert report.first_problem is not None
    assert "digest at position 9 is" in report.first_problem.detail
    assert "not a 32-byte SHA-256 hash" in report.first_problem.detail
    # Step: replay compares the row instead of failing on it.
    (chain,) = replay_and_diff(chained.app, chained.app.settings, names=["audit_chain"], scratch_dir=tmp_path).models
    assert [change.identity for change in chain.changes] == [{"position": 9}]


def test_a_deleted_chain_tail_is_caught_as_chain_truncated_not_as_inserted_events(chained: ChainedStore) -> None:
    with chained.database.transaction() as cursor:
        cursor.execute("DELETE FROM audit_chain WHERE position > ?", (chained.head - 3,))
    report = verify_store(chained.app, chained.database)
    assert [(problem.position, problem.kind) for problem in report.problems] == [(chained.head - 2, "chain_truncated")]
    assert report.first_problem is not None
    assert "3 stored events after it are no longer in the chain" in report.first_problem.detail


def test_rewriting_both_log_and_chain_passes_the_chain_but_fails_a_published_checkpoint(
    chained: ChainedStore,
) -> None:
    # Step: the city signs and publishes a checkpoint.
    seed, public = generate_key()
    checkpoint = make_checkpoint(chained.app, chained.database, load_signing_key(seed), jurisdiction="hanoi.gov.vn")
    assert (checkpoint.position, checkpoint.events) == (chained.head, 38)
    intact = verify_store(
        chained.app, chained.database, checkpoint=checkpoint, trusted_public_key=public, jurisdiction="hanoi.gov.vn"
    )
    assert intact.ok

    # Step: someone edits an event and rebuilds the chain over the edited log.
    chained.log.change_a_byte(7)
    model = open_chain(chained.app, chained.database)
    projector = Projector(chained.app, chained.database, [model])
    projector.reset()
    projector.catch_up()
    assert verify_store(chained.app, chained.database).ok

    # Step: the published checkpoint still catches it.
    report = verify_store(
        chained.app, chained.database, checkpoint=checkpoint, trusted_public_key=public, jurisdiction="hanoi.gov.vn"
    )
    assert [(problem.position, problem.kind) for problem in report.problems] == [(chained.head, "checkpoint")]


def test_a_forged_event_appended_and_chained_after_the_newest_checkpoint_is_counted_as_not_signed(
    chained: ChainedStore,
) -> None:
    # Step: the city signs a checkpoint at the head; it is recorded beside the chain.
    seed, public = generate_key()
    make_checkpoint(chained.app, chained.database, load_signing_key(seed), jurisdiction="hanoi.gov.vn")

    # Step: someone appends a forged event, and the chain (a running worker) chains it like any other.
    forged = chained.log.append_forged(chained.head)
    bring_chain_up_to_date(chained.app, chained.database)

    # Step: the chain cannot tell; verify says the event lies outside every signature.
    report = verify_store(chained.app, chained.database, trusted_public_key=public, jurisdiction="hanoi.gov.vn")
    assert report.ok
    assert (report.chain_head, report.events) == (forged, 39)
    assert (report.signed_position, report.unsigned) == (chained.head, 1)
    # Step: without a trusted key no checkpoint counts, so nothing is signed.
    unsigned = verify_store(chained.app, chained.database)
    assert (unsigned.signed_position, unsigned.unsigned) == (None, 39)


def test_the_recorded_checkpoint_catches_a_rewrite_of_log_and_chain_without_a_published_file(
    chained: ChainedStore,
) -> None:
    seed, public = generate_key()
    make_checkpoint(chained.app, chained.database, load_signing_key(seed), jurisdiction="hanoi.gov.vn")
    # Step: an event is edited and the chain rebuilt over the edited log.
    chained.log.change_a_byte(7)
    projector = Projector(chained.app, chained.database, [open_chain(chained.app, chained.database)])
    projector.reset()
    projector.catch_up()
    report = verify_store(chained.app, chained.database, trusted_public_key=public, jurisdiction="hanoi.gov.vn")
    assert [(problem.position, problem.kind) for problem in report.problems] == [(chained.head, "checkpoint")]
    assert report.first_problem is not None
    assert report.first_problem.detail.startswith("the recorded checkpoint: ")
    assert (report.signed_position, report.unsigned) == (None, 38)


def test_a_recorded_checkpoint_of_another_key_is_not_counted_and_an_unreadable_one_is_a_problem(
    chained: ChainedStore,
) -> None:
    public = generate_key()[1]
    # Step: a checkpoint signed with another key (a rotated one, an impostor's) is recorded.
    make_checkpoint(chained.app, chained.database, load_signing_key(generate_key()[0]), jurisdiction="hanoi.gov.vn")
    report = verify_store(chained.app, chained.database, trusted_public_key=public, jurisdiction="hanoi.gov.vn")
    assert report.ok
    assert (report.signed_position, report.unsigned) == (None, 38)
    # Step: a row naming the trusted key that is not a checkpoint at all.
    with chained.database.transaction() as cursor:
        cursor.execute(
            "INSERT INTO audit_checkpoints (position, public_key, created_at, document) VALUES (?, ?, ?, ?)",
            (chained.head, public, "2026-12-01T00:00:00Z", "{not json"),
        )
    report = verify_store(chained.app, chained.database, trusted_public_key=public, jurisdiction="hanoi.gov.vn")
    assert [(problem.position, problem.kind) for problem in report.problems] == [(chained.head, "checkpoint")]
    assert report.first_problem is not None
    assert "is not a checkpoint" in report.first_problem.detail


def test_periodic_checkpoints_sign_whenever_n_more_events_are_chained(
    chained: ChainedStore, citizen: Principal
) -> None:
    seed, public = generate_key()
    every = PeriodicCheckpoints(chained.app.settings, load_signing_key(seed), 10)
    try:
        # Step: 38 chained events and no checkpoint yet: one is signed at the head, then none.
        first = every()
        assert first is not None
        assert (first.position, first.events) == (chained.head, 38)
        assert every() is None
        # Step: 8 more events chained (four reports) are fewer than 10: nothing is signed.
        for n in range(4):
            chained.app.handle(
                citizen, SubmitReport(category="pothole", description=f"#{n}", location=LocationIn("HOAN_KIEM"))
            )
        bring_chain_up_to_date(chained.app, chained.database)
        assert every() is None
        report = verify_store(chained.app, chained.database, trusted_public_key=public, jurisdiction="hanoi.gov.vn")
        assert (report.signed_position, report.unsigned) == (chained.head, 8)
        # Step: the fifth report makes 10: a checkpoint at the new head.
        chained.app.handle(
            citizen, SubmitReport(category="pothole", description="#5", location=LocationIn("HOAN_KIEM"))
        )
        bring_chain_up_to_date(chained.app, chained.database)
        second = every()
        assert second is not None
        assert (second.position, second.events) == (chained.app.recorder.max_notification_id(), 48)
        report = verify_store(chained.app, chained.database, trusted_public_key=public, jurisdiction="hanoi.gov.vn")
        assert report.ok
        assert (report.signed_position, report.unsigned) == (second.position, 0)
    finally:
        every.close()


def test_a_checkpoint_with_a_forged_signature_is_rejected(chained: ChainedStore) -> None:
    seed, public = generate_key()
    checkpoint = make_checkpoint(chained.app, chained.database, load_signing_key(seed), jurisdiction="hanoi.gov.vn")
    raw = bytearray(base64.b64decode(checkpoint.signature))
    raw[-1] ^= 0x80
    forged = replace(checkpoint, signature=base64.b64encode(bytes(raw)).decode())
    report = verify_store(
        chained.app, chained.database, checkpoint=forged, trusted_public_key=public, jurisdiction="hanoi.gov.vn"
    )
    assert report.first_problem is not None
    assert report.first_problem.kind == "checkpoint"
    assert "does not verify" in report.first_problem.detail
    other = public_key_of(load_signing_key(generate_key()[0]))
    report = verify_store(
        chained.app, chained.database, checkpoint=checkpoint, trusted_public_key=other, jurisdiction="hanoi.gov.vn"
    )
    assert report.first_problem is not None
    assert "not the trusted key" in report.first_problem.detail


def test_bringing_the_chain_up_to_date_chains_only_what_is_new(chained: ChainedStore, citizen: Principal) -> None:
    chained.app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM")))
    model = bring_chain_up_to_date(chained.app, chained.database)
    assert model.head().events == 40
    assert chained.database.position("audit_chain") == chained.app.recorder.max_notification_id()


# -- replay ------------------------------------------------------------------------------


def test_replay_finds_every_read_model_equal_to_its_rebuild_from_the_log(
    durable_settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    app = Ihanoi(durable_settings, clock=clock)
    try:
        populate(app, clock)
        # Step: the live read models are built incrementally by the read side.
        read_side = ReadSide(app, start=False)
        read_side.catch_up()
        read_side.close()
        report = replay_and_diff(app, durable_settings, scratch_dir=tmp_path)
        assert report.ok, [model for model in report.models if not model.same]
        assert (report.events, report.head) == (38, app.recorder.max_notification_id())
        assert {model.name for model in report.models} >= {"case_status", "worklist", "audit_chain"}
        assert next(model for model in report.models if model.name == "case_status").live_rows == 8
    finally:
        app.close()


def test_replay_reports_a_read_model_row_altered_by_hand(
    durable_settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    app = Ihanoi(durable_settings, clock=clock)
    try:
        scenario = populate(app, clock)
        ReadSide(app, start=False).catch_up()
        # Step: someone closes a case in the status view by hand.
        database = open_view_database(durable_settings)
        with database.transaction() as cursor:
            cursor.execute(
                "UPDATE view_case_status SET status = 'closed' WHERE case_id = ?", (str(scenario.reports[1].case_id),)
            )
        database.close()
        report = replay_and_diff(app, durable_settings, scratch_dir=tmp_path)
        assert not report.ok
        (different,) = [model for model in report.models if not model.same]
        assert different.name == "case_status"
        (change,) = different.changes
        assert change.identity == {"case_id": str(scenario.reports[1].case_id)}
        assert change.columns == {"status": ("closed", "acknowledged")}
    finally:
        app.close()


def test_replay_reports_the_chain_row_of_an_event_edited_after_it_was_chained(
    chained: ChainedStore, tmp_path: Path
) -> None:
    chained.log.change_a_byte(21)
    report = replay_and_diff(chained.app, chained.app.settings, names=["audit_chain"], scratch_dir=tmp_path)
    (chain,) = report.models
    assert (chain.live_rows, chain.replayed_rows, chain.only_live, chain.only_replayed) == (38, 38, 0, 0)
    # Every link from 21 on differs; the first change is the edited event's digest and link.
    assert chain.changed == 38 - 20
    assert chain.changes[0].identity == {"position": 21}
    assert set(chain.changes[0].columns) == {"digest", "link"}
    assert set(chain.changes[1].columns) == {"link"}


def test_the_replay_scratch_store_keeps_every_position(durable_settings: Settings, clock: FakeClock) -> None:
    # On PostgreSQL, positions can have gaps; the copy must keep them as they are.
    app = Ihanoi(durable_settings, clock=clock)
    try:
        populate(app, clock)
        StoredLog(durable_settings).delete(9)  # a gap in the live log (a case-code registration)
        ReadSide(app, start=False).catch_up()
        report = replay_and_diff(app, durable_settings, names=["audit_chain"])
        assert report.ok
        assert (report.events, report.head) == (37, app.recorder.max_notification_id())
    finally:
        app.close()


# -- the HTTP route ----------------------------------------------------------------------


def test_the_audit_route_serves_history_and_time_travel_with_the_core_rules(tmp_path: Path, clock: FakeClock) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ihanoi.db'}", env="test")
    writer = Ihanoi(settings, clock=clock)
    filed = file_denunciation(writer)
    clock.advance(hours=1)
    writer.handle(LEADER, AssignComplaint(case=filed.case_id, assignee=HANDLER.subject))
    writer.close()

    def headers(who: Principal) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(settings.jwt_secret, who)}"}

    async def scenario() -> None:
        server = create_app(settings)
        transport = httpx.ASGITransport(app=server)
        async with (
            server.router.lifespan_context(server),
            httpx.AsyncClient(transport=transport, base_url="http://ihanoi.test") as client,
        ):
            # Step: the auditor reads the history by code, the denouncer by pseudonym.
            response = await client.get(f"/api/v1/audit/{filed.code}", headers=headers(AUDITOR))
            assert response.status_code == 200
            body = response.json()
            assert [event["event"] for event in body["events"]] == ["Filed", "Assigned"]
            assert body["events"][0]["time"] == "2026-11-30T09:00:00+07:00"
            assert body["events"][0]["actor"]["subject"] == pseudonym_of(filed.case_id)
            assert IDENTITY.name not in response.text

            # Step: as of 09:30 Hanoi time the case was not yet assigned; by version too.
            url = f"/api/v1/audit/{filed.case_id}"
            then = (await client.get(f"{url}?as_of=2026-11-30T09:30", headers=headers(AUDITOR))).json()
            assert (then["version"], then["case"]["assignee"]) == (1, None)
            second = (await client.get(f"{url}?version=2", headers=headers(LEADER))).json()
            assert (second["case"]["assignee"], second["case"]["complainant"]["name"]) == (
                HANDLER.subject,
                IDENTITY.name,
            )

            # Step: an officer of another agency gets 404, bad input 422, no token 401.
            assert (await client.get(url, headers=headers(OTHER_AGENCY_OFFICER))).status_code == 404
            assert (await client.get(f"{url}?version=0", headers=headers(AUDITOR))).status_code == 422
            assert (await client.get(f"{url}?as_of=yesterday", headers=headers(AUDITOR))).status_code == 422
            assert (await client.get(url)).status_code == 401

    asyncio.run(scenario())
