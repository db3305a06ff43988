"""A notice that kills the dispatcher (out of memory, a crash in a library, an
operator's kill while it is in hand), on memory, SQLite and PostgreSQL, with
the real SMTP server and HTTP gateway on loopback: the dispatcher's death is
played by its real claim and the in-hand mark ``deliver`` writes, then its
lease lapsing. Only the notice in hand has used an attempt: the notices that
shared its batch are sent on their first, and the one in hand is dead after
``notify_max_attempts``, never sent again; ``retry`` gives it fresh attempts."""

from __future__ import annotations

from ihanoi_core.domain.values import Principal
from ihanoi_projections.engine.database import Row
from ihanoi_projections.notifications.admin import dead_letters, retry
from ihanoi_projections.notifications.dispatcher import Dispatcher
from ihanoi_projections.notifications.notices import ATTEMPTS, OUTBOX
from ihanoi_projections.notifications.outbox import OutboxModel
from tests.conftest import FakeClock
from tests.notification_rig import Rig


def dies_with_in_hand(rig: Rig, notification_id: str) -> list[Row]:
    """A new dispatcher claims a batch, takes the notice ``notification_id`` in
    hand as ``deliver`` does, and dies there: its lease lapses. The batch it
    claimed (the notice in it, as claimed)."""
    dying = rig.new_dispatcher()
    batch = dying.claim()
    (culprit,) = [row for row in batch if row["notification_id"] == notification_id]
    assert dying.take_in_hand(culprit, dying.clock()) is not None
    rig.clock.advance(seconds=rig.settings.notify_lease_seconds + 1)
    return batch


def attempts_of(rig: Rig, notification_id: str) -> list[tuple[int, str]]:
    rows = rig.read_side.database.query(
        f"SELECT attempt, outcome FROM {ATTEMPTS} WHERE notification_id = ? ORDER BY started_at", (notification_id,)
    )
    return [(row["attempt"], row["outcome"]) for row in rows]


def notice(rig: Rig, channel: str) -> dict[str, object]:
    (row,) = [row for row in rig.outbox() if row["channel"] == channel and row["kind"] == "case_status"]
    return row


def sent(rig: Rig) -> tuple[int, int]:
    """What the servers received: e-mails, gateway calls."""
    return len(rig.mailbox.messages), rig.gateway.calls


def test_the_notice_in_hand_when_a_dispatcher_dies_is_tried_again_last_and_its_batch_is_unharmed(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    rig.dossier_received(citizen)
    culprit = str(notice(rig, "sms")["notification_id"])
    bystander = str(notice(rig, "email")["notification_id"])

    # Step: a dispatcher dies with the SMS in hand; the e-mail was claimed in the same batch.
    batch = dies_with_in_hand(rig, culprit)
    assert bystander in {row["notification_id"] for row in batch}
    assert (notice(rig, "sms")["attempts"], notice(rig, "email")["attempts"]) == (1, 0)

    # Step: the next dispatcher takes the SMS last, sends the e-mail on its first attempt, and
    # tries the SMS again (its second).
    batch = rig.dispatcher.claim()
    assert batch[-1]["notification_id"] == culprit
    for row in batch:
        rig.dispatcher.deliver(row)
    assert attempts_of(rig, bystander) == [(1, "sent")]
    assert attempts_of(rig, culprit) == [(1, "crashed"), (2, "sent")]
    assert notice(rig, "sms")["in_hand_at"] is None


def test_a_notice_that_kills_every_dispatcher_is_dead_after_the_last_attempt_and_not_sent_again(
    rig: Rig, clock: FakeClock, citizen: Principal
) -> None:
    rig.dossier_received(citizen)
    culprit = str(notice(rig, "sms")["notification_id"])
    bystander = str(notice(rig, "email")["notification_id"])
    max_attempts = rig.settings.notify_max_attempts

    # Step: the first dispatcher dies with the SMS in hand; the next sends the e-mail of that
    # batch on its first attempt, and dies with the SMS in hand again, and so on.
    dies_with_in_hand(rig, culprit)
    for attempt in range(2, max_attempts + 1):
        dying = rig.new_dispatcher()
        for row in dying.claim():
            if row["notification_id"] == culprit:
                assert dying.take_in_hand(row, dying.clock()) is not None
            else:
                dying.deliver(row)
        clock.advance(seconds=rig.settings.notify_lease_seconds + 1)
        assert notice(rig, "sms")["attempts"] == attempt
    assert attempts_of(rig, bystander) == [(1, "sent")]
    assert notice(rig, "email")["state"] == "sent"

    # Step: it has used its attempts: the next round makes it dead with a clear error, not sending it.
    before = sent(rig)
    assert rig.dispatcher.drain() == 1
    assert sent(rig) == before
    sms = notice(rig, "sms")
    assert (sms["state"], sms["attempts"], sms["in_hand_at"]) == ("dead", max_attempts, None)
    assert sms["last_error"] == f"the dispatcher died while sending it, on its last attempt ({max_attempts})"
    crashes = [(attempt, "crashed") for attempt in range(1, max_attempts + 1)]
    assert attempts_of(rig, culprit) == [*crashes, (max_attempts, "dead")]
    assert [row["notification_id"] for row in dead_letters(rig.read_side.database)] == [culprit]
    clock.advance(hours=7)
    assert rig.dispatcher.drain() == 0

    # Step: an operator retries it: no longer in hand, a fresh count; sent on its first attempt.
    assert retry(rig.read_side.database, [culprit], now=clock().timestamp()) == 1
    sms = notice(rig, "sms")
    assert (sms["state"], sms["attempts"], sms["in_hand_at"]) == ("pending", 0, None)
    rig.dispatcher.drain()
    assert notice(rig, "sms")["state"] == "sent"
    assert attempts_of(rig, culprit)[-1] == (1, "sent")
    assert sent(rig) == (before[0], before[1] + 1)


def test_an_outbox_made_before_the_in_hand_mark_gains_it(rig: Rig, citizen: Principal) -> None:
    rig.dossier_received(citizen)
    database = rig.read_side.database
    with database.transaction() as cursor:
        cursor.execute(f"ALTER TABLE {OUTBOX} DROP COLUMN in_hand_at")
    assert "in_hand_at" not in rig.outbox()[0]
    # Step: the outbox's schema, as the read side or the dispatcher's worker creates it on start.
    database.create(list(rig.read_side.model(OutboxModel).schema()))
    assert all(row["in_hand_at"] is None for row in rig.outbox())
    dispatcher: Dispatcher = rig.new_dispatcher()
    assert dispatcher.drain() >= 2
    assert {notice(rig, channel)["state"] for channel in ("email", "sms")} == {"sent"}


def test_a_notice_whose_lease_lapsed_before_it_was_sent_is_left_to_its_new_holder_and_counted_lost(
    rig: Rig, citizen: Principal
) -> None:
    rig.dossier_received(citizen)
    before = sent(rig)  # enrolling sent its codes
    # Step: a slow dispatcher claims the batch; its lease lapses before it sends
    # anything, and another dispatcher claims the same notices.
    slow = rig.new_dispatcher()
    batch = slow.claim()
    assert batch
    rig.clock.advance(seconds=rig.settings.notify_lease_seconds + 1)
    holder = rig.new_dispatcher()
    assert {row["notification_id"] for row in holder.claim()} == {row["notification_id"] for row in batch}

    # Step: the slow one comes to send them: it sends none, records no attempt,
    # and counts each as lost on its channel.
    assert [slow.deliver(row) for row in batch] == ["lost"] * len(batch)
    assert sent(rig) == before
    assert all(attempts_of(rig, str(row["notification_id"])) == [] for row in batch)
    channels = [str(row["channel"]) for row in batch]
    assert slow.counters.outcomes == {(channel, "lost"): channels.count(channel) for channel in channels}
