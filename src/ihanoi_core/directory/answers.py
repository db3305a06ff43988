"""Answers to a report category's extra questions (Open311 service definition
attributes), checked against the directory.

A report keeps its answers as structured data beside its description:
``{code: value}``, one string for a single value and a tuple of keys for a
``multivaluelist``. ``check_answers`` is what the submit handler runs on every
report, whatever channel it came by: an answer must name an attribute of the
category that asks for input (``variable``), a list answer must give keys (or
names, read as their keys) of its values, a number must be one, a datetime must
be ISO 8601. Answers come back in the category's order.

``required`` attributes are enforced only where a client was shown the service
definition (Open311, ``require=True``): the JSON API's apps may predate a
question the city added, and a report without an answer is still a report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

from ihanoi_core.directory.model import Attribute, Category
from ihanoi_core.errors import ValidationError

# What a report may carry, whatever the category asks: bounds on an input
# nobody should be able to make large.
MAX_ANSWERS = 20
MAX_VALUES = 20
MAX_ANSWER_LENGTH = 1000
LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})

Answer = str | tuple[str, ...]
Answers = dict[str, Answer]


def check_answers(category: Category, given: Mapping[str, str | Sequence[str]], *, require: bool = False) -> Answers:
    """``given`` in canonical form (keys for list values, numbers and text
    stripped) in the category's order; ``ValidationError`` naming every bad
    answer as ``attributes.<code>``."""
    errors: dict[str, str] = {}
    asked = {item.code: item for item in category.attributes if item.variable}
    if len(given) > MAX_ANSWERS:
        errors["attributes"] = f"at most {MAX_ANSWERS} answers"
    for code in given:
        if code not in asked:
            errors[f"attributes.{code}"] = f"is not a question of category {category.code!r}"
    checked: Answers = {}
    for code, item in asked.items():
        raw = given.get(code)
        values = [raw] if isinstance(raw, str) else list(raw or ())
        values = [" ".join(value.split()) if item.datatype != "text" else value.strip() for value in values]
        values = [value for value in values if value]
        if not values:
            if require and item.required:
                errors[f"attributes.{code}"] = f"is required: {item.description}"
            continue
        answer = _answer(item, values)
        if isinstance(answer, ValueError):
            errors[f"attributes.{code}"] = str(answer)
        else:
            checked[code] = answer
    if errors:
        raise ValidationError(errors)
    return checked


def _answer(item: Attribute, values: list[str]) -> Answer | ValueError:
    if len(values) > MAX_VALUES or any(len(value) > MAX_ANSWER_LENGTH for value in values):
        return ValueError(f"at most {MAX_VALUES} values of at most {MAX_ANSWER_LENGTH} characters")
    if item.datatype in LIST_DATATYPES:
        keys = {value.key for value in item.values}
        by_name = {value.name: value.key for value in item.values}
        chosen = [value if value in keys else by_name.get(value, value) for value in values]
        if any(value not in keys for value in chosen):
            return ValueError(f"must be among {', '.join(sorted(keys))}")
        if item.datatype == "singlevaluelist":
            return chosen[0] if len(chosen) == 1 else ValueError("takes one value")
        return tuple(dict.fromkeys(chosen))  # in the order given, each once
    if len(values) > 1:
        return ValueError("takes one value")
    value = values[0]
    if item.datatype == "number" and not is_number(value):
        return ValueError("must be a number")
    if item.datatype == "datetime" and not is_datetime(value):
        return ValueError("must be an ISO 8601 date or date-time")
    return value


def is_number(text: str) -> bool:
    """A finite decimal number, with a point or (as Vietnamese writes it) a comma."""
    try:
        return math.isfinite(float(text.replace(",", ".")))
    except ValueError:
        return False


def is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
