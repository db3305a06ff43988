"""PaymentTransaction: the index entry that makes a gateway's transaction
count once.

Its id is ``uuid5(namespace, provider + transaction id)``, and it is saved in
the same atomic transaction as the payment event the transaction caused
(``Paid`` or ``AmountMismatched``): a second callback for the same
transaction — a replay, a retry, fifty at once — finds it already stored, or
loses the race on the store's unique ``(aggregate id, version)`` and saves
nothing. That is what makes the webhook idempotent by transaction id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ihanoi_core.domain.personal import ACTOR, Personal
from ihanoi_core.domain.values import Principal

TRANSACTION_NAMESPACE = UUID("5d0b2f7e-8a61-4c1e-9f3a-2b7d4e6c9a10")


def transaction_id(provider: str, transaction: str) -> UUID:
    """The index id of ``provider``'s transaction ``transaction``."""
    return uuid5(TRANSACTION_NAMESPACE, f"{provider}\x1f{transaction}")


class PaymentTransaction(Aggregate):
    """Maps one gateway transaction to the payment it was recorded on."""

    class Registered(Aggregate.Created):
        # The gateway's SYSTEM principal: never a person, declared as every case event's actor is.
        personal_data: ClassVar[Mapping[str, Personal]] = {"actor": ACTOR}
        provider: str
        transaction: str
        payment: UUID
        actor: Principal

    @event(Registered)
    def __init__(
        self, *, id: UUID, provider: str, transaction: str, payment: UUID, actor: Principal, timestamp: datetime
    ) -> None:
        self.provider = provider
        self.transaction = transaction
        self.payment = payment
