"""``ihanoi demo``: seed realistic Hanoi activity, then print tokens to try it.

The simulator replays weeks of city life through the real application with a
simulated clock (so deadlines, lateness and reopen windows are real), ending
now. With ``--if-empty`` an existing store is left as it is; the tokens and a
curl line are printed either way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from ihanoi_core.application import Ihanoi
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.auth import issue_token
from ihanoi_server.cli import OK, progress_bar

DEMO_CITIZEN = "vneid:001099000001"
TOKEN_TTL = 12 * 3600


def seed_demo(settings: Settings, *, days: int, seed: int, if_empty: bool) -> int:
    console = Console(stderr=True)
    probe = Ihanoi(settings)
    try:
        existing = probe.recorder.max_notification_id() or 0
        agency = probe.directory.route("pothole", "HOAN_KIEM").code
    finally:
        probe.close()
    if existing and if_empty:
        console.print(f"The store already holds {existing} events; no demo data added.")
    else:
        clock = SimulatedClock(datetime.now(UTC) - timedelta(days=days))
        app = Ihanoi(settings, clock=clock)
        read_side = ReadSide(app, settings)
        try:
            with progress_bar("simulating", days) as bar:
                task = bar.add_task(f"simulating {days} days of Hanoi", total=days)
                summary = simulate(
                    app, clock, seed=seed, days=days, reports_per_day=14, complaints_per_day=1.5,
                    dossiers_per_day=6, surveys=2, answers_per_survey=40,
                    progress=lambda n: bar.advance(task, n),
                )  # fmt: skip
            read_side.catch_up()
        finally:
            read_side.close()
            app.close()
        console.print(f"Seeded {summary.commands} commands ({summary.last_position} events).")
    print_tokens(settings, agency)
    return OK


def print_tokens(settings: Settings, agency: str) -> None:
    secret = settings.jwt_secret
    tokens = {
        "citizen": issue_token(secret, Principal(DEMO_CITIZEN, Role.CITIZEN), TOKEN_TTL),
        "officer": issue_token(secret, Principal(f"officer-1-{agency}", Role.OFFICER, agency), TOKEN_TTL),
        "leader": issue_token(secret, Principal(f"leader-{agency}", Role.LEADER, agency), TOKEN_TTL),
        "auditor": issue_token(secret, Principal("inspector-01", Role.AUDITOR), TOKEN_TTL),
    }
    print("\nTokens (valid 12 hours):")
    for role, token in tokens.items():
        print(f"  {role:<8} {token}")
    print("\nTry:")
    print(f"  curl -s -H 'Authorization: Bearer {tokens['citizen']}' http://127.0.0.1:8000/api/v1/me/cases\n")
