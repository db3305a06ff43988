"""Online dossiers in the simulation (DESIGN §3.3): submitted, reviewed,
received, processed — supplements, fees, suspensions, inter-agency steps,
apologies for lateness — and the result returned.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from uuid import UUID

from ihanoi_core.commands.command import Command
from ihanoi_core.commands.payments import RecordGatewayPayment
from ihanoi_core.commands.service_requests import (
    ApologizeForDossierDelay,
    ApplicantIn,
    AssignDossier,
    CommentDossier,
    ConfirmDossierPayment,
    ForwardDossier,
    MarkDossierResultReady,
    RateDossier,
    ReceiveDossier,
    RejectDossier,
    RequestDossierPayment,
    RequestDossierSupplement,
    ResumeDossier,
    ReturnDossier,
    ReturnDossierResult,
    StartDossierProcessing,
    SubmitDossier,
    SupplementDossier,
    SuspendDossier,
    WithdrawDossier,
)
from ihanoi_core.commands.values import DocumentIn
from ihanoi_core.directory import Procedure
from ihanoi_core.domain.payment import Payment, payment_id_for
from ihanoi_core.domain.values import Channel, Clock, DeadlineRule, Principal, Role, TimeUnit
from ihanoi_core.simulation.engine import Citizen, Engine, Process
from ihanoi_core.simulation.texts import (
    APOLOGIES,
    DOSSIER_LATE_EXPLANATION,
    DOSSIER_NOTES,
    DOSSIER_REJECTIONS,
    EXTRA_DOCUMENTS,
    PARTNERS,
    RATING_COMMENTS,
    SUSPENSIONS,
    WITHDRAW_DOSSIER,
)

# Where payments are set up, the share of fees paid by VietQR (confirmed by the
# gateway); the others are paid at the counter and confirmed by the officer.
CASHLESS_SHARE = 0.7
# Transaction numbers ending so: a mistyped amount first (then asked again), or paid twice.
MISTYPED = ("07", "17", "27", "37", "47", "57", "67", "77")
PAID_TWICE = ("09", "29", "49", "69")
GATEWAY = Principal("gateway:demo", Role.SYSTEM)


@dataclass(slots=True, kw_only=True)
class _Dossier:
    """What the simulation knows of a dossier as it moves."""

    case_id: UUID
    ident: str
    citizen: Citizen
    procedure: Procedure
    agency: str
    leader: Principal
    missing: tuple[str, ...]
    handler: Principal | None = None


class DossierStories(Engine):
    """The life of an online dossier, from submission to the result returned."""

    def _dossier(self, ident: str) -> Process:
        """An online dossier from submission to the result returned (DESIGN §3.3)."""
        rng, app = self.rng, self.app
        dossier = self._submit_dossier(ident)
        if dossier is None:
            return
        case_id = dossier.case_id

        # Review within 8 working hours: reject, ask for what is missing, or receive.
        yield self._office(rng.uniform(0.2, 7) if rng.random() < 0.9 else rng.uniform(8.5, 14))
        officer = self._officer(dossier.agency)
        if rng.random() < 0.04:
            self._run(partial(app.handle, officer, RejectDossier(case=case_id, reason=rng.choice(DOSSIER_REJECTIONS))))
            return
        if dossier.missing and rng.random() < 0.4:
            if not (yield from self._supplement(dossier, officer)):
                return
            yield self._office(rng.uniform(0.2, 4))
        if self._run(partial(app.handle, officer, ReceiveDossier(case=case_id))) is None:
            return
        dossier.handler = officer
        if rng.random() < 0.3:
            dossier.handler = self._officer(dossier.agency)
            yield self._office(rng.uniform(0.1, 1))
            assigned = partial(app.handle, officer, AssignDossier(case=case_id, assignee=dossier.handler.subject))
            if self._run(assigned) is None:
                return
        yield self._office(rng.uniform(0.1, 2))
        if not (yield from self._on_time(dossier)):
            return
        if self._run(partial(app.handle, dossier.handler, StartDossierProcessing(case=case_id))) is None:
            return
        if not (yield from self._process_dossier(dossier)):
            return

        # The result: ~8 % after the appointment date, so only after an apology.
        if rng.random() < 0.08:
            due = self._due(dossier.leader, case_id)
            if due is None:
                return
            yield self._office(rng.uniform(0.5, 6), due)
        else:
            yield self._before_due(dossier, 0.4, 0.9)
        if not (yield from self._on_time(dossier)):
            return
        note = f"Đã có kết quả giải quyết thủ tục “{dossier.procedure.name}”; mời ông/bà nhận kết quả."
        if self._run(partial(app.handle, dossier.handler, MarkDossierResultReady(case=case_id, note=note))) is None:
            return
        yield self._office(rng.uniform(1, 24))
        # The late explanation (giải trình) is recorded only for a dossier that needed an apology.
        returned = ReturnDossierResult(case=case_id, late_explanation=DOSSIER_LATE_EXPLANATION)
        if self._run(partial(app.handle, self._officer(dossier.agency), returned)) is None:
            return
        if rng.random() < 0.6:
            yield self._citizen_time(1, 48)
            stars = rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 6, 10))[0]
            comment = RATING_COMMENTS[stars] if rng.random() < 0.4 else None
            rating = RateDossier(case=case_id, stars=stars, comment=comment)
            self._run(partial(app.handle, dossier.citizen.principal, rating))

    def _submit_dossier(self, ident: str) -> _Dossier | None:
        """A citizen files a dossier for a catalogue procedure; one in five
        lacks a paper (forgotten, or one the officer will need besides)."""
        rng = self.rng
        citizen = self._citizen()
        code = rng.choices(self.procedures, self.procedure_weights)[0]
        procedure = self.directory.procedures[code]
        agency = self.directory.procedure_agency(code, citizen.ward).code
        papers = list(procedure.required_documents) or ["Đơn đề nghị"]
        missing: tuple[str, ...] = ()
        if rng.random() < 0.2:
            if len(papers) > 1 and rng.random() < 0.6:
                missing = (papers.pop(rng.randrange(len(papers))),)
            else:
                missing = (rng.choice(EXTRA_DOCUMENTS),)
        applicant = ApplicantIn(
            name=citizen.name, national_id=citizen.national_id, phone=citizen.phone, address=citizen.address
        )
        submitted = self._create(
            "dossier",
            partial(
                self.app.handle,
                citizen.principal,
                SubmitDossier(
                    procedure=code,
                    ward=citizen.ward,
                    applicant=applicant,
                    documents=self._documents(ident, papers),
                    channel=rng.choice((Channel.WEB, Channel.WEB, Channel.APP)),
                ),
                idempotency_key=self._key(ident),
            ),
        )
        if submitted is None:
            return None
        return _Dossier(
            case_id=submitted.case_id,
            ident=ident,
            citizen=citizen,
            procedure=procedure,
            agency=agency,
            leader=self._leader(agency),
            missing=missing,
        )

    def _process_dossier(self, dossier: _Dossier) -> Generator[datetime, None, bool]:
        """Processing before the result: the supplement still owed, a fee, now and
        then a suspension or an inter-agency step, a note. Each step keeps to the
        appointment date (or follows an apology); ``False`` if the story ends."""
        rng, app, case_id = self.rng, self.app, dossier.case_id
        handler, leader = dossier.handler, dossier.leader
        assert handler is not None  # Set when the dossier was received.
        if dossier.missing:
            yield self._before_due(dossier, 0.1, 0.3)
            if not (yield from self._on_time(dossier)) or not (yield from self._supplement(dossier, handler)):
                return False
        if dossier.procedure.fee > 0 and rng.random() < 0.35:
            yield self._before_due(dossier, 0.1, 0.3)
            if not (yield from self._on_time(dossier)):
                return False
            amount = dossier.procedure.fee * rng.choice((1, 1, 2, 3))
            dong = f"{amount:,}".replace(",", ".")  # 150.000 đồng, as Vietnamese writes it.
            note = f"Phí, lệ phí theo quy định: {dong} đồng."
            payment = RequestDossierPayment(case=case_id, amount=amount, note=note)
            if (asked := self._run(partial(app.handle, handler, payment))) is None:
                return False
            yield self._office(rng.uniform(1, 12))
            transaction, version = f"VNPAY{rng.randrange(10**12):012d}", asked.version
            if app.settings.payments_bank_bin is not None and rng.random() < CASHLESS_SHARE:
                # Paid by VietQR: the gateway's confirmation resumes the dossier.
                mistyped = self._mistyped_first(handler, payment, case_id, asked.version, transaction)
                if mistyped is None:
                    return False
                version = mistyped
                paid: Command = self._gateway_payment(payment_id_for(case_id, version), transaction)
                actor = GATEWAY
            else:
                paid, actor = ConfirmDossierPayment(case=case_id, reference=transaction), handler
            if self._run(partial(app.handle, actor, paid)) is None:
                return False
            if actor is GATEWAY and transaction.endswith(PAID_TWICE):
                # Paid twice: the second transfer is kept on the payment for staff to refund.
                twice = self._gateway_payment(payment_id_for(case_id, version), transaction + "B")
                if self._run(partial(app.handle, GATEWAY, twice)) is None:
                    return False
        if rng.random() < 0.03:
            yield self._before_due(dossier, 0.1, 0.3)
            if not (yield from self._on_time(dossier)):
                return False
            suspension = SuspendDossier(case=case_id, reason=rng.choice(SUSPENSIONS))
            if self._run(partial(app.handle, leader, suspension)) is None:
                return False
            yield self._office_days(1, 3)
            resumption = ResumeDossier(case=case_id, note="Đã có kết quả xác minh.")
            if self._run(partial(app.handle, leader, resumption)) is None:
                return False
        partner = PARTNERS.get(dossier.procedure.code, dossier.agency)
        partner = self._ward_committee(dossier.citizen.ward) if partner == "ward" else partner
        if partner in self.directory.agencies and partner != dossier.agency and rng.random() < 0.35:
            yield self._before_due(dossier, 0.1, 0.25)
            if not (yield from self._on_time(dossier)) or not (yield from self._forward(dossier, partner)):
                return False
        if rng.random() < 0.3:
            yield self._before_due(dossier, 0.1, 0.4)
            comment = CommentDossier(case=case_id, note=rng.choice(DOSSIER_NOTES))
            if self._run(partial(app.handle, handler, comment)) is None:
                return False
        return True

    def _documents(self, folder: str, names: Sequence[str]) -> tuple[DocumentIn, ...]:
        """Scanned papers: a made-up storage URL and the SHA-256 of the paper's name."""
        return tuple(
            DocumentIn(
                name=name,
                url=f"https://storage.ihanoi.vn/sim/{self.seed}/{folder}/{index}.pdf",
                sha256=hashlib.sha256(name.encode()).hexdigest(),
            )
            for index, name in enumerate(names, start=1)
        )

    def _gateway_payment(self, payment_id: UUID, transaction: str, amount: int | None = None) -> RecordGatewayPayment:
        """The gateway's confirmation of the full fee of the payment ``payment_id`` (or of ``amount``)."""
        payment = self.app._load(payment_id, Payment)
        return RecordGatewayPayment(
            provider="demo",
            transaction_id=transaction,
            reference=payment.reference,
            amount=payment.total if amount is None else amount,
            paid_at=self.app.clock(),
        )

    def _mistyped_first(
        self, handler: Principal, request: RequestDossierPayment, case_id: UUID, version: int, transaction: str
    ) -> int | None:
        """Some applicants first transfer a mistyped amount (``AmountMismatched``);
        the officer asks for the fee again, with a new code. The version of the
        request to pay (None: refused). Decided by the transaction number, so no
        draw changes the run."""
        if not transaction.endswith(MISTYPED):
            return version
        wrong = self._gateway_payment(payment_id_for(case_id, version), transaction + "A", amount=1000)
        if self._run(partial(self.app.handle, GATEWAY, wrong)) is None:
            return None
        again = self._run(partial(self.app.handle, handler, request))
        return None if again is None else again.version

    def _supplement(self, dossier: _Dossier, officer: Principal) -> Generator[datetime, None, bool]:
        """Ask once for everything missing; the applicant supplies it (or, one in
        ten, withdraws). ``True`` when supplied."""
        rng, app, case_id, missing = self.rng, self.app, dossier.case_id, dossier.missing
        note = "Đề nghị bổ sung: " + "; ".join(missing)
        request = RequestDossierSupplement(case=case_id, missing=missing, note=note)
        if self._run(partial(app.handle, officer, request)) is None:
            return False
        yield self._citizen_time(3, 72)
        applicant = dossier.citizen.principal
        if rng.random() < 0.1:
            withdrawal = WithdrawDossier(case=case_id, reason=rng.choice(WITHDRAW_DOSSIER))
            self._run(partial(app.handle, applicant, withdrawal))
            return False
        documents = self._documents(f"{dossier.ident}/bo-sung", missing)
        if self._run(partial(app.handle, applicant, SupplementDossier(case=case_id, documents=documents))) is None:
            return False
        dossier.missing = ()
        return True

    def _forward(self, dossier: _Dossier, partner: str) -> Generator[datetime, None, bool]:
        """Send the dossier to the partner agency for a step (liên thông) that
        fits before the appointment date; the partner returns it in time."""
        rng, app, case_id = self.rng, self.app, dossier.case_id
        due = self._due(dossier.leader, case_id)
        if due is None:
            return False
        for working_days in (3, 2, 1):
            rule = DeadlineRule(working_days, TimeUnit.WORKING_DAYS, "liên thông")
            if self.calendar.due(Clock(started_at=self._now(), rule=rule)) <= due:
                break
        else:
            return True  # No time left for a partner step: the agency does without.
        note = f"Chuyển {self.directory.agencies[partner].name} thực hiện bước liên thông."
        handler = dossier.handler or dossier.leader
        forward = ForwardDossier(case=case_id, to_agency=partner, working_days=working_days, note=note)
        sent = partial(app.handle, handler, forward)
        if self._run(sent) is None:
            return False
        yield self._office(working_days * 8 * rng.uniform(0.3, 0.9))
        returned = ReturnDossier(case=case_id, note="Đã hoàn thành bước liên thông.")
        back = partial(app.handle, self._officer(partner), returned)
        return self._run(back) is not None

    def _before_due(self, dossier: _Dossier, low: float, high: float) -> datetime:
        """A moment that fraction of the way from now to the appointment date."""
        due = self._due(dossier.leader, dossier.case_id)
        if due is None or due <= self._now():
            return self._now()
        return self._schedule(self._now(), due)(self.rng.uniform(low, high))

    def _on_time(self, dossier: _Dossier) -> Generator[datetime, None, bool]:
        """Past the appointment nothing moves until the leader apologises with a
        new date (phiếu xin lỗi); the step then follows within the hour or two."""
        due = self._due(dossier.leader, dossier.case_id)
        if due is None or self._now() <= due:
            return True
        apology = partial(
            self.app.handle,
            dossier.leader,
            ApologizeForDossierDelay(
                case=dossier.case_id, reason=self.rng.choice(APOLOGIES), new_due=self._office_days(1, 3)
            ),
        )
        if self._run(apology) is None:
            return False
        yield self._office(self.rng.uniform(0.5, 2))
        return True
