"""public_results: the public statistics of field reports, and each report's
public timeline.

**The figures** of a cohort — the reports received in ``[period_start,
period_end)``, counted for the agency that has them now — as the agency
dashboard measures them: received, resolved, resolved on time, on-time rate
(on time ÷ resolved), median and 90th percentile of the working hours from
receipt to resolution (nearest rank, on the city's calendar), rated and the
average rating. Reports closed without resolution (rejected, duplicate, not
responsible) count as received, never as resolved.

**The minimum-volume rule** (``min_count``, ``IHANOI_PUBLIC_STATS_MIN_COUNT``):
a rate or an average over a handful of reports says more about chance than
about an agency — "top 5 responsive councils" on FixMyStreet was criticised for
exactly that (mysociety/fixmystreet#1957) — and over one or two reports it
says what one citizen rated. So:

1. a group of fewer than ``min_count`` received reports is **suppressed**: it is
   listed with ``suppressed`` true and no figure at all (not zeros);
2. the total is always the whole cohort, so a lone suppressed group could be
   recovered by subtracting the others from it: while the suppressed groups
   add up to fewer than ``min_count`` reports, the smallest shown group is
   suppressed as well (complementary suppression), and a cohort of fewer than
   ``min_count`` reports suppresses the total and every group;
3. inside a shown group, the on-time rate and the working hours need
   ``min_count`` resolved reports and the average rating ``min_count`` ratings,
   else they are null; average ratings withheld across groups are completed
   the same way as in 2, so no rating can be recovered from the total either.

Counts of a shown group stay exact. The timeline is ``timeline``: the public
steps of one report, oldest first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from ihanoi_core.errors import ValidationError
from ihanoi_projections.agency_dashboard.figures import nearest_rank
from ihanoi_projections.engine.base import from_micros, micros
from ihanoi_projections.engine.database import Row
from ihanoi_projections.public_results.facts import FACTS, TIMELINE, PublicResultsProjection

GROUPINGS = ("agency", "ward", "category", "channel")


@dataclass(frozen=True, slots=True)
class PublicFigures:
    """The figures of one group (or of the whole cohort). Every field is None
    when the group is suppressed; rates are fractions, hours working hours."""

    suppressed: bool
    received: int | None
    resolved: int | None
    resolved_on_time: int | None
    on_time_rate: float | None
    median_working_hours: float | None
    p90_working_hours: float | None
    rated: int | None
    average_rating: float | None


@dataclass(frozen=True, slots=True)
class PublicGroup:
    """One agency, ward, category or channel of the cohort, with its names."""

    key: str
    name: str
    name_en: str
    figures: PublicFigures


@dataclass(frozen=True, slots=True)
class PublicStats:
    """The statistics of one cohort, grouped one way, under the minimum-volume rule."""

    period_start: datetime
    period_end: datetime
    group_by: str
    min_count: int
    total: PublicFigures
    groups: tuple[PublicGroup, ...]


@dataclass(frozen=True, slots=True)
class TimelineStep:
    """One public step of a report: what happened and when, the agency
    concerned and the agency's public words, if any."""

    step: str
    at: datetime
    agency: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class _Tally:
    received: int
    resolved: int
    on_time: int
    seconds: tuple[int, ...]
    ratings: tuple[int, ...]

    @property
    def rated(self) -> int:
        return len(self.ratings)


SUPPRESSED = PublicFigures(True, None, None, None, None, None, None, None, None)


class PublicResultsModel(PublicResultsProjection):
    """The public results: fact and timeline rows (``PublicResultsProjection``)
    and the questions the public asks of them."""

    def stats(
        self,
        *,
        period_start: datetime,
        period_end: datetime,
        group_by: str,
        min_count: int,
        agency: str | None = None,
        ward: str | None = None,
        category: str | None = None,
        channel: str | None = None,
    ) -> PublicStats:
        """The figures of the reports received in ``[period_start, period_end)``
        matching every filter given, by ``group_by``, with the minimum-volume
        rule of the module docstring applied at ``min_count``."""
        if group_by not in GROUPINGS:
            raise ValidationError({"group_by": f"must be one of {', '.join(GROUPINGS)}"})
        if min_count < 1:
            raise ValidationError({"min_count": "must be at least 1"})
        clauses = ["received_at >= ?", "received_at < ?"]
        params: list[Any] = [micros(period_start), micros(period_end)]
        for column, value in (("agency", agency), ("ward", ward), ("category", category), ("channel", channel)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        rows = self.database.query(
            f"SELECT {group_by} AS grouped, resolve_seconds, resolved_on_time, rating FROM {FACTS}"
            f" WHERE {' AND '.join(clauses)}",
            params,
        )
        by_group: defaultdict[str, list[Row]] = defaultdict(list)
        for row in rows:
            by_group[row["grouped"] or ""].append(row)
        tallies = {key: _tally(members) for key, members in by_group.items()}
        total = _tally(rows)
        return PublicStats(
            period_start=period_start,
            period_end=period_end,
            group_by=group_by,
            min_count=min_count,
            total=_figures(total, min_count) if total.received >= min_count else SUPPRESSED,
            groups=tuple(self._groups(group_by, tallies, total, min_count)),
        )

    def _groups(
        self, group_by: str, tallies: Mapping[str, _Tally], total: _Tally, min_count: int
    ) -> Iterable[PublicGroup]:
        if total.received < min_count:
            hidden = set(tallies)
        else:
            hidden = withheld({key: tally.received for key, tally in tallies.items()}, min_count)
        shown = {key: _figures(tally, min_count) for key, tally in tallies.items() if key not in hidden}
        # Ratings withheld inside shown groups, completed so that the total's
        # average cannot give them away (rule 3).
        unrated = sum(tallies[key].rated for key in hidden)
        rated = {key: tallies[key].rated for key in shown if tallies[key].rated}
        for key in withheld(rated, min_count, remainder=unrated):
            shown[key] = replace(shown[key], average_rating=None)
        for key in sorted(tallies):
            name, name_en = self._names(group_by, key)
            yield PublicGroup(key, name, name_en, shown.get(key, SUPPRESSED))

    def _names(self, group_by: str, key: str) -> tuple[str, str]:
        directory = self.context.directory
        if group_by == "agency" and (agency := directory.get_agency(key)) is not None:
            return agency.name, agency.name_en or agency.name
        if group_by == "ward" and (ward := directory.wards.get(key)) is not None:
            return ward.name, ward.name_en or ward.name
        if group_by == "category" and (category := directory.get_category(key)) is not None:
            return category.name_vi, category.name_en
        return key, key

    def timeline(self, case_id: UUID) -> list[TimelineStep]:
        """The public steps of one report, oldest first (empty for an unknown one)."""
        rows = self.database.query(
            f"SELECT step, at, agency, note FROM {TIMELINE} WHERE case_id = ? ORDER BY position", (str(case_id),)
        )
        return [
            TimelineStep(row["step"], from_micros(row["at"]), row["agency"], row["note"])  # type: ignore[arg-type]
            for row in rows
        ]

    def rows(self) -> list[Row]:
        """Every fact and timeline row, ordered: for comparing a rebuild with the live tables."""
        facts = self.database.query(f"SELECT * FROM {FACTS} ORDER BY case_id")
        steps = self.database.query(f"SELECT * FROM {TIMELINE} ORDER BY case_id, position")
        return [*facts, *steps]


def withheld(counts: Mapping[str, int], minimum: int, *, remainder: int = 0) -> set[str]:
    """The keys to withhold so that nothing below ``minimum`` can be read or
    derived: those counting fewer than ``minimum`` (and more than 0), then, while
    everything withheld (``remainder`` counts what is withheld already elsewhere)
    adds up to more than 0 and fewer than ``minimum``, the smallest of the rest."""
    hidden = {key for key, count in counts.items() if 0 < count < minimum}
    remainder += sum(counts[key] for key in hidden)
    for key in sorted((key for key in counts if key not in hidden), key=lambda key: (counts[key], key)):
        if not 0 < remainder < minimum:
            break
        hidden.add(key)
        remainder += counts[key]
    return hidden


def _tally(rows: Iterable[Row]) -> _Tally:
    received = resolved = on_time = 0
    seconds: list[int] = []
    ratings: list[int] = []
    for row in rows:
        received += 1
        if row["resolve_seconds"] is not None:
            resolved += 1
            seconds.append(int(row["resolve_seconds"]))
            on_time += int(row["resolved_on_time"] or 0)
        if row["rating"] is not None:
            ratings.append(int(row["rating"]))
    return _Tally(received, resolved, on_time, tuple(seconds), tuple(ratings))


def _figures(tally: _Tally, min_count: int) -> PublicFigures:
    judged = tally.resolved >= min_count
    median, p90 = nearest_rank(tally.seconds, 50), nearest_rank(tally.seconds, 90)
    return PublicFigures(
        suppressed=False,
        received=tally.received,
        resolved=tally.resolved,
        resolved_on_time=tally.on_time,
        on_time_rate=tally.on_time / tally.resolved if judged else None,
        median_working_hours=median / 3600 if judged and median is not None else None,
        p90_working_hours=p90 / 3600 if judged and p90 is not None else None,
        rated=tally.rated,
        average_rating=sum(tally.ratings) / tally.rated if tally.rated >= min_count else None,
    )
