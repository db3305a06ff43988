"""An escalated case on the co-owner's worklist over real HTTP (issue #16).

Written before the server starts through the embedded library, on a fixed
past week: a report filed Monday 2026-11-02 09:00 and never acknowledged is
due 8 working hours later (Monday 3 h + 4 h, Tuesday 8–9): Tuesday 11-03
09:00; 8 working hours after that (Wednesday 11-04 09:00) the watcher
escalates it to the city, whose own deadline is 5 working days (40 h) later:
Wednesday 11-11 09:00. By now both have passed.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_projections.deadlines.clocks import DeadlineClocksModel
from ihanoi_projections.deadlines.watcher import Watcher
from ihanoi_projections.read_side import ReadSide
from tests.conftest import FakeClock
from tests.e2e.conftest import SECRET, start_server, stop_server
from tests.integration.test_deadline_watcher import HOAN_KIEM, hanoi


def seed(database_url: str) -> tuple[str, int]:
    """The escalated report's id and the log position after the escalation."""
    settings = Settings(database_url=database_url, env="test", secret_key=SECRET)
    clock = FakeClock(hanoi(2026, 11, 2, 9))
    app = Ihanoi(settings, clock=clock)
    side = ReadSide(app, settings, names=[DeadlineClocksModel.name], start=False)
    try:
        citizen = Principal("vneid:001099012345", Role.CITIZEN)
        filed = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=HOAN_KIEM))
        side.catch_up()
        clock.set(hanoi(2026, 11, 4, 9))
        watcher = Watcher(app, side.model(DeadlineClocksModel), lambda _p: side.catch_up(), clock=clock)
        assert [due.threshold for due in watcher.run_once()][-1] == "escalation"
        return str(filed.case_id), app.head_position()
    finally:
        side.close()
        app.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_the_city_reads_the_escalated_report_on_its_worklist_and_another_ward_does_not(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    case_id, position = seed(url)
    server = start_server(url, tmp_path / "server.log")
    try:
        # Step: the city's officer finds it marked escalated, due at the city's own deadline.
        with server.client(Role.OFFICER, "officer-ubnd-tp", "UBND_TP") as city:
            page = city.get("/api/v1/worklist", params={"position": position})
            assert page.status_code == 200, page.text
            (item,) = page.json()["items"]
            assert {k: item[k] for k in ("case_id", "agency", "assignee", "escalated", "overdue")} == {
                "case_id": case_id,
                "agency": "UBND_HOAN_KIEM",
                "assignee": None,
                "escalated": True,
                "overdue": True,
            }
            assert (item["due_at"], item["case_due_at"]) == ("2026-11-11T09:00:00+07:00", "2026-11-03T09:00:00+07:00")
            # Step: and acts on it: a public note as a co-owner.
            note = city.post(f"/api/v1/reports/{case_id}/comment", json={"note": "Thành phố đôn đốc phường"})
            assert note.status_code == 200, note.text
        # Step: the ward's own item is not marked; another ward's officer sees neither the item nor the case.
        with server.client(Role.OFFICER, "officer-hk", "UBND_HOAN_KIEM") as ward:
            (own,) = ward.get("/api/v1/worklist", params={"position": position}).json()["items"]
            assert (own["escalated"], own["case_due_at"]) == (False, None)
        with server.client(Role.OFFICER, "officer-bd", "UBND_BA_DINH") as other:
            assert other.get("/api/v1/worklist", params={"position": position}).json()["items"] == []
            missing = other.get(f"/api/v1/reports/{case_id}")
            assert missing.status_code == 404
            assert missing.headers["content-type"].startswith("application/problem+json")
    except (AssertionError, httpx.HTTPError):
        print(server.log())
        raise
    finally:
        stop_server(server)
