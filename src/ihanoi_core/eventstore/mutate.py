"""Applying stored events to aggregates, fast.

Replaying the log is what projections, time travel and cache misses spend
their time on. ``eventsourcing`` applies an ``@event`` method's event by
looking up the decorated function, filtering the event's attributes by the
function's parameters (a dict comprehension over every attribute) and binding
the method, for every event. ``apply_event`` does the same work with a plan made
once per event class: the function and the parameter names it takes.

Only the library's standard path gets a plan: an event class whose ``mutate``
or ``apply`` is overridden anywhere, and every creation event, goes through
``event.mutate`` as before. An event that does not follow its aggregate (wrong
id or version) also takes the library's path, which raises its usual errors.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from eventsourcing.domain import CanMutateAggregate, DecoratedFuncCaller, decorated_funcs

_Plan = Callable[[Any, Any], Any]
_plans: dict[type, _Plan] = {}


def apply_event(event: Any, aggregate: Any) -> Any:
    """``event.mutate(aggregate)``: the aggregate after the event."""
    plan = _plans.get(type(event))
    if plan is None:
        plan = _plans[type(event)] = _plan(type(event))
    return plan(event, aggregate)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply stored events in order, starting from nothing or a snapshot."""
    for domain_event in events:
        aggregate = apply_event(domain_event, aggregate)
    return aggregate


def _library(event: Any, aggregate: Any) -> Any:
    return event.mutate(aggregate)


def _plan(cls: type) -> _Plan:
    standard = (
        issubclass(cls, DecoratedFuncCaller)
        and cls.mutate is CanMutateAggregate.mutate
        and cls.apply is DecoratedFuncCaller.apply
        and cls in decorated_funcs
    )
    if not standard:
        return _library
    # Bypass (internal ``decorated_funcs``): a plan per event class; no `make bench` figure recorded yet.
    function = decorated_funcs[cls]
    names = tuple(inspect.signature(function).parameters)

    def mutate(event: Any, aggregate: Any) -> Any:
        state = event.__dict__
        version = state["originator_version"]
        if aggregate is None or version != aggregate.version + 1 or state["originator_id"] != aggregate.id:
            return event.mutate(aggregate)
        function(aggregate, **{name: state[name] for name in names if name in state})
        aggregate.version = version
        aggregate.modified_on = state["timestamp"]
        return aggregate

    return mutate
