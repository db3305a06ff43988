"""Crypto-shredding, on POPO, a real SQLite file and the real PostgreSQL server.

A canary identity — a name, a phone number, a national id, an e-mail address —
files across every aggregate and channel: a report of their own, an anonymous
one, one the hotline takes down for them, one a partner app posts, a complaint,
a denunciation, a dossier, a survey answer, notification channels, alert
wards, consent and a "me too" on someone else's report. After the erasure the canary is in
no byte of the event store or the read models, every event still loads, a
bystander's data is unchanged, the read models rebuilt from zero equal the
ones patched live, and the audit chain over the stored bytes still verifies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.audit import export_events
from ihanoi_core.channels.flow import Inbound
from ihanoi_core.channels.payloads import Delivery
from ihanoi_core.commands.grievances import ComplainantIn, FileComplaint, WithdrawComplaint
from ihanoi_core.commands.notifications import AddChannel, ChooseAlertWards
from ihanoi_core.commands.reports import SubmitReport, SupportReport
from ihanoi_core.commands.service_requests import ApplicantIn, SubmitDossier, WithdrawDossier
from ihanoi_core.commands.surveys import AnswerIn, AnswerSurvey, CreateSurvey, PublishSurvey, QuestionIn
from ihanoi_core.commands.values import ContactIn, DocumentIn, LocationIn
from ihanoi_core.directory import Directory, load_directory
from ihanoi_core.directory.model import RetentionRule
from ihanoi_core.domain.conversation import conversation_id
from ihanoi_core.domain.grievance_values import ERASED_COMPLAINANT, ComplainantIdentity, ComplaintKind
from ihanoi_core.domain.personal import ERASED_PRINCIPAL
from ihanoi_core.domain.questionnaire import QuestionType
from ihanoi_core.domain.service_request_values import ERASED_APPLICANT
from ihanoi_core.domain.values import Channel, Principal, Role
from ihanoi_core.eventstore.settings_env import store_kind
from ihanoi_core.eventstore.urls import postgres_conninfo, postgres_env, sqlite_path
from ihanoi_core.settings import Settings
from ihanoi_projections.audit_chain import verify_store
from ihanoi_projections.engine.database import views_path
from ihanoi_projections.engine.replay import replay_and_diff
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock, staff

AGENCY = "UBND_HOAN_KIEM"
HOAN_KIEM_POINT = Inbound("location", latitude=21.0285, longitude=105.8542)
NAME, PHONE, NATIONAL_ID, EMAIL = "Canarino Vàng", "0987001234", "079301234567", "canarino@example.vn"
CANARY = Principal(f"vneid:{NATIONAL_ID}", Role.CITIZEN)
CANARY_BYTES = [value.encode() for value in (NAME, PHONE, NATIONAL_ID, EMAIL, CANARY.subject)]
BYSTANDER = Principal("vneid:001099088888", Role.CITIZEN)
OFFICER = staff(Role.OFFICER, AGENCY)
LEADER = staff(Role.LEADER, AGENCY)
DPO = Principal("dpo-01", Role.DPO)
PARTNER = Principal("partner-app", Role.PARTNER)
# Once every case is final, nothing holds it (the shipped rules keep denunciation files and dossiers).
FINAL_ONLY = RetentionRule(
    code="open_cases",
    kinds=("complaint", "denunciation", "dossier"),
    held="while_open",
    legal_basis="project default, configurable: a test's rule holding open cases only",
)


@dataclass
class Filed:
    """The canary's cases, and those filed for them without an account (erasable by case code)."""

    own: list[Any]
    without_account: list[Any]
    survey: Any


def directory_with(*rules: RetentionRule) -> Directory:
    return msgspec.structs.replace(load_directory(), retention=rules)


def report(description: str, **fields: Any) -> SubmitReport:
    return SubmitReport(category="pothole", description=description, location=LocationIn("HOAN_KIEM"), **fields)


def file_everywhere(app: Ihanoi, clock: FakeClock, who: Principal, name: str, phone: str, email: str) -> Filed:
    """``who`` files on every aggregate and channel (the library calls in one place)."""
    contact = ContactIn(name=name, phone=phone, email=email)
    national_id = who.subject.removeprefix("vneid:")
    identity = ComplainantIn(name=name, national_id=national_id, phone=phone)
    own = [
        app.handle(who, report("Ổ gà trước nhà", contact=contact)),
        app.handle(who, report("Ổ gà đầu ngõ", contact=contact, anonymous=True)),
        app.handle(who, FileComplaint(
            kind=ComplaintKind.COMPLAINT, subject="Khiếu nại quyết định", content=f"Tôi là {name}, {phone}.",
            respondent_agency=AGENCY, ward="HOAN_KIEM", complainant=identity,
        )),
        app.handle(who, FileComplaint(
            kind=ComplaintKind.DENUNCIATION, subject="Tố cáo cán bộ", content="Nội dung tố cáo.",
            respondent_agency=AGENCY, ward="HOAN_KIEM", complainant=identity,
        )),
        app.handle(who, SubmitDossier(
            procedure="land_use_certificate_first", ward="HOAN_KIEM",
            applicant=ApplicantIn(name=name, national_id=national_id, phone=phone, address="12 Hàng Bài"),
            documents=(DocumentIn(f"CCCD {national_id}.pdf", "https://files.example/cccd.pdf", "a" * 64),),
        )),
    ]  # fmt: skip
    without_account = [
        app.handle(OFFICER, report("Gọi đường dây nóng", contact=contact, channel=Channel.HOTLINE)),
        app.handle(PARTNER, report("Từ ứng dụng đối tác", contact=contact, channel=Channel.OPEN311)),
    ]
    survey = app.handle(
        LEADER, CreateSurvey(title="Hài lòng", questions=(QuestionIn("q1", "Hài lòng?", QuestionType.RATING),))
    )
    app.handle(LEADER, PublishSurvey(case=survey.case_id, opens_at=clock.now, closes_at=clock.now + timedelta(days=7)))
    app.handle(who, AnswerSurvey(case=survey.case_id, answers=(AnswerIn("q1", rating=4),)))
    # Every case of theirs final, so only the rules of the test's directory decide.
    app.handle(who, WithdrawComplaint(case=own[2].case_id, reason="Đã được giải thích"))
    app.handle(who, WithdrawComplaint(case=own[3].case_id, reason="Rút đơn"))
    app.handle(who, WithdrawDossier(case=own[4].case_id, reason="Nộp lại sau"))
    # Their notification channels (not yet verified), alert wards and consent.
    app.change_notification_settings(who, AddChannel(channel="email", address=email))
    app.change_notification_settings(who, AddChannel(channel="sms", address=phone))
    app.change_notification_settings(who, ChooseAlertWards(wards=["HOAN_KIEM"]))
    app.give_consent(who, "notifications", notice_version="2026-01")
    return Filed(own, without_account, survey)


def raw_bytes(settings: Settings) -> bytes:
    """Everything the store holds on disk: SQLite files, or PostgreSQL's tables
    of the test's schema copied out in binary (bytea exactly as stored)."""
    if store_kind(settings) == "sqlite":
        path = Path(sqlite_path(settings.database_url))
        files = [path, views_path(str(path))]
        return b"".join(
            f.read_bytes() for candidate in files for f in (candidate, Path(f"{candidate}-wal")) if f.exists()
        )
    schema = postgres_env(settings.database_url)["POSTGRES_SCHEMA"]
    dump = bytearray()
    with psycopg.connect(postgres_conninfo(settings.database_url)) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
        assert len(tables) >= 8
        for (table,) in tables:
            with conn.cursor().copy(f'COPY "{schema}"."{table}" TO STDOUT (FORMAT binary)') as copy:
                for block in copy:
                    dump += block
    return bytes(dump)


def canary_in(data: bytes) -> list[bytes]:
    return [value for value in CANARY_BYTES if value in data]


@pytest.fixture
def world(settings: Settings, clock: FakeClock) -> Iterator[tuple[Ihanoi, ReadSide]]:
    app = Ihanoi(settings, clock=clock, directory=directory_with(FINAL_ONLY))
    read_side = ReadSide(app, settings, start=False)
    yield app, read_side
    read_side.close()
    app.close()


def test_an_erased_canary_is_in_no_byte_of_the_store_and_everything_else_stands(
    world: tuple[Ihanoi, ReadSide], settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    app, read_side = world
    # Step: the canary and a bystander file everywhere; the read models follow.
    canary = file_everywhere(app, clock, CANARY, NAME, PHONE, EMAIL)
    bystander = file_everywhere(app, clock, BYSTANDER, "Người Khác", "0911000111", "khac@example.vn")
    app.handle(CANARY, SupportReport(case=bystander.own[0].case_id))  # "me too" on the bystander's report
    # The canary links a Zalo thread, starts a report there with their name and number, and calls the hotline.
    link, _ = app.issue_link_code(CANARY)
    app.receive_message(Delivery("zalo", "zalo-canary", "canary-1", 0, Inbound("text", text=f"liên kết {link}")))
    started = Inbound("text", text=f"Phản ánh: {NAME}, {PHONE}, {EMAIL}")
    app.receive_message(Delivery("zalo", "zalo-canary", "canary-2", 0, started))
    # The flow's summary echoes what they wrote: the reply holds their name too (and is sealed like it).
    category = str(sorted(app.directory.categories).index("pothole") + 1)
    for number, step in enumerate((Inbound("text", text=category), HOAN_KIEM_POINT, Inbound("text", text="bỏ qua"))):
        app.receive_message(Delivery("zalo", "zalo-canary", f"canary-{number + 3}", 0, step))
    app.process_messages(conversation_id("zalo", "zalo:zalo-canary"))  # the dispatcher's part
    thread = app._conversation(conversation_id("zalo", "zalo:zalo-canary"))
    assert thread is not None
    assert any(NAME in text and PHONE in text for text in thread.replies.values())
    app.record_call("canary-call", PHONE, "recordings/canary-call.ogg")
    read_side.catch_up()
    if store_kind(settings) != "memory":
        assert canary_in(raw_bytes(settings)) == [], "personal fields are never stored in clear"
    before = {case.case_id: app.get_case(OFFICER, case.case_id) for case in bystander.own + bystander.without_account}
    held = app.export_personal_data(CANARY)
    assert {record["kind"] for record in held["records"]} >= {"report", "complaint", "denunciation", "dossier"}
    assert NAME in str(held)
    assert EMAIL in str(held)

    # Step: the canary asks; the data protection officer grants. The hotline and
    # partner filings have no account: they are erased by case code.
    request = app.request_erasure(CANARY, "Tôi muốn xoá dữ liệu của mình")
    erased = app.decide_erasure(
        DPO, request.request_id, grant=True, reason="Yêu cầu của chủ thể", legal_basis="Luật 91/2025/QH15"
    )
    assert erased.status == "erased"
    assert set(erased.cases) == {case.code for case in canary.own}
    for case in canary.without_account:
        by_code = app.erase_subject(
            DPO, f"case:{case.code}", reason="Yêu cầu qua tổng đài", legal_basis="Luật 91/2025/QH15"
        )
        assert by_code.status == "erased"
    read_side.catch_up()
    patched = {name: model.rows() for name, model in read_side.models.items()}  # type: ignore[attr-defined]

    # Step: every event still loads; the canary's fields read as erased.
    for notification in app.recorder.select_notifications(start=1, limit=1_000_000):
        app.mapper.to_domain_event(notification)
    report_state = app.get_case(OFFICER, canary.own[0].case_id)
    assert (report_state["owner"], report_state["contact"]) == (None, None)
    assert app.get_case(OFFICER, canary.without_account[0].case_id)["contact"] is None
    assert app.get_case(LEADER, canary.own[2].case_id)["complainant"] == ERASED_COMPLAINANT
    dossier = app.get_case(OFFICER, canary.own[4].case_id)
    assert (dossier["applicant"], dossier["documents"]) == (ERASED_APPLICANT, ())
    first_event = next(iter(app.events.get(canary.own[0].case_id)))
    assert first_event.actor == ERASED_PRINCIPAL  # type: ignore[attr-defined]
    assert app.export_personal_data(DPO, CANARY.subject)["records"] == []

    # Step: the bystander's data is exactly as it was, and still theirs to export.
    assert {case_id: app.get_case(OFFICER, case_id) for case_id in before} == before
    assert "Người Khác" in str(app.export_personal_data(BYSTANDER))

    # Step: rebuilt from zero, every read model equals the one patched live,
    # and the audit chain over the stored bytes still verifies.
    read_side.projector.reset()
    read_side.catch_up()
    for name, model in read_side.models.items():
        assert model.rows() == patched[name], f"{name} differs after a rebuild"  # type: ignore[attr-defined]
    assert verify_store(app, read_side.database).ok
    if store_kind(settings) != "memory":
        # `ihanoi audit replay`: a copy of the log, opened with this store's keys, rebuilds the same rows.
        replayed = replay_and_diff(app, settings, scratch_dir=tmp_path)
        assert replayed.ok, [model for model in replayed.models if not model.same]

    # Step: no byte of the store or of the read models holds the canary.
    if store_kind(settings) != "memory":
        read_side.close()
        app.close()
        dump = raw_bytes(settings)
        assert "Ổ gà trước nhà".encode() in dump, "the dump holds what is not personal"
        assert canary_in(dump) == []


def test_a_denouncer_with_an_open_file_is_refused_with_the_rule_named(settings: Settings, clock: FakeClock) -> None:
    app = Ihanoi(settings, clock=clock)  # the shipped Hanoi rules
    try:
        identity = ComplainantIdentity(name=NAME, national_id=NATIONAL_ID, phone=PHONE)
        filed = app.handle(CANARY, FileComplaint(
            kind=ComplaintKind.DENUNCIATION, subject="Tố cáo cán bộ", content="Nội dung tố cáo.",
            respondent_agency=AGENCY, ward="HOAN_KIEM",
            complainant=ComplainantIn(name=NAME, national_id=NATIONAL_ID, phone=PHONE),
        ))  # fmt: skip
        request = app.request_erasure(CANARY, "Xin xoá dữ liệu")
        outcome = app.decide_erasure(
            DPO, request.request_id, grant=True, reason="Yêu cầu", legal_basis="Luật 91/2025/QH15"
        )

        # Step: refused, naming the rule, its legal basis and the case it holds.
        assert outcome.status == "refused"
        assert [(hold.rule, hold.case) for hold in outcome.holds] == [("denunciation_file", filed.code)]
        record = app.get_erasure_request(CANARY, request.request_id)
        assert record["rules"] == ["denunciation_file"]
        assert "denunciation_file" in record["decision_reason"]
        assert "25/2018/QH14" in record["legal_basis"]

        # Step: the auditor's export of the log names neither the denouncer nor who asked.
        assert [value for value in CANARY_BYTES if value in str(list(export_events(app))).encode()] == []

        # Step: nothing was erased: the denouncer's identity still reads.
        assert app.get_case(CANARY, filed.case_id)["complainant"] == identity
        assert app.personal_keys.subject_key(CANARY.subject) is not None
    finally:
        app.close()


def test_only_the_data_subject_asks_and_only_the_data_protection_officer_decides(app: Ihanoi) -> None:
    from ihanoi_core.errors import ErasureRequestNotFoundError, ForbiddenError

    request = app.request_erasure(CANARY, "Xin xoá")
    with pytest.raises(ForbiddenError):
        app.request_erasure(OFFICER, "Xin xoá")
    for someone in (CANARY, OFFICER, BYSTANDER):
        with pytest.raises(ForbiddenError):
            app.decide_erasure(someone, request.request_id, grant=True, reason="x", legal_basis="y")
    with pytest.raises(ErasureRequestNotFoundError):
        app.get_erasure_request(BYSTANDER, request.request_id)
    with pytest.raises(ForbiddenError):
        app.export_personal_data(BYSTANDER, CANARY.subject)
    with pytest.raises(ForbiddenError):  # A decider names the subject: no data of their own here (``/me/data``).
        app.export_personal_data(DPO)
    refused = app.decide_erasure(
        DPO, request.request_id, grant=False, reason="Chưa xác minh danh tính", legal_basis="Luật 91/2025/QH15"
    )
    assert refused.status == "refused"
    assert app.get_erasure_request(CANARY, request.request_id)["decision_reason"] == "Chưa xác minh danh tính"
