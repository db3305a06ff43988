"""The simulation's engine: its clock, what a run reports, and the machinery
every kind of case runs on — the heap of processes in time order, arrivals,
office and waking hours, issuing commands, the people.

The processes of each kind of case (see the package docstring) are in their
own module — ``reports``, ``grievances``, ``dossiers``, ``surveys`` — each a
subclass of ``Engine`` that the package mixes into one run.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING
from uuid import UUID

from ihanoi_core.application import Ihanoi
from ihanoi_core.commands.command import Command
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import IdempotencyKeyReusedError, IhanoiError
from ihanoi_core.handlers.bus import CommandResult
from ihanoi_core.simulation.city import (
    DEFAULT_STREETS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    MIDDLE_NAMES,
    PHONE_PREFIXES,
    WARD_STREETS,
    WARD_WEIGHTS,
)
from ihanoi_core.simulation.texts import CATEGORY_WEIGHTS, PROCEDURE_WEIGHTS

if TYPE_CHECKING:
    from ihanoi_core.simulation.reports import ReportState


Process = Generator[datetime, None, None]
"""A case's life: runs a step, then yields the simulated time of the next one."""

HOUR = 3600.0
OFFICERS_PER_AGENCY = 3
MIN_CITIZENS = 600
MAX_ERRORS_KEPT = 20
NEVER = datetime.max.replace(tzinfo=UTC)


class SimulatedClock:
    """A clock the simulation moves forward; pass it to ``Ihanoi(settings,
    clock=clock)`` so every event carries simulated time. Returns aware UTC
    datetimes; starts at ``start`` (any aware datetime)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"SimulatedClock needs a timezone-aware start, not {start.isoformat()}")
        self.start = start.astimezone(UTC)
        self.now = self.start

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, moment: datetime) -> None:
        """Move to ``moment``; ``ValueError`` if that is in the clock's past."""
        moment = moment.astimezone(UTC)
        if moment < self.now:
            raise ValueError(f"A simulated clock never goes back: {moment} is before {self.now}")
        self.now = moment


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """What a run did. ``cases`` counts the cases created per kind (plus
    survey responses), ``commands`` the commands issued per application
    method; ``errors`` counts commands the application refused (a correct run
    has none; the first few are described in ``error_messages``); ``reused``
    counts cases that existed already (the same seed run twice on one store),
    whose stories were skipped. ``events`` is the number of notifications the
    run appended, ``last_position`` the log position after it."""

    seed: int
    start: datetime
    end: datetime
    cases: Mapping[str, int]
    commands: Mapping[str, int]
    commands_issued: int
    errors: int
    error_messages: tuple[str, ...]
    reused: int
    events: int
    last_position: int
    elapsed_seconds: float = field(compare=False)

    @property
    def commands_per_second(self) -> float:
        return self.commands_issued / self.elapsed_seconds if self.elapsed_seconds else 0.0


@dataclass(frozen=True, slots=True)
class Citizen:
    principal: Principal
    name: str
    national_id: str
    phone: str
    ward: str
    street: str
    address: str


class Engine:
    """One run: the heap of processes, the people, the counters. ``self.rng``
    is always the random stream of whatever is running: the arrivals while a
    day's arrivals are drawn, else the process being resumed."""

    def __init__(self, app: Ihanoi, clock: SimulatedClock, seed: int, surveys: int, answers: int) -> None:
        self.app = app
        self.clock = clock
        self.seed = seed
        # One random stream for arrivals and one per case: what happens to one
        # case never shifts the arrivals or the fate of another, so a run
        # repeated on the same store finds every case it created the first time.
        self.arrival_rng = random.Random(f"{seed}:arrivals")
        self.rng = random.Random(f"{seed}:citizens")
        self.calendar = app.calendar
        self.directory = app.directory
        self.zone = app.timezone
        self.surveys = surveys
        self.answers_per_survey = answers
        self.queue: list[tuple[datetime, int, Process, random.Random]] = []
        self.sequence = itertools.count()
        self.serial: Counter[str] = Counter()
        self.cases: Counter[str] = Counter()
        self.commands: Counter[str] = Counter()
        self.errors: list[str] = []
        self.error_count = 0
        self.reused = 0
        self.recent_reports: list[ReportState] = []
        self.wards = tuple(self.directory.wards)
        self.ward_weights = tuple(WARD_WEIGHTS.get(code, 1.0) for code in self.wards)
        categories = tuple(self.directory.categories)
        self.categories = categories
        self.category_weights = tuple(CATEGORY_WEIGHTS.get(code, 1.0) for code in categories)
        self.procedures = tuple(self.directory.procedures)
        self.procedure_weights = tuple(PROCEDURE_WEIGHTS.get(code, 1.0) for code in self.procedures)
        self.office_hours = self.directory.calendar.office_hours
        self.citizens = self._make_citizens(max(MIN_CITIZENS, answers + 50))

    def _count_notifications(self, after: int) -> int:
        """Notifications appended after a position. Not the difference of
        positions: PostgreSQL skips the ids of a transaction that lost a race
        (here, two cases drawing the same six-digit code)."""
        count, start = 0, after + 1
        while notifications := self.app.recorder.select_notifications(start=start, limit=1000):
            count += len(notifications)
            start = notifications[-1].id + 1
        return count

    def _spawn(self, when: datetime, start: datetime, end: datetime, ident: str, process: Process) -> None:
        """Start ``process`` at ``when`` if that is within ``[start, end)``,
        with its own random stream named by ``ident``."""
        if start <= when < end:
            rng = random.Random(f"{self.seed}:{ident}")
            heapq.heappush(self.queue, (when, next(self.sequence), process, rng))

    def _run_until(self, boundary: datetime) -> None:
        queue = self.queue
        while queue and queue[0][0] < boundary:
            when, _, process, rng = heapq.heappop(queue)
            self.clock.advance_to(when)
            self.rng = rng
            try:
                following = next(process)
            except StopIteration:
                continue
            # A process never schedules into the past: the clock only moves on.
            heapq.heappush(queue, (max(following, when), next(self.sequence), process, rng))

    # -- arrivals -------------------------------------------------------------------

    def _arrivals(
        self, day: date, rate: float, working: bool, moment: Callable[[date, bool], datetime]
    ) -> list[datetime]:
        """Poisson arrivals for one day, in time order."""
        expected = rate if working else rate * 0.35
        if expected <= 0:
            return []
        count, total = 0, self.rng.expovariate(expected)
        while total < 1.0:
            count += 1
            total += self.rng.expovariate(expected)
        return sorted(moment(day, working) for _ in range(count))

    def _report_time(self, day: date, working: bool) -> datetime:
        """Citizens report on the way to work, in office hours and in the evening."""
        draw = self.rng.random()
        if not working or draw < 0.25:
            return self._local(day, self.rng.uniform(7, 22))
        if draw < 0.35:
            return self._local(day, self.rng.uniform(6, 8))
        return self._office_moment(day)

    def _desk_time(self, day: date, working: bool) -> datetime:
        """Complaints come to the reception desk, a quarter online in the evening."""
        if not working or self.rng.random() < 0.25:
            return self._local(day, self.rng.uniform(18, 22))
        return self._office_moment(day)

    def _online_time(self, day: date, working: bool) -> datetime:
        """Dossiers are filed online, mostly in office hours."""
        if not working or self.rng.random() < 0.2:
            return self._local(day, self.rng.uniform(8, 23.5))
        return self._office_moment(day)

    def _office_moment(self, day: date) -> datetime:
        periods = self.office_hours
        start, end = periods[self.rng.randrange(len(periods))]
        hours = self.rng.uniform(start.hour + start.minute / 60, end.hour + end.minute / 60)
        return self._local(day, hours)

    def _local(self, day: date, hours: float) -> datetime:
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=self.zone)
        return (midnight + timedelta(seconds=round(hours * HOUR))).astimezone(UTC)

    # -- time helpers ------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock()

    def _office(self, hours: float, after: datetime | None = None) -> datetime:
        """``hours`` of office time after ``after`` (default now): when staff act."""
        moment = self.calendar.add_office_seconds(after or self._now(), max(0, round(hours * HOUR)))
        return moment.astimezone(UTC)

    def _office_days(self, low: float, high: float) -> datetime:
        return self._office(self.rng.uniform(low, high) * self.calendar.office_day_seconds / HOUR)

    def _citizen_time(self, low_hours: float, high_hours: float) -> datetime:
        """A moment in waking hours (06:30-22:30) about that many hours from now."""
        return self._waking(self._now() + timedelta(seconds=round(self.rng.uniform(low_hours, high_hours) * HOUR)))

    def _waking(self, moment: datetime) -> datetime:
        """``moment``, or the next morning when it falls in the night."""
        local = moment.astimezone(self.zone)
        hours = local.hour + local.minute / 60
        if 6.5 <= hours < 22.5:
            return moment
        day = local.date() + timedelta(days=1 if hours >= 22.5 else 0)
        return self._local(day, self.rng.uniform(6.5, 9))

    def _schedule(self, started: datetime, due: datetime) -> Callable[[float], datetime]:
        """Moments as fractions of the office time from ``started`` to ``due``:
        0.5 is half-way to the deadline, 1.2 is late by a fifth of it."""
        period = self.calendar.office_seconds_between(started, due) / HOUR

        def at(fraction: float) -> datetime:
            return max(self._office(period * fraction, started), self._now())

        return at

    # -- commands ------------------------------------------------------------------------

    def _run(
        self, command: partial[CommandResult], reraise: tuple[type[IhanoiError], ...] = ()
    ) -> CommandResult | None:
        """Issue one command, counted by its type (``CloseSurvey``); a refusal
        is counted, not raised (unless of a ``reraise`` type)."""
        given = next((arg for arg in command.args if isinstance(arg, Command)), None)
        name = type(given).__name__ if given is not None else getattr(command.func, "__name__", "command")
        self.commands[name] += 1
        try:
            return command()
        except reraise:
            raise
        except IhanoiError as error:
            self._record_error(name, error)
            return None

    def _create(self, kind: str, command: partial[CommandResult]) -> CommandResult | None:
        """Create a case once per story: a story filed by an earlier run (its
        idempotency key is taken) is counted as reused and not followed again.
        A rerun may tell a story differently (a re-report needs the earlier
        report it repeats, which a rerun does not follow), so a key already
        used for another request counts as reused too."""
        try:
            result = self._run(command, reraise=(IdempotencyKeyReusedError,))
        except IdempotencyKeyReusedError:
            self.reused += 1
            return None
        if result is None:
            return None
        if not result.created:
            self.reused += 1
            return None
        self.cases[kind] += 1
        return result

    def _record_error(self, name: str, error: IhanoiError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(f"{self._now().isoformat()} {name}: {type(error).__name__}: {error}")

    def _read(self, reader: Principal, case_id: UUID, name: str) -> datetime | None:
        """A time the application computed (a due time, the end of the reopen
        window), read off the case as the staff see it."""
        try:
            moment: datetime | None = self.app.get_case(reader, case_id)[name]
        except IhanoiError as error:
            self._record_error("get_case", error)
            return None
        return moment

    def _due(self, reader: Principal, case_id: UUID) -> datetime | None:
        return self._read(reader, case_id, "due_at")

    def _ident(self, kind: str) -> str:
        """``report-000042``: names an arrival's random stream and idempotency key."""
        self.serial[kind] += 1
        return f"{kind}-{self.serial[kind]:06d}"

    def _key(self, ident: str) -> str:
        return f"sim-{self.seed}-{ident}"

    # -- people ------------------------------------------------------------------------------

    def _make_citizens(self, count: int) -> list[Citizen]:
        rng = self.rng
        citizens: list[Citizen] = []
        seen: set[str] = set()
        while len(citizens) < count:
            # A Hanoi citizen-identity number: 001 (Hà Nội), century and sex, year, six digits.
            number = f"0010{rng.randint(50, 99):02d}{rng.randrange(1_000_000):06d}"
            if number in seen:
                continue
            seen.add(number)
            ward = rng.choices(self.wards, self.ward_weights)[0]
            street = rng.choice(WARD_STREETS.get(ward, DEFAULT_STREETS))
            name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
            phone = f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10_000_000):07d}"
            ward_name = self.directory.wards[ward].name
            address = f"Số {rng.randint(1, 180)} {street}, {ward_name}"
            principal = Principal(f"vneid:{number}", Role.CITIZEN)
            citizens.append(Citizen(principal, name, number, phone, ward, street, address))
        return citizens

    def _citizen(self) -> Citizen:
        return self.rng.choice(self.citizens)

    def _officer(self, agency: str) -> Principal:
        number = self.rng.randint(1, OFFICERS_PER_AGENCY)
        return Principal(f"officer-{number}-{agency.lower()}", Role.OFFICER, agency)

    def _leader(self, agency: str) -> Principal:
        return Principal(f"leader-{agency.lower()}", Role.LEADER, agency)

    def _staff(self, agency: str) -> Principal:
        """Whoever of the agency closes a file: mostly an officer."""
        return self._leader(agency) if self.rng.random() < 0.2 else self._officer(agency)

    def _pick(self, texts: Sequence[str]) -> str:
        return self.rng.choice(texts).replace("{n}", str(self.rng.randint(2, 9)))

    def _ward_committee(self, ward: str) -> str:
        return self.directory.ward_committee(ward).code
