"""Data keys for personal fields: one per data subject, wrapped by a master key.

Crypto-shredding (``docs/privacy.md``): each data subject — a citizen, or the
caller behind one hotline or partner filing — has a random 256-bit AES key.
Personal fields of the events about them are sealed with it (``sealing``);
destroying it erases them everywhere, the log's copies and backups included,
while the events and the audit chain stay as they were.

Two tables beside the events (``keys_sql``; dicts for the in-memory store):

- ``personal_data_keys(key_id, subject_hash, master_key, wrapped_key,
  created_at, destroyed_at)``: the data key, AES-GCM-wrapped by the master
  key with its key id as associated data. The subject is stored only as a
  keyed hash (HMAC-SHA-256 under a random pepper kept, wrapped, in the same
  table), so the table never holds a national id. Destroying a key clears the
  wrapped key and the hash and keeps the row as a tombstone: a sealed field of
  a destroyed key reads as erased, one of an unknown key is an error.
- ``personal_data_streams(stream_id, key_id)``: which key seals each stream
  (case, code index, survey response). A stream's key is chosen once, by the
  first event that carries personal data, and never changes.

Master keys come from ``IHANOI_PII_MASTER_KEY`` (current first). A row records
which master key wrapped it, so several may be configured while
``rewrap`` moves every live key to the current one.

Keys are cached in memory (bounded): a replay decrypts with each key once per
``KEY_CACHE_SECONDS``. A key destroyed by another process is noticed within
that time; in this process at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ihanoi_core.errors import ConfigurationError, IhanoiError

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_CACHE_SECONDS = 60.0
PEPPER_ID = "subject-pepper"
_T = TypeVar("_T")


class UnknownDataKeyError(IhanoiError):
    """Raised when a sealed field names a data key this store has never held:
    the events come from another store, or the key tables were lost."""

    code = "unknown_data_key"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"No personal-data key {key_id!r} in this store (not even destroyed).")
        self.key_id = key_id


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A stored data key: wrapped (``None`` once destroyed) by master key ``master_key``."""

    key_id: str
    master_key: str | None
    wrapped_key: bytes | None
    created_at: int
    destroyed_at: int | None


@dataclass(frozen=True, slots=True)
class DataKey:
    """What a caller may know of a data key: its id and life (never the key)."""

    id: str
    created_at: datetime
    destroyed_at: datetime | None


class KeyTable(Protocol):
    """Where data keys and stream bindings are stored (one per kind of store)."""

    def create(self) -> None: ...
    def get(self, key_id: str) -> KeyRow | None: ...
    def find_subject(self, subject_hash: str) -> str | None: ...
    def insert(self, row: KeyRow, subject_hash: str | None) -> str: ...
    def stream_key(self, stream_id: str) -> str | None: ...
    def bind(self, bindings: Sequence[tuple[str, str]]) -> None: ...
    def streams(self, key_id: str) -> list[str]: ...
    def destroy(self, key_id: str, at: int) -> None: ...
    def live(self) -> list[KeyRow]: ...
    def rewrap(self, rows: Sequence[KeyRow]) -> None: ...
    def close(self) -> None: ...


def now_micros() -> int:
    return time.time_ns() // 1000


def from_micros(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1e6, UTC)


class MasterKeys:
    """The configured master keys: the first wraps, any of them unwraps."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ConfigurationError(
                "IHANOI_PII_MASTER_KEY is required unless IHANOI_ENV=development or test (see docs/privacy.md)."
            )
        self._keys = {self.key_id(key): AESGCM(key) for key in keys}
        self.current = self.key_id(keys[0])

    @staticmethod
    def key_id(key: bytes) -> str:
        """A master key's public name: 16 hex digits of a hash of it."""
        return hashlib.sha256(b"ihanoi master key\x00" + key).hexdigest()[:16]

    def wrap(self, key_id: str, data_key: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return self.current, nonce + self._keys[self.current].encrypt(nonce, data_key, key_id.encode())

    def unwrap(self, row: KeyRow) -> bytes:
        assert row.wrapped_key is not None
        assert row.master_key is not None
        master = self._keys.get(row.master_key)
        if master is None:
            raise ConfigurationError(
                f"Personal-data key {row.key_id} is wrapped by master key {row.master_key}, which "
                "IHANOI_PII_MASTER_KEY does not hold (add it after the current one; see docs/privacy.md)."
            )
        box = row.wrapped_key
        try:
            return master.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], row.key_id.encode())
        except InvalidTag:
            raise ConfigurationError(f"Personal-data key {row.key_id} does not unwrap: edited or misplaced.") from None


class KeyStore:
    """Data keys by id, by data subject and by stream (see module docstring). Thread-safe."""

    def __init__(
        self,
        table: KeyTable,
        master: MasterKeys,
        *,
        cache_size: int = 10_000,
        ttl: float = KEY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.master = master
        self.cache_size = cache_size
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        # key id -> (cipher, or None once destroyed; when to ask the table again)
        self._ciphers: OrderedDict[str, tuple[AESGCM | None, float]] = OrderedDict()
        self._streams: OrderedDict[str, str] = OrderedDict()
        self._hashes: OrderedDict[str, str] = OrderedDict()
        self._pepper: bytes | None = None
        self._hmac: hmac.HMAC | None = None

    # -- lookups ---------------------------------------------------------------

    def cipher(self, key_id: str) -> AESGCM | None:
        """The AES-GCM cipher of a data key; ``None`` once it is destroyed."""
        cached = self._ciphers.get(key_id)
        if cached is not None and (cached[0] is None or cached[1] > self.clock()):
            return cached[0]
        row = self.table.get(key_id)
        if row is None:
            raise UnknownDataKeyError(key_id)
        cipher = None if row.wrapped_key is None else AESGCM(self.master.unwrap(row))
        self._remember(self._ciphers, key_id, (cipher, self.clock() + self.ttl))
        return cipher

    def stream_key(self, stream_id: UUID | str) -> str | None:
        """The key that seals a stream's personal fields, if it has any yet."""
        stream = str(stream_id)
        known = self._streams.get(stream)
        if known is None and (known := self.table.stream_key(stream)) is not None:
            self._remember(self._streams, stream, known)
        return known

    def subject_key_id(self, subject: str) -> str:
        """``subject``'s live key, made now if they have none (new, or erased before)."""
        key_id = self._subject_key(subject, create=True)
        assert key_id is not None
        return key_id

    def remember_stream(self, stream_id: UUID | str, key_id: str) -> None:
        """Seal ``stream_id`` with ``key_id`` from now on, in this process;
        ``bind`` stores it (before the events sealed with it)."""
        self._remember(self._streams, str(stream_id), key_id)

    def bind(self, bindings: Sequence[tuple[UUID | str, str]]) -> None:
        """Store which key seals each stream, in one transaction. On failure
        the streams are forgotten here too, so a retry binds them again."""
        try:
            self.table.bind([(str(stream), key_id) for stream, key_id in bindings])
        except BaseException:
            self.forget_streams(stream for stream, _ in bindings)
            raise

    def forget_streams(self, streams: Iterable[UUID | str]) -> None:
        """Forget streams remembered here whose binding was not stored after all."""
        with self._lock:
            for stream in streams:
                self._streams.pop(str(stream), None)

    def subject_key(self, subject: str) -> DataKey | None:
        """``subject``'s live data key, if they have one."""
        key_id = self._subject_key(subject, create=False)
        return None if key_id is None else self.data_key(key_id)

    def data_key(self, key_id: str) -> DataKey | None:
        row = self.table.get(key_id)
        if row is None:
            return None
        created = from_micros(row.created_at)
        assert created is not None
        return DataKey(row.key_id, created, from_micros(row.destroyed_at))

    def streams(self, key_id: str) -> list[UUID]:
        """Every stream sealed with ``key_id``."""
        return sorted(UUID(stream) for stream in self.table.streams(key_id))

    def is_subject_of(self, key_id: str, subject: str) -> bool:
        """Whether ``key_id`` is ``subject``'s live key."""
        return self._subject_key(subject, create=False) == key_id

    # -- changes ---------------------------------------------------------------

    def destroy(self, key_id: str) -> None:
        """Destroy a data key for good: every field it sealed reads as erased."""
        self.table.destroy(key_id, now_micros())
        with self._lock:
            self._ciphers[key_id] = (None, 0.0)

    def rewrap(self) -> int:
        """Wrap every live key (and the pepper) with the current master key;
        returns how many were rewrapped. Run after adding a new master key in
        front; then the old one may be removed."""
        rows = [row for row in self.table.live() if row.master_key != self.master.current]
        rewrapped = []
        for row in rows:
            master_key, wrapped = self.master.wrap(row.key_id, self.master.unwrap(row))
            rewrapped.append(KeyRow(row.key_id, master_key, wrapped, row.created_at, None))
        self.table.rewrap(rewrapped)
        return len(rewrapped)

    def close(self) -> None:
        self.table.close()

    # -- inside ----------------------------------------------------------------

    def subject_hash(self, subject: str) -> str:
        if (known := self._hashes.get(subject)) is not None:
            return known
        if self._hmac is None:
            self._hmac = hmac.new(self._subject_pepper(), digestmod=hashlib.sha256)
        keyed = self._hmac.copy()
        keyed.update(subject.encode())
        found = keyed.hexdigest()
        self._remember(self._hashes, subject, found)
        return found

    def _subject_key(self, subject: str, *, create: bool) -> str | None:
        subject_hash = self.subject_hash(subject)
        if (found := self.table.find_subject(subject_hash)) is not None or not create:
            return found
        return self.table.insert(self._new_row(secrets.token_hex(16)), subject_hash)

    def _subject_pepper(self) -> bytes:
        if self._pepper is None:
            row = self.table.get(PEPPER_ID)
            if row is None:
                self.table.insert(self._new_row(PEPPER_ID), None)
                row = self.table.get(PEPPER_ID)
                assert row is not None
            self._pepper = self.master.unwrap(row)
        return self._pepper

    def _new_row(self, key_id: str) -> KeyRow:
        master_key, wrapped = self.master.wrap(key_id, AESGCM.generate_key(bit_length=8 * KEY_BYTES))
        return KeyRow(key_id, master_key, wrapped, now_micros(), None)

    def _remember(self, cache: OrderedDict[str, _T], key: str, value: _T) -> None:
        with self._lock:
            cache[key] = value
            cache.move_to_end(key)
            while len(cache) > self.cache_size:
                cache.popitem(last=False)


class MemoryKeyTable:
    """The key tables of an in-memory store: dicts, gone with the process."""

    def __init__(self) -> None:
        self._keys: dict[str, KeyRow] = {}
        self._subjects: dict[str, str] = {}
        self._streams: dict[str, str] = {}
        self._lock = threading.Lock()

    def create(self) -> None:
        pass

    def get(self, key_id: str) -> KeyRow | None:
        return self._keys.get(key_id)

    def find_subject(self, subject_hash: str) -> str | None:
        return self._subjects.get(subject_hash)

    def insert(self, row: KeyRow, subject_hash: str | None) -> str:
        with self._lock:
            if subject_hash is not None:
                if (existing := self._subjects.get(subject_hash)) is not None:
                    return existing
                self._subjects[subject_hash] = row.key_id
            self._keys.setdefault(row.key_id, row)
        return row.key_id

    def stream_key(self, stream_id: str) -> str | None:
        return self._streams.get(stream_id)

    def bind(self, bindings: Sequence[tuple[str, str]]) -> None:
        with self._lock:
            for stream_id, key_id in bindings:
                self._streams.setdefault(stream_id, key_id)

    def streams(self, key_id: str) -> list[str]:
        return [stream for stream, key in self._streams.items() if key == key_id]

    def destroy(self, key_id: str, at: int) -> None:
        with self._lock:
            row = self._keys.get(key_id)
            if row is None:
                return
            self._keys[key_id] = KeyRow(key_id, None, None, row.created_at, row.destroyed_at or at)
            for subject_hash in [h for h, k in self._subjects.items() if k == key_id]:
                del self._subjects[subject_hash]

    def live(self) -> list[KeyRow]:
        return [row for row in self._keys.values() if row.wrapped_key is not None]

    def rewrap(self, rows: Sequence[KeyRow]) -> None:
        with self._lock:
            for row in rows:
                self._keys[row.key_id] = row

    def close(self) -> None:
        pass
