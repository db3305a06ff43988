"""Exact, fast transcoding of event state to bytes with ``orjson``.

Why not ``eventsourcing``'s ``JSONTranscoder``: it goes through the stdlib ``json``
module, which silently turns tuples into lists and ``StrEnum``/``IntEnum`` members
into plain ``str``/``int`` (they *are* str/int, so no transcoding is ever asked
for), and it needs a ``Transcoding`` class per type. An event read back must be
the event that was written, so :class:`OrjsonTranscoder` walks the object once,
dispatching on the *exact* ``type(o)`` (so a ``StrEnum`` member is never mistaken
for a ``str``), replaces every non-JSON value by a tagged value, and hands the
result to a single ``orjson.dumps`` call. ``decode`` is ``orjson.loads`` plus a walk
that only rebuilds tagged values, in place.

Tag format
----------
A tagged value is a JSON object with exactly one key, and that key starts with
``~``. The key names the type, the value carries the data::

    key      type                 data
    ~t       tuple                list of items
    ~s       set                  list of items (sorted when the items allow it)
    ~f       frozenset            list of items (sorted when the items allow it)
    ~b       bytes                base64 string
    ~u       UUID                 32 hex digits
    ~D       datetime             ISO 8601 (offset kept if aware, absent if naive)
    ~d       date                 ISO 8601
    ~h       time                 ISO 8601 (offset kept if aware)
    ~p       timedelta            [days, seconds, microseconds]
    ~n       Decimal              str(d), so the digits and exponent stay ("1.10")
    ~x       float nan/inf/-inf   "nan", "inf" or "-inf" (JSON has no such numbers)
    ~i       int beyond 64 bits   hex string, e.g. "-1f" (orjson handles int64..uint64;
                                  hex because decimal str() is capped at 4300 digits)
    ~m       dict                 the dict itself, escaped (see below)
    ~<name>  registered Enum      the member's value, e.g. {"~role": "citizen"}
    ~<name>  registered dataclass its init fields by name, e.g.
                                  {"~location": {"ward": "x", "latitude": 21.0, ...}}

Built-in keys are ``~`` plus exactly one character, registered names must be at
least two characters, so the two can never collide, including when a built-in
is added later. Why one-key objects: they are compact (``{"~u":"…"}``), and
a multi-key object is always plain data, so decoding only has to look at the key
of one-key objects.

Escaping: a plain dict whose only key starts with ``~`` (user data such as
``{"~u": "x"}``) is written as ``{"~m": {"~u": "x"}}``; the decoder rebuilds the
values of an ``~m`` payload without reading its key as a tag. Every one-key
``~`` object in stored data was therefore written by this module, and one with an
unknown key raises :class:`~eventsourcing.persistence.TranscodingNotRegisteredError`
rather than being passed through as a dict. JSON-native values (str, int, bool,
None, finite float, list, dict with str keys) are written as themselves.

Registered dataclasses are rebuilt by calling the class with their ``init``
fields (so ``slots=True``/``frozen=True`` work and ``__post_init__`` runs; fields
with ``init=False`` are not stored). Enums are rebuilt with ``cls(value)``. Aware
datetimes come back with a fixed-offset ``timezone``: same instant, same
``utcoffset()``, but not the original ``ZoneInfo`` object.
"""

from __future__ import annotations

import dataclasses
from binascii import a2b_base64
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any
from uuid import UUID, SafeUUID

import orjson
from eventsourcing.persistence import Transcoder, TranscodingNotRegisteredError

from ihanoi_core.eventstore.encoding import Fn, Walker, type_name

__all__ = ["OrjsonTranscoder", "uuid_from_hex"]

# The only JSON values the decoder has to descend into.
_CONTAINERS: frozenset[type] = frozenset({dict, list})

_NO_TYPES: Mapping[str, type] = MappingProxyType({})


_set = object.__setattr__
_UNKNOWN_SAFETY = SafeUUID.unknown


def uuid_from_hex(value: str) -> UUID:
    """``UUID(value)`` for the 32 lowercase hex digits this module writes, without
    the general parser's dash stripping and checks (a hot path when replaying)."""
    if len(value) != 32:
        return UUID(value)
    uuid = object.__new__(UUID)
    _set(uuid, "int", int(value, 16))
    _set(uuid, "is_safe", _UNKNOWN_SAFETY)
    return uuid


class OrjsonTranscoder(Transcoder):
    """Transcoder for ``eventsourcing`` that round-trips values exactly.

    Handles None, bool, int, float (incl. nan/inf), str, bytes, UUID, datetime
    (naive and aware), date, time, timedelta, Decimal, tuple, list, dict with str
    keys, set, frozenset, and every Enum subclass and dataclass registered by a
    stable name. Anything else raises ``TranscodingNotRegisteredError``. The tag
    format is described in the module docstring.
    """

    def __init__(self, types: Mapping[str, type] = _NO_TYPES) -> None:
        self._fast = Walker(strict=False)
        self._strict = Walker(strict=True)
        self._names: dict[str, type] = {}
        self._classes: dict[type, str] = {}
        self._decoders: dict[str, Fn] = {}
        self._dec_values: Callable[[dict[str, Any]], dict[str, Any]]
        self._dec: Callable[[Any], Any]
        self._build_decoder()
        for name, cls in types.items():
            self.register(name, cls)

    def register(self, name: str, cls: type) -> None:
        """Register an Enum subclass or a dataclass under a stable ``name``.

        The name is what is stored (as key ``"~" + name``), so renaming the class
        is harmless but renaming its registered name breaks stored events. Names
        must be at least two characters: one-character keys are reserved for the
        built-in tags. Registering the same pair twice is a no-op.
        """
        if not isinstance(name, str) or len(name) < 2:
            raise ValueError(f"Registered names must be str of at least 2 characters, got {name!r}")
        is_enum = isinstance(cls, type) and issubclass(cls, Enum)
        if not is_enum and not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise TypeError(f"Only Enum subclasses and dataclasses can be registered, got {cls!r}")
        if self._names.get(name) is cls:
            return
        if name in self._names:
            raise ValueError(f"Name {name!r} is already registered for {type_name(self._names[name])}")
        if cls in self._classes:
            raise ValueError(f"{type_name(cls)} is already registered as {self._classes[cls]!r}")
        key = "~" + name
        if is_enum:
            for walker in (self._fast, self._strict):
                walker.add_enum(cls, key)
            self._decoders[key] = self._enum_decoder(cls)
        else:
            # Only init fields: the class is rebuilt by calling it, and fields with
            # init=False are recomputed by __post_init__ (and cannot be passed).
            fields = tuple(f.name for f in dataclasses.fields(cls) if f.init)
            for walker in (self._fast, self._strict):
                walker.add_dataclass(cls, key, fields)
            self._decoders[key] = self._dataclass_decoder(cls)
        self._names[name] = cls
        self._classes[cls] = name

    def encode(self, obj: Any) -> bytes:
        """Encode ``obj`` (for the mapper: a dict of event attributes) as bytes."""
        # The walk stays outside the try: orjson.JSONEncodeError *is* TypeError,
        # and so is TranscodingNotRegisteredError, which must not cause a retry.
        walked = self._fast.enc(obj)
        try:
            return orjson.dumps(walked)
        except orjson.JSONEncodeError:
            # Rare: an int beyond 64 bits or a non-str dict key. Redo the walk
            # with the checks that tag the int or name the offending key type;
            # whatever still fails (e.g. nesting deeper than orjson allows) raises.
            return orjson.dumps(self._strict.enc(obj))

    def decode(self, data: bytes) -> Any:
        """Decode bytes written by :meth:`encode` back to the original object."""
        obj = orjson.loads(data)
        if type(obj) in _CONTAINERS:
            return self._dec(obj)
        return obj

    # Decoding.

    def _build_decoder(self) -> None:
        decoders = self._decoders
        get = decoders.get

        def unknown_tag(key: str) -> TranscodingNotRegisteredError:
            return TranscodingNotRegisteredError(
                f"Stored tag {key!r} is not known to this OrjsonTranscoder: "
                f"register the type stored under the name {key[1:]!r}"
            )

        # orjson.loads returned fresh objects that nobody else holds, so lists
        # and dicts are fixed up in place instead of being copied.
        #
        # dec_in_place is the hot loop, over a dict's values or a list's items:
        # it recognises a tagged value among them and calls its decoder
        # directly, which saves a Python call per tagged value (most non-plain
        # values are tagged). Everything else that needs a look goes through dec.
        def dec(o: Any) -> Any:
            if type(o) is list:
                return dec_list(o)
            if len(o) == 1:
                (k,) = o
                f = get(k)
                if f is not None:
                    return f(o[k])
                if k[:1] == "~":
                    raise unknown_tag(k)
            return dec_values(o)

        def dec_in_place(o: Any, items: Iterable[tuple[Any, Any]]) -> Any:
            for k, v in items:
                t = type(v)
                if t is dict:
                    if len(v) == 1:
                        (tk,) = v
                        f = get(tk)
                        if f is not None:
                            o[k] = f(v[tk])
                            continue
                    o[k] = dec(v)
                elif t is list:
                    o[k] = dec_list(v)
            return o

        def dec_values(o: dict[str, Any]) -> dict[str, Any]:
            # Also decodes the payload of "~m" and of dataclasses: the values of
            # a dict whose own key must not be read as a tag.
            result: dict[str, Any] = dec_in_place(o, o.items())
            return result

        def dec_list(o: list[Any]) -> list[Any]:
            result: list[Any] = dec_in_place(o, enumerate(o))
            return result

        def dec_float(s: str) -> float:
            if s not in ("nan", "inf", "-inf"):
                raise ValueError(f"Invalid non-finite float {s!r}")
            return float(s)

        decoders["~t"] = lambda v: tuple(dec_list(v))
        decoders["~s"] = lambda v: set(dec_list(v))
        decoders["~f"] = lambda v: frozenset(dec_list(v))
        decoders["~m"] = dec_values
        decoders["~b"] = lambda v: a2b_base64(v, strict_mode=True)
        decoders["~u"] = uuid_from_hex
        decoders["~D"] = datetime.fromisoformat
        decoders["~d"] = date.fromisoformat
        decoders["~h"] = time.fromisoformat
        decoders["~p"] = lambda v: timedelta(v[0], v[1], v[2])
        decoders["~n"] = Decimal
        decoders["~x"] = dec_float
        decoders["~i"] = lambda v: int(v, 16)
        self._dec = dec
        self._dec_values = dec_values

    def _enum_decoder(self, cls: type[Enum]) -> Fn:
        dec = self._dec
        # A dict lookup instead of cls(value), which goes through EnumType.__call__;
        # values not in the map (Flag combinations, unhashable or tagged values)
        # take the normal route.
        members: dict[Any, Enum] = {}
        for member in cls:
            # An unhashable value cannot be a key; cls(value) still finds it.
            with suppress(TypeError):
                members[member._value_] = member

        def dec_enum(v: Any) -> Enum:
            try:
                return members[v]
            except (KeyError, TypeError):
                return cls(dec(v) if type(v) in _CONTAINERS else v)

        return dec_enum

    def _dataclass_decoder(self, cls: type) -> Fn:
        dec_values = self._dec_values

        def dec_dataclass(v: dict[str, Any]) -> Any:
            return cls(**dec_values(v))

        return dec_dataclass
