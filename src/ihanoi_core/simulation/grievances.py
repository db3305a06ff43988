"""Complaints and denunciations in the simulation (DESIGN §3.2): filed at the
desk, screened, accepted, verified, sometimes extended or withdrawn, decided
or concluded and closed; now and then a complainant takes a decision further.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from uuid import UUID

from ihanoi_core.commands.grievances import (
    AcceptComplaint,
    AssignComplaint,
    CloseComplaint,
    CommentComplaint,
    ComplainantIn,
    ConcludeDenunciation,
    DecideComplaint,
    ExtendComplaint,
    ExtendPreliminaryCheck,
    FileComplaint,
    ForwardComplaint,
    GrievanceCommand,
    HoldDialogue,
    RefuseComplaint,
    StartVerification,
    WithdrawComplaint,
)
from ihanoi_core.domain.grievance_values import ComplaintKind, Complexity
from ihanoi_core.simulation.engine import NEVER, Citizen, Engine, Process
from ihanoi_core.simulation.texts import (
    COMPLAINT_REFUSALS,
    CONCLUSIONS,
    DECISIONS,
    DENUNCIATION_REFUSALS,
    DIALOGUES,
    EXTENSION_REASONS,
    GRIEVANCE_LATE_EXPLANATION,
    GRIEVANCE_NOTES,
    GRIEVANCES,
    WITHDRAWAL_REASONS,
    GrievanceStory,
)


@dataclass(slots=True)
class _Complaint:
    """A decided first-time complaint its complainant may take further."""

    case_id: UUID
    citizen: Citizen
    agency: str
    story: GrievanceStory


class GrievanceStories(Engine):
    """The life of a complaint or denunciation, from filing to the closed file."""

    def _grievance(self, ident: str, first: _Complaint | None) -> Process:
        """A complaint or denunciation from filing to the closed file (DESIGN §3.2)."""
        rng, app = self.rng, self.app
        citizen = first.citizen if first is not None else self._citizen()
        if first is not None:
            story = first.story
            # A second-time complaint goes to the head of the level above (Art. 33).
            agency = self.directory.agencies[first.agency].parent or "UBND_TP"
            subject = f"Khiếu nại lần hai: {story.subject[0].lower()}{story.subject[1:]}"
        else:
            # Complaints outnumber denunciations about three to one.
            kind = ComplaintKind.COMPLAINT if rng.random() < 0.75 else ComplaintKind.DENUNCIATION
            story = rng.choice([story for story in GRIEVANCES if story.kind is kind])
            agency = self._ward_committee(citizen.ward) if story.respondent == "ward" else story.respondent
            subject = story.subject
        if agency not in self.directory.agencies:
            return
        denunciation = story.kind is ComplaintKind.DENUNCIATION
        content = story.content.format(n=rng.randint(10, 999), house=rng.randint(1, 180), street=citizen.street)
        decision_date = None
        if not denunciation and first is None:
            decision_date = (self._now().astimezone(self.zone) - timedelta(days=rng.randint(5, 60))).date()
        identity = ComplainantIn(
            name=citizen.name, national_id=citizen.national_id, phone=citizen.phone, address=citizen.address
        )
        filed = self._create(
            story.kind.value,
            partial(
                app.handle,
                citizen.principal,
                FileComplaint(
                    kind=story.kind,
                    subject=subject,
                    content=content,
                    respondent_agency=agency,
                    ward=citizen.ward,
                    complainant=identity,
                    decision_date=decision_date,
                    first_case=str(first.case_id) if first is not None else None,
                ),
                idempotency_key=self._key(ident),
            ),
        )
        if filed is None:
            return
        case_id = filed.case_id
        refusals = DENUNCIATION_REFUSALS if denunciation else COMPLAINT_REFUSALS

        # Screening: accept, refuse or forward within the legal period (some late).
        outcome = rng.random()
        if outcome < 0.12:
            yield self._office_days(1, 5)
            reason, basis = rng.choice(refusals)
            leader = self._leader(agency)
            self._run(partial(app.handle, leader, RefuseComplaint(case=case_id, reason=reason, legal_basis=basis)))
            return
        if outcome < 0.18 and story.forward_to != agency and story.forward_to in self.directory.agencies:
            yield self._office_days(1, 4)
            target = story.forward_to
            reason = f"Chuyển đơn đến {self.directory.agencies[target].name} để giải quyết theo thẩm quyền."
            officer = self._officer(agency)
            forward = ForwardComplaint(case=case_id, to_agency=target, reason=reason)
            if self._run(partial(app.handle, officer, forward)) is None:
                return
            agency = story.forward_to
        leader = self._leader(agency)
        if denunciation and rng.random() < 0.12:
            # Preliminary check extended from 7 to 10 working days (Law on Denunciations Art. 24).
            yield self._office_days(5, 6.5)
            reason = rng.choice(EXTENSION_REASONS)
            if self._run(partial(app.handle, leader, ExtendPreliminaryCheck(case=case_id, reason=reason))) is None:
                return
            yield self._office_days(1.5, 3)
        else:
            yield self._office_days(0.5, 6) if rng.random() < 0.9 else self._office_days(7.5, 9.5)
        if self._run(partial(app.handle, leader, AcceptComplaint(case=case_id))) is None:
            return
        due = self._due(leader, case_id)
        if due is None:
            return
        at = self._schedule(self._now(), due)

        # Handling: assign (the leader alone for a denunciation), verify, dialogue, note.
        handler = self._officer(agency)
        yield at(rng.uniform(0.02, 0.08))
        assigner = leader if denunciation else self._officer(agency)
        if self._run(partial(app.handle, assigner, AssignComplaint(case=case_id, assignee=handler.subject))) is None:
            return
        yield at(rng.uniform(0.08, 0.2))
        if self._run(partial(app.handle, handler, StartVerification(case=case_id))) is None:
            return
        if rng.random() < 0.05:
            yield self._citizen_time(24, 120)
            reason = rng.choice(WITHDRAWAL_REASONS)
            self._run(partial(app.handle, citizen.principal, WithdrawComplaint(case=case_id, reason=reason)))
            return
        if rng.random() < 0.5:
            yield at(rng.uniform(0.2, 0.35))
            note = rng.choice(GRIEVANCE_NOTES)
            if self._run(partial(app.handle, handler, CommentComplaint(case=case_id, note=note))) is None:
                return
        if not denunciation and rng.random() < 0.4:
            yield at(rng.uniform(0.35, 0.6))
            summary = rng.choice(DIALOGUES)
            if self._run(partial(app.handle, handler, HoldDialogue(case=case_id, summary=summary))) is None:
                return
        extensions = (rng.random() < 0.2) + (rng.random() < 0.05) if denunciation else int(rng.random() < 0.12)
        # A denunciation extended twice is especially complex (Art. 30(3)).
        complexity = Complexity.ESPECIALLY_COMPLEX if extensions == 2 else Complexity.COMPLEX
        for _ in range(extensions):
            yield at(rng.uniform(0.65, 0.85))
            reason = rng.choice(EXTENSION_REASONS)
            extend = ExtendComplaint(case=case_id, reason=reason, complexity=complexity)
            if self._run(partial(app.handle, leader, extend)) is None:
                return
            due = self._due(leader, case_id)
            if due is None:
                return
            at = self._schedule(self._now(), due)

        # The decision or conclusion, ~10 % late, then the file is closed.
        yield at(rng.uniform(1.02, 1.3) if rng.random() < 0.1 else rng.uniform(0.5, 0.95))
        # The late explanation (giải trình) is recorded only when late.
        if denunciation:
            decided: GrievanceCommand = ConcludeDenunciation(
                case=case_id, conclusion=rng.choice(CONCLUSIONS), late_explanation=GRIEVANCE_LATE_EXPLANATION
            )
        else:
            decided = DecideComplaint(
                case=case_id, decision=rng.choice(DECISIONS), late_explanation=GRIEVANCE_LATE_EXPLANATION
            )
        if self._run(partial(app.handle, leader, decided)) is None:
            return
        if not denunciation and first is None and rng.random() < 0.15:
            # Not satisfied: a second-time complaint within 30 days (Art. 33).
            second = _Complaint(case_id, citizen, agency, story)
            again = f"{ident}-second"
            self._spawn(self._citizen_time(48, 400), self._now(), NEVER, again, self._grievance(again, second))
        yield self._office_days(0.5, 4)
        self._run(partial(app.handle, self._officer(agency), CloseComplaint(case=case_id)))
