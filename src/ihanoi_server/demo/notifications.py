"""Notifications in the demo (docs/notifications.md): the demo citizen proves
an e-mail address and a phone, consents, chooses Hoàn Kiếm's alerts (the
walk-through of docs/alerts.md then queues notices for them), and files a report that an officer
acknowledges, so ``ihanoi notifications status`` shows notices waiting (sent
once ``IHANOI_NOTIFY_SMTP_URL`` / ``IHANOI_NOTIFY_GATEWAY_URL`` point somewhere
and ``ihanoi notifications run`` runs)."""

from __future__ import annotations

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.notifications import AddChannel, SetNotificationPreferences, VerifyChannel
from ihanoi_core.commands.reports import AcknowledgeReport, SubmitReport
from ihanoi_core.commands.values import LocationIn
from ihanoi_core.domain.contactability import contactability_id
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.notifications.codes import code_for
from ihanoi_projections.read_side import ReadSide

CHANNELS = (("email", "congdan.demo@example.vn"), ("sms", "0912000001"))


def seed_notifications(app: Ihanoi, citizen: str) -> None:
    person = Principal(citizen, Role.CITIZEN)
    stream = contactability_id(citizen, app.personal_keys.subject_key_id(citizen))
    for channel, address in CHANNELS:
        app.change_notification_settings(person, AddChannel(channel=channel, address=address))  # type: ignore[arg-type]
        contact = app.contact(stream)
        assert contact is not None
        code = code_for(app.code_key, stream, channel, contact.pending[channel].challenge)
        app.change_notification_settings(person, VerifyChannel(channel=channel, code=code))  # type: ignore[arg-type]
    app.change_notification_settings(person, SetNotificationPreferences(language="vi", alert_wards=["HOAN_KIEM"]))
    app.give_consent(person, "notifications", notice_version="2026-01")
    location = LocationIn(ward="HOAN_KIEM", latitude=21.0285, longitude=105.8542, address="Phố Hàng Bài")
    filed = app.handle(person, SubmitReport(category="pothole", description="Ổ gà lớn giữa đường", location=location))
    agency = app.directory.route("pothole", "HOAN_KIEM").code
    app.handle(Principal(f"officer-1-{agency.lower()}", Role.OFFICER, agency), AcknowledgeReport(case=filed.case_id))
    read_side = ReadSide(app, start=False)
    try:
        read_side.catch_up()
    finally:
        read_side.close()
