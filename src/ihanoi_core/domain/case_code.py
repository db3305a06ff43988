"""CaseCode: the index entry that makes a human case code unique.

A citizen reads a code like ``PA-261128-483920`` out on the phone, so codes
must be unique and resolvable to a case without a read model. Each code is an
aggregate whose id is ``uuid5(CODE_NAMESPACE, code)``, saved in the same
atomic transaction as the case it names: the store's own uniqueness of
``(originator_id, version)`` then rejects a second case with the same code.

A case created under an idempotency key also keeps, here, the fingerprint of
the request that created it, so a later request with the same key but another
body is refused instead of answered with the first case (the IETF
Idempotency-Key draft, §2.6). Registrations stored before fingerprints were
kept load with none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.personal import ACTOR, Personal
from ihanoi_core.domain.values import Principal

CODE_NAMESPACE = UUID("3f1b8a4e-4f5e-4c59-9a55-6f1a2d7c8e01")


def code_id(code: str) -> UUID:
    """The aggregate id of a case code (codes are case-insensitive)."""
    return uuid5(CODE_NAMESPACE, code.strip().upper())


class CaseCode(Aggregate):
    """Maps one human code to one case id."""

    class Registered(Aggregate.Created):
        """Version 2 added ``request_fingerprint``."""

        class_version = 2
        # The citizen who filed the case, when one did (see ``personal``).
        personal_data: ClassVar[Mapping[str, Personal]] = {"actor": ACTOR}
        code: str
        case_id: UUID
        kind: str
        actor: Principal
        request_fingerprint: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["request_fingerprint"] = None

    @event(Registered)
    def __init__(
        self,
        *,
        id: UUID,
        code: str,
        case_id: UUID,
        kind: str,
        actor: Principal,
        timestamp: datetime,
        request_fingerprint: str | None = None,
    ) -> None:
        self.code = code
        self.case_id = case_id
        self.kind = kind
        self.request_fingerprint = request_fingerprint
