"""``ihanoi demo``: seed realistic Hanoi activity, then print tokens to try it.

The simulator replays weeks of city life through the real application with a
simulated clock (so deadlines, lateness and reopen windows are real), ending
now. Reports carry photos drawn with Pillow on the spot (``simulation.photos``:
the citizen's, with GPS EXIF that the upload strips, and some crews' "after"
photos), stored in ``IHANOI_MEDIA_DIR``. With ``--if-empty`` an existing store is left as it is; the tokens and a
curl line are printed either way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.alerts import AreaIn
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.settings import Settings
from ihanoi_core.simulation import SimulatedClock, simulate
from ihanoi_core.simulation.alerts import OLD_QUARTER, issue_demo_alert, reject_demo_alert
from ihanoi_projections.read_side import ReadSide
from ihanoi_server.auth.tokens import issue_token
from ihanoi_server.cli.output import OK, progress_bar
from ihanoi_server.demo.business import DEMO_BUSINESS, seed_business
from ihanoi_server.demo.channels import seed_channels
from ihanoi_server.demo.deadlines import seed_deadlines
from ihanoi_server.demo.notifications import seed_notifications
from ihanoi_server.demo.questions import seed_questions

DEMO_CITIZEN = "vneid:001099000001"
TOKEN_TTL = 12 * 3600


def seed_demo(
    settings: Settings, *, days: int, seed: int, if_empty: bool, base_url: str = "http://127.0.0.1:8000"
) -> int:
    console = Console(stderr=True)
    probe = Ihanoi(settings)
    try:
        probe.photos.store.check_writable()  # the simulated reports carry photos
        existing = probe.head_position()
    finally:
        probe.close()
    if existing and if_empty:
        console.print(f"The store already holds {existing} events; no demo data added.")
    else:
        clock = SimulatedClock(datetime.now(UTC) - timedelta(days=days))
        app = Ihanoi(settings, clock=clock)
        read_side = ReadSide(app, settings)
        try:
            # A flood warning before the simulated weeks, long expired by their end.
            expired = issue_demo_alert(app, key=f"demo-{seed}-flood-past", wards=("HAI_BA_TRUNG", "BACH_MAI"))
            with progress_bar("simulating", days) as bar:
                task = bar.add_task(f"simulating {days} days of Hanoi", total=days)
                summary = simulate(
                    app,
                    clock,
                    seed=seed,
                    days=days,
                    reports_per_day=14,
                    complaints_per_day=1.5,
                    dossiers_per_day=6,
                    surveys=2,
                    answers_per_survey=40,
                    progress=lambda days_done: bar.update(task, completed=days_done),
                )
            # And one in force now, drawn round the old quarter: it expires six hours after the demo ends.
            area = AreaIn(description="Khu phố cổ và hồ Hoàn Kiếm", polygon=OLD_QUARTER)
            active = issue_demo_alert(app, key=f"demo-{seed}-flood-old-quarter", area=area)
            rejected = reject_demo_alert(app, key=f"demo-{seed}-storm-rejected")
            console.print(
                f"Alerts: {active} in force (on /map), {expired} expired (GET /public/alerts), {rejected} rejected."
            )
            read_side.catch_up()
            articles, questions = seed_questions(app, read_side, DEMO_CITIZEN)
            console.print(f"Q&A: {articles} knowledge articles published; questions {', '.join(questions)} asked.")
            console.print(f"Business portal: {', '.join(seed_business(app, read_side))}.")
            filed = seed_channels(app, DEMO_CITIZEN)
            console.print(
                f"Channels: a linked Zalo thread filed {', '.join(filed) or 'its report in an earlier run'};"
                " two threads and a hotline call await triage (GET /api/v1/conversations)."
            )
        finally:
            read_side.close()
            app.close()
        console.print(f"Seeded {summary.commands_issued} commands ({summary.events} events, {summary.errors} refused).")
    app = Ihanoi(settings)
    try:
        citizen, agency = first_citizen_report(app)
        if not (existing and if_empty):
            seed_notifications(app, citizen)
    finally:
        app.close()
    if not (existing and if_empty):
        fired = seed_deadlines(settings, citizen, DEMO_CITIZEN)
        console.print(f"The deadline watcher recorded {fired} reminders, missed deadlines and escalations.")
    print_tokens(settings, citizen, agency, base_url)
    return OK


def first_citizen_report(app: Ihanoi) -> tuple[str, str]:
    """A citizen who filed a report, and the agency it went to: the demo's
    tokens then show real cases. Falls back to a fresh citizen and Hoàn Kiếm."""
    start = 0
    while batch := app.recorder.select_notifications(start=start, limit=500, inclusive_of_start=False):
        for notification in batch:
            if notification.topic.endswith("Report.Submitted"):
                event: Any = app.mapper.to_domain_event(notification)
                if event.actor.role is Role.CITIZEN and event.reporter:
                    return event.reporter, event.agency
        start = batch[-1].id
    return DEMO_CITIZEN, app.directory.route("pothole", "HOAN_KIEM").code


def print_tokens(settings: Settings, citizen: str, agency: str, base_url: str) -> None:
    secret = settings.jwt_secret
    staff = agency.lower()  # the simulator's staff subjects, e.g. officer-1-ubnd_hoan_kiem
    tokens = {
        "citizen": issue_token(secret, Principal(citizen, Role.CITIZEN), TOKEN_TTL),
        "officer": issue_token(secret, Principal(f"officer-1-{staff}", Role.OFFICER, agency), TOKEN_TTL),
        "leader": issue_token(secret, Principal(f"leader-{staff}", Role.LEADER, agency), TOKEN_TTL),
        "auditor": issue_token(secret, Principal("inspector-01", Role.AUDITOR), TOKEN_TTL),
        # The household business's person; the token says its kind, so a filing may leave it out.
        "business": issue_token(secret, DEMO_BUSINESS, TOKEN_TTL, organisation_kind=BusinessKind.HOUSEHOLD),
    }
    print(f"\nTokens (valid 12 hours; citizen {citizen}, agency {agency}):")
    for role, token in tokens.items():
        print(f"  {role:<8} {token}")
    print("\nTry:")
    print(f"  curl -s -H 'Authorization: Bearer {tokens['citizen']}' {base_url}/api/v1/me/cases")
    # No token: the public statistics of the last 30 days (about 300 reports, so
    # most agencies and wards pass the minimum volume) and their CSV.
    print(f"  curl -s '{base_url}/public/stats?group_by=ward'")
    print(f"  curl -s '{base_url}/public/stats.csv?group_by=agency'")
    # The deadline figures per official (leaders only) and the published monthly ranking (issue #16).
    print(f"  curl -s -H 'Authorization: Bearer {tokens['leader']}' {base_url}/api/v1/accountability")
    print(f"  curl -s '{base_url}/public/ranking'")
    # Zalo, Messenger and hotline threads not yet a case, for officers (issue #20).
    print(f"  curl -s -H 'Authorization: Bearer {tokens['officer']}' {base_url}/api/v1/conversations")
    # The business portal (issue #18): the demo household business's inquiries and the published Q&A.
    print(f"  curl -s -H 'Authorization: Bearer {tokens['business']}' {base_url}/api/v1/business-inquiries")
    print(f"  curl -s '{base_url}/public/business-qa'")
    # Fees confirmed per day and the cashless share (issue #19; docs/payments.md).
    print(f"  curl -s -H 'Authorization: Bearer {tokens['leader']}' {base_url}/api/v1/payments/collections")
    print(
        f"\nIn a browser: {base_url}/ links the public map, the leaders' dashboard, the open data "
        f"and the API explorer ({base_url}/api/docs).\n"
    )
