"""The Zalo OA access token expires and is renewed (issue #20 follow-up), on
memory, SQLite and PostgreSQL view databases: the senders the dispatcher
builds talk to a local fake of the OA API and of Zalo's OAuth server
(``tests/chat_servers.py``) that expires tokens and spends each refresh
token once. An expired token is renewed once and the reply sent again; the
new pair survives a restart (the settings' refresh token is spent by then);
a refused renewal is a permanent failure, tried once; threads racing on an
expired token renew it once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from ihanoi_core.notifications.channels import DeliveryError, Message, Sender
from ihanoi_core.notifications.senders import build_senders
from ihanoi_core.notifications.zalo_tokens import seed_of
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.database import ViewDatabase
from ihanoi_projections.notifications.zalo_tokens import ViewTokenStore
from tests.chat_servers import APP_SECRET, OA_REFRESH, OA_TOKEN, ChatApi, chat_api


@pytest.fixture
def api() -> Iterator[tuple[str, ChatApi]]:
    with chat_api() as served:
        yield served


def zalo_settings(settings: Settings, url: str, **changes: str | None) -> Settings:
    given: dict[str, str | None] = {
        "zalo_access_token": OA_TOKEN, "zalo_refresh_token": OA_REFRESH, "zalo_app_id": "360846524940903967",
        "zalo_app_secret": APP_SECRET, "zalo_api_url": url, "zalo_oauth_url": url, **changes,
    }  # fmt: skip
    return replace(settings, **given)  # type: ignore[arg-type]


def sender(settings: Settings, views: ViewDatabase) -> Sender:
    return build_senders(settings, zalo_tokens=ViewTokenStore(views))["zalo_oa"]


def reply(key: str) -> Message:
    return Message(idempotency_key=key, channel="zalo_oa", kind="conversation_reply", to="zalo-user-1",
                   language="vi", subject="", text=f"Đã nhận phản ánh ({key}).")  # fmt: skip


@pytest.mark.parametrize("error", [-216, -124])
def test_an_expired_token_is_renewed_once_and_the_new_pair_outlives_a_restart(
    settings: Settings, views: ViewDatabase, api: tuple[str, ChatApi], error: int
) -> None:
    url, served = api
    served.refused_token_error = error
    configured = zalo_settings(settings, url)
    first = sender(configured, views)
    assert first.send(reply("r-1")) == "r-1"
    # Step: a day passes; Zalo answers -216 (or -124); the sender renews once and sends again.
    served.expire()
    assert first.send(reply("r-2")) == "r-2"
    assert (served.renewals, served.unauthorised) == (1, 1)
    assert ViewTokenStore(views).load(seed_of(OA_REFRESH)) == ("oa-access-1", "oa-refresh-1")
    assert OA_REFRESH not in served.unspent  # single use: the settings' refresh token is spent now
    first.close()
    # Step: the dispatcher restarts with the same settings: it sends with the stored pair, no renewal.
    restarted = sender(configured, views)
    assert restarted.send(reply("r-3")) == "r-3"
    assert (served.renewals, served.unauthorised) == (1, 1)
    # Step: that token expires too: renewed with the stored refresh token (the settings' would be refused).
    served.expire()
    assert restarted.send(reply("r-4")) == "r-4"
    assert served.renewals == 2
    assert [served.delivered[key]["to"] for key in ("r-1", "r-2", "r-3", "r-4")] == ["zalo-user-1"] * 4
    restarted.close()


def test_a_new_refresh_token_in_the_settings_wins_over_the_stored_pair(
    settings: Settings, views: ViewDatabase, api: tuple[str, ChatApi]
) -> None:
    url, served = api
    ViewTokenStore(views).save(seed_of("an-older-refresh-token"), "old-access", "old-refresh")
    # The operator re-authorised the OA: the settings' pair is used, not a pair renewed from another token.
    fresh = sender(zalo_settings(settings, url), views)
    assert fresh.send(reply("r-1")) == "r-1"
    assert (served.renewals, served.unauthorised) == (0, 0)
    fresh.close()


@pytest.mark.parametrize("change", [{"zalo_app_secret": "wrong-secret"}, {"zalo_refresh_token": None}])
def test_a_renewal_that_cannot_happen_is_permanent_and_sends_nothing_more(
    settings: Settings, views: ViewDatabase, api: tuple[str, ChatApi], change: dict[str, str | None]
) -> None:
    url, served = api
    refused = sender(zalo_settings(settings, url, **change), views)
    served.expire()
    with pytest.raises(DeliveryError) as failed:
        refused.send(reply("r-1"))
    assert failed.value.permanent
    assert (served.renewals, served.unauthorised, served.delivered) == (0, 1, {})
    refused.close()


def test_threads_racing_on_an_expired_token_renew_it_once(
    settings: Settings, views: ViewDatabase, api: tuple[str, ChatApi]
) -> None:
    url, served = api
    shared = sender(zalo_settings(settings, url), views)
    served.expire()
    with ThreadPoolExecutor(max_workers=8) as pool:
        sent = list(pool.map(lambda n: shared.send(reply(f"r-{n}")), range(16)))
    assert sent == [f"r-{n}" for n in range(16)]
    assert served.renewals == 1  # the refresh token is single use: a second renewal would have been refused
    shared.close()
