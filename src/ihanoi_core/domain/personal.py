"""Personal data in events, declared: which fields of which event identify or
contact a person, whose data they are, and what they read as once erased.

Events are immutable, so personal data cannot be deleted from the log. The
event store encrypts each declared field with the data key of the case's data
subject (crypto-shredding, see ``docs/privacy.md``); destroying that key erases
the field everywhere at once — in the store, its copies and its backups —
while every event still loads and the audit chain still holds. The store reads
these declarations from the event classes (``personal_data``: field name →
``Personal``) without importing the domain.

What is personal: who filed (the owner's subject id, the acting citizen),
their contact details, the complainant's or denouncer's identity and letter,
the applicant's identity and the documents they handed in. Free text written
for the case (a report's description, a reason, a rating comment) is case
content: it is shown to the agency, a report's description to the public.

An aggregate declares its events' personal fields in a table by event name
(``PERSONAL_DATA`` on a ``Case``; ``declare_personal_data`` for the others), so
the classes ``@event`` generates keep their stored topics. Every case event's
``actor`` is personal when a citizen acted (``ACTOR``); staff act in office and
stay on the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ihanoi_core.domain.values import ANONYMOUS_SUBJECT, Principal, Role

# What an erased text reads as, and the subject id of an erased principal.
ERASED = "[erased]"
ERASED_PRINCIPAL = Principal(ERASED, Role.CITIZEN)


def is_person(principal: Principal) -> bool:
    """A principal acting as a private person: a citizen, or a person acting
    for a business (their name is theirs, not the business's), not the
    shared stand-in of an anonymous survey's respondents."""
    return principal.role in (Role.CITIZEN, Role.BUSINESS) and principal.subject not in (ANONYMOUS_SUBJECT, ERASED)


@dataclass(frozen=True, slots=True)
class Personal:
    """One personal field of an event.

    ``of`` says whose data it is, in words (``reporter``, ``denouncer``);
    ``erased`` is what the field reads as once the data key is destroyed (``None``
    for an optional field, a marked stand-in for a required one). A field that
    ``names_subject`` holds the data subject's id (a subject string, or a
    principal): the first such value an event carries decides whose key seals
    the case. ``persons_only`` marks a principal field that is personal only
    when a private person acted (``is_person``)."""

    of: str
    erased: Any = None
    names_subject: bool = False
    persons_only: bool = False

    def applies_to(self, value: object) -> bool:
        """Whether ``value`` is personal data (and so must be sealed)."""
        if value is None:
            return False
        if self.persons_only:
            return isinstance(value, Principal) and is_person(value)
        return True

    def subject(self, value: object) -> str | None:
        """The data subject ``value`` names, if this field names one."""
        if not self.names_subject or not self.applies_to(value):
            return None
        if isinstance(value, Principal):
            return value.subject
        return value if isinstance(value, str) and value else None


# The actor of every event, when a citizen acted: their own subject id.
ACTOR = Personal("actor", ERASED_PRINCIPAL, names_subject=True, persons_only=True)
# A case's owner (its filer's subject id): it names the data subject.
OWNER = Personal("filer", None, names_subject=True)

PersonalData = Mapping[str, Personal]


def declare_personal_data(aggregate: type, table: Mapping[str, PersonalData]) -> None:
    """Attach each event's declared fields to its class as ``personal_data``,
    ahead of those it inherits (the base event's ``actor``), so the fields that
    name the subject are consulted in the order declared. An event name that
    is not an event of ``aggregate`` fails at import."""
    for event_name, fields in table.items():
        event_class = getattr(aggregate, event_name)
        inherited: PersonalData = getattr(event_class, "personal_data", {})
        merged = {**fields, **{name: field for name, field in inherited.items() if name not in fields}}
        setattr(event_class, "personal_data", merged)  # noqa: B010 - generated classes: no attribute to type


def personal_fields(event_class: type) -> PersonalData:
    """The personal fields an event class declares (empty when none)."""
    declared: PersonalData = getattr(event_class, "personal_data", {})
    return declared
