"""Encode+decode throughput of OrjsonTranscoder vs eventsourcing's JSONTranscoder.

Run: ``.venv/bin/python benchmarks/bench_transcoder.py``. Takes a few seconds.

The payload is what ``Mapper.to_stored_event`` hands the transcoder for a typical
"case filed" event: the event's attributes minus originator id/version, i.e.
``timestamp``, ``originator_topic`` and the domain fields. The JSONTranscoder gets
the library's default transcodings plus the ones this payload needs, so both sides
can encode it; note that only ours gives the same types back (checked below).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoder,
    Transcoding,
    UUIDAsHex,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ihanoi_core.domain.values import (
    VALUE_TYPES,
    Channel,
    Clock,
    Contact,
    DeadlineRule,
    Location,
    Principal,
    Priority,
    Role,
    TimeUnit,
)
from ihanoi_core.eventstore.transcoder import OrjsonTranscoder

ICT = timezone(timedelta(hours=7))


def event_state() -> dict[str, Any]:
    """A realistic event state dict: 16 fields, nested dataclasses, datetimes,
    UUIDs, tuples, enums, a Decimal and Vietnamese text."""
    now = datetime(2025, 3, 14, 2, 30, 15, 123456, tzinfo=UTC)
    return {
        "timestamp": now,
        "originator_topic": "ihanoi_core.domain.report:Report",
        "actor": Principal(subject="vneid:001234567890", role=Role.CITIZEN),
        "code": "HN-2025-000123",
        "title": "Đèn đường hỏng trên phố Hàng Bài",
        "description": "Ba cột đèn liên tiếp không sáng từ tối qua, đoạn trước số 24.",
        "category_id": uuid4(),
        "assignee_agency": uuid4(),
        "attachment_ids": (uuid4(), uuid4()),
        "tags": ("chiếu sáng", "giao thông"),
        "priority": Priority.NORMAL,
        "channel": Channel.APP,
        "location": Location(ward="Tràng Tiền", latitude=21.0245, longitude=105.8532, address="24 Hàng Bài"),
        "contact": Contact(name="Nguyễn Văn A", phone="0912345678"),
        "clock": Clock(
            started_at=now.astimezone(ICT),
            rule=DeadlineRule(amount=10, unit=TimeUnit.WORKING_DAYS, legal_basis="QĐ 1207/QĐ-UBND"),
        ),
        "due_at": datetime(2025, 3, 28, 17, 0, tzinfo=ICT),
        "fee": Decimal("0.00"),
        "filed_on": date(2025, 3, 14),
    }


def json_transcoder() -> JSONTranscoder:
    """The library's transcoder with its defaults plus what this payload needs."""
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())

    class DateAsISO(Transcoding):
        type = date
        name = "date_iso"

        def encode(self, obj: date) -> str:
            return obj.isoformat()

        def decode(self, data: str) -> date:
            return date.fromisoformat(data)

    transcoder.register(DateAsISO())
    for name, cls in VALUE_TYPES.items():
        transcoder.register(_value_transcoding(name, cls))
    return transcoder


def _value_transcoding(name: str, cls: type) -> Transcoding:
    # The usual hand-written style: enums by value, dataclasses by their fields
    # (nested values are encoded by the JSON encoder's default hook afterwards).
    if issubclass(cls, Enum):
        enum_cls: type[Enum] = cls

        class EnumTranscoding(Transcoding):
            type = enum_cls

            def encode(self, obj: Enum) -> Any:
                return obj.value

            def decode(self, data: Any) -> Enum:
                return enum_cls(data)

        EnumTranscoding.name = name
        return EnumTranscoding()

    fields = tuple(f.name for f in dataclasses.fields(cast(Any, cls)))

    class DataclassTranscoding(Transcoding):
        type = cls

        def encode(self, obj: Any) -> dict[str, Any]:
            return {f: getattr(obj, f) for f in fields}

        def decode(self, data: dict[str, Any]) -> Any:
            return cls(**data)

    DataclassTranscoding.name = name
    return DataclassTranscoding()


def _round_trip(transcoder: Transcoder, state: dict[str, Any]) -> Any:
    return transcoder.decode(transcoder.encode(state))


def measure(
    transcoders: dict[str, Transcoder], state: dict[str, Any], budget: float = 4.0
) -> dict[tuple[str, str], float]:
    """Ops/s per transcoder and operation: the best of many short timed batches.

    Batches of all transcoders and operations are interleaved and the best one
    counts, because a shared or throttled CPU makes single long runs swing by
    2x; the best batch is the closest to the code's own cost. ``budget`` bounds
    the total time in seconds.
    """
    ops: dict[tuple[str, str], Callable[[], Any]] = {}
    for name, t in transcoders.items():
        data = t.encode(state)
        ops[name, "encode"] = partial(t.encode, state)
        ops[name, "decode"] = partial(t.decode, data)
        ops[name, "encode+decode"] = partial(_round_trip, t, state)
    best = dict.fromkeys(ops, 0.0)
    batch = 200
    end = time.perf_counter() + budget
    while time.perf_counter() < end:
        for key, op in ops.items():
            start = time.perf_counter()
            for _ in range(batch):
                op()
            best[key] = max(best[key], batch / (time.perf_counter() - start))
    return best


def main() -> None:
    state = event_state()
    ours = OrjsonTranscoder(VALUE_TYPES)
    theirs = json_transcoder()

    assert ours.decode(ours.encode(state)) == state
    back = theirs.decode(theirs.encode(state))
    lost = sorted(k for k, v in state.items() if type(back[k]) is not type(v))

    best = measure({"OrjsonTranscoder": ours, "JSONTranscoder": theirs}, state)
    sizes = {"OrjsonTranscoder": len(ours.encode(state)), "JSONTranscoder": len(theirs.encode(state))}
    columns = ("encode", "decode", "encode+decode")

    print(f"payload: {len(state)} fields; ops/s, best batch (Python {sys.version.split()[0]})")
    print(f"{'':18}" + "".join(f"{c:>15}" for c in columns) + f"{'bytes':>8}")
    for name, size in sizes.items():
        print(f"{name:18}" + "".join(f"{best[name, c]:>15,.0f}" for c in columns) + f"{size:>8}")
    ratios = [best["OrjsonTranscoder", c] / best["JSONTranscoder", c] for c in columns]
    print(f"{'ratio':18}" + "".join(f"{r:>14.2f}x" for r in ratios))
    print(f"JSONTranscoder changed the type of: {', '.join(lost) or 'nothing'}")


if __name__ == "__main__":
    main()
