"""Due times on the dates the law moved, driven through the HTTP commands.

The server runs in this process under uvicorn with its application clock set
by the test (tokens are still checked against the real time), so each command
is sent at a chosen moment and the due time it returns can be compared, to the
minute, with one worked out by hand from the texts:

- office hours 08:00-12:00 and 13:00-17:00 (a working day is 8 office hours);
- New Year 2026: Thu 01/01 off; Fri 02/01 off and Sat 10/01 worked in exchange
  (Official Letter 12729/VPCP-KGVX of 25/12/2025, Government Office);
- Vietnamese Culture Day, Tue 24/11/2026 off (from 2026);
- Tết 2027: Thu 04/02 to Wed 10/02/2027 off, Thu 11/02 a working day (no
  invented bridge day: the sample once shipped 11/02/2027 as a day off);
- a period in calendar days starts the day after the event and one ending on a
  day off ends at the close of the next working day (Civil Code 2015, Arts.
  147-148).

Each row says how its due time was counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn

from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_server.app import create_app
from ihanoi_server.auth.tokens import issue_token
from tests.conftest import LOOPBACK_TLS, FakeClock
from tests.e2e.conftest import SECRET, free_port

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
WARD = "HOAN_KIEM"
WARD_COMMITTEE = "UBND_HOAN_KIEM"
CITIZEN = Principal("vneid:001099012345", Role.CITIZEN)
APPLICANT = {"name": "Nguyễn Văn An", "national_id": "001099012345", "phone": "0912345678"}
FORM = {"name": "Tờ khai", "url": "https://files.example/to-khai.pdf", "sha256": "a" * 64}


def hanoi(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HANOI)


@dataclass
class Server:
    """The real app on a loopback port, its clock in the test's hands."""

    base_url: str
    clock: FakeClock

    def client(self, principal: Principal) -> httpx.Client:
        token = issue_token(SECRET, principal, 3600)
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10, verify=LOOPBACK_TLS
        )

    def at(self, moment: datetime) -> None:
        self.clock.set(moment.astimezone(UTC))


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    sqlite = request.param == "sqlite"
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if sqlite else request.getfixturevalue("postgres_url")
    settings = Settings(database_url=url, env="test", secret_key=SECRET, postgres_pool_size=4)
    clock = FakeClock(datetime(2025, 12, 1, 2, tzinfo=UTC))
    port = free_port()
    config = uvicorn.Config(create_app(settings, clock=clock), host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, name="legal-due-times-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start within 30 s"
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", clock)
    uvicorn_server.should_exit = True
    thread.join(15)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def due_at(client: httpx.Client, path: str) -> datetime:
    return datetime.fromisoformat(ok(client.get(path))["due_at"]).astimezone(HANOI)


# Reports are acknowledged within 8 working hours of filing (report_acknowledge).
REPORT_ACKNOWLEDGE = [
    pytest.param(
        hanoi(2025, 12, 31, 15),
        hanoi(2026, 1, 5, 15),
        id="new-year-2026-bridge-day",
        # Wed 15-17 (2 h); Thu 01/01 New Year; Fri 02/01 off by 12729/VPCP-KGVX;
        # weekend; Mon 08-12 (4 h, 6 h), 13-15 (2 h, 8 h).
    ),
    pytest.param(
        hanoi(2026, 1, 9, 14),
        hanoi(2026, 1, 10, 14),
        id="new-year-2026-make-up-saturday",
        # Fri 14-17 (3 h); Sat 10/01 worked: 08-12 (4 h, 7 h), 13-14 (1 h, 8 h).
    ),
    pytest.param(
        hanoi(2026, 11, 23, 16),
        hanoi(2026, 11, 25, 16),
        id="culture-day-2026",
        # Mon 16-17 (1 h); Tue 24/11 off; Wed 08-12 (4 h, 5 h), 13-16 (3 h, 8 h).
    ),
    pytest.param(
        hanoi(2027, 2, 3, 10),
        hanoi(2027, 2, 11, 10),
        id="tet-2027",
        # Wed 10-12, 13-17 (6 h); Thu 04/02 to Wed 10/02 off; Thu 11/02 08-10 (2 h, 8 h).
    ),
]


@pytest.mark.parametrize(("filed", "due"), REPORT_ACKNOWLEDGE)
def test_a_report_is_due_for_acknowledgement_eight_working_hours_after_filing(
    server: Server, filed: datetime, due: datetime
) -> None:
    server.at(filed)
    with server.client(CITIZEN) as citizen:
        body = {"category": "pothole", "description": "Ổ gà sâu", "location": {"ward": WARD}}
        report = ok(citizen.post("/api/v1/reports", json=body), 201)
        assert due_at(citizen, f"/api/v1/reports/{report['id']}") == due


def test_a_complaint_filed_before_tet_must_be_accepted_on_the_first_working_day_after_its_tenth_day(
    server: Server,
) -> None:
    # complaint_accept, 10 days (Law on Complaints Art. 27): filed Fri 29/01/2027,
    # day 1 is Sat 30/01, day 10 is Mon 08/02, in Tết; the next working day is
    # Thu 11/02, so the due time is its close, 17:00.
    server.at(hanoi(2027, 1, 29, 10))
    filing = {
        "kind": "complaint",
        "subject": "Quyết định xử phạt số 5/QĐ-XPHC",
        "content": "Tôi không đồng ý với mức phạt.",
        "respondent_agency": WARD_COMMITTEE,
        "ward": WARD,
        "complainant": APPLICANT,
        "decision_date": "2027-01-20",
    }
    with server.client(CITIZEN) as citizen:
        complaint = ok(citizen.post("/api/v1/complaints", json=filing), 201)
        assert due_at(citizen, f"/api/v1/complaints/{complaint['id']}") == hanoi(2027, 2, 11, 17)


def test_a_criminal_record_dossier_is_reviewed_in_working_hours_and_decided_in_calendar_days(server: Server) -> None:
    police = Principal("officer-catp", Role.OFFICER, "CATP")
    filing = {"procedure": "criminal_record_certificate", "ward": WARD, "applicant": APPLICANT, "documents": [FORM]}
    with server.client(CITIZEN) as citizen, server.client(police) as officer:
        # dossier_review, 8 working hours: Fri 29/01/2027 10-12, 13-17 (6 h); Mon 01/02 08-10 (2 h, 8 h).
        server.at(hanoi(2027, 1, 29, 10))
        dossier = ok(citizen.post("/api/v1/service-requests", json=filing), 201)
        path = f"/api/v1/service-requests/{dossier['id']}"
        assert due_at(citizen, path) == hanoi(2027, 2, 1, 10)
        # 10 calendar days from receipt on Mon 01/02 (Law on Judicial Records
        # Art. 48): day 10 is Thu 11/02, a working day after Tết; due at its close.
        server.at(hanoi(2027, 2, 1, 9))
        ok(officer.post(f"{path}/receive"))
        assert due_at(citizen, path) == hanoi(2027, 2, 11, 17)


def test_a_marriage_dossier_is_decided_in_working_days_that_skip_tet(server: Server) -> None:
    officer = Principal("officer-hk", Role.OFFICER, WARD_COMMITTEE)
    filing = {"procedure": "marriage_registration", "ward": WARD, "applicant": APPLICANT, "documents": [FORM]}
    with server.client(CITIZEN) as citizen, server.client(officer) as ward:
        server.at(hanoi(2027, 1, 28, 9))
        dossier = ok(citizen.post("/api/v1/service-requests", json=filing), 201)
        path = f"/api/v1/service-requests/{dossier['id']}"
        # 5 working days (40 office hours) from receipt on Fri 29/01/2027 10:00:
        # Fri 6 h; Mon 01, Tue 02, Wed 03/02 8 h each (30 h); Thu 04 to Wed 10/02
        # off; Thu 11/02 8 h (38 h); Fri 12/02 08-10 (2 h, 40 h).
        server.at(hanoi(2027, 1, 29, 10))
        ok(ward.post(f"{path}/receive"))
        assert due_at(citizen, path) == hanoi(2027, 2, 12, 10)
