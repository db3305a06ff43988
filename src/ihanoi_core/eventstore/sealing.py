"""Sealing personal fields of events with their data subject's key.

An event class declares its personal fields in ``personal_data``: field name →
a declaration with ``erased`` (what the field reads as once its key is
destroyed), ``applies_to(value)`` (whether this value is personal: a staff
actor is not) and ``subject(value)`` (the data subject a value names). This
module reads those declarations by attribute, never importing the domain.

On the way to the store, each personal value becomes a ``Sealed``: the id of
its stream's data key and ``nonce ‖ AES-GCM(transcoded value)``, with the
stream id and field name as associated data (a sealed value moved to another
event or field does not open). The transcoder stores it under the tag
``~sealed``. A stream's key is chosen by the first event that carries personal
data: the subject its first declared field names (the owner, the acting
citizen), else a subject of the stream's own (``stream:<id>``: a hotline or
partner caller, erasable through that one case). On the way back, a ``Sealed``
opens with its key; once the key is destroyed it reads as the declared
``erased`` value. A value written after its stream's key was destroyed is
sealed empty: erased from the start.

Values stored before sealing existed are plain and pass through unchanged.
A new stream's key is stored by ``SealingEventStore.put`` with the save (see
``keys_sql``), taken from here (``take``) between encoding its events and
inserting them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from eventsourcing.persistence import Transcoder

from ihanoi_core.eventstore.keys import NONCE_BYTES, KeyStore

SEALED_TAG = "sealed"
STREAM_SUBJECT = "stream:"


@dataclass(frozen=True, slots=True)
class Sealed:
    """A personal value as stored: its data key's id and the sealed box
    (``nonce ‖ ciphertext ‖ tag``; empty when written after the key was destroyed)."""

    key: str
    box: bytes


class PersonalField(Protocol):
    """What an event class's ``personal_data`` declares for one field."""

    @property
    def erased(self) -> Any: ...

    def applies_to(self, value: object) -> bool: ...

    def subject(self, value: object) -> str | None: ...


Fields = tuple[tuple[str, PersonalField], ...]
NO_FIELDS: Fields = ()


def declared_fields(event_class: type) -> Fields:
    """The personal fields ``event_class`` declares, in declaration order."""
    declared: Mapping[str, PersonalField] | None = getattr(event_class, "personal_data", None)
    return tuple(declared.items()) if declared else NO_FIELDS


def stream_subject(stream_id: UUID | str) -> str:
    """The data subject of a stream whose personal data names no person's id."""
    return f"{STREAM_SUBJECT}{stream_id}"


def _associated(stream_id: UUID | str, name: str) -> bytes:
    return f"{stream_id}\x1f{name}".encode()


class Sealer:
    """Seals and opens the personal fields of event states (see module docstring)."""

    def __init__(self, keys: KeyStore, transcoder: Transcoder) -> None:
        self.keys = keys
        self.transcoder = transcoder
        # Streams given a key while encoding one save, bound by ``flush``
        # (one transaction for the save's new cases) before they are stored.
        self._pending = threading.local()

    def take(self) -> list[tuple[UUID, str]]:
        """The keys chosen for new streams since the last ``take`` (this
        thread's), for the caller to store before or with the events."""
        pending: list[tuple[UUID, str]] = getattr(self._pending, "bindings", None) or []
        self._pending.bindings = []
        self._pending.subjects = {}
        return pending

    def flush(self) -> None:
        """Store the keys chosen for new streams since the last ``take``."""
        if pending := self.take():
            self.keys.bind(pending)

    def seal(self, stream_id: UUID, state: dict[str, Any], fields: Fields, *, first: bool = False) -> None:
        """Replace each personal value of ``state`` by its ``Sealed``, in place.
        ``first``: the stream's first event, which no key can be bound to yet."""
        personal = [name for name, field in fields if field.applies_to(state.get(name))]
        if not personal:
            return
        key_id = None if first else self.keys.stream_key(stream_id)
        if key_id is None:
            key_id = self._subject_key(self._subject(stream_id, state, fields))
            self.keys.remember_stream(stream_id, key_id)
            pending = getattr(self._pending, "bindings", None)
            if pending is None:
                pending = self._pending.bindings = []
            pending.append((stream_id, key_id))
        cipher = self.keys.cipher(key_id)
        for name in personal:
            if cipher is None:
                state[name] = Sealed(key_id, b"")
                continue
            nonce = os.urandom(NONCE_BYTES)
            plain = self.transcoder.encode(state[name])
            state[name] = Sealed(key_id, nonce + cipher.encrypt(nonce, plain, _associated(stream_id, name)))

    def open(self, stream_id: UUID, state: dict[str, Any], fields: Fields) -> None:
        """Replace each ``Sealed`` of a declared field by its value, or by the
        declared erased value when its key is destroyed, in place."""
        for name, field in fields:
            value = state.get(name)
            if type(value) is Sealed:
                state[name] = self.open_value(stream_id, name, value, field.erased)

    def open_value(self, stream_id: UUID | str, name: str, sealed: Sealed, erased: Any) -> Any:
        cipher = self.keys.cipher(sealed.key)
        if cipher is None or not sealed.box:
            return erased
        box = sealed.box
        try:
            plain = cipher.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], _associated(stream_id, name))
        except InvalidTag:
            raise ValueError(f"the sealed field {name!r} does not open with its key: edited or moved") from None
        return self.transcoder.decode(plain)

    def _subject_key(self, subject: str) -> str:
        # A save that creates a case and its code index asks twice: once is enough.
        known: dict[str, str] | None = getattr(self._pending, "subjects", None)
        if known is None:
            known = self._pending.subjects = {}
        if (key_id := known.get(subject)) is None:
            key_id = known[subject] = self.keys.subject_key_id(subject)
        return key_id

    @staticmethod
    def _subject(stream_id: UUID, state: dict[str, Any], fields: Fields) -> str:
        for name, field in fields:
            if (subject := field.subject(state.get(name))) is not None:
                return subject
        return stream_subject(stream_id)
