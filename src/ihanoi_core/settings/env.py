"""Reading ``Settings`` from ``IHANOI_*`` environment variables.

Each field of ``Settings`` is read from ``IHANOI_<FIELD NAME>``, converted by
its declared type: text, a whole or decimal number, true/false, a path, a
comma-separated list, or ``value=name`` pairs (the few of those have their own
parser below). So a new setting is one field of ``Settings`` and its meaning in
``settings.help`` — nothing to add here. A variable set but empty counts as
unset, except where empty means something (``EMPTY_MEANS_SOMETHING``).
Values are checked by ``Settings`` itself; a value that is not of its type is
a ``ConfigurationError`` naming the variable.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ihanoi_core.errors import ConfigurationError

if TYPE_CHECKING:
    from ihanoi_core.settings import Settings

BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
# Set but empty means "no basemap" (``IHANOI_MAP_TILE_URL=``), unlike the others.
EMPTY_MEANS_SOMETHING = frozenset({"map_tile_url"})
# Names compared without regard to case.
NORMALISE: Mapping[str, Callable[[str], str]] = {
    "log_level": str.upper,
    "sqlite_synchronous": str.upper,
    "in_process_projections": str.lower,
}


def pairs(variable: str, shape: str, text: str, *, last: bool) -> tuple[tuple[str, str], ...]:
    """``a=b, c=d`` → ((a, b), (c, d)); split at the last ``=`` when ``last``."""
    found = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        left, equals, right = entry.rpartition("=") if last else entry.partition("=")
        if not equals or not left.strip() or not right.strip():
            raise ConfigurationError(f"{variable} entries are {shape}, not {entry!r}.")
        found.append((left.strip(), right.strip()))
    return tuple(found)


def role_map(text: str) -> tuple[tuple[str, str], ...]:
    """``hanoi-officer=officer, hanoi-leader=leader`` (``IHANOI_OIDC_ROLE_MAP``);
    a role value may itself hold ``=``, so the split is at the last one."""
    return pairs("IHANOI_OIDC_ROLE_MAP", "value=role", text, last=True)


def gateway_templates(text: str) -> tuple[tuple[str, str], ...]:
    """``case_status=ZNS-1001, dossier_apology=ZNS-1002`` (``IHANOI_NOTIFY_GATEWAY_TEMPLATES``)."""
    return pairs("IHANOI_NOTIFY_GATEWAY_TEMPLATES", "kind=template_id", text, last=False)


def payment_providers(text: str) -> tuple[tuple[str, str], ...]:
    """``napas=s3cret, vnpay=0th3r`` (``IHANOI_PAYMENTS_PROVIDERS``): a secret may hold ``=``."""
    return pairs("IHANOI_PAYMENTS_PROVIDERS", "provider=secret", text, last=False)


PARSERS: Mapping[str, Callable[[str], object]] = {
    "oidc_role_map": role_map,
    "notify_gateway_templates": gateway_templates,
    "payments_providers": payment_providers,
}


def settings_values(values: Mapping[str, str], settings_type: type[Settings]) -> dict[str, object]:
    """The keyword arguments of ``settings_type`` that ``values`` (environment
    variables) set."""
    hints = typing.get_type_hints(settings_type)
    found: dict[str, object] = {}
    for setting in fields(settings_type):
        variable = f"IHANOI_{setting.name.upper()}"
        raw = values.get(variable)
        if raw is None:
            continue
        text = raw.strip()
        if not text and setting.name not in EMPTY_MEANS_SOMETHING:
            continue
        found[setting.name] = convert(setting.name, variable, hints[setting.name], text)
    return found


def convert(name: str, variable: str, declared: Any, text: str) -> object:
    """``text`` as a value of the ``declared`` type of setting ``name``."""
    if name in PARSERS:
        return PARSERS[name](text)
    if name in NORMALISE:
        return NORMALISE[name](text)
    kind = _without_none(declared)
    if kind is bool:
        if text.lower() not in BOOLEANS:
            raise ConfigurationError(f"{variable} must be true or false, not {text!r}.")
        return BOOLEANS[text.lower()]
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            raise ConfigurationError(f"{variable} must be a number, not {text!r}.") from None
    if kind is Path:
        return Path(text)
    origin = typing.get_origin(kind)
    if origin in (frozenset, tuple):
        items = (item.strip() for item in text.split(","))
        return origin(item for item in items if item)
    return text  # text, or one of a Literal's values (``Settings`` checks which)


def _without_none(declared: Any) -> Any:
    """``X`` of ``X | None``; any other type as it is."""
    if isinstance(declared, types.UnionType) or typing.get_origin(declared) is typing.Union:
        members = [member for member in typing.get_args(declared) if member is not type(None)]
        if len(members) == 1:
            return members[0]
    return declared
