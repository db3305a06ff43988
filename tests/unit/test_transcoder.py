"""OrjsonTranscoder: exact round trips (same value *and* same type, all the way
down), the tag format, errors for what it cannot store, and use inside an
``eventsourcing`` application."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum, Flag, IntEnum, StrEnum, auto
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

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
U1 = UUID("6f1c1c4e-3b8a-4d3e-9a55-0c1d2e3f4a5b")
U2 = UUID("00000000-0000-4000-8000-000000000001")


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Colour(Enum):
    RED = "red"
    GREEN = (0, 255, 0)


class Perm(Flag):
    READ = auto()
    WRITE = auto()


class Shape(Enum):
    """Unhashable member values are legal Enum values too."""

    SQUARE = [1, 1]  # noqa: RUF012 (an Enum member, not a class attribute default)
    LINE = [1, 0]  # noqa: RUF012


@dataclass(frozen=True, slots=True)
class Everything:
    """A registered dataclass whose fields hold every supported type."""

    uuid: UUID
    at: datetime
    naive: datetime
    day: date
    clock_time: time
    span: timedelta
    amount: Decimal
    pair: tuple[int, str]
    items: list[Any]
    mapping: dict[str, Any]
    tags: frozenset[str]
    blob: bytes
    role: Role
    level: Level
    rule: DeadlineRule
    nothing: None = None


@dataclass
class Derived:
    """A mutable dataclass with a field computed in __post_init__."""

    base: int
    doubled: int = field(init=False)

    def __post_init__(self) -> None:
        self.doubled = self.base * 2


TEST_TYPES: dict[str, type] = {
    **VALUE_TYPES,
    "level": Level,
    "colour": Colour,
    "perm": Perm,
    "shape": Shape,
    "everything": Everything,
    "derived": Derived,
}


def assert_same(actual: Any, expected: Any) -> None:
    """Equal value and identical type, recursively; aware datetimes and times
    must also keep their UTC offset (== alone compares instants)."""
    assert type(actual) is type(expected), f"{actual!r}: {type(actual)} is not {type(expected)}"
    if isinstance(expected, list | tuple):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same(a, e)
    elif isinstance(expected, dict):
        assert list(actual) == list(expected)
        for k in expected:
            assert type(k) is str
            assert_same(actual[k], expected[k])
    elif isinstance(expected, set | frozenset):
        # Equal sets whose elements keep their types: match each to its twin.
        assert actual == expected
        twins = {e: e for e in expected}
        for a in actual:
            assert_same(a, twins[a])
    elif hasattr(type(expected), "__dataclass_fields__"):
        for name in type(expected).__dataclass_fields__:
            assert_same(getattr(actual, name), getattr(expected, name))
        assert actual == expected
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual)
    elif isinstance(expected, Decimal):
        assert str(actual) == str(expected)  # exact digits, exponent and sign; NaN too
    else:
        assert actual == expected
        if isinstance(expected, datetime | time):
            assert actual.utcoffset() == expected.utcoffset()


def short_repr(value: Any) -> str:
    """A test id that is the same in every process (pytest-xdist compares them):
    no memory addresses, no hash-ordered set contents."""
    if isinstance(value, set | frozenset):
        return f"{type(value).__name__}-of-{len(value)}"
    try:
        text = repr(value)
    except ValueError:  # ints past the 4300-digit str() limit
        text = f"<huge {type(value).__name__}>"
    return re.sub(r" at 0x[0-9a-f]+", "", text)[:60]


@pytest.fixture
def transcoder() -> OrjsonTranscoder:
    return OrjsonTranscoder(TEST_TYPES)


def round_trip(transcoder: Transcoder, obj: Any) -> Any:
    data = transcoder.encode(obj)
    assert type(data) is bytes
    return transcoder.decode(data)


SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,  # orjson's largest native int
    2**64,  # beyond: tagged
    -(2**63) - 1,
    -(10**5000),  # beyond str()'s 4300-digit limit
    0.0,
    -0.0,
    1.5,
    0.1 + 0.2,
    1e300,
    5e-324,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    "Đèn đường hỏng trên phố Hàng Bài",
    "~u",
    "\x00",
    b"",
    b"\x00\xff binary",
    U1,
    datetime(2025, 3, 14, 9, 30, 15, 123456, tzinfo=ICT),
    datetime(2025, 3, 14, 2, 30, tzinfo=UTC),
    datetime(2025, 3, 14, 9, 30),  # naive stays naive
    datetime(2025, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    date(2025, 3, 14),
    time(17, 0),
    time(17, 0, 0, 5, tzinfo=ICT),
    timedelta(0),
    timedelta(days=-1, seconds=5, microseconds=7),
    timedelta(days=10, hours=3),
    Decimal("1.10"),
    Decimal("0.00"),
    Decimal("-0"),
    Decimal("1E+3"),
    Decimal("123456789012345678901234567890.000000001"),
    Decimal("NaN"),
    Decimal("-Infinity"),
    Role.CITIZEN,
    TimeUnit.WORKING_DAYS,
    Level.HIGH,
    Colour.RED,
    Colour.GREEN,  # tuple value
    Perm.READ,
    Perm.READ | Perm.WRITE,  # a composite Flag value, not a declared member
    Shape.LINE,
]


@pytest.mark.parametrize("value", SCALARS, ids=short_repr)
def test_scalar_round_trips_exactly(transcoder: OrjsonTranscoder, value: Any) -> None:
    assert_same(round_trip(transcoder, value), value)
    # ... and as a value inside an event-like dict, where the mapper puts it.
    assert_same(round_trip(transcoder, {"v": value, "w": 1}), {"v": value, "w": 1})


@pytest.mark.parametrize(
    "value",
    [
        (),
        (1,),
        (1, "a", None, (2.5, (U1,))),
        [],
        [1, (2, 3), [4, [5]]],
        {},
        {"a": 1, "b": (1, 2), "c": {"d": [Decimal("1.10")]}},
        set(),
        {"b", "a", "c"},
        {1, "a", (1, 2)},  # mixed, unorderable: still round-trips
        frozenset(),
        frozenset({U1, U2}),
        frozenset({Role.CITIZEN, Role.ADMIN}),
        frozenset({Colour.RED, Colour.GREEN}),  # plain Enums do not sort
        (Derived(2**70), {"big": [2**64]}),  # ints past 64 bits deep inside
    ],
    ids=short_repr,
)
def test_containers_keep_their_types(transcoder: OrjsonTranscoder, value: Any) -> None:
    assert_same(round_trip(transcoder, value), value)


def test_set_of_unorderable_decimals(transcoder: OrjsonTranscoder) -> None:
    # Sorting raises InvalidOperation on NaN; the set is written unsorted.
    back = round_trip(transcoder, {Decimal("1.10"), Decimal("NaN")})
    assert type(back) is set
    assert {type(d) for d in back} == {Decimal}
    assert sorted(map(str, back)) == ["1.10", "NaN"]


def test_aware_datetime_keeps_instant_and_offset(transcoder: OrjsonTranscoder) -> None:
    at = datetime(2025, 3, 14, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    back = round_trip(transcoder, at)
    assert back == at
    assert back.utcoffset() == timedelta(hours=7)
    assert back.isoformat() == "2025-03-14T09:30:00+07:00"


def test_value_types_round_trip(transcoder: OrjsonTranscoder) -> None:
    started = datetime(2025, 3, 14, 9, 30, tzinfo=ICT)
    values: list[Any] = [
        Principal(subject="vneid:1", role=Role.OFFICER, agency="so-xay-dung"),
        Principal(subject="vneid:2", role=Role.CITIZEN),
        Clock(
            started_at=started,
            rule=DeadlineRule(10, TimeUnit.CALENDAR_DAYS, "Luật Khiếu nại 2011, Điều 27"),
            extension=5,
            paused_at=started + timedelta(days=1),
        ),
        Location(ward="Tràng Tiền", latitude=21.0245, longitude=105.8532),
        Contact(email="a@example.vn"),
        Priority.URGENT,
        Channel.OPEN311,
    ]
    for value in values:
        assert_same(round_trip(transcoder, value), value)


def test_nested_dataclass_with_every_type(transcoder: OrjsonTranscoder) -> None:
    value = Everything(
        uuid=U1,
        at=datetime(2025, 1, 1, 8, 0, tzinfo=ICT),
        naive=datetime(2025, 1, 1, 8, 0),
        day=date(2025, 1, 1),
        clock_time=time(8, 0, tzinfo=UTC),
        span=timedelta(hours=1),
        amount=Decimal("1.10"),
        pair=(1, "x"),
        items=[Role.LEADER, (U2, Level.LOW), {"k": b"\x01"}, {"~u": "not a uuid"}],
        mapping={"nested": {"deeper": (Decimal("2.50"), frozenset({1, 2}))}, "f": float("inf")},
        tags=frozenset({"a", "b"}),
        blob=b"\xde\xad",
        role=Role.AUDITOR,
        level=Level.HIGH,
        rule=DeadlineRule(3, TimeUnit.WORKING_HOURS, "QĐ 1207/QĐ-UBND"),
    )
    state = {"timestamp": datetime.now(UTC), "originator_topic": "x:Y", "payload": (value, [value])}
    assert_same(round_trip(transcoder, state), state)


def test_dataclass_init_false_field_is_recomputed(transcoder: OrjsonTranscoder) -> None:
    data = transcoder.encode(Derived(21))
    assert orjson.loads(data) == {"~derived": {"base": 21}}
    assert_same(transcoder.decode(data), Derived(21))


def test_tag_format_is_compact_and_stable(transcoder: OrjsonTranscoder) -> None:
    state = {
        "t": (1, U2),
        "at": datetime(2025, 3, 14, 9, 30, tzinfo=ICT),
        "d": date(2025, 3, 14),
        "n": Decimal("1.10"),
        "r": Role.CITIZEN,
        "p": Principal("s", Role.ADMIN),
        "plain": [1, "a", None, True, 1.5],
    }
    assert transcoder.encode(state) == (
        b'{"t":{"~t":[1,{"~u":"00000000000040008000000000000001"}]},'
        b'"at":{"~D":"2025-03-14T09:30:00+07:00"},"d":{"~d":"2025-03-14"},"n":{"~n":"1.10"},'
        b'"r":{"~role":"citizen"},"p":{"~principal":{"subject":"s","role":{"~role":"admin"},"agency":null}},'
        b'"plain":[1,"a",null,true,1.5]}'
    )


@pytest.mark.parametrize(
    "value",
    [
        {"_type_": "uuid_hex", "_data_": "6f1c1c4e3b8a4d3e9a550c1d2e3f4a5b"},  # JSONTranscoder's tags
        {"~u": "6f1c1c4e3b8a4d3e9a550c1d2e3f4a5b"},
        {"~t": [1, 2]},
        {"~role": "citizen"},
        {"~m": {"~u": "x"}},
        {"~": None},
        {"~nope": 1},
        {"~u": "x", "other": 1},  # two keys: never a tag, written as is
        [{"~D": "2025-01-01"}, ({"~n": "1"},)],
        Everything(
            uuid=U1,
            at=datetime(2025, 1, 1, tzinfo=UTC),
            naive=datetime(2025, 1, 1),
            day=date(2025, 1, 1),
            clock_time=time(),
            span=timedelta(),
            amount=Decimal(0),
            pair=(0, ""),
            items=[],
            mapping={"~principal": {"subject": "s", "role": "admin"}},
            tags=frozenset(),
            blob=b"",
            role=Role.ADMIN,
            level=Level.LOW,
            rule=DeadlineRule(1, TimeUnit.WORKING_DAYS, ""),
        ),
    ],
    ids=short_repr,
)
def test_dicts_that_look_like_tags_round_trip(transcoder: OrjsonTranscoder, value: Any) -> None:
    assert_same(round_trip(transcoder, value), value)


def test_look_alike_dict_is_escaped(transcoder: OrjsonTranscoder) -> None:
    assert transcoder.encode({"~u": "x"}) == b'{"~m":{"~u":"x"}}'
    assert transcoder.encode({"~m": {"~u": "x"}}) == b'{"~m":{"~m":{"~m":{"~u":"x"}}}}'
    assert transcoder.encode({"_type_": "x", "_data_": 1}) == b'{"_type_":"x","_data_":1}'


def test_encode_does_not_change_its_input(transcoder: OrjsonTranscoder) -> None:
    state = {"a": [(1, 2)], "b": {"~u": "x"}, "c": {"d": U1}}
    before = repr(state)
    transcoder.encode(state)
    assert repr(state) == before


def test_sets_encode_sorted_so_bytes_do_not_depend_on_hash_order(transcoder: OrjsonTranscoder) -> None:
    assert transcoder.encode({"c", "a", "b"}) == b'{"~s":["a","b","c"]}'
    assert transcoder.encode(frozenset({3, 1, 2})) == b'{"~f":[1,2,3]}'


class Unregistered:
    pass


class LooseEnum(StrEnum):
    A = "a"


@dataclass(frozen=True)
class LooseData:
    x: int


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (Unregistered(), "Unregistered"),
        (LooseEnum.A, "LooseEnum"),  # a str subclass must not pass as a str
        (LooseData(1), "LooseData"),
        ({"deep": [(1, Unregistered())]}, "Unregistered"),
        (bytearray(b"x"), "bytearray"),
        ({1: "int key"}, "int"),
        ({LooseEnum.A: "str-subclass key"}, "LooseEnum"),
        ({Role.CITIZEN: "registered enum as key"}, "Role"),
    ],
    ids=short_repr,
)
def test_unsupported_values_raise_naming_the_type(transcoder: OrjsonTranscoder, value: Any, type_name: str) -> None:
    with pytest.raises(TranscodingNotRegisteredError, match=type_name):
        transcoder.encode(value)


def test_unencodable_str_raises_rather_than_mangles(transcoder: OrjsonTranscoder) -> None:
    with pytest.raises(TypeError, match="surrogates"):
        transcoder.encode({"s": "lone \ud800 surrogate"})


def test_unknown_stored_tag_raises_naming_it(transcoder: OrjsonTranscoder) -> None:
    data = transcoder.encode({"who": Principal("s", Role.CITIZEN)})
    with pytest.raises(TranscodingNotRegisteredError, match="principal"):
        OrjsonTranscoder().decode(data)


def test_register_validates(transcoder: OrjsonTranscoder) -> None:
    transcoder.register("role", Role)  # same pair again: fine
    with pytest.raises(ValueError, match="already registered"):
        transcoder.register("role", Level)
    with pytest.raises(ValueError, match="already registered"):
        transcoder.register("role2", Role)
    with pytest.raises(ValueError, match="2 characters"):
        OrjsonTranscoder().register("r", Role)  # one-character keys are built-in tags
    with pytest.raises(TypeError, match="Enum subclasses and dataclasses"):
        OrjsonTranscoder().register("unregistered", Unregistered)
    with pytest.raises(TypeError, match="Enum subclasses and dataclasses"):
        OrjsonTranscoder().register("instance", LooseData(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Enum subclasses and dataclasses"):
        OrjsonTranscoder().register("unhashable", Derived(1))  # type: ignore[arg-type]


def test_registration_after_construction() -> None:
    transcoder = OrjsonTranscoder()
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.encode(LooseData(1))
    transcoder.register("loose_data", LooseData)
    transcoder.register("loose_enum", LooseEnum)
    assert_same(round_trip(transcoder, (LooseData(1), LooseEnum.A)), (LooseData(1), LooseEnum.A))


def test_default_json_transcoder_loses_tuples_and_str_enums() -> None:
    """Why this module exists: the library's transcoder reads back a list and a
    plain str, silently (a StrEnum member *is* a str, so no transcoding is asked)."""
    default = JSONTranscoder()
    default.register(UUIDAsHex())
    default.register(DecimalAsStr())
    default.register(DatetimeAsISO())
    state = {"tags": ("a", "b"), "role": Role.CITIZEN, "level": Level.HIGH}

    back = default.decode(default.encode(state))
    assert back == {"tags": ["a", "b"], "role": "citizen", "level": 2}
    # The enums even compare equal to what came back, so nothing fails loudly;
    # the types are simply gone.
    assert back["role"] == Role.CITIZEN
    assert type(back["tags"]) is list
    assert type(back["role"]) is str
    assert type(back["level"]) is int

    ours = OrjsonTranscoder(TEST_TYPES)
    assert_same(round_trip(ours, state), state)


# End to end inside an eventsourcing application.


class Ticket(Aggregate):
    @event("Filed")
    def __init__(
        self,
        tags: tuple[str, ...],
        priority: Priority,
        fee: Decimal,
        filed_on: date,
        due_at: datetime,
        clock: Clock,
    ) -> None:
        self.tags = tags
        self.priority = priority
        self.fee = fee
        self.filed_on = filed_on
        self.due_at = due_at
        self.clock = clock


class Tickets(Application[UUID]):
    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder(VALUE_TYPES)


def test_events_keep_their_types_through_an_application(tmp_path: Path) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "t.db")}
    clock = Clock(
        started_at=datetime(2025, 3, 14, 9, 30, tzinfo=ICT),
        rule=DeadlineRule(10, TimeUnit.WORKING_DAYS, "QĐ 1207/QĐ-UBND"),
    )
    app = Tickets(env=env)
    assert isinstance(app.mapper.transcoder, OrjsonTranscoder)
    ticket = Ticket(
        tags=("chiếu sáng", "giao thông"),
        priority=Priority.URGENT,
        fee=Decimal("1.10"),
        filed_on=date(2025, 3, 14),
        due_at=datetime(2025, 3, 28, 17, 0, tzinfo=ICT),
        clock=clock,
    )
    app.save(ticket)
    app.close()

    # A fresh application over the same database: nothing comes from memory.
    fresh = Tickets(env=env)
    try:
        reloaded: Ticket = fresh.repository.get(ticket.id)
        (stored,) = fresh.recorder.select_events(ticket.id)
    finally:
        fresh.close()
    assert b'"tags":{"~t":["chi' in stored.state
    assert isinstance(reloaded, Ticket)
    assert_same(reloaded.tags, ("chiếu sáng", "giao thông"))
    assert_same(reloaded.priority, Priority.URGENT)
    assert_same(reloaded.fee, Decimal("1.10"))
    assert_same(reloaded.filed_on, date(2025, 3, 14))
    assert_same(reloaded.due_at, datetime(2025, 3, 28, 17, 0, tzinfo=ICT))
    assert_same(reloaded.clock, clock)
    assert_same(reloaded.created_on, ticket.created_on)
    assert reloaded.version == ticket.version
