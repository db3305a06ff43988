"""Reports and grievances keep the topics their events have always been stored
under, although some of their steps are written in mixins (``report_exits``,
``report_public``, ``grievance_steps``): each body is declared on the
aggregate. The topics are spelt out here, not derived from the classes: they
are what stores hold. (Dossiers: ``tests/integration/test_service_request_topics.py``.)"""

from __future__ import annotations

import inspect

import pytest
from eventsourcing.domain import Aggregate, CommandMethodDecorator
from eventsourcing.utils import get_topic, resolve_topic

from ihanoi_core.domain.grievance import Grievance
from ihanoi_core.domain.grievance_steps import GrievanceSteps
from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_exits import ReportExits
from ihanoi_core.domain.report_public import ReportPublicSide

MIXINS: dict[type, tuple[type, ...]] = {Report: (ReportExits, ReportPublicSide), Grievance: (GrievanceSteps,)}
MOVED: dict[type, dict[str, str]] = {
    Report: {
        "_reject": "Rejected", "_mark_duplicate": "MarkedDuplicate", "_transfer": "Transferred",
        "_declare_not_responsible": "DeclaredNotResponsible", "_attach_photo": "PhotoAttached",
        "_hide_photo": "PhotoHidden", "_support": "Supported", "_rate": "Rated",
    },
    Grievance: {
        "_forward": "Forwarded", "_extend_preliminary_check": "PreliminaryCheckExtended",
        "_start_verification": "VerificationStarted", "_hold_dialogue": "DialogueHeld", "_extend": "Extended",
    },
}  # fmt: skip
MODULES: dict[type, str] = {
    Report: "ihanoi_core.domain.report:Report",
    Grievance: "ihanoi_core.domain.grievance:Grievance",
}


@pytest.mark.parametrize("aggregate", [Report, Grievance])
def test_every_event_body_of_the_mixins_is_an_event_of_the_aggregate_under_its_stored_topic(aggregate: type) -> None:
    bodies = {
        name
        for mixin in MIXINS[aggregate]
        for name, value in vars(mixin).items()
        if name.startswith("_") and inspect.isfunction(value)
        and {"actor", "timestamp"} <= set(inspect.signature(value).parameters)
    }  # fmt: skip
    assert bodies == set(MOVED[aggregate])
    for body, event_name in MOVED[aggregate].items():
        declaration = vars(aggregate)[body]
        assert isinstance(declaration, CommandMethodDecorator)
        given = declaration.given_event_cls
        assert (given.__name__ if given else declaration.event_cls_name) == event_name
        topic = f"{MODULES[aggregate]}.{event_name}"
        assert get_topic(getattr(aggregate, event_name)) == topic
        assert resolve_topic(topic) is getattr(aggregate, event_name)


def test_the_mixins_are_plain_classes_that_declare_no_event_of_their_own() -> None:
    for mixin in (mixin for mixins in MIXINS.values() for mixin in mixins):
        assert not issubclass(mixin, Aggregate)
        assert not [name for name, value in vars(mixin).items() if isinstance(value, (type, CommandMethodDecorator))]
