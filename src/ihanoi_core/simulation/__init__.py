"""A deterministic simulation of a city at work, for demos, benchmarks and tests.

``simulate`` walks day by day through simulated weeks of Hanoi: citizens file
field reports (also in the evening and at weekends), complaints and
denunciations and online dossiers; officers and leaders of the routed agency
acknowledge, assign, process, answer, decide, apologise; citizens rate, reopen,
supplement, withdraw and answer surveys. Every step is a real command of the
``Ihanoi`` application — permissions, legal deadlines and all — issued at its
simulated time by a ``SimulatedClock`` the application reads, so the log holds
exactly what such weeks would have written.

Each case is a small process (a generator) that issues one command and yields
the simulated time of its next step; one heap of ``(time, sequence, process)``
interleaves the steps of every case in time order. A process knows its case's
status from the commands it issued, and the only facts it reads back are the
due times the application computed (as an officer reads them off the
worklist), so it only issues commands the domain accepts; anything refused
anyway is counted in ``SimulationSummary.errors`` rather than raised.

Everything random comes from ``random.Random`` streams seeded by ``seed``
(one for arrivals, one per case), and creations carry idempotency keys derived
from the seed, so two runs with the same seed on empty stores write identical
logs: the same cases, codes, actors, payloads and timestamps. The same seed run
again on the same store finds its cases and adds nothing. Names, house numbers
and texts are made up; the ward centres and street names are real.

The package: the public API here, the engine (clock, heap, people) in
``engine``, one module per kind of case (``reports``, ``grievances``,
``dossiers``, ``surveys``), and the made-up city and texts in ``city`` and
``texts``.
"""

from __future__ import annotations

import time as wall_clock
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ihanoi_core.application import Ihanoi
from ihanoi_core.simulation.dossiers import DossierStories
from ihanoi_core.simulation.engine import SimulatedClock, SimulationSummary
from ihanoi_core.simulation.grievances import GrievanceStories
from ihanoi_core.simulation.reports import ReportStories
from ihanoi_core.simulation.surveys import SurveyStories

__all__ = ["SimulatedClock", "SimulationSummary", "describe", "simulate"]


def simulate(
    app: Ihanoi,
    clock: SimulatedClock,
    *,
    seed: int,
    days: int,
    reports_per_day: float,
    complaints_per_day: float,
    dossiers_per_day: float,
    surveys: int = 1,
    answers_per_survey: int = 20,
    progress: Callable[[int], None] | None = None,
) -> SimulationSummary:
    """Simulate ``days`` days of activity from the clock's current time.

    Rates are mean arrivals per working day (Poisson); weekends and public
    holidays get about a third as many, filed online. ``surveys`` surveys are run in the first
    third of the period, each answered by ``answers_per_survey`` citizens.
    ``progress`` is called with the number of simulated days completed. The
    application must have been built with ``clock=clock``. Returns when the
    simulated period ends; cases still open then stay open, as in real life.
    """
    if app.clock is not clock:
        raise ValueError("Build the application with clock=clock so events carry simulated time.")
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    rates = {"reports": reports_per_day, "complaints": complaints_per_day, "dossiers": dossiers_per_day}
    if any(rate < 0 for rate in rates.values()) or surveys < 0 or answers_per_survey < 0:
        raise ValueError("Rates and counts must not be negative.")
    return _Simulation(app, clock, seed, surveys, answers_per_survey).run(
        days, reports_per_day, complaints_per_day, dossiers_per_day, progress
    )


def describe(summary: SimulationSummary) -> dict[str, Any]:
    """The summary as plain data (for ``--json`` output)."""
    return {
        "seed": summary.seed,
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "cases": dict(summary.cases),
        "commands": dict(summary.commands),
        "commands_issued": summary.commands_issued,
        "errors": summary.errors,
        "error_messages": list(summary.error_messages),
        "reused": summary.reused,
        "events": summary.events,
        "last_position": summary.last_position,
        "elapsed_seconds": round(summary.elapsed_seconds, 3),
        "commands_per_second": round(summary.commands_per_second, 1),
    }


class _Simulation(ReportStories, GrievanceStories, DossierStories, SurveyStories):
    """One run of every kind of case, on the engine's heap."""

    def run(
        self,
        days: int,
        reports: float,
        complaints: float,
        dossiers: float,
        progress: Callable[[int], None] | None,
    ) -> SimulationSummary:
        started = wall_clock.perf_counter()
        start = self.clock()
        end = start + timedelta(days=days)
        first_position = self.app.head_position()
        first_day = start.astimezone(self.zone).date()
        self.rng = self.arrival_rng
        self._plan_surveys(first_day, days, start)
        day, reported = first_day, 0
        while self._local(day, 0) < end:
            # Arrivals are drawn one local calendar day at a time, then every
            # step due before the next midnight runs, in time order.
            working = self.calendar.is_working_day(day)
            self.rng = self.arrival_rng
            for when in self._arrivals(day, reports, working, self._report_time):
                ident = self._ident("report")
                self._spawn(when, start, end, ident, self._report(ident))
            for when in self._arrivals(day, complaints, working, self._desk_time):
                ident = self._ident("grievance")
                self._spawn(when, start, end, ident, self._grievance(ident, None))
            for when in self._arrivals(day, dossiers, working, self._online_time):
                ident = self._ident("dossier")
                self._spawn(when, start, end, ident, self._dossier(ident))
            day += timedelta(days=1)
            boundary = min(self._local(day, 0), end)
            self._run_until(boundary)
            completed = (boundary - start) // timedelta(days=1)
            if progress is not None and completed > reported:
                progress(completed)
            reported = completed
        self.clock.advance_to(max(end, self.clock()))
        last_position = self.app.head_position()
        return SimulationSummary(
            seed=self.seed,
            start=start,
            end=end,
            cases=dict(sorted(self.cases.items())),
            commands=dict(sorted(self.commands.items())),
            commands_issued=sum(self.commands.values()),
            errors=self.error_count,
            error_messages=tuple(self.errors),
            reused=self.reused,
            events=self._count_notifications(after=first_position),
            last_position=last_position,
            elapsed_seconds=wall_clock.perf_counter() - started,
        )
