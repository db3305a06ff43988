"""Simulated citizens who want to hear of their cases (docs/notifications.md):
every fourth one proves an e-mail address with the code sent to it and
consents to notifications, at the start of a run, so the outbox has notices to
queue. A repeated run on the same store finds them enrolled and adds nothing."""

from __future__ import annotations

from collections.abc import Sequence

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, VerifyChannel
from ihanoi_core.domain.contactability import contactability_id
from ihanoi_core.domain.values import Principal
from ihanoi_core.notifications.codes import code_for

SHARE = 4


def enrol(app: Ihanoi, citizens: Sequence[Principal]) -> int:
    """Enrol every ``SHARE``-th citizen not enrolled yet; how many were."""
    enrolled = 0
    for citizen in citizens[::SHARE]:
        if app.notification_settings(citizen)["channels"]:
            continue
        address = f"{citizen.subject.split(':')[-1]}@example.vn"
        app.change_notification_settings(citizen, AddChannel(channel="email", address=address))
        stream = contactability_id(citizen.subject, app.personal_keys.subject_key_id(citizen.subject))
        contact = app.contact(stream)
        assert contact is not None
        code = code_for(app.code_key, stream, "email", contact.pending["email"].challenge)
        app.change_notification_settings(citizen, VerifyChannel(channel="email", code=code))
        app.give_consent(citizen, "notifications", notice_version="2026-01")
        enrolled += 1
    return enrolled
