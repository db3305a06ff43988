"""Creation commands that take exactly their creation event's fields.

An aggregate's ``@event`` ``__init__`` names the fields of its creation event
(``Opened``, ``Scheduled`` …). A creation command (``Consultation.open``)
checks and normalises what it is given, then creates the aggregate. Where it
takes the very fields of that event, ``@creates(__init__)`` makes the command
from its check alone — ``check(fields) -> fields`` — typed with ``__init__``'s
parameters, so the field list is written once, on the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
A = TypeVar("A")
# A creation event's fields by name, as the command was given them.
Fields = dict[str, Any]


class CreationCommand(Generic[P, A]):
    """A classmethod-like command: called on the class with the creation
    event's fields (keywords only), it creates the aggregate from what
    ``check`` returns. ``check`` raises when a field breaks a rule."""

    def __init__(self, check: Callable[[Fields], Fields]) -> None:
        self._check = check
        self.__doc__ = check.__doc__

    def __get__(self, instance: object, owner: type[A]) -> Callable[P, A]:
        check = self._check
        create: Callable[..., A] = owner

        def command(*args: P.args, **kwargs: P.kwargs) -> A:
            if args:
                raise TypeError(f"{owner.__name__} is created from keyword arguments only")
            return create(**check(dict(kwargs)))

        command.__doc__ = self.__doc__
        return command


def creates(init: Callable[Concatenate[A, P], None]) -> Callable[[Callable[[Fields], Fields]], CreationCommand[P, A]]:
    """Make the decorated check the creation command of ``init``'s aggregate."""

    def decorate(check: Callable[[Fields], Fields]) -> CreationCommand[P, A]:
        return CreationCommand(check)

    return decorate
