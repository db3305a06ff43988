"""Commands on field reports (phản ánh hiện trường), with their permission rows.

Routing and deadlines come from the directory: category + ward → agency;
acknowledge within ``report_acknowledge``; resolve within the category's (or
the default) period for the priority; reopen within ``report_reopen_window``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ihanoi_core.commands.base import CaseCommands, CommandResult
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.values import Channel, Contact, Location, Principal, Priority, Role
from ihanoi_core.errors import ValidationError
from ihanoi_core.permissions import CITIZEN, LEADER, STAFF, can_see, register

CAN_SUBMIT_REPORT = frozenset({Role.CITIZEN, Role.PARTNER, Role.OFFICER, Role.LEADER})

register(
    Report.kind,
    {
        "acknowledge": STAFF,
        "assign": STAFF,
        "start": STAFF,
        "comment": STAFF,
        "resolve": STAFF,
        "close": STAFF,
        "reject": STAFF,
        "mark_duplicate": STAFF,
        "declare_not_responsible": STAFF,
        "transfer": LEADER,
        "reopen": CITIZEN,
        "rate": CITIZEN,
    },
)


class ReportCommands(CaseCommands):
    """Field-report commands of the ``Ihanoi`` application."""

    def submit_report(
        self,
        principal: Principal,
        *,
        category: str,
        description: str,
        location: Location,
        priority: Priority = Priority.NORMAL,
        channel: Channel = Channel.APP,
        contact: Contact | None = None,
        media_urls: tuple[str, ...] = (),
        anonymous: bool = False,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
    ) -> CommandResult:
        """File a report; it is routed by category and ward and the 8-working-hour
        acknowledgement clock starts. Citizens own their reports; a partner or
        hotline officer files on behalf of the contact given."""
        if self.directory.categories.get(category) is None:
            raise ValidationError({"category": f"unknown report category {category!r}"})
        if self.directory.wards.get(location.ward) is None:
            raise ValidationError({"location.ward": f"unknown ward {location.ward!r}"})
        agency = self.directory.route(category, location.ward).code
        reporter = principal.subject if principal.role is Role.CITIZEN and not anonymous else None
        acknowledge_rule = self.directory.deadline("report_acknowledge")

        def build(case_id: UUID, code: str, now: datetime) -> Report:
            return Report.submit(
                id=case_id,
                code=code,
                actor=principal,
                category=category,
                description=description,
                location=location,
                agency=agency,
                priority=priority,
                channel=channel,
                reporter=reporter,
                contact=contact,
                media_urls=tuple(media_urls),
                acknowledge_rule=acknowledge_rule,
                calendar=self.calendar,
                timestamp=now,
            )

        return self._create(principal, Report, CAN_SUBMIT_REPORT, idempotency_key, build, request_fingerprint)

    def acknowledge_report(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        priority: Priority | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Receive a report for the agency and start its resolve clock."""

        def decide(report: Report, now: datetime) -> None:
            chosen = priority or report.priority
            report.acknowledge(
                principal,
                priority=chosen,
                resolve_rule=self.directory.report_deadline(report.category, chosen),
                calendar=self.calendar,
                timestamp=now,
            )

        return self._act(principal, case_id, Report, "acknowledge", decide, expected_version)

    def assign_report(
        self, principal: Principal, case_id: UUID, *, assignee: str, expected_version: int | None = None
    ) -> CommandResult:
        """Name the officer who handles the report."""
        return self._act(
            principal,
            case_id,
            Report,
            "assign",
            lambda report, now: report.assign(principal, assignee, timestamp=now),
            expected_version,
        )

    def start_report(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """The assignee starts work."""
        return self._act(
            principal,
            case_id,
            Report,
            "start",
            lambda report, now: report.start(principal, timestamp=now),
            expected_version,
        )

    def comment_report(
        self, principal: Principal, case_id: UUID, *, note: str, expected_version: int | None = None
    ) -> CommandResult:
        """Add a public progress note."""
        return self._act(
            principal,
            case_id,
            Report,
            "comment",
            lambda report, now: report.comment(principal, note, timestamp=now),
            expected_version,
        )

    def resolve_report(
        self, principal: Principal, case_id: UUID, *, answer: str, expected_version: int | None = None
    ) -> CommandResult:
        """Resolve with a public answer; the reopen window starts."""
        window = self.directory.deadline("report_reopen_window")
        return self._act(
            principal,
            case_id,
            Report,
            "resolve",
            lambda report, now: report.resolve(
                principal, answer, reopen_window=window, calendar=self.calendar, timestamp=now
            ),
            expected_version,
        )

    def close_report(
        self, principal: Principal, case_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        """Close a resolved report."""
        return self._act(
            principal,
            case_id,
            Report,
            "close",
            lambda report, now: report.close(principal, timestamp=now),
            expected_version,
        )

    def reject_report(
        self, principal: Principal, case_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """Refuse a report with a reason (out of scope, spam, complaint channel)."""
        return self._act(
            principal,
            case_id,
            Report,
            "reject",
            lambda report, now: report.reject(principal, reason, timestamp=now),
            expected_version,
        )

    def mark_report_duplicate(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        original: UUID | str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Close a report as a duplicate of an earlier one (visible to the same staff)."""
        original_report = self._load(self.resolve_case_id(original), Report)
        if not can_see(principal, original_report):
            raise ValidationError({"original": "no such report is visible to you"})
        return self._act(
            principal,
            case_id,
            Report,
            "mark_duplicate",
            lambda report, now: report.mark_duplicate(
                principal, original_report.id, original_report.code, timestamp=now
            ),
            expected_version,
        )

    def transfer_report(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        to_agency: str,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Hand a report over to another agency, which must acknowledge it anew."""
        if self.directory.agencies.get(to_agency) is None:
            raise ValidationError({"to_agency": f"unknown agency {to_agency!r}"})
        rule = self.directory.deadline("report_acknowledge")
        return self._act(
            principal,
            case_id,
            Report,
            "transfer",
            lambda report, now: report.transfer(
                principal, to_agency, reason, acknowledge_rule=rule, calendar=self.calendar, timestamp=now
            ),
            expected_version,
        )

    def declare_report_not_responsible(
        self, principal: Principal, case_id: UUID, *, responsible: str, expected_version: int | None = None
    ) -> CommandResult:
        """Close because another body is responsible, naming it."""
        return self._act(
            principal,
            case_id,
            Report,
            "declare_not_responsible",
            lambda report, now: report.declare_not_responsible(principal, responsible, timestamp=now),
            expected_version,
        )

    def reopen_report(
        self, principal: Principal, case_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> CommandResult:
        """The reporter reopens a resolved report that is not fixed."""

        def decide(report: Report, now: datetime) -> None:
            report.reopen(
                principal,
                reason,
                resolve_rule=self.directory.report_deadline(report.category, report.priority),
                calendar=self.calendar,
                timestamp=now,
            )

        return self._act(principal, case_id, Report, "reopen", decide, expected_version)

    def rate_report(
        self,
        principal: Principal,
        case_id: UUID,
        *,
        stars: int,
        comment: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """The reporter rates the result from 1 to 5."""
        return self._act(
            principal,
            case_id,
            Report,
            "rate",
            lambda report, now: report.rate(principal, stars, comment, timestamp=now),
            expected_version,
        )
