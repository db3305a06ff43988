"""The monthly ranking of agencies over real HTTP (issue #16): public, no token,
JSON and CSV, the minimum volume applied, a bad month 422 problem+json.

Written before the server starts (minimum volume 2): November 2026, Ba Đình
resolves two reports acknowledged Monday 11-02 09:00 (due Monday 11-09 09:00),
one on Tuesday 11-03 (on time) and one on Tuesday 11-10 (late): 1/2 = 0.5;
Hoàn Kiếm resolves one, on time: below the minimum, withheld.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.reports import AcknowledgeReport, AssignReport, ResolveReport, SubmitReport
from ihanoi_core.domain.values import Principal, Priority, Role
from ihanoi_core.settings import Settings
from tests.conftest import FakeClock, staff
from tests.e2e.conftest import SECRET, start_server, stop_server
from tests.integration.test_agency_ranking import WARDS
from tests.integration.test_deadline_watcher import hanoi


def seed(database_url: str) -> int:
    """Three reports resolved in November 2026; the log position of the last write."""
    clock = FakeClock(hanoi(2026, 11, 2, 9))
    app = Ihanoi(Settings(database_url=database_url, env="test", secret_key=SECRET), clock=clock)
    try:
        citizen = Principal("vneid:001099012345", Role.CITIZEN)
        plan = [("UBND_BA_DINH", (2026, 11, 3, 10)), ("UBND_BA_DINH", (2026, 11, 10, 10)),
                ("UBND_HOAN_KIEM", (2026, 11, 3, 10))]  # fmt: skip
        filed = []
        for agency, _ in plan:
            case = app.handle(citizen, SubmitReport(category="pothole", description="Ổ gà", location=WARDS[agency]))
            officer = staff(Role.OFFICER, agency)
            app.handle(officer, AcknowledgeReport(case=case.case_id, priority=Priority.NORMAL))
            app.handle(officer, AssignReport(case=case.case_id, assignee=f"officer-{agency}"))
            filed.append(case.case_id)
        for case_id, (agency, moment) in sorted(zip(filed, plan, strict=True), key=lambda item: item[1][1]):
            clock.set(hanoi(*moment))
            resolved = app.handle(
                staff(Role.OFFICER, agency), ResolveReport(case=case_id, answer="Đã vá", late_explanation="Mưa")
            )
        return resolved.position
    finally:
        app.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_anyone_reads_the_monthly_ranking_as_json_and_csv(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'ihanoi.db'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    # The server catches up after it starts: each read waits for the seeded log.
    month = {"month": "2026-11", "position": str(seed(url))}
    server = start_server(url, tmp_path / "server.log", {"IHANOI_PUBLIC_STATS_MIN_COUNT": "2"})
    try:
        with server.client() as anyone:
            # Step: JSON, no token: Ba Đình ranked first at 0.5, Hoàn Kiếm withheld.
            body = anyone.get("/public/ranking", params=month).json()
            assert (body["month"], body["complete"], body["min_count"]) == ("2026-11", True, 2)
            first, other = body["agencies"]
            assert {k: first[k] for k in ("agency", "rank", "finished", "on_time_rate", "withheld")} == {
                "agency": "UBND_BA_DINH", "rank": 1, "finished": 2, "on_time_rate": 0.5, "withheld": False,
            }  # fmt: skip
            assert (other["agency"], other["withheld"], other["rank"], other["on_time_rate"]) == (
                "UBND_HOAN_KIEM",
                True,
                None,
                None,
            )
            # Step: the same as CSV, by address and by Accept.
            for response in (
                anyone.get("/public/ranking.csv", params=month),
                anyone.get("/public/ranking", params=month, headers={"Accept": "text/csv"}),
            ):
                assert response.headers["content-type"].startswith("text/csv")
                rows = list(csv.DictReader(io.StringIO(response.text)))
                assert [(r["agency"], r["rank"], r["on_time_rate"], r["withheld"]) for r in rows] == [
                    ("UBND_BA_DINH", "1", "0.5", "false"),
                    ("UBND_HOAN_KIEM", "", "", "true"),
                ]
            # Step: an empty month, as the document allows, is the default (the last complete month).
            default = anyone.get("/public/ranking", params={"month": ""})
            assert default.status_code == 200, default.text
            assert default.json()["complete"] is True
            # Step: a bad month is 422 problem+json naming it.
            bad = anyone.get("/public/ranking", params={"month": "2026-13"})
            assert bad.status_code == 422
            assert bad.headers["content-type"].startswith("application/problem+json")
            assert "month" in bad.json()["errors"]
    except AssertionError:
        print(server.log())
        raise
    finally:
        stop_server(server)
