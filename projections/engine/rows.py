"""A read model's row as the dataclass its query returns, field by field.

Rows keep times as microseconds since the epoch (``to_micros``), ids as text
and flags as integers; ``from_row`` turns each column named like a field of
the dataclass back into the field's type (``UUID``, ``datetime``, ``int``,
``float``, ``bool``; ``None`` stays ``None`` where the field is optional).
What a row does not hold as is (a JSON list, a time shown in the calendar's
zone, a figure computed from several columns) is passed by name, and a field
neither in the row nor passed is a ``KeyError``: a query cannot drop a field
silently.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import msgspec

from ihanoi_projections.engine.base import from_micros

T = TypeVar("T")
Convert = Callable[[Any], Any]

CONVERTERS: Mapping[object, Convert] = {UUID: UUID, datetime: from_micros, int: int, float: float, bool: bool}


def from_row(cls: type[T], row: Mapping[str, Any], /, **given: Any) -> T:
    """An instance of the dataclass (or msgspec Struct) ``cls`` from ``row``,
    with ``given`` fields as they are."""
    converters = _CONVERTERS_OF.get(cls)
    if converters is None:
        hints = typing.get_type_hints(cls)
        converters = _CONVERTERS_OF[cls] = tuple((name, _converter(hints[name])) for name in _field_names(cls))
    values = {
        name: given[name] if name in given else row[name] if convert is None else convert(row[name])
        for name, convert in converters
    }
    return cls(**values)


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    if issubclass(cls, msgspec.Struct):
        return cls.__struct_fields__
    return tuple(field.name for field in dataclasses.fields(cls))


_CONVERTERS_OF: dict[type[Any], tuple[tuple[str, Convert | None], ...]] = {}


def _converter(hint: Any) -> Convert | None:
    """How to read a column for a field of type ``hint`` (``None``: as it is)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (inner,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
        convert = _converter(inner)
        if convert is None or convert is from_micros:  # both keep None as it is
            return convert
        return lambda value: None if value is None else convert(value)
    return CONVERTERS.get(hint)
