"""The data-key tables on a real SQLite file and the real PostgreSQL server:
keys outlive the process, a new stream's key is stored with its events or not
at all, a destroyed key's bytes leave the SQLite file, and a master-key
rotation moves every key without a personal field going dark."""

from __future__ import annotations

import base64
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.values import Contact, Principal, Role
from ihanoi_core.errors import ConfigurationError
from ihanoi_core.eventstore.keys_sql import STREAM_BINDINGS
from ihanoi_core.eventstore.settings_env import personal_key_store
from ihanoi_core.eventstore.urls import sqlite_path
from ihanoi_core.settings import Settings
from tests.conftest import make_settings

CITIZEN = Principal("vneid:079301234567", Role.CITIZEN)
OFFICER = Principal("officer-1", Role.OFFICER, "UBND_HOAN_KIEM")
CONTACT = ContactIn(name="Canarino Vàng", phone="0987001234", email="canarino@example.vn")


def file_report(app: Ihanoi) -> UUID:
    filed = app.handle(
        CITIZEN, SubmitReport(category="pothole", description="Ổ gà", location=LocationIn("HOAN_KIEM"), contact=CONTACT)
    )
    return filed.case_id


def master() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(params=["sqlite", "postgres"])
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return make_settings(str(request.param), tmp_path, request).with_changes(env="production", pii_master_key=master())


def test_keys_outlive_the_process_and_a_rotation_keeps_every_field_readable(durable: Settings) -> None:
    app = Ihanoi(durable)
    case_id = file_report(app)
    app.close()

    # Step: a new master key in front of the old one; the rotation rewraps all.
    old = durable.pii_master_key
    rotating = durable.with_changes(pii_master_key=f"{master()},{old}")
    app = Ihanoi(rotating)
    assert app.get_case(OFFICER, case_id)["contact"] == Contact(CONTACT.name, CONTACT.phone, CONTACT.email)
    # The case's stream is bound to the citizen's key in the table, not only in the process that filed it.
    key_id = app.personal_keys.stream_key(case_id)
    assert key_id is not None
    assert app.personal_keys.is_subject_of(key_id, CITIZEN.subject)
    assert case_id in app.personal_keys.streams(key_id)
    assert app.personal_keys.rewrap() == 2
    app.close()

    # Step: the old key gone, a fresh process reads everything.
    assert rotating.pii_master_key is not None
    rotated = durable.with_changes(pii_master_key=rotating.pii_master_key.split(",")[0])
    app = Ihanoi(rotated)
    try:
        assert app.get_case(OFFICER, case_id)["contact"].email == CONTACT.email
    finally:
        app.close()

    # Step: with only the old key the store says which master key it needs.
    app = Ihanoi(durable)
    try:
        with pytest.raises(ConfigurationError, match="does not hold"):
            app.personal_keys.subject_key(CITIZEN.subject)
    finally:
        app.close()


def test_a_new_streams_key_is_stored_in_its_events_transaction_or_not_at_all(durable: Settings) -> None:
    app = Ihanoi(durable)
    try:
        case_id = file_report(app)
        key_id = app.personal_keys.subject_key_id(CITIZEN.subject)
        recorder = app.recorder
        assert getattr(recorder, "binds_streams", False)
        failed, stored = uuid4(), uuid4()
        # Step: an insert whose second event takes a version already stored fails whole: no binding stays.
        with pytest.raises(IntegrityError):
            recorder.insert_events(
                [StoredEvent(failed, 1, "tests:New", b"{}"), StoredEvent(case_id, 1, "tests:Clash", b"{}")],
                **{STREAM_BINDINGS: [(failed, key_id)]},
            )
        assert recorder.select_events(failed) == []
        assert app.personal_keys.table.stream_key(str(failed)) is None
        # Step: an insert that succeeds stores its binding.
        recorder.insert_events([StoredEvent(stored, 1, "tests:New", b"{}")], **{STREAM_BINDINGS: [(stored, key_id)]})
        assert app.personal_keys.table.stream_key(str(stored)) == key_id
    finally:
        app.close()


def test_two_stores_claiming_new_subjects_at_once_give_each_subject_one_key(durable: Settings) -> None:
    # Two applications on one store, as two server processes are: their key stores share only the tables.
    apps = [Ihanoi(durable), Ihanoi(durable)]
    try:
        subjects = [f"vneid:0790012{n:05d}" for n in range(40)]
        stores = [app.personal_keys for app in apps]
        with ThreadPoolExecutor(8) as pool:
            claims = list(pool.map(lambda job: stores[job % 2].subject_key_id(subjects[job // 4]), range(160)))
        # Step: each subject was claimed four times, twice through each store, all at once: one key.
        for n, subject in enumerate(subjects):
            assert len(set(claims[4 * n : 4 * n + 4])) == 1, subject
            assert stores[0].is_subject_of(claims[4 * n], subject)
        assert len(set(claims)) == len(subjects)
        # Step: an erased subject's next claim makes a new key; the old one stays destroyed.
        first = claims[0]
        stores[1].destroy(first)
        again = stores[0].subject_key_id(subjects[0])
        assert again != first
        assert stores[1].subject_key_id(subjects[0]) == again
        destroyed = stores[0].data_key(first)
        assert destroyed is not None
        assert destroyed.destroyed_at is not None
    finally:
        for app in apps:
            app.close()


def test_a_production_store_without_a_master_key_refuses_to_start(durable: Settings) -> None:
    with pytest.raises(ConfigurationError, match="IHANOI_PII_MASTER_KEY is required"):
        personal_key_store(durable.with_changes(pii_master_key=None))


def test_a_destroyed_key_leaves_no_trace_of_its_wrapped_bytes_in_the_sqlite_file(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ihanoi.db'}", env="test")
    app = Ihanoi(settings)
    file_report(app)
    key = app.personal_keys.subject_key(CITIZEN.subject)
    assert key is not None
    row = app.personal_keys.table.get(key.id)
    assert row is not None
    assert row.wrapped_key is not None
    path = Path(sqlite_path(settings.database_url))
    wal = Path(f"{path}-wal")

    def on_disk() -> bytes:
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    assert row.wrapped_key in on_disk()
    app.personal_keys.destroy(key.id)
    app.close()
    assert row.wrapped_key not in on_disk()
