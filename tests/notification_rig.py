"""The notification tests' rig: the application, its read side driven by
hand and a dispatcher wired to real mail and SMS servers on loopback
(tests/notification_servers.py). The ``rig`` fixture of
tests/integration/conftest.py starts the servers and yields one."""

from __future__ import annotations

import re

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, VerifyChannel
from ihanoi_core.commands.service_requests import ReceiveDossier
from ihanoi_core.domain.contactability_values import normalise_address
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.channels import Sender
from ihanoi_core.notifications.email import SmtpSender
from ihanoi_core.notifications.gateway import HttpGatewaySender
from ihanoi_core.settings import Settings
from ihanoi_projections.engine.base import micros
from ihanoi_projections.notifications.dispatcher import Dispatcher
from ihanoi_projections.notifications.notices import OUTBOX
from ihanoi_projections.notifications.outbox import OutboxModel
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock
from tests.dossiers import at, procedure_staff, submit
from tests.notification_servers import GATEWAY_TOKEN, Gateway, Mailbox

CODE = re.compile(r"\b(\d{6})\b")


class Rig:
    """The application, its read side driven by hand, a dispatcher wired to the servers."""

    def __init__(self, app: Ihanoi, settings: Settings, clock: FakeClock, mailbox: Mailbox, gateway: Gateway,
                 smtp_url: str, gateway_url: str) -> None:  # fmt: skip
        self.app, self.clock, self.mailbox, self.gateway = app, clock, mailbox, gateway
        self.read_side = ReadSide(app, settings, start=False)
        self.settings = settings.with_changes(notify_backoff_seconds=60.0)
        self.senders: dict[str, Sender] = {
            "email": SmtpSender(smtp_url, "iHanoi <no-reply@ihanoi.local>"),
            "sms": HttpGatewaySender(gateway_url, GATEWAY_TOKEN, {"dossier_apology": "ZNS-APOLOGY"}),
        }
        self.dispatcher = self.new_dispatcher()

    def new_dispatcher(self) -> Dispatcher:
        return Dispatcher(
            self.app, self.read_side.database, self.senders, self.settings,
            clock=lambda: micros(self.clock()) or 0, random_fraction=lambda: 0.0,
        )  # fmt: skip

    def deliver(self) -> int:
        self.read_side.catch_up()
        return self.dispatcher.drain()

    def outbox(self) -> list[dict[str, object]]:
        return self.read_side.database.query(f"SELECT * FROM {OUTBOX} ORDER BY position, channel")

    def enrol(
        self, citizen: Principal, *, consent: bool = True, email: str = "hoa@example.vn", phone: str = "0912 345 678"
    ) -> None:
        """E-mail and SMS added and proved with the codes the servers received."""
        self.app.change_notification_settings(citizen, AddChannel(channel="email", address=email))
        self.app.change_notification_settings(citizen, AddChannel(channel="sms", address=phone))
        mails, calls = len(self.mailbox.messages), len(self.gateway.delivered)
        self.deliver()
        mail = self.mailbox.wait(mails + 1)[-1]
        assert mail["To"] == email
        email_code = CODE.search(self.mailbox.text(mail))
        sms = list(self.gateway.delivered.values())[calls:]
        assert [message["to"] for message in sms] == [normalise_address("sms", phone)]
        sms_code = CODE.search(sms[0]["text"])
        assert email_code
        assert sms_code
        self.app.change_notification_settings(citizen, VerifyChannel(channel="email", code=email_code.group(1)))
        self.app.change_notification_settings(citizen, VerifyChannel(channel="sms", code=sms_code.group(1)))
        if consent:
            self.app.give_consent(citizen, "notifications", notice_version="2026-01")

    def dossier_received(self, citizen: Principal) -> None:
        """The citizen enrolled, and their dossier received at 11:30:10: its notices queued, none sent yet."""
        self.enrol(citizen)
        filed = submit(self.app, citizen)
        self.clock.set(at(11, 30, 10))
        self.app.handle(procedure_staff(self.app, Role.OFFICER), ReceiveDossier(case=filed.case_id))
        self.read_side.catch_up()

    def rebuild_sends_nothing(self) -> None:
        """Rebuild the outbox from zero and run a dispatcher again: the same
        derived rows, the same outbox, and nothing sent."""
        before, sent = self.outbox(), (len(self.mailbox.messages), self.gateway.calls)
        model = self.read_side.model(OutboxModel)
        derived = model.rows()
        self.read_side.projector.reset([OutboxModel.name])
        self.read_side.catch_up()
        assert model.rows() == derived
        assert self.dispatcher.drain() == 0
        assert (len(self.mailbox.messages), self.gateway.calls) == sent
        assert self.outbox() == before

    def close(self) -> None:
        self.dispatcher.close()
        self.read_side.close()
