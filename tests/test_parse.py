"""Reusing the parse of a repeated GET (app.trpc.parse.parse_get_request): when, and when not.

The wire tests show the answers a client sees; these pin the rules that keep a shared parse safe.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from app.errors import TRPCError
from app.superjson import MISSING
from app.trpc import parse
from app.trpc.parse import parse_get_request

PREFIX = "/api/trpc"
NO_INPUT = {"json": None, "meta": {"values": ["undefined"], "v": 1}}


def url(path: str, input: object = None, batch: bool = False) -> tuple[bytes, bytes]:
    query = ("batch=1&" if batch else "") + (f"input={quote(json.dumps(input))}" if input is not None else "")
    return f"{PREFIX}/{path}".encode(), query.encode()


def parse_twice(raw_path: bytes, query: bytes, max_batch_size: int = 50) -> tuple[parse.ParsedRequest, parse.ParsedRequest]:
    return (
        parse_get_request(raw_path, query, False, PREFIX, max_batch_size),
        parse_get_request(raw_path, query, False, PREFIX, max_batch_size),
    )


@pytest.mark.parametrize(
    "input",
    [NO_INPUT, {"json": "ticket-1"}, {"json": 7, "meta": {"values": ["bigint"], "v": 1}}, None, "plain", 3],
    ids=["undefined", "string", "bigint", "absent", "plain-string", "plain-number"],
)
def test_a_request_whose_inputs_cannot_change_is_parsed_once(input):
    first, second = parse_twice(*url("system.status", input))
    assert second is first
    assert first.calls[0].path == "system.status" and first.calls[0].input_error is None


@pytest.mark.parametrize(
    "input",
    [
        {"json": {"ticketId": "t-1"}},
        {"json": {"at": "1970-01-01T00:00:00.000Z"}, "meta": {"values": {"at": ["Date"]}, "v": 1}},
        {"json": [1, 2]},
        {"plain": "object"},
        [1, 2],
    ],
    ids=["object", "annotated-object", "array", "plain-object", "plain-array"],
)
def test_a_request_with_a_container_input_is_parsed_afresh(input):
    # Decoding changes a container in place, and a free-form input reaches its handler as is.
    first, second = parse_twice(*url("wire.echo", input))
    assert second is not first
    assert second.calls[0].raw_input == first.calls[0].raw_input
    assert second.calls[0].raw_input is not first.calls[0].raw_input


def test_a_batch_with_one_container_input_is_parsed_afresh():
    raw_path, query = url("system.status,wire.echo", {"0": NO_INPUT, "1": {"json": {"ticketId": "t-1"}}}, batch=True)
    first, second = parse_twice(raw_path, query)
    assert second is not first and second.calls[1].raw_input is not first.calls[1].raw_input


def test_an_input_error_is_a_new_exception_every_time():
    first, second = parse_twice(f"{PREFIX}/wire.echo".encode(), b"input=%7Bbad")
    assert isinstance(first.calls[0].input_error, TRPCError)
    assert second.calls[0].input_error is not first.calls[0].input_error


def test_a_request_level_error_is_raised_every_time():
    raw_path, query = url("wire.echo,wire.echo", {"0": NO_INPUT}, batch=True)
    for _ in range(2):
        with pytest.raises(TRPCError) as refused:
            parse_get_request(raw_path, query, False, PREFIX, 1)
        assert refused.value.code == "PAYLOAD_TOO_LARGE"


def test_the_stream_choice_and_the_batch_limit_are_part_of_the_request():
    raw_path, query = url("wire.echo", {"0": NO_INPUT}, batch=True)
    plain = parse_get_request(raw_path, query, False, PREFIX, 50)
    streamed = parse_get_request(raw_path, query, True, PREFIX, 50)
    assert not plain.wants_stream and streamed.wants_stream
    assert parse_get_request(raw_path, query, False, PREFIX, 10) is not plain


def test_a_long_url_is_not_kept():
    raw_path, query = url("wire.echo", {"json": "x" * 3000})
    first, second = parse_twice(raw_path, query)
    assert second is not first and first.calls[0].raw_input == {"json": "x" * 3000}


def test_the_table_starts_over_when_full(monkeypatch):
    monkeypatch.setattr(parse, "_SHARED_GET_PARSES", {})
    monkeypatch.setattr(parse, "_SHARED_GET_PARSES_LIMIT", 3)
    requests = [url("wire.echo", {"json": n}) for n in range(4)]
    first = [parse_get_request(raw_path, query, False, PREFIX, 50) for raw_path, query in requests]
    # The fourth found the table full and started it over: only the fourth is kept.
    assert list(parse._SHARED_GET_PARSES) == [(*requests[3], False, PREFIX, 50)]
    again = parse_get_request(*requests[0], False, PREFIX, 50)
    assert again is not first[0] and again.calls[0].raw_input == {"json": 0}


def test_an_absent_input_stays_absent():
    first, _ = parse_twice(*url("system.status"))
    assert first.calls[0].raw_input is MISSING and not first.use_superjson
