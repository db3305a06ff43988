"""With IHANOI_CIPHER_KEY, payloads are encrypted at rest (AES-GCM) and still
round-trip exactly; without it they are plain JSON."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ConfigurationError
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


@pytest.mark.parametrize("size", [16, 24, 32])
def test_every_key_size_the_cipher_takes_is_accepted_and_encrypts(size: int, tmp_path: Path) -> None:
    key = AESCipher.create_key(size)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", env="test", cipher_key=key)
    app, _ = file_one(settings)
    app.close()
    assert all(SECRET_TEXT.encode() not in state for state in stored_states(settings))


# Bad padding, too short, 30 bytes (a 32-byte key cut short), not base64.
@pytest.mark.parametrize("key", ["zz", "AAAA", base64.b64encode(b"k" * 30).decode(), "not base64 at all!"])
def test_a_key_the_cipher_would_not_take_is_refused_by_the_settings_naming_it(key: str) -> None:
    # The library itself would fail on the first store opened, with a traceback
    # (binascii's "Incorrect padding", or a key size error).
    with pytest.raises(ConfigurationError, match=r"IHANOI_CIPHER_KEY must be the base64 of a 16-, 24- or 32-byte"):
        Settings(env="test", cipher_key=key)
