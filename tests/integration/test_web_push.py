"""Web Push (issue #14) on memory, SQLite and PostgreSQL, against a real push
service on loopback over TLS (tests/notification_servers.py) that checks the
VAPID JWT's signature and decrypts the aes128gcm payload with the browser's
private keys: a subscription registered as a channel is verified at once, a
notice arrives readable only by it, a gone subscription (410) is dead-lettered,
a request signed with another key is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import msgspec
import pytest
import requests

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, AddPushSubscription
from ihanoi_core.commands.service_requests import ReceiveDossier, RequestDossierSupplement, StartDossierProcessing
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ConfigurationError, ValidationError
from ihanoi_core.notifications.webpush import WebPushSender, new_vapid_keys
from ihanoi_core.settings import Settings
from tests.conftest import FakeClock
from tests.dossiers import at, procedure_staff, submit
from tests.notification_rig import Rig
from tests.notification_servers import Browser, PushService, gateway_server, push_server, smtp_server

SUBJECT = "mailto:ops@ihanoi.local"


class PushRig:
    def __init__(self, rig: Rig, service: PushService, certificate: Path, private_key: str) -> None:
        self.rig, self.service = rig, service
        session = requests.Session()
        # Trust the service's own certificate (REQUESTS_CA_BUNDLE in the environment would win over it).
        session.trust_env = False
        session.verify = str(certificate)
        rig.senders["webpush"] = WebPushSender(private_key, SUBJECT, session=session)
        rig.dispatcher = rig.new_dispatcher()

    def subscribe(self, person: Principal) -> Browser:
        browser = self.service.subscribe()
        command = msgspec.convert(browser.subscription(), AddPushSubscription)
        assert self.rig.app.change_notification_settings(person, command).changed
        return browser


@pytest.fixture
def push(app: Ihanoi, settings: Settings, clock: FakeClock, tmp_path: Path) -> Iterator[PushRig]:
    private_key, public_key = new_vapid_keys()
    with (
        smtp_server() as (smtp_url, mailbox),
        gateway_server() as (gateway_url, gateway),
        push_server(public_key, tmp_path) as (service, certificate),
    ):
        rig = Rig(app, settings, clock, mailbox, gateway, smtp_url, gateway_url)
        yield PushRig(rig, service, certificate, private_key)
        rig.close()


def test_a_notice_reaches_the_browser_encrypted_to_its_keys_and_a_gone_subscription_is_dead_lettered(
    push: PushRig, clock: FakeClock, citizen: Principal
) -> None:
    rig, service = push.rig, push.service
    app = rig.app
    # Step: the browser's subscription is the citizen's webpush channel, verified at once.
    browser = push.subscribe(citizen)
    app.give_consent(citizen, "notifications", notice_version="2026-01")
    (channel,) = app.notification_settings(citizen)["channels"]
    assert (channel["channel"], channel["verified"], channel["address"]) == ("webpush", True, browser.endpoint)

    # Step: a status change arrives at the push service, signed and decryptable only with the browser's keys.
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    rig.deliver()
    (pushed,) = service.wait(1)
    assert service.refused == []
    assert pushed["title"] == f"Hồ sơ {filed.code}: đã tiếp nhận"
    assert f"Hồ sơ {filed.code} của bạn đã tiếp nhận." in pushed["body"]
    (row,) = [r for r in rig.outbox() if r["channel"] == "webpush" and r["kind"] == "case_status"]
    assert row["state"] == "sent"
    assert pushed["tag"] == row["notification_id"]
    assert pushed["topic"] == str(row["notification_id"]).replace("-", "")

    # Step: the browser unsubscribed: the service answers 410, the notice is dead at once.
    service.gone.add(browser.endpoint.rsplit("/", 1)[1])
    app.handle(officer, StartDossierProcessing(case=filed.case_id))
    rig.deliver()
    dead = [r for r in rig.outbox() if r["channel"] == "webpush" and r["state"] == "dead"]
    assert [(r["attempts"], r["last_error"]) for r in dead] == [(1, "push subscription gone (410)")]
    assert len(service.received) == 1
    # The subscription is forgotten: no webpush channel, and no later notice is queued for it.
    assert app.notification_settings(citizen)["channels"] == []
    history = [type(event).__name__ for event in app.events.get(UUID(str(row["recipient"])))]
    assert history[-1] == "ChannelRemoved"
    app.handle(officer, RequestDossierSupplement(case=filed.case_id, missing=("Ảnh 4x6",)))
    rig.read_side.catch_up()
    assert [r for r in rig.outbox() if r["channel"] == "webpush" and r["state"] == "pending"] == []


def test_a_push_signed_with_another_vapid_key_is_refused_and_bad_subscriptions_are_422(
    push: PushRig, clock: FakeClock, citizen: Principal, tmp_path: Path
) -> None:
    rig, service = push.rig, push.service
    app = rig.app
    push.subscribe(citizen)
    app.give_consent(citizen, "notifications", notice_version="2026-01")
    # Step: a dispatcher with a key the subscription was not made with: the service refuses it (403), dead.
    other, _ = new_vapid_keys()
    rig.senders["webpush"] = WebPushSender(other, SUBJECT, session=rig.senders["webpush"].session)  # type: ignore[attr-defined]
    rig.dispatcher = rig.new_dispatcher()
    officer = procedure_staff(app, Role.OFFICER)
    filed = submit(app, citizen)
    clock.set(at(11, 30, 10))
    app.handle(officer, ReceiveDossier(case=filed.case_id))
    rig.deliver()
    assert service.refused == ["not the key the subscription was made with"]
    assert service.received == []
    (row,) = [r for r in rig.outbox() if r["channel"] == "webpush"]
    assert (row["state"], row["last_error"]) == ("dead", "push service answered 403")

    # Step: a subscription without proper keys, or a push channel by code, is refused; nothing recorded.
    version = app.notification_settings(citizen)["version"]
    subscription = service.subscribe().subscription()
    for bad in ({"p256dh": "xyz", "auth": subscription["keys"]["auth"]}, {**subscription["keys"], "auth": "short"}):
        with pytest.raises(ValidationError):
            app.change_notification_settings(
                citizen, msgspec.convert({**subscription, "keys": bad}, AddPushSubscription)
            )
    with pytest.raises(ValidationError):
        app.change_notification_settings(citizen, AddChannel(channel="webpush", address=subscription["endpoint"]))
    assert app.notification_settings(citizen)["version"] == version


@pytest.mark.parametrize("key", ["zz", "AAAA", "not-a-key-at-all"])
def test_a_vapid_key_that_is_not_one_is_refused_naming_the_setting(key: str) -> None:
    with pytest.raises(ConfigurationError, match="IHANOI_NOTIFY_VAPID_PRIVATE_KEY is not a VAPID private key"):
        WebPushSender(key, "mailto:ops@example.vn")
