"""Demo data of the chat and hotline intake (``ihanoi demo``, docs/channels.md):
the demo citizen links a Zalo thread with a one-time code and files a report
through the guided flow; another Zalo user starts a report and stops at the
location (a thread left for triage); a Messenger user asks a question; the
hotline reports a call no operator has turned into a case yet. The officer's
``GET /api/v1/conversations`` and the leader dashboard's channel table show them."""

from __future__ import annotations

from ihanoi_core.application import Ihanoi
from ihanoi_core.channels.flow import Inbound
from ihanoi_core.channels.payloads import Delivery
from ihanoi_core.domain.values import Principal, Role

HOAN_KIEM = (21.0285, 105.8542)


def seed_channels(app: Ihanoi, citizen: str) -> list[str]:
    """Feed the demo threads; the codes of the cases they became."""
    code, _ = app.issue_link_code(Principal(citizen, Role.CITIZEN))
    pothole = str(sorted(app.directory.categories).index("pothole") + 1)
    linked = [
        Inbound("text", text=f"liên kết {code}"),
        Inbound("text", text="Phản ánh ổ gà lớn trước số 12 Hàng Bài"),
        Inbound("text", text=pothole),
        Inbound("location", latitude=HOAN_KIEM[0], longitude=HOAN_KIEM[1]),
        Inbound("text", text="bỏ qua"),
        Inbound("text", text="có"),
    ]
    cases = []
    for number, message in enumerate(linked):
        received = app.receive_message(Delivery("zalo", "demo-zalo-1", f"demo-zalo-1-{number}", 0, message))
        cases.extend(app.process_messages(received.conversation))  # what the dispatcher does, in line for the demo
    unfinished = [Inbound("text", text="Xin chào"), Inbound("text", text="phản ánh rác"), Inbound("text", text="12")]
    for number, message in enumerate(unfinished):
        app.process_messages(
            app.receive_message(Delivery("zalo", "demo-zalo-2", f"demo-zalo-2-{number}", 0, message)).conversation
        )
    question = Inbound("text", text="Phí đăng ký hộ kinh doanh bao nhiêu?")
    app.process_messages(
        app.receive_message(Delivery("messenger", "demo-psid-1", "demo-mid-1", 0, question)).conversation
    )
    app.record_call("demo-call-1", "0912000111", "recordings/demo-call-1.ogg")
    return cases
