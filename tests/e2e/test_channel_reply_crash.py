"""Kill -9 of the dispatcher while it sends replies to chat threads (issue
#20), on SQLite and PostgreSQL: every reply reaches the local fake of the Zalo
OA API exactly once. The pattern of ``test_notification_crash``: dispatchers
forked from a zygote, each killed just after the API sees its first call of a
batch, a hot standby taking over; a killed dispatcher's claimed replies are
claimed again after the lease and re-sent under the same idempotency key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ihanoi_core.channels.flow import Inbound
from ihanoi_core.channels.payloads import Delivery
from ihanoi_projections.notifications.notices import OUTBOX
from tests.chat_servers import OA_TOKEN, ChatApi, chat_api
from tests.e2e.test_notification_crash import Zygote, crash_store, kill_mid_batch

USERS = 30
KILLS = 10


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_killing_the_dispatcher_mid_batch_sends_every_chat_reply_exactly_once(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with crash_store(store, tmp_path, request) as (settings, app, read_side):
        # Step: thirty Zalo users start a report; each is answered with the category menu.
        for number in range(USERS):
            message = Inbound("text", text=f"Phản ánh số {number}")
            received = app.receive_message(Delivery("zalo", f"zalo-user-{number}", f"m-{number}", 0, message))
            app.process_messages(received.conversation)  # the flow, here in line (test_chat_flow_crash kills it)
        read_side.catch_up()
        rows = read_side.database.query(f"SELECT notification_id FROM {OUTBOX} WHERE channel = 'zalo_oa'")
        expected = {row["notification_id"] for row in rows}
        assert len(expected) == USERS

        with chat_api(ChatApi(delay=0.05)) as (api_url, api):
            extra = {"IHANOI_ZALO_ACCESS_TOKEN": OA_TOKEN, "IHANOI_ZALO_API_URL": api_url}
            zygote = Zygote(settings, api_url, tmp_path / "dispatcher.log", extra)
            try:
                # Step: kill -9 the active dispatcher mid-batch; a standby takes over each time.
                mid_batch = kill_mid_batch(zygote, lambda: api.calls, read_side.database, KILLS, seed=20)
            finally:
                zygote.close()

        assert mid_batch == KILLS  # each kill left claimed replies unsent
        assert {row["state"] for row in read_side.database.query(f"SELECT state FROM {OUTBOX}")} == {"sent"}
        assert set(api.delivered) == expected
        # A reply sent and then killed before it was recorded is sent again under its key: the API
        # saw it twice and delivered it once; none was lost, none delivered under another key.
        assert set(api.deliveries) == expected
        assert all(body["text"].startswith("Chọn loại phản ánh") for body in api.delivered.values())
        assert {body["to"] for body in api.delivered.values()} == {f"zalo-user-{n}" for n in range(USERS)}
        assert api.unauthorised == 0
