"""The ``Ihanoi`` application is assembled from one command mixin per kind of
case (and one for data subjects' rights); a public name defined by two mixins
would silently hide one of them."""

from __future__ import annotations

from collections import Counter

from ihanoi_core.application import Ihanoi
from ihanoi_core.handlers.bus import CommandBus


def test_no_public_command_name_is_defined_by_two_mixins() -> None:
    mixins = [cls for cls in Ihanoi.__bases__ if issubclass(cls, CommandBus)]
    names = Counter(
        name for cls in mixins for name in vars(cls) if not name.startswith("_") and callable(vars(cls)[name])
    )
    assert len(mixins) == 5
    assert [name for name, count in names.items() if count > 1] == []
