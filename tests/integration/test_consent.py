"""Consent to purposes beyond case handling, on memory, SQLite and PostgreSQL:
given, withdrawn, given again, its history in order, only by the citizen
themself, in their data export, sealed in the store and withdrawn and erased
with the subject."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import psycopg
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.consent import Consent, ConsentNotGivenError, Purpose
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ForbiddenError, ValidationError
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env
from ihanoi_core.settings import Settings
from tests.conftest import FakeClock, staff
from tests.integration.test_privacy import raw_bytes

CHANNEL = "sms:0987001234"
DPO = Principal("dpo-01", Role.DPO)
LAW = "Luật 91/2025/QH15"


def stored_bytes(settings: Settings) -> bytes:
    """The raw store: SQLite's files, or PostgreSQL's event and key tables."""
    if store_kind(settings) == "sqlite":
        return raw_bytes(settings)
    schema = postgres_env(settings.database_url)["POSTGRES_SCHEMA"]
    dump = bytearray()
    with psycopg.connect(postgres_conninfo(settings.database_url)) as conn:
        for table in ("cases_events", "personal_data_keys", "personal_data_streams"):
            with conn.cursor().copy(f'COPY "{schema}"."{table}" TO STDOUT (FORMAT binary)') as copy:
                for block in copy:
                    dump += block
    return bytes(dump)


def states(app: Ihanoi, who: Principal) -> dict[str, str | None]:
    return {view["purpose"]: view["status"] for view in app.consents(who)}


def test_give_withdraw_give_again_keeps_the_history_in_order(
    app: Ihanoi, clock: FakeClock, citizen: Principal, other_citizen: Principal
) -> None:
    assert states(app, citizen) == {"notifications": None, "survey_identity": None}
    assert not app.has_consent(citizen.subject, Purpose.NOTIFICATIONS)

    given = app.give_consent(citizen, "notifications", notice_version="2026-01", channel=CHANNEL)
    assert (given.status, given.changed) == ("given", True)
    # The same notice again: nothing recorded.
    again = app.give_consent(citizen, "notifications", notice_version="2026-01", channel=CHANNEL)
    assert (again.changed, again.position, again.version) == (False, None, given.version)
    assert app.has_consent(citizen.subject, "notifications")
    assert not app.has_consent(citizen.subject, "survey_identity")
    assert not app.has_consent(other_citizen.subject, "notifications")

    clock.now += timedelta(hours=1)
    withdrawn = app.withdraw_consent(citizen, "notifications", reason="Quá nhiều tin nhắn")
    assert (withdrawn.status, withdrawn.changed) == ("withdrawn", True)
    assert not app.has_consent(citizen.subject, "notifications")
    # Withdrawn already: nothing recorded.
    assert not app.withdraw_consent(citizen, "notifications").changed

    clock.now += timedelta(hours=1)
    app.give_consent(citizen, "notifications", notice_version="2026-02")
    clock.now += timedelta(hours=1)
    # A new notice version while given is a new agreement.
    assert app.give_consent(citizen, "notifications", notice_version="2026-03").changed
    assert app.has_consent(citizen.subject, "notifications")

    view = next(view for view in app.consents(citizen) if view["purpose"] == "notifications")
    assert (view["status"], view["notice_version"], view["channel"]) == ("given", "2026-03", None)
    history = [(entry["event"], entry["notice_version"], entry["reason"]) for entry in view["history"]]
    assert history == [
        ("given", "2026-01", None),
        ("withdrawn", None, "Quá nhiều tin nhắn"),
        ("given", "2026-02", None),
        ("given", "2026-03", None),
    ]
    times = [entry["at"] for entry in view["history"]]
    assert times == sorted(times)
    assert len(set(times)) == 4
    if store_kind(app.settings) == "memory":
        return
    # Another process reads the same from the log.
    assert states(Ihanoi(app.settings, clock=clock, personal_keys=app.personal_keys), citizen) == {
        "notifications": "given",
        "survey_identity": None,
    }


def test_withdrawing_what_was_never_given_is_a_conflict_and_records_nothing(app: Ihanoi, citizen: Principal) -> None:
    before = app.head_position()
    with pytest.raises(ConsentNotGivenError) as raised:
        app.withdraw_consent(citizen, "survey_identity")
    assert raised.value.code == "consent_not_given"
    assert app.head_position() == before
    with pytest.raises(ValidationError):
        app.give_consent(citizen, "marketing", notice_version="2026-01")


def test_only_the_citizen_gives_or_withdraws_their_own(app: Ihanoi, citizen: Principal) -> None:
    for someone in (staff(Role.OFFICER, "UBND_HOAN_KIEM"), DPO, Principal("partner-app", Role.PARTNER)):
        with pytest.raises(ForbiddenError):
            app.give_consent(someone, "notifications", notice_version="2026-01")
        with pytest.raises(ForbiddenError):
            app.withdraw_consent(someone, "notifications")
    app.give_consent(citizen, "notifications", notice_version="2026-01")
    other = Principal("vneid:001099099999", Role.CITIZEN)
    with pytest.raises(ForbiddenError):
        app.consents(other, citizen.subject)
    with pytest.raises(ForbiddenError):
        app.consents(staff(Role.OFFICER, "UBND_HOAN_KIEM"), citizen.subject)
    # The data protection officer has no consents of their own here (``/me/consents``), and reads
    # a citizen's, for a request received another way.
    with pytest.raises(ForbiddenError):
        app.consents(DPO)
    assert {view["purpose"]: view["status"] for view in app.consents(DPO, citizen.subject)}["notifications"] == "given"


def test_the_export_holds_the_consents_and_an_erasure_withdraws_and_erases_them(
    app: Ihanoi, settings: Settings, clock: FakeClock, citizen: Principal, other_citizen: Principal
) -> None:
    app.give_consent(citizen, "notifications", notice_version="2026-01", channel=CHANNEL)
    app.give_consent(citizen, "survey_identity", notice_version="2026-01")
    app.withdraw_consent(citizen, "survey_identity", reason="Không muốn")
    app.give_consent(other_citizen, "notifications", notice_version="2026-01", channel="sms:0911000000")

    export = app.export_personal_data(citizen)
    assert {consent["purpose"]: consent["status"] for consent in export["consents"]} == {
        "notifications": "given",
        "survey_identity": "withdrawn",
    }
    records = [record for record in export["records"] if record["type"] == "Consent"]
    assert len(records) == 2
    values = [datum["value"] for record in records for datum in record["personal_data"]]
    assert citizen.subject in values
    assert CHANNEL in values
    assert "sms:0911000000" not in values
    if store_kind(settings) != "memory":
        raw = stored_bytes(settings)
        assert CHANNEL.encode() not in raw
        assert citizen.subject.encode() not in raw
        assert b"Kh\xc3\xb4ng mu\xe1\xbb\x91n" not in raw

    streams = [record["id"] for record in records]
    clock.now += timedelta(days=1)
    erased = app.erase_subject(DPO, citizen.subject, reason="Yêu cầu của chủ thể", legal_basis=LAW)
    assert erased.status == "erased"

    # Nothing of them answers any more; a bystander's consent is untouched.
    assert not app.has_consent(citizen.subject, "notifications")
    assert states(app, citizen) == {"notifications": None, "survey_identity": None}
    assert app.export_personal_data(citizen)["consents"] == []
    assert app.has_consent(other_citizen.subject, "notifications")
    # The old streams still load: withdrawn by the erasure, their personal fields erased.
    for stream in streams:
        consent = app._get(UUID(stream))
        assert isinstance(consent, Consent)
        assert consent.subject is None
        assert consent.status == "withdrawn"
        assert all(entry["channel"] is None and entry["reason"] is None for entry in consent.history)
    names = [type(event).__name__ for event in app.events.get(UUID(streams[0]))]
    assert names == ["Opened", "Given", "Withdrawn"]

    # They may consent again: a new record under their new key.
    again = app.give_consent(citizen, "notifications", notice_version="2026-02")
    assert again.changed
    assert again.version == 2
    assert app.has_consent(citizen.subject, "notifications")
    assert [entry["notice_version"] for entry in app.consents(citizen)[0]["history"]] == ["2026-02"]
