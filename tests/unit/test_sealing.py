"""Sealing personal fields (``eventstore.sealing``) and the data keys behind it
(``eventstore.keys``), on the in-memory key table; and the declarations the
domain makes of which event fields are personal."""

from __future__ import annotations

import base64
import dataclasses
import os
from typing import Any
from uuid import uuid4

import pytest

from ihanoi_core.domain.personal import ACTOR, ERASED_PRINCIPAL, Personal, personal_fields
from ihanoi_core.domain.values import VALUE_TYPES, Contact, Principal, Role
from ihanoi_core.errors import ConfigurationError
from ihanoi_core.events.catalogue import AGGREGATES, declared_events
from ihanoi_core.eventstore.keys import KeyStore, MasterKeys, MemoryKeyTable, UnknownDataKeyError
from ihanoi_core.eventstore.sealing import Sealed, Sealer, stream_subject
from ihanoi_core.eventstore.transcoder import OrjsonTranscoder
from ihanoi_core.settings import Settings

CITIZEN = Principal("vneid:079301234567", Role.CITIZEN)
OFFICER = Principal("officer-1", Role.OFFICER, "UBND_HOAN_KIEM")
CONTACT = Contact("Canarino Vàng", "0987001234", "canarino@example.vn")
FIELDS: tuple[tuple[str, Any], ...] = (
    ("reporter", Personal("reporter", None, names_subject=True)),
    ("contact", Personal("reporter")),
    ("actor", ACTOR),
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sealer(table: MemoryKeyTable | None = None, *masters: bytes, clock: Clock | None = None) -> Sealer:
    keys = KeyStore(table or MemoryKeyTable(), MasterKeys(masters or (os.urandom(32),)), clock=clock or Clock())
    transcoder = OrjsonTranscoder(VALUE_TYPES)
    transcoder.register("sealed", Sealed)
    return Sealer(keys, transcoder)


def sealed_state(seal: Sealer, stream: Any, **state: Any) -> dict[str, Any]:
    seal.seal(stream, state, FIELDS)
    seal.flush()
    return state


def test_personal_values_are_sealed_and_open_back_exactly() -> None:
    seal, stream = sealer(), uuid4()
    state = sealed_state(seal, stream, reporter=CITIZEN.subject, contact=CONTACT, actor=CITIZEN, note="công khai")
    assert {type(state[name]) for name in ("reporter", "contact", "actor")} == {Sealed}
    assert state["note"] == "công khai"
    assert b"canarino@example.vn" not in seal.transcoder.encode(state)
    seal.open(stream, state, FIELDS)
    assert (state["reporter"], state["contact"], state["actor"]) == (CITIZEN.subject, CONTACT, CITIZEN)


def test_a_staff_actor_and_an_absent_value_stay_as_they_are() -> None:
    state = sealed_state(sealer(), uuid4(), reporter=None, contact=None, actor=OFFICER)
    assert state == {"reporter": None, "contact": None, "actor": OFFICER}


def test_the_stream_key_is_the_named_subjects_and_one_per_subject() -> None:
    seal = sealer()
    first, second, anonymous = uuid4(), uuid4(), uuid4()
    sealed_state(seal, first, reporter=CITIZEN.subject, contact=CONTACT, actor=CITIZEN)
    # No reporter named: the acting citizen's subject decides the key.
    sealed_state(seal, second, reporter=None, contact=CONTACT, actor=CITIZEN)
    # A hotline caller: nobody's subject, a key of the stream's own.
    sealed_state(seal, anonymous, reporter=None, contact=CONTACT, actor=OFFICER)
    keys = seal.keys
    assert keys.stream_key(first) == keys.stream_key(second) != keys.stream_key(anonymous)
    assert keys.is_subject_of(str(keys.stream_key(anonymous)), stream_subject(anonymous))
    assert sorted(keys.streams(str(keys.stream_key(first)))) == sorted([first, second])


def test_a_destroyed_key_reads_as_the_declared_erased_values_and_seals_nothing_more() -> None:
    seal, stream = sealer(), uuid4()
    state = sealed_state(seal, stream, reporter=CITIZEN.subject, contact=CONTACT, actor=CITIZEN)
    key = seal.keys.subject_key(CITIZEN.subject)
    assert key is not None
    seal.keys.destroy(key.id)
    seal.open(stream, state, FIELDS)
    assert (state["reporter"], state["contact"], state["actor"]) == (None, None, ERASED_PRINCIPAL)
    # A later event of the same case: sealed empty, erased from the start.
    later = sealed_state(seal, stream, reporter=None, contact=CONTACT, actor=CITIZEN)
    assert later["contact"] == Sealed(key.id, b"")
    # The subject files anew: a new key.
    sealed_state(seal, uuid4(), reporter=CITIZEN.subject, contact=None, actor=CITIZEN)
    renewed = seal.keys.subject_key(CITIZEN.subject)
    assert renewed is not None
    assert renewed.id != key.id


def test_a_sealed_value_moved_to_another_case_or_field_does_not_open() -> None:
    seal, stream = sealer(), uuid4()
    state = sealed_state(seal, stream, reporter=CITIZEN.subject, contact=CONTACT, actor=CITIZEN)
    with pytest.raises(ValueError, match="does not open"):
        seal.open(uuid4(), dict(state), FIELDS)
    swapped = {**state, "contact": state["reporter"]}
    with pytest.raises(ValueError, match="does not open"):
        seal.open(stream, swapped, FIELDS)


def test_a_key_this_store_never_held_is_an_error_not_an_erasure() -> None:
    state = sealed_state(sealer(), uuid4(), reporter=CITIZEN.subject, contact=None, actor=CITIZEN)
    with pytest.raises(UnknownDataKeyError):
        sealer().open(uuid4(), state, FIELDS)


def test_the_key_table_holds_no_subject_id_and_wrapped_keys_only() -> None:
    table = MemoryKeyTable()
    seal = sealer(table)
    sealed_state(seal, uuid4(), reporter=CITIZEN.subject, contact=CONTACT, actor=CITIZEN)
    stored = repr(table.__dict__)
    assert CITIZEN.subject not in stored
    assert "079301234567" not in stored


def test_rotating_the_master_key_rewraps_every_live_key_and_the_old_one_can_go() -> None:
    old, new = os.urandom(32), os.urandom(32)
    table = MemoryKeyTable()
    seal, stream = sealer(table, old), uuid4()
    state = sealed_state(seal, stream, reporter=CITIZEN.subject, contact=CONTACT, actor=CITIZEN)
    # Step: the new key in front, the old one behind: both open; rewrap moves every key.
    both = sealer(table, new, old)
    assert both.keys.rewrap() == 2  # the subject's key and the pepper of subject hashes
    assert both.keys.rewrap() == 0
    # Step: the old key removed: everything still opens, the subject still finds their key.
    only_new = sealer(table, new)
    reopened = dict(state)
    only_new.open(stream, reopened, FIELDS)
    assert reopened["contact"] == CONTACT
    assert only_new.keys.subject_key(CITIZEN.subject) is not None
    # Step: the old key alone can no longer unwrap them.
    with pytest.raises(ConfigurationError, match="does not hold"):
        sealer(table, old).open(stream, dict(state), FIELDS)


def test_another_process_destroying_a_key_is_noticed_within_the_cache_time() -> None:
    table, clock, master = MemoryKeyTable(), Clock(), os.urandom(32)
    server, stream = sealer(table, master, clock=clock), uuid4()
    state = sealed_state(server, stream, reporter=CITIZEN.subject, contact=CONTACT, actor=CITIZEN)
    cli = sealer(table, master)
    key = cli.keys.subject_key(CITIZEN.subject)
    assert key is not None
    cli.keys.destroy(key.id)
    cached = dict(state)
    server.open(stream, cached, FIELDS)
    assert cached["contact"] == CONTACT
    clock.now += server.keys.ttl + 1
    expired = dict(state)
    server.open(stream, expired, FIELDS)
    assert expired["contact"] is None


def test_the_master_key_setting_takes_base64_keys_of_32_bytes_current_first() -> None:
    one, two = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    assert len(Settings(pii_master_key=f"{one}, {two}").pii_master_keys) == 2
    assert len(Settings(env="test").pii_master_keys) == 1
    assert Settings().pii_master_keys == ()
    for bad in ("abc", base64.b64encode(b"short").decode(), f"{one},"):
        with pytest.raises(ConfigurationError, match="IHANOI_PII_MASTER_KEY"):
            Settings(pii_master_key=bad)
    with pytest.raises(ConfigurationError, match="required"):
        MasterKeys(())


EVENTS = [event for aggregate in AGGREGATES for event in declared_events(aggregate)]
PERSONAL_NAMES = {"owner", "reporter", "contact", "complainant", "applicant", "documents"}


@pytest.mark.parametrize("event_class", EVENTS, ids=lambda cls: cls.__qualname__)
def test_every_declared_personal_field_is_a_field_of_its_event_and_every_identity_field_is_declared(
    event_class: type,
) -> None:
    fields = {field.name for field in dataclasses.fields(event_class)}
    declared = set(personal_fields(event_class))
    assert declared <= fields
    assert fields & PERSONAL_NAMES <= declared
    if "actor" in fields:
        assert "actor" in declared
