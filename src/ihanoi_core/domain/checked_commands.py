"""Commands that take exactly the fields of the event they trigger.

A command checks and normalises what it is given, then triggers an
``@event`` method, whose parameters name the event's fields. Where the command
takes the very fields of that event, writing the list twice says nothing:
the command is made from its check alone — ``check(fields) -> fields`` —
and typed with the event method's parameters (a ``ParamSpec``), so callers
are still checked by mypy.

- ``@checked_creation(__init__)``: a creation command (``Consultation.open``), called
  on the class; it creates the aggregate from the checked fields.
- ``@checked_step(_auto_answer)``: a step (``Question.auto_answer``), called on the
  aggregate; ``check(self, fields)`` may also read the aggregate's state, and
  returns None when there is nothing to record (the step then returns False).
  Each access makes a new function, so such a step is called on the
  aggregate by its handler, not registered with ``decides_by``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
A = TypeVar("A")
# An event's fields by name, as the command was given them.
Fields = dict[str, Any]


class CreationCommand(Generic[P, A]):
    """Called on the class with the creation event's fields (keywords only),
    it creates the aggregate from what ``check`` returns."""

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


def checked_creation(
    init: Callable[Concatenate[A, P], None],
) -> Callable[[Callable[[Fields], Fields]], CreationCommand[P, A]]:
    """Make the decorated check the creation command of ``init``'s aggregate."""

    def decorate(check: Callable[[Fields], Fields]) -> CreationCommand[P, A]:
        return CreationCommand(check)

    return decorate


class StepCommand(Generic[A, P]):
    """Called on an aggregate with the fields of the event method ``event``
    (by position or name, as that method takes them), it triggers the event
    with what ``check(aggregate, fields)`` returns and returns True; or, when
    the check returns None (nothing changes), triggers nothing and returns False."""

    def __init__(self, event: Callable[Concatenate[A, P], None], check: Callable[[A, Fields], Fields | None]) -> None:
        # An ``@event`` method is the library's decorator object in the class body: its function is inside.
        function = getattr(event, "decorated_func", event)
        self._event = function.__name__
        # The names its arguments may be given by position, after ``self``.
        self._positional = function.__code__.co_varnames[1 : function.__code__.co_argcount]
        self._check = check
        self.__doc__ = check.__doc__

    def __get__(self, instance: A, owner: object) -> Callable[P, bool]:
        def command(*args: P.args, **kwargs: P.kwargs) -> bool:
            if len(args) > len(self._positional):
                raise TypeError(f"{self._event}() takes {len(self._positional)} positional arguments")
            checked = self._check(instance, dict(zip(self._positional, args, strict=False)) | kwargs)
            if checked is None:
                return False
            getattr(instance, self._event)(**checked)
            return True

        command.__doc__ = self.__doc__
        return command


def checked_step(
    event: Callable[Concatenate[A, P], None],
) -> Callable[[Callable[[A, Fields], Fields | None]], StepCommand[A, P]]:
    """Make the decorated check the command that triggers ``event``."""

    def decorate(check: Callable[[A, Fields], Fields | None]) -> StepCommand[A, P]:
        return StepCommand(event, check)

    return decorate
