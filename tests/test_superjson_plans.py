"""Encoding plans (app/superjson_plans.py) send exactly what the generic superjson walk sends.

Each comparison encodes one value both ways: through `superjson.encode`/`plain` (which use a
plan when the value's type has one) and through the walk alone (`superjson.encode_by_walking`,
`superjson._walk`).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, Literal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import superjson
from app.superjson_plans import NoPlan, encode_planned


def assert_same_both_ways(value: Any) -> None:
    assert superjson.encode(value) == superjson.encode_by_walking(value)
    assert superjson.plain(value) == superjson._walk(value, None)


class Colour(Enum):
    RED = "red"


class Author(msgspec.Struct, frozen=True):
    name: str
    joined: datetime
    left: datetime | None = None


class Message(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    author: Author
    sentAt: datetime
    score: float
    weight: float | None = None
    kind: Literal["public", "note"] = "public"
    colour: Colour = Colour.RED
    day: date = date(2026, 12, 4)
    tags: list[str] = []
    reads: list[datetime] = []
    byName: dict[str, Author] = {}
    edited: datetime | msgspec.UnsetType = msgspec.UNSET
    renamed: int = msgspec.field(default=0, name="re.named")


class Thread(msgspec.Struct, frozen=True):
    messages: list[Message]
    count: int


class Free(msgspec.Struct):
    anything: Any


moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
optional_moments = st.none() | moments
floats = st.floats(allow_nan=True, allow_infinity=True)
authors = st.builds(Author, name=st.text(max_size=5), joined=moments, left=optional_moments)
messages = st.builds(
    Message,
    id=st.uuids(),
    author=authors,
    sentAt=moments,
    score=floats,
    weight=st.none() | floats,
    reads=st.lists(moments, max_size=3),
    byName=st.dictionaries(st.text(max_size=4), authors, max_size=3),  # keys with "." and "\\" need escaping
    edited=st.just(msgspec.UNSET) | moments,
    renamed=st.integers(),
)


@given(st.builds(Thread, messages=st.lists(messages, max_size=3), count=st.integers()))
def test_nested_structs_lists_dicts_and_optionals_match_the_walk(thread: Thread) -> None:
    assert_same_both_ways(thread)


@given(st.lists(messages, min_size=1, max_size=3))
def test_a_list_of_structs_at_the_root_matches_the_walk(items: list[Message]) -> None:
    assert_same_both_ways(items)


def test_dates_and_special_numbers_are_annotated_where_the_walk_annotates_them() -> None:
    moment = datetime(2026, 12, 4, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    author = Author(name="Ana", joined=moment)
    message = Message(id=uuid.UUID(int=1), author=author, sentAt=moment, score=math.inf, byName={"a.b": author})
    encoded = superjson.encode(message)
    assert encoded["json"]["sentAt"] == "2026-12-04T16:00:00.123Z"
    assert encoded["json"]["score"] == "Infinity"
    assert encoded["meta"]["values"] == {
        "author.joined": ["Date"],
        "sentAt": ["Date"],
        "score": ["number"],
        "byName.a\\.b.joined": ["Date"],
    }
    assert "edited" not in encoded["json"]  # UNSET is left out, as the walk leaves it out
    assert superjson.plain(message)["score"] is None
    assert_same_both_ways(message)


def test_a_struct_without_special_fields_is_sent_as_msgspec_builds_it() -> None:
    class Sum(msgspec.Struct):
        sum: int

    assert superjson.encode(Sum(3)) == {"json": {"sum": 3}}


def test_free_form_fields_are_walked_where_they_stand() -> None:
    # A free-form field may hold anything, a date or a special number among it: the walk finds
    # them there, and the rest of the Struct keeps its plan.
    value = Free(anything={"at": datetime(2026, 1, 1, tzinfo=UTC), "n": [math.nan], "a.b": {1, 2}})
    encoded = superjson.encode(value)
    assert encoded["meta"] == {"values": {"anything.at": ["Date"], "anything.n.0": ["number"]}, "v": 1}
    assert_same_both_ways(value)
    assert_same_both_ways(Free(anything=datetime(2026, 1, 1, tzinfo=UTC)))


def test_types_a_plan_cannot_describe_use_the_walk() -> None:
    class Pair(msgspec.Struct, array_like=True):  # a list on the wire
        at: datetime
        n: float

    with pytest.raises(NoPlan):
        encode_planned(Pair(datetime(2026, 1, 1, tzinfo=UTC), math.nan), {})
    assert_same_both_ways(Pair(datetime(2026, 1, 1, tzinfo=UTC), math.nan))


def test_a_value_that_does_not_match_its_declared_type_falls_back_to_the_walk() -> None:
    # Structs do not check their fields when built: a plan must not trust a wrong one.
    lying = Author(name="x", joined="2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(NoPlan):
        encode_planned(lying, {})
    assert_same_both_ways(lying)


def test_mixed_lists_at_the_root_use_the_walk() -> None:
    mixed = [Author(name="x", joined=datetime(2026, 1, 1, tzinfo=UTC)), {"at": datetime(2026, 1, 2, tzinfo=UTC)}]
    assert_same_both_ways(mixed)


def test_every_procedure_output_type_has_a_plan_or_is_known_not_to() -> None:
    """Most answers are Structs: each either has a plan or is one of the few that need the walk,
    so a change that silently moves the common answers back to the walk is noticed."""
    from app.registry import load_procedures
    from app.superjson_plans import _plan_of

    planned, walked_types = [], []
    for procedure in load_procedures().values():
        kind = procedure.output_type
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            try:
                _plan_of(kind)
                planned.append(procedure.path)
            except NoPlan:
                walked_types.append(procedure.path)
    assert {"system.status", "tickets.list", "tickets.get", "ai.getTokenUsage"} <= set(planned)
    assert len(walked_types) <= 2, walked_types


def test_a_subclass_with_more_fields_in_a_struct_field_is_sent_whole() -> None:
    # A field typed Author may hold a subclass whose own fields the Author plan does not know.
    class Moderator(Author, frozen=True):
        promoted: datetime = datetime(2026, 2, 2, 12, 0, 0, 987654, tzinfo=UTC)

    class Post(msgspec.Struct):
        by: Author
        seen: list[Author]

    moderator = Moderator(name="m", joined=datetime(2026, 1, 1, tzinfo=UTC))
    post = Post(by=moderator, seen=[moderator])
    encoded = superjson.encode(post)
    assert encoded["json"]["by"]["promoted"] == "2026-02-02T12:00:00.987Z"
    assert encoded["meta"]["values"]["by.promoted"] == ["Date"]
    assert_same_both_ways(post)


def test_sets_of_dates_and_numbers_and_dates_in_date_fields_match_the_walk() -> None:
    class Calendar(msgspec.Struct):
        busy: frozenset[datetime]
        scores: set[float]
        day: date
        maybe_day: date | None = None

    moments = frozenset({datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)})
    assert_same_both_ways(Calendar(busy=moments, scores={math.nan, 1.5}, day=date(2026, 12, 4)))
    # A datetime in a date field (datetime is a date): sent as the walk sends it.
    assert_same_both_ways(Calendar(busy=frozenset(), scores=set(), day=datetime(2026, 12, 4, 8, tzinfo=UTC)))


def test_a_struct_whose_types_cannot_be_resolved_is_still_sent() -> None:
    class Unresolved(msgspec.Struct):
        at: datetime
        other: "NotDefinedAnywhere"  # type: ignore[name-defined]  # noqa: F821

    value = Unresolved(at=datetime(2026, 1, 1, tzinfo=UTC), other=3)
    with pytest.raises(NoPlan):
        encode_planned(value, {})
    assert superjson.encode(value)["meta"] == {"values": {"at": ["Date"]}, "v": 1}
