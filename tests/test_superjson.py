"""superjson: what the official client sends and reads, in both directions."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from app import superjson

dates = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
keys = st.text(min_size=0, max_size=6)  # includes "." and "\\", which paths must escape
leaves = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8) | dates
values = st.recursive(
    leaves, lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4), max_leaves=12
)


@given(values)
def test_encode_then_decode_gives_back_the_value(value: object) -> None:
    assert superjson.decode(superjson.encode(value)) == value


def test_dates_are_annotated_at_escaped_paths() -> None:
    moment = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    envelope = superjson.encode({"generatedAt": moment, "a.b": [1, moment], "x\\y": moment})
    assert envelope["json"]["generatedAt"] == "2025-01-02T03:04:05.678Z"
    assert envelope["meta"] == {
        "values": {"generatedAt": ["Date"], "a\\.b.1": ["Date"], "x\\\\y": ["Date"]},
        "v": 1,
    }


def test_a_plain_value_has_no_meta() -> None:
    assert superjson.encode({"sum": 5}) == {"json": {"sum": 5}}


def test_root_annotations_are_bare() -> None:
    assert superjson.encode(superjson.MISSING) == {"json": None, "meta": {"values": ["undefined"], "v": 1}}
    assert superjson.encode(datetime(1970, 1, 1, tzinfo=UTC))["meta"] == {"values": ["Date"], "v": 1}


def test_naive_and_offset_datetimes_are_sent_in_utc() -> None:
    eastern = datetime(2025, 1, 1, 12, 0, tzinfo=UTC).astimezone(tz=None)
    assert superjson.encode(eastern)["json"] == "2025-01-01T12:00:00.000Z"
    assert superjson.encode(datetime(2025, 1, 1, 12))["json"] == "2025-01-01T12:00:00.000Z"


def test_special_numbers_round_trip() -> None:
    envelope = superjson.encode({"a": math.inf, "b": -math.inf, "c": math.nan})
    assert envelope["json"] == {"a": "Infinity", "b": "-Infinity", "c": "NaN"}
    decoded = superjson.decode(envelope)
    assert decoded["a"] == math.inf and decoded["b"] == -math.inf and math.isnan(decoded["c"])


def test_undefined_members_are_removed_and_undefined_items_become_null() -> None:
    envelope = {
        "json": {"keep": 1, "gone": None, "list": [None, 2]},
        "meta": {"values": {"gone": ["undefined"], "list.0": ["undefined"]}, "v": 1},
    }
    assert superjson.decode(envelope) == {"keep": 1, "list": [None, 2]}


def test_what_the_client_sends_for_no_input() -> None:
    assert superjson.decode({"json": None, "meta": {"values": ["undefined"], "v": 1}}) is superjson.MISSING


def test_bigint_map_and_set_inputs() -> None:
    envelope = {
        "json": {"big": "12345678901234567890", "m": [["k", "2020-01-01T00:00:00.000Z"]], "s": [1, 2]},
        "meta": {"values": {"big": ["bigint"], "m": ["map", {"0.1": ["Date"]}], "s": ["set"]}, "v": 1},
    }
    decoded = superjson.decode(envelope)
    assert decoded["big"] == 12345678901234567890
    assert decoded["m"] == {"k": datetime(2020, 1, 1, tzinfo=UTC)}
    assert decoded["s"] == [1, 2]


def test_legacy_paths_without_version() -> None:
    envelope = {"json": {"a": {"b": "2020-01-01T00:00:00.000Z"}}, "meta": {"values": {"a.b": ["Date"]}}}
    assert superjson.decode(envelope) == {"a": {"b": datetime(2020, 1, 1, tzinfo=UTC)}}


def test_malformed_meta_is_a_clear_error() -> None:
    for envelope in (
        {"json": {"a": 1}, "meta": {"values": {"missing": ["Date"]}, "v": 1}},
        {"json": {"a": "not a date"}, "meta": {"values": {"a": ["Date"]}, "v": 1}},
        {"json": {"a": 1}, "meta": {"values": {"a": ["nonsense"]}, "v": 1}},
        {"json": [1], "meta": {"values": {"5": ["Date"]}, "v": 1}},
        {"json": 1, "meta": "x"},
    ):
        try:
            superjson.decode(envelope)
        except superjson.SuperjsonError as error:
            assert str(error)
        else:
            raise AssertionError(f"accepted {envelope}")


def test_millisecond_precision_matches_javascript_dates() -> None:
    moment = datetime(2025, 5, 5, 12, 0, 0, 999999, tzinfo=UTC)
    sent = superjson.encode(moment)["json"]
    assert sent == "2025-05-05T12:00:00.999Z"
    assert superjson.decode({"json": sent, "meta": {"values": ["Date"], "v": 1}}) == moment - timedelta(microseconds=999)


def test_dates_are_written_as_javascript_writes_them() -> None:
    """Date.toISOString(): UTC, exactly three fraction digits (cut, not rounded), "Z"."""
    def reference(value: datetime) -> str:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"

    rng = random.Random(14)
    samples = [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 999, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
        datetime(2026, 1, 1, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 5, 5, 5, 5, 5, 123_456),  # naive: taken as UTC
        datetime(2026, 5, 5, 5, 5, 5, 123_456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 5, 5, 1, 0, 0, tzinfo=timezone(timedelta(hours=-8))),
    ] + [datetime.fromtimestamp(rng.uniform(0, 4e9), UTC) for _ in range(2_000)]
    for value in samples:
        assert superjson.encode({"at": value})["json"]["at"] == reference(value), value
    assert superjson.encode(datetime(2026, 12, 4, 18, 0, 0, 5_000, tzinfo=UTC))["json"] == "2026-12-04T18:00:00.005Z"
