"""The mapper between stored events and domain events, with per-topic work done once.

``eventsourcing``'s ``Mapper.to_domain_event`` resolves the topic, looks up the
id converter and reads the class version for every event it decodes. Replaying
the log (projections, audit, time travel) decodes every event, so this mapper
keeps, per topic, the class, its version and the id converter, and otherwise
does exactly what the library does: decrypt, decompress, decode, convert the
originator id, upcast, build the event without calling ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, find_id_convertor
from eventsourcing.utils import resolve_topic

_new = object.__new__
_set = object.__setattr__


class IhanoiMapper(Mapper[UUID]):
    """``Mapper`` with a per-topic cache on the decoding path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._topics: dict[tuple[str, type], tuple[type, int, Callable[[Any], Any]]] = {}

    def _topic(self, topic: str, id_type: type) -> tuple[type, int, Callable[[Any], Any]]:
        cls = resolve_topic(topic)
        found = (cls, getattr(cls, "class_version", 1), find_id_convertor(cls, cast(Hashable, id_type)))
        self._topics[(topic, id_type)] = found
        return found

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        topic = stored_event.topic
        originator_id = stored_event.originator_id
        known = self._topics.get((topic, type(originator_id)))
        cls, class_version, convert_id = known or self._topic(topic, type(originator_id))
        state = stored_event.state
        try:
            if self.cipher:
                state = self.cipher.decrypt(state)
            if self.compressor:
                state = self.compressor.decompress(state)
            event_state: dict[str, Any] = self.transcoder.decode(state)
        except Exception as e:
            msg = (
                f"Failed to deserialise state of stored event with topic '{topic}', "
                f"originator_id '{originator_id}' and originator_version {stored_event.originator_version}: {e}"
            )
            raise MapperDeserialisationError(msg) from e
        event_state["originator_id"] = convert_id(originator_id)
        event_state["originator_version"] = stored_event.originator_version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        event: Any = _new(cls)
        _set(event, "__dict__", event_state)
        return cast("DomainEventProtocol[UUID]", event)
