"""Survey invitations (issue #14 item 4): when a survey is published, the
people of its audience are invited to answer.

The audience is a set of wards: those the survey targeted
(``Survey.AudienceTargeted``, draft only), or else the wards its agency
serves, or else — a city body with no wards — every ward of the directory.
A person belongs to a ward's people when they chose that ward on their
notification settings (``alert_wards``: the only place a person says which
wards are theirs; the log knows no home address). The invitation
``survey_invitation`` is an optional notice: it needs the person's consent
to ``notifications`` and no opt-out of the kind. A survey that is not
anonymous records who answered, so its invitation goes only to those who
also consented to answer under their identity (``Purpose.SURVEY_IDENTITY``):
anyone may find it in the app, but only they are asked. Each invitation is
decided as of the publication, from the log alone, like every notice.

The invitation says the survey's code, title and closing time: a published
survey is public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ihanoi_core.domain.consent import Consent, Purpose
from ihanoi_core.domain.contactability import Contactability
from ihanoi_core.domain.survey import Survey
from ihanoi_projections.engine.changes import Change
from ihanoi_projections.engine.database import Cursor, Row
from ihanoi_projections.notifications.alert_notices import ALERT_WARDS
from ihanoi_projections.notifications.notices import Notice
from ihanoi_projections.notifications.triggers import SURVEY_IDENTITY, Remember, Trigger, TriggerStep, register

if TYPE_CHECKING:
    from ihanoi_projections.notifications.outbox import OutboxModel

KIND = "survey_invitation"


@dataclass(slots=True)
class Invitation(TriggerStep):
    """A published survey, to the people of its audience as of its publication."""

    trigger: SurveysTrigger
    wards: frozenset[str]
    anonymous: bool
    notice: Notice

    def decide(self, model: OutboxModel) -> None:
        trigger = self.trigger
        candidates = set(trigger.touched).union(*(trigger.stored.get(ward, set()) for ward in self.wards))
        for key in sorted(candidates):
            recipient = model.recipient(key)
            if recipient is None or recipient.contactability is None or self.wards.isdisjoint(recipient.wards):
                continue
            if not self.anonymous and not trigger.identity.get(key, key in trigger.stored_identity):
                continue
            model.decide(self.notice.to(key, KIND))


@register
@dataclass(slots=True)
class SurveysTrigger(Trigger):
    """Invitations to a published survey's audience (module docstring)."""

    # This batch: consents to answer under one's identity, in log order;
    # the people whose settings changed; the subscribers of the audiences'
    # wards and those of them who consented, as last written.
    identity: dict[str, bool] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    stored: dict[str, set[str]] = field(default_factory=dict)
    stored_identity: set[str] = field(default_factory=set)

    def schema(self) -> Sequence[str]:
        return (f"CREATE TABLE IF NOT EXISTS {SURVEY_IDENTITY} (subject_key TEXT PRIMARY KEY)",)

    def apply(self, change: Change) -> None:
        aggregate = change.case
        context = self.model.context
        if isinstance(aggregate, Survey) and change.event_name == "Published":
            self._published(change, aggregate)
        elif isinstance(aggregate, Contactability) and aggregate.subject is not None:
            self.touched.add(context.subject_key(aggregate.subject) or "")
        elif (
            isinstance(aggregate, Consent)
            and aggregate.purpose is Purpose.SURVEY_IDENTITY
            and aggregate.subject is not None
        ):
            key = context.subject_key(aggregate.subject) or ""
            self.model.add_step(Remember(self.identity, key, aggregate.is_given))

    def _published(self, change: Change, survey: Survey) -> None:
        directory = self.model.context.directory
        agency = directory.get_agency(survey.agency or "")
        wards = survey.audience or (agency.wards if agency is not None else ()) or tuple(directory.wards)
        params = {
            "code": survey.code,
            "title": survey.title,
            "anonymous": survey.anonymous,
            "closes_at": None if survey.closes_at is None else survey.closes_at.isoformat(),
            "link": f"/surveys/{survey.code}",
        }
        notice = Notice.about(change, survey, KIND, params)
        self.model.add_step(Invitation(self, frozenset(wards), survey.anonymous, notice))

    def wanted(self, steps: Sequence[Any]) -> list[str]:
        wards = sorted({ward for step in steps if isinstance(step, Invitation) for ward in step.wards})
        self.stored = {ward: set() for ward in wards}
        self.stored_identity = set()
        for start in range(0, len(wards), 500):
            chunk = wards[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.model.database.query(
                f"SELECT ward, subject_key FROM {ALERT_WARDS} WHERE ward IN ({marks})", chunk
            ):
                self.stored[row["ward"]].add(row["subject_key"])
        keys = sorted(set().union(*self.stored.values()) | self.touched)
        if any(isinstance(step, Invitation) and not step.anonymous for step in steps):
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                self.stored_identity.update(
                    row["subject_key"]
                    for row in self.model.database.query(
                        f"SELECT subject_key FROM {SURVEY_IDENTITY} WHERE subject_key IN ({marks})", chunk
                    )
                )
        return keys

    def flush(self, cursor: Cursor) -> None:
        cursor.executemany(
            f"DELETE FROM {SURVEY_IDENTITY} WHERE subject_key = ?",
            [(key,) for key, given in self.identity.items() if not given],
        )
        cursor.executemany(
            f"INSERT INTO {SURVEY_IDENTITY} (subject_key) VALUES (?) ON CONFLICT (subject_key) DO NOTHING",
            [(key,) for key, given in self.identity.items() if given],
        )
        self.discard()

    def discard(self) -> None:
        self.identity = {}
        self.touched = set()
        self.stored = {}
        self.stored_identity = set()

    def forget(self, key: str) -> None:
        self.identity[key] = False

    def rows(self) -> list[Row]:
        query = f"SELECT * FROM {SURVEY_IDENTITY} ORDER BY subject_key"
        return [{"survey_identity": row} for row in self.model.database.query(query)]
