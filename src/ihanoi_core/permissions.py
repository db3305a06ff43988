"""Who may see a case and who may do what to it (DESIGN §2).

Access is decided here, in the application layer, so a program embedding the
library gets exactly the protection the HTTP API gives. A case a principal may
not see is reported as not found (existence must not leak); a visible case on
which the command is not allowed for the role is forbidden.

Who may *run* a command is declared on its type (``roles`` in
``commands/<kind>.py``); ``handlers/table.py`` copies it into ``PERMISSIONS``
with ``register`` when it registers the command's handler, so this table is
derived, never written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol
from uuid import UUID

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import CaseNotFoundError, ForbiddenError

CITIZEN = frozenset({Role.CITIZEN})
BUSINESS = frozenset({Role.BUSINESS})
STAFF = frozenset({Role.OFFICER, Role.LEADER})
LEADER = frozenset({Role.LEADER})
# Kinds of case that belong to a business, not to the person who filed them
# (``business.md``): their filer sees them only acting for the business (the
# ``business`` role), never as a plain citizen under "my cases".
BUSINESS_KINDS = frozenset({"business_inquiry"})

# (kind, command) -> roles allowed, once the case is visible to the principal.
PERMISSIONS: dict[tuple[str, str], frozenset[Role]] = {}


class VisibleCase(Protocol):
    """What the access rules need to know about a case."""

    @property
    def kind(self) -> str: ...

    @property
    def owner(self) -> str | None: ...

    @property
    def agencies(self) -> tuple[str, ...]: ...

    @property
    def is_public(self) -> bool: ...


def register(kind: str, rows: Mapping[str, frozenset[Role]]) -> None:
    """Add the permission rows for the commands of one kind of case."""
    for command, roles in rows.items():
        PERMISSIONS[(kind, command)] = roles


PUBLIC_READERS = frozenset({Role.CITIZEN, Role.PARTNER, Role.BUSINESS})
# The kinds of case the public feed (``public_reports``, Open311) shows, every one of them, without personal data.
PUBLIC_FEED_KINDS = frozenset({"report"})


def can_see(principal: Principal, case: VisibleCase) -> bool:
    """Citizens see their own cases; staff see cases routed to their agency;
    auditors see every case (read-only); admins and partners see no case
    content. A case made public on purpose (a published survey) is readable by
    every citizen and partner too. A person acting for a business sees the
    cases of that business (its ``business``: the tax code they act for),
    whoever of its people filed them; the person who filed one does not see
    it as a citizen (``BUSINESS_KINDS``: it is the business's, not theirs)."""
    if principal.role is Role.SYSTEM or principal.role is Role.AUDITOR:
        return True
    if case.is_public and principal.role in PUBLIC_READERS:
        return True
    if principal.role is Role.CITIZEN:
        return case.owner is not None and case.owner == principal.subject and case.kind not in BUSINESS_KINDS
    if principal.is_staff:
        return principal.agency is not None and principal.agency in case.agencies
    if principal.role is Role.BUSINESS:
        business = getattr(case, "business", None)
        return business is not None and business == principal.organisation
    return False


def authorize(
    principal: Principal, case: VisibleCase, command: str, case_id: UUID, *, on_public_feed: bool = False
) -> None:
    """Raise ``CaseNotFoundError`` if the case is invisible to the principal,
    ``ForbiddenError`` if the role may not run ``command`` on it. A command
    ``on_public_feed`` (supporting a report) needs only a case the public feed
    shows, which every citizen and partner may read there."""
    visible = on_public_feed and case.kind in PUBLIC_FEED_KINDS and principal.role in PUBLIC_READERS
    if not visible and not can_see(principal, case):
        raise CaseNotFoundError(case_id)
    if principal.role is Role.SYSTEM:
        return
    roles = PERMISSIONS.get((case.kind, command))
    if roles is None or principal.role not in roles:
        raise ForbiddenError(command, principal.role.value, case_id)


def authorize_create(principal: Principal, kind: str, allowed: frozenset[Role]) -> None:
    """Raise ``ForbiddenError`` unless the role may create a case of ``kind``."""
    if principal.role is not Role.SYSTEM and principal.role not in allowed:
        raise ForbiddenError(f"create_{kind}", principal.role.value)
