"""A report's events keep the topics they have always been stored under,
although the exits, photos and supports are written in mixins of ``Report``
(``report_exits``, ``report_public``): each body is declared on ``Report``.
The topics are spelt out here, not derived from the classes: they are what
stores hold."""

from __future__ import annotations

import inspect

from eventsourcing.domain import Aggregate, CommandMethodDecorator
from eventsourcing.utils import get_topic, resolve_topic

from ihanoi_core.domain.report import Report
from ihanoi_core.domain.report_exits import ReportExits
from ihanoi_core.domain.report_public import ReportPublicSide

MIXINS = (ReportExits, ReportPublicSide)
MOVED = {
    "_reject": "Rejected", "_mark_duplicate": "MarkedDuplicate", "_transfer": "Transferred",
    "_declare_not_responsible": "DeclaredNotResponsible", "_attach_photo": "PhotoAttached",
    "_hide_photo": "PhotoHidden", "_support": "Supported",
}  # fmt: skip


def test_every_event_body_of_the_mixins_is_a_report_event_under_its_stored_topic() -> None:
    bodies = {
        name
        for mixin in MIXINS
        for name, value in vars(mixin).items()
        if name.startswith("_") and inspect.isfunction(value)
        and {"actor", "timestamp"} <= set(inspect.signature(value).parameters)
    }  # fmt: skip
    assert bodies == set(MOVED)
    for body, event_name in MOVED.items():
        declaration = vars(Report)[body]
        assert isinstance(declaration, CommandMethodDecorator)
        given = declaration.given_event_cls
        assert (given.__name__ if given else declaration.event_cls_name) == event_name
        topic = f"ihanoi_core.domain.report:Report.{event_name}"
        assert get_topic(getattr(Report, event_name)) == topic
        assert resolve_topic(topic) is getattr(Report, event_name)


def test_the_mixins_are_plain_classes_that_declare_no_event_of_their_own() -> None:
    for mixin in MIXINS:
        assert not issubclass(mixin, Aggregate)
        assert not [name for name, value in vars(mixin).items() if isinstance(value, (type, CommandMethodDecorator))]
