"""With IHANOI_CIPHER_KEY, payloads are encrypted at rest (AES-GCM) and still
round-trip exactly; without it they are plain JSON."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from eventsourcing.cryptography import AESCipher

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.eventstore.urls import sqlite_path
from ihanoi_core.settings import Settings

SECRET_TEXT = "Ổ gà rất sâu trước nhà số 7"


def stored_states(settings: Settings) -> list[bytes]:
    with sqlite3.connect(sqlite_path(settings.database_url)) as conn:
        return [row[0] for row in conn.execute("SELECT state FROM stored_events ORDER BY rowid")]


def file_one(settings: Settings) -> tuple[Ihanoi, object]:
    app = Ihanoi(settings)
    citizen = Principal("vneid:1", Role.CITIZEN)
    filed = app.handle(
        citizen, SubmitReport(category="pothole", description=SECRET_TEXT, location=LocationIn("HOAN_KIEM"))
    )
    return app, filed.case_id


def test_payloads_are_encrypted_at_rest_and_read_back_exactly(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", env="test", cipher_key=AESCipher.create_key(32))
    app, case_id = file_one(settings)
    app.close()
    assert all(SECRET_TEXT.encode() not in state for state in stored_states(settings))
    reopened = Ihanoi(settings)
    assert reopened.get_case(Principal("vneid:1", Role.CITIZEN), case_id)["description"] == SECRET_TEXT  # type: ignore[arg-type]
    reopened.close()


def test_without_a_cipher_key_payloads_are_readable_json(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", env="test")
    app, _ = file_one(settings)
    app.close()
    assert any(SECRET_TEXT.encode() in state for state in stored_states(settings))
