"""The encoding walk of ``OrjsonTranscoder`` (see ``transcoder.py`` for the tag format).

A ``Walker`` replaces every value orjson would not write back exactly by its
tagged form, dispatching on the exact ``type(o)``, so that one ``orjson.dumps``
call writes the result.
"""

from __future__ import annotations

from binascii import b2a_base64
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from types import NoneType
from typing import Any
from uuid import UUID

from eventsourcing.persistence import TranscodingNotRegisteredError

Fn = Callable[[Any], Any]

# Values orjson writes and reads back as exactly the same type and value. float
# is missing on purpose: orjson writes nan/inf as null. int is safe only inside
# int64..uint64, which the optimistic first pass assumes (see ``encode``).
_PLAIN: frozenset[type] = frozenset({str, int, bool, NoneType})
_STRICT_PLAIN: frozenset[type] = frozenset({str, bool, NoneType})

_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


def type_name(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def _not_registered(o: object) -> TranscodingNotRegisteredError:
    return TranscodingNotRegisteredError(
        f"Object of type {type_name(type(o))} is not supported by OrjsonTranscoder: "
        "register Enum subclasses and dataclasses with OrjsonTranscoder.register(name, cls)"
    )


def _sortable(items: set[Any] | frozenset[Any]) -> list[Any]:
    # Sorted so equal sets encode to equal bytes across processes (str hashing is
    # randomised per process). Items that cannot be ordered (mixed types, plain
    # Enums, Decimal NaN raising InvalidOperation, a custom __lt__ raising
    # anything) keep iteration order: any order decodes to the same set.
    try:
        return sorted(items)
    except Exception:
        return list(items)


class Walker:
    """One encoding pass: a type -> function table and the walk that uses it.

    Two are built: the fast one trusts ints to fit orjson's 64-bit range and
    leaves dict keys to orjson; the strict one checks both. The strict one only
    runs after orjson rejected the fast pass's output, so the common path pays
    nothing for those checks.
    """

    def __init__(self, strict: bool) -> None:
        plain = _STRICT_PLAIN if strict else _PLAIN
        table: dict[type, Fn] = {}
        self.table = table

        get = table.get

        def miss(o: Any) -> Any:
            raise _not_registered(o)

        # Closures over locals, not methods: attribute lookups on every value
        # would cost more than the work itself. Containers test for plain values
        # inline and call the type's function directly, so each non-plain value
        # costs one Python call.
        def enc(o: Any) -> Any:
            if type(o) in plain:
                return o
            return get(type(o), miss)(o)

        def enc_list(o: list[Any] | tuple[Any, ...]) -> list[Any]:
            return [v if type(v) in plain else get(type(v), miss)(v) for v in o]

        def enc_dict(o: dict[Any, Any]) -> dict[Any, Any]:
            if strict:
                for k in o:
                    if type(k) is not str:
                        raise TranscodingNotRegisteredError(
                            f"Dict key of type {type_name(type(k))} is not supported by "
                            "OrjsonTranscoder: dict keys must be plain str"
                        )
            out = {k: v if type(v) in plain else get(type(v), miss)(v) for k, v in o.items()}
            if len(out) == 1:
                for k in out:
                    # A lone "~" key would read back as a tag: escape it.
                    if type(k) is str and k[:1] == "~":
                        return {"~m": out}
            return out

        def enc_float(o: float) -> Any:
            # x - x is 0.0 for every finite float and nan for nan/inf.
            if o - o == 0.0:
                return o
            return {"~x": repr(o)}

        def enc_int(o: int) -> Any:
            if _INT_MIN <= o <= _INT_MAX:
                return o
            return {"~i": format(o, "x")}

        table[dict] = enc_dict
        table[list] = enc_list
        table[tuple] = lambda o: {"~t": enc_list(o)}
        table[set] = lambda o: {"~s": enc_list(_sortable(o))}
        table[frozenset] = lambda o: {"~f": enc_list(_sortable(o))}
        table[float] = enc_float
        table[bytes] = lambda o: {"~b": b2a_base64(o, newline=False).decode("ascii")}
        table[UUID] = lambda o: {"~u": o.hex}
        table[datetime] = lambda o: {"~D": o.isoformat()}
        table[date] = lambda o: {"~d": o.isoformat()}
        table[time] = lambda o: {"~h": o.isoformat()}
        table[timedelta] = lambda o: {"~p": [o.days, o.seconds, o.microseconds]}
        table[Decimal] = lambda o: {"~n": str(o)}
        if strict:
            table[int] = enc_int

        self.enc = enc
        self.plain = plain
        self.miss = miss

    def add_enum(self, cls: type[Enum], key: str) -> None:
        get, plain, miss = self.table.get, self.plain, self.miss

        def enc_enum(o: Enum) -> Any:
            # _value_ is what the .value property returns, minus the descriptor call.
            v = o._value_
            return {key: v if type(v) in plain else get(type(v), miss)(v)}

        self.table[cls] = enc_enum

    def add_dataclass(self, cls: type, key: str, fields: tuple[str, ...]) -> None:
        get, plain, miss = self.table.get, self.plain, self.miss

        def enc_dataclass(o: Any) -> Any:
            # A plain loop measured faster here than attrgetter + zip.
            out = {}
            for name in fields:
                v = getattr(o, name)
                out[name] = v if type(v) in plain else get(type(v), miss)(v)
            return {key: out}

        self.table[cls] = enc_dataclass
