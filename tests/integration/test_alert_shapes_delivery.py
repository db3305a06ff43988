"""An alert drawn as a polygon and a circle, naming no ward, reaches the
subscribers of the wards whose centre the shapes cover — and nobody else —
on all three stores, through the real outbox, SMTP and SMS gateway servers of
``test_notifications``."""

from __future__ import annotations

from ihanoi_core.commands.alerts import ApproveAlert, AreaIn, CircleIn, DraftAlert, IssueAlert
from ihanoi_core.commands.notifications import ChooseAlertWards
from tests.integration.test_alert_review import OLD_QUARTER
from tests.integration.test_notifications import ALERT_LEADER, ALERT_OFFICER, PEOPLE, alert_mails
from tests.notification_rig import Rig


def test_an_alert_drawn_as_shapes_reaches_the_subscribers_of_the_wards_whose_centre_they_cover(rig: Rig) -> None:
    app = rig.app
    # Step: An chose Hoàn Kiếm, Bình Ba Đình, Chi Tây Hồ.
    for ward, (person, email, phone) in PEOPLE.items():
        rig.enrol(person, consent=False, email=email, phone=phone)
        app.change_notification_settings(person, ChooseAlertWards(wards=[ward]))

    # Step: the old quarter's polygon (Hoàn Kiếm's and Cửa Nam's centres) and a 1 km circle round Tây Hồ's.
    areas = (AreaIn(description="Khu phố cổ", polygon=OLD_QUARTER), AreaIn(circles=(CircleIn(21.0702, 105.8188, 1.0),)))
    drafted = app.handle(ALERT_OFFICER, DraftAlert(template="ngap_ung", areas=areas))
    app.handle(ALERT_LEADER, ApproveAlert(case=drafted.case_id))
    app.handle(ALERT_OFFICER, IssueAlert(case=drafted.case_id))
    mails = len(rig.mailbox.messages)
    rig.deliver()
    rig.mailbox.wait(mails + 2)

    # Step: An and Chi hear of it by e-mail and SMS, once each; Bình (Ba Đình, outside) does not.
    assert set(alert_mails(rig, mails)) == {"an@example.vn", "chi@example.vn"}
    rows = [row for row in rig.outbox() if row["kind"] == "alert"]
    assert len(rows) == 4
