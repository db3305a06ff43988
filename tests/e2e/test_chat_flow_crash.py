"""Kill -9 of the worker that runs the chat flow (issue #20), on SQLite and
PostgreSQL: the webhook only records a message; the dispatcher runs the
guided flow for it later (a ``conversation_message`` row of the outbox). Thirty
Zalo users each send a whole guided flow that files a report; the dispatcher
(no channel to send to: only the flow) is killed ten times just after it
finished a row, a standby taking over; every message is processed, and each
user's report is filed exactly once (the filing's idempotency key and the
``MessageProcessed`` saved with the flow's result)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.channels.flow import Inbound
from ihanoi_core.channels.payloads import Delivery
from ihanoi_core.domain.conversation import conversation_id
from ihanoi_projections.notifications.conversations import INTAKE_CHANNEL
from ihanoi_projections.notifications.notices import OUTBOX
from tests.e2e.test_notification_crash import Zygote, crash_store, kill_mid_batch

USERS = 30
KILLS = 10
HOAN_KIEM = (21.0285, 105.8542)


def reports_created(app: Ihanoi) -> int:
    """How many reports the log holds (each ``Report.Submitted``)."""
    records = app.recorder.select_notifications(start=None, limit=1_000_000)
    return sum(1 for record in records if record.topic.endswith(":Report.Submitted"))


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_killing_the_flow_worker_loses_no_message_and_files_each_report_once(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with crash_store(store, tmp_path, request) as (settings, app, read_side):
        # Step: thirty users each send the five messages of a report; they are only recorded.
        pothole = str(sorted(app.directory.categories).index("pothole") + 1)
        point = Inbound("location", latitude=HOAN_KIEM[0], longitude=HOAN_KIEM[1])
        flow = [Inbound("text", text="Phản ánh ổ gà"), Inbound("text", text=pothole), point,
                Inbound("text", text="bỏ qua"), Inbound("text", text="có")]  # fmt: skip
        for number in range(USERS):
            for step, message in enumerate(flow):
                app.receive_message(Delivery("zalo", f"zalo-user-{number}", f"m-{number}-{step}", 0, message))
        read_side.catch_up()
        query = f"SELECT state FROM {OUTBOX} WHERE channel = ?"
        assert len(read_side.database.query(query, [INTAKE_CHANNEL])) == USERS * len(flow)
        assert reports_created(app) == 0

        def processed() -> int:
            return sum(row["state"] == "sent" for row in read_side.database.query(query, [INTAKE_CHANNEL]))

        zygote = Zygote(settings, "http://127.0.0.1:9", tmp_path / "dispatcher.log")
        try:
            # Step: kill -9 the active worker just after a row is done; a standby takes over each time.
            mid_batch = kill_mid_batch(zygote, processed, read_side.database, KILLS, seed=20)
        finally:
            zygote.close()

        assert mid_batch > 0  # some kill left claimed messages unprocessed, or half done
        assert {row["state"] for row in read_side.database.query(query, [INTAKE_CHANNEL])} == {"sent"}
        for number in range(USERS):
            thread = app._conversation(conversation_id("zalo", f"zalo:zalo-user-{number}"))
            assert thread is not None
            assert (thread.pending, thread.step, len(thread.cases)) == ({}, "idle", 1)
        assert reports_created(app) == USERS
