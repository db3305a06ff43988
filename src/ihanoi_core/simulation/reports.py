"""Field reports in the simulation (DESIGN §3.1): a citizen, the 1022 hotline
or a partner app files; the routed agency screens, acknowledges, works to the
resolve deadline and answers; the reporter reopens or rates, and staff close.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, partial
from uuid import UUID

from ihanoi_core.commands.reports import (
    AcknowledgeReport,
    AssignReport,
    AttachReportPhoto,
    CloseReport,
    CommentReport,
    DeclareReportNotResponsible,
    MarkReportDuplicate,
    RateReport,
    RejectReport,
    ReopenReport,
    ResolveReport,
    StartReport,
    SubmitReport,
    SupportReport,
    TransferReport,
)
from ihanoi_core.commands.values import ContactIn, LocationIn
from ihanoi_core.domain.report_values import PhotoStage
from ihanoi_core.domain.values import Channel, Principal, Priority, Role
from ihanoi_core.simulation.city import (
    DEFAULT_STREETS,
    HANOI_CENTRE,
    HOTLINE_AGENCY,
    PARTNER,
    WARD_STREETS,
)
from ihanoi_core.simulation.engine import Citizen, Engine, Process
from ihanoi_core.simulation.photos import generated_photo
from ihanoi_core.simulation.texts import (
    ANSWERS,
    CLOSERS,
    DEFAULT_RESPONSIBLE,
    GENERIC_ANSWERS,
    GENERIC_CLOSERS,
    ISSUES,
    PROGRESS_NOTES,
    RATING_COMMENTS,
    REJECT_REASONS,
    REOPEN_REASONS,
    RESPONSIBLE_BODIES,
    TRANSFER_TARGETS,
)


@dataclass(slots=True, kw_only=True)
class ReportState:
    """What the simulation knows of a report as it moves (and what a later
    report of the same problem repeats)."""

    case_id: UUID
    category: str
    group: str
    ward: str
    location: LocationIn
    issue: str
    place: str
    owner: Principal | None
    agency: str
    officer: Principal
    original: ReportState | None
    handler: Principal | None = None
    acknowledged_at: datetime | None = None
    late: bool = False
    resolutions: int = 0


LATE_EXPLANATION = (
    "Chậm do phải chờ vật tư và phối hợp với đơn vị thi công."  # "Late: waited for materials and the contractor."
)


class ReportStories(Engine):
    """The life of a field report, from filing to closure."""

    def _report(self, ident: str) -> Process:
        """A field report from filing to closure (DESIGN §3.1)."""
        rng, app = self.rng, self.app
        report = self._file_report(ident)
        if report is None or not (yield from self._screen_report(report)):
            return
        case_id, owner = report.case_id, report.owner
        self._support_report(report)
        if not (yield from self._resolve_report(report)):
            return
        if owner is not None and rng.random() < 0.08:
            # Not fixed, says the reporter, within the 7-day reopen window.
            yield self._citizen_time(6, 96)
            reason = rng.choice(REOPEN_REASONS)
            if self._run(partial(app.handle, owner, ReopenReport(case=case_id, reason=reason))) is None:
                return
            if not (yield from self._resolve_report(report)):
                return
        if owner is not None and rng.random() < 0.6:
            yield self._citizen_time(1, 48)
            stars = rng.choices((1, 2, 3, 4, 5), (3, 4, 3, 1, 1) if report.late else (1, 1, 2, 5, 8))[0]
            comment = RATING_COMMENTS[stars] if rng.random() < 0.5 else None
            if self._run(partial(app.handle, owner, RateReport(case=case_id, stars=stars, comment=comment))) is None:
                return
            yield self._office(rng.uniform(0.5, 12))
        elif owner is not None:
            # Unrated: staff close it once the reopen window has passed.
            reopen_deadline = self._read(report.officer, case_id, "reopen_deadline")
            if reopen_deadline is None:
                return
            yield self._office(rng.uniform(0.5, 6), reopen_deadline)
        else:
            # Nobody can reopen a report filed for a caller or anonymously.
            yield self._office(rng.uniform(0.5, 6))
        self._run(partial(app.handle, self._staff(report.agency), CloseReport(case=case_id)))

    def _support_report(self, report: ReportState) -> None:
        """Now and then neighbours who meet the same problem support the
        acknowledged report ("tôi cũng gặp") instead of filing it again. Its own
        random stream (seeded by the run's seed and the report), so adding
        supports left every other story of a seed as it was."""
        rng = random.Random(f"{self.seed}:supports:{report.case_id}")
        if rng.random() >= 0.2:
            return
        for _ in range(rng.randint(1, 5)):
            supporter = rng.choice(self.citizens).principal
            if supporter != report.owner:
                self._run(partial(self.app.handle, supporter, SupportReport(case=report.case_id)))

    def _file_report(self, ident: str) -> ReportState | None:
        """A citizen (or the hotline, or a partner app) files a report; now and
        then about something reported a few days ago nearby."""
        rng = self.rng
        citizen = self._citizen()
        original = self._duplicate_candidate() if rng.random() < 0.06 else None
        if original is not None:
            category, ward, location = original.category, original.ward, original.location
            issue, place = original.issue, original.place
            description = f"Phản ánh lại: tại {place}, {issue} vẫn chưa được xử lý."
        else:
            category = rng.choices(self.categories, self.category_weights)[0]
            ward = citizen.ward if rng.random() < 0.7 else rng.choices(self.wards, self.ward_weights)[0]
            location, place = self._location(ward)
            name = self.directory.categories[category].name_vi.lower()
            issue = self._pick(ISSUES.get(category, (name,)))
            closer = rng.choice(CLOSERS.get(self.directory.categories[category].group, GENERIC_CLOSERS))
            description = f"Tại {place}, {issue}. {closer}"
        filer, channel, contact, anonymous = self._report_filer(citizen)
        photos = rng.choice((0, 1, 1, 2, 3)) if channel is not Channel.HOTLINE else 0
        filed = self._create(
            "report",
            partial(
                self.app.handle,
                filer,
                SubmitReport(
                    category=category,
                    description=description,
                    location=location,
                    priority=self.directory.categories[category].default_priority,
                    channel=channel,
                    contact=contact,
                    media_urls=tuple(
                        f"https://media.ihanoi.vn/sim/{self.seed}/{ident}/{index}.jpg" for index in range(1, photos + 1)
                    ),
                    # Those with several media links also upload a photo (not every report:
                    # each attach is an event more for every simulated month).
                    photos=(self._photo(f"{category}/{ward}", location),) if photos >= 2 else (),
                    anonymous=anonymous,
                ),
                idempotency_key=self._key(ident),
            ),
        )
        if filed is None:
            return None
        agency = self.directory.route(category, ward).code
        return ReportState(
            case_id=filed.case_id,
            category=category,
            group=self.directory.categories[category].group,
            ward=ward,
            location=location,
            issue=issue,
            place=place,
            owner=filer if filer.role is Role.CITIZEN and not anonymous else None,
            agency=agency,
            officer=self._officer(agency),
            original=original,
        )

    def _screen_report(self, report: ReportState) -> Generator[datetime, None, bool]:
        """Within the 8 working hours (some late) the agency marks a duplicate,
        rejects, declines, has its leader transfer, or acknowledges; ``True``
        when acknowledged."""
        rng, app, case_id = self.rng, self.app, report.case_id
        yield self._office(rng.uniform(0.2, 7.5) if rng.random() < 0.85 else rng.uniform(8.5, 20))
        officer = report.officer
        original = report.original
        if original is not None and original.agency == report.agency:
            self._run(partial(app.handle, officer, MarkReportDuplicate(case=case_id, original=str(original.case_id))))
            return False
        outcome = rng.random()
        if outcome < 0.035:
            self._run(partial(app.handle, officer, RejectReport(case=case_id, reason=rng.choice(REJECT_REASONS))))
            return False
        if outcome < 0.065:
            responsible = RESPONSIBLE_BODIES.get(report.group, DEFAULT_RESPONSIBLE)
            self._run(partial(app.handle, officer, DeclareReportNotResponsible(case=case_id, responsible=responsible)))
            return False
        if outcome < 0.10 and (target := self._transfer_target(report)) is not None:
            reason = f"Nội dung thuộc thẩm quyền của {self.directory.agencies[target].name}."
            leader = self._leader(report.agency)
            if (
                self._run(partial(app.handle, leader, TransferReport(case=case_id, to_agency=target, reason=reason)))
                is None
            ):
                return False
            report.agency, report.officer = target, self._officer(target)
            yield self._office(rng.uniform(0.3, 7))
        # The officer may judge it more urgent, or more complex, than filed.
        priority = rng.choice((Priority.URGENT, Priority.COMPLEX)) if rng.random() < 0.08 else None
        if self._run(partial(app.handle, report.officer, AcknowledgeReport(case=case_id, priority=priority))) is None:
            return False
        report.acknowledged_at = self._now()
        self.recent_reports.append(report)
        del self.recent_reports[:-200]
        return True

    def _resolve_report(self, report: ReportState) -> Generator[datetime, None, bool]:
        """Work to the resolve deadline the application set (~15 % late):
        assign and start the first time, a progress note now and then, the
        answer. ``True`` when resolved."""
        rng, app, case_id = self.rng, self.app, report.case_id
        due = self._read(report.officer, case_id, "due_at")
        if due is None:
            return False
        at = self._schedule(self._now(), due)
        report.late = rng.random() < 0.15
        if report.handler is None:
            handler = self._officer(report.agency)
            yield at(rng.uniform(0.02, 0.12))
            if (
                self._run(partial(app.handle, report.officer, AssignReport(case=case_id, assignee=handler.subject)))
                is None
            ):
                return False
            yield at(rng.uniform(0.12, 0.25))
            if self._run(partial(app.handle, handler, StartReport(case=case_id))) is None:
                return False
            report.handler = handler
        handler = report.handler
        if report.late or rng.random() < 0.4:
            yield at(rng.uniform(0.25, 0.5))
            if (
                self._run(partial(app.handle, handler, CommentReport(case=case_id, note=rng.choice(PROGRESS_NOTES))))
                is None
            ):
                return False
        yield at(rng.uniform(1.05, 1.8) if report.late else rng.uniform(0.5, 0.95))
        answer = rng.choice(ANSWERS.get(report.group, GENERIC_ANSWERS))
        report.resolutions += 1
        if case_id.int % 8 == 0:  # an eighth of the crews photograph the repair (no random draw: see _photo)
            # Reopened and repaired again, it is photographed again: another photo.
            again = f"/{report.resolutions}" if report.resolutions > 1 else ""
            after = self._photo(f"{report.category}/{report.ward}/after{again}")
            self._run(
                partial(app.handle, handler, AttachReportPhoto(case=case_id, photo=after, stage=PhotoStage.AFTER))
            )
        # A late resolution must explain the delay (giải trình); on time the explanation is not recorded.
        resolve = ResolveReport(case=case_id, answer=answer, late_explanation=LATE_EXPLANATION)
        return self._run(partial(app.handle, handler, resolve)) is not None

    def _report_filer(self, citizen: Citizen) -> tuple[Principal, Channel, ContactIn | None, bool]:
        """Who files: the citizen in the app or on the web, the 1022 hotline for a
        caller, a partner app (Open311), or the citizen anonymously."""
        draw = self.rng.random()
        contact = ContactIn(name=citizen.name, phone=citizen.phone)
        if draw < 0.07 and HOTLINE_AGENCY in self.directory.agencies:
            return self._officer(HOTLINE_AGENCY), Channel.HOTLINE, contact, False
        if draw < 0.11:
            return PARTNER, Channel.OPEN311, contact, False
        if draw < 0.14:
            return citizen.principal, Channel.APP, None, True
        return citizen.principal, Channel.APP if draw < 0.85 else Channel.WEB, None, False

    @cached_property
    def _photo_hashes(self) -> dict[str, str]:
        """Photos drawn so far, by label (``_photo``)."""
        return {}

    def _photo(self, label: str, location: LocationIn | None = None) -> str:
        """The hash of a photo uploaded as the app would before filing, drawn
        for ``label`` (a category and ward) with the location's GPS. No draw
        from the random sequence, so adding photos changed no other choice of
        the simulation; drawn and processed once per label, then reused (a
        month of reports would otherwise spend most of its time in Pillow)."""
        sha256 = self._photo_hashes.get(label)
        if sha256 is None:
            latitude, longitude = (location.latitude, location.longitude) if location else (None, None)
            data = generated_photo(f"{self.seed}/{label}", latitude, longitude)
            sha256 = self._photo_hashes[label] = self.app.photos.add(data).sha256
        return sha256

    def _location(self, ward: str) -> tuple[LocationIn, str]:
        """A spot within ~500 m of the ward's centre, and how a citizen names it."""
        rng = self.rng
        latitude, longitude = self.directory.wards[ward].centre or HANOI_CENTRE
        streets = WARD_STREETS.get(ward, DEFAULT_STREETS)
        street, house = rng.choice(streets), rng.randint(1, 220)
        places = [f"trước số nhà {house} {street}", f"ngõ {house} {street}", f"khu vực gần số {house} {street}"]
        if crossing := [other for other in streets if other != street]:
            places.append(f"đoạn giao cắt {street} với {rng.choice(crossing)}")
        location = LocationIn(
            ward=ward,
            latitude=round(latitude + rng.uniform(-0.0045, 0.0045), 6),
            longitude=round(longitude + rng.uniform(-0.0045, 0.0045), 6),
            address=f"Số {house} {street}, {self.directory.wards[ward].name}",
        )
        return location, rng.choice(places)

    def _duplicate_candidate(self) -> ReportState | None:
        """An acknowledged report of the last five days someone else reports again."""
        horizon = self._now() - timedelta(days=5)
        recent = [
            report
            for report in self.recent_reports[-50:]
            if report.acknowledged_at is not None and report.acknowledged_at >= horizon
        ]
        return self.rng.choice(recent) if recent else None

    def _transfer_target(self, report: ReportState) -> str | None:
        """A misrouted report: a ward hands city matters to the department, a
        department hands local ones to the ward."""
        if self.directory.agencies[report.agency].is_ward_committee:
            target = TRANSFER_TARGETS.get(report.group)
        else:
            target = self._ward_committee(report.ward)
        return target if target in self.directory.agencies and target != report.agency else None
