"""Commands as data: one frozen type per command, declared once.

A command type is a msgspec ``Struct`` whose fields are its input, with the
bounds HTTP enforces when it decodes a body (``Annotated[str, Meta(...)]``).
Its class attributes say the rest:

- ``name``: the command's name in URLs (``mark-duplicate``);
- ``step``: the aggregate's name for the step, the key of its
  ``TRANSITIONS`` table and of the permission table (``mark_duplicate``;
  by default ``name`` with ``_`` for ``-``);
- ``roles``: who may run it once the case is visible to them (DESIGN §2),
  with ``roles_by_kind`` overriding them for one kind of case and ``kinds``
  limiting which kinds of the family it applies to;
- ``on_public_feed``: the case need only be one the public feed shows (any
  report), not visible to the principal: a citizen supports another's report;
- the docstring: its summary (``summary_of``), for the API description.

Fields and class attributes share one namespace, so an input may not be
called like one of the class attributes or classmethods here (``name``,
``roles``, ``kinds``, ``step`` …).

The states a command is valid from are the aggregate's own (``valid_from``):
the domain enforces them, the command only reports them. A ``CaseCommand``
changes the case its ``case`` field names; a ``CreateCommand`` makes a new one;
a ``SystemCaseCommand`` is a system process's on any kind of case.
Handlers (``ihanoi_core.handlers``) carry out each type; ``Ihanoi.handle``
dispatches on it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar
from uuid import UUID

import msgspec

from ihanoi_core.domain.case import Case
from ihanoi_core.domain.values import Role


class Command(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every command (see the module docstring).

    A subclass inherits ``forbid_unknown_fields``. It says ``frozen=True``
    again for the type checker (which does not know msgspec inherits it) and
    ``kw_only=True`` again because msgspec applies it only to the fields a
    class declares itself (so fields stay in declaration order, passed by
    name)."""

    name: ClassVar[str]
    roles: ClassVar[frozenset[Role]] = frozenset()


def summary_of(command_type: type[Command]) -> str:
    """The first paragraph of a command type's docstring, on one line. A
    function, not a classmethod: a command may take an input called
    ``summary`` (a dialogue's, a survey's results'), and a field hides a class
    attribute of the same name."""
    doc = inspect.getdoc(command_type) or command_type.__name__
    return " ".join(doc.split("\n\n", 1)[0].split())


class CreateCommand(Command, frozen=True, kw_only=True):
    """A command that makes a new case. With an idempotency key, a retry of
    the same command returns the first case (see ``Ihanoi.handle``)."""

    creates: ClassVar[tuple[type[Case], ...]]

    def case_type(self) -> type[Case]:
        """The kind of case this command makes (some commands choose by a field)."""
        return self.creates[0]


class SystemCaseCommand(Command, frozen=True, kw_only=True):
    """A system process's command on a case of any kind (a deadline's
    threshold, a delivered notice): only the SYSTEM principal runs it, it has
    no HTTP route, and the case decides under the step named like it
    (``pass_deadline_threshold``)."""

    roles: ClassVar[frozenset[Role]] = frozenset({Role.SYSTEM})
    case: UUID

    @classmethod
    def step(cls) -> str:
        return cls.name.replace("-", "_")


class CaseCommand(Command, frozen=True, kw_only=True):
    """A command on one existing case, named by id or code."""

    case: UUID | str
    family: ClassVar[type[Case]]
    kinds: ClassVar[tuple[str, ...]] = ()
    on_public_feed: ClassVar[bool] = False
    roles_by_kind: ClassVar[Mapping[str, frozenset[Role]]] = {}

    @classmethod
    def step(cls) -> str:
        explicit: str | None = cls.__dict__.get("step_name")
        return explicit or cls.name.replace("-", "_")

    @classmethod
    def family_kinds(cls) -> tuple[str, ...]:
        """The kinds of case of the family (a report; a complaint and a denunciation)."""
        return tuple(aggregate.kind for aggregate in _concrete(cls.family))

    @classmethod
    def applies_to(cls) -> tuple[str, ...]:
        """The kinds of case this command is a step of."""
        if cls.kinds:
            return cls.kinds
        return tuple(a.kind for a in _concrete(cls.family) if a.valid_from(cls.step()))

    @classmethod
    def roles_for(cls, kind: str) -> frozenset[Role]:
        """Who may run it on a case of ``kind`` (nobody where it is not a step)."""
        if kind not in cls.applies_to():
            return frozenset()
        return cls.roles_by_kind.get(kind, cls.roles)

    @classmethod
    def valid_from(cls, kind: str) -> tuple[str, ...]:
        """The statuses of a ``kind`` case it may be run from, as the domain enforces them."""
        for aggregate in _concrete(cls.family):
            if aggregate.kind == kind:
                return aggregate.valid_from(cls.step())
        return ()

    @classmethod
    @functools.cache
    def body(cls) -> type[msgspec.Struct]:
        """Its input without ``case``: what HTTP reads from a request body
        (the case is in the URL)."""
        fields: list[Any] = []
        for field in msgspec.structs.fields(cls):
            if field.name == "case":
                continue
            if field.default is not msgspec.NODEFAULT:
                fields.append((field.name, field.type, field.default))
            elif field.default_factory is not msgspec.NODEFAULT:
                fields.append((field.name, field.type, msgspec.field(default_factory=field.default_factory)))
            else:
                fields.append((field.name, field.type))
        return msgspec.defstruct(
            f"{cls.__name__}Body",
            fields,
            kw_only=True,
            forbid_unknown_fields=True,
            frozen=True,
            module=cls.__module__,
            namespace={"__doc__": summary_of(cls)},
        )


def _concrete(family: type[Case]) -> list[type[Case]]:
    """The aggregates of a family that have statuses: itself, or its subclasses
    (a ``Grievance`` is a ``Complaint`` or a ``Denunciation``), by kind: not in
    the order their modules happened to be imported, which would reorder what
    the API description says per kind."""
    found = [family] if family.STATUSES else []
    for sub in sorted(family.__subclasses__(), key=lambda sub: sub.kind):
        found += _concrete(sub)
    return found


def command_from_body(command_type: type[CaseCommand], case: UUID | str, body: msgspec.Struct) -> CaseCommand:
    """The command ``command_type`` on ``case`` with the input a body gave."""
    return command_type(case=case, **msgspec.structs.asdict(body))
