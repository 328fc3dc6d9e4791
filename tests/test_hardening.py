"""Regression tests for what a black-box attack run found: text PostgreSQL cannot store, bytes that
are not UTF-8, and how complete JSON answers are framed.

Each test names the failure it guards against; they run against the session's live server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import msgspec
import pytest

from app.calls import Call, Outcome, call_procedure
from app.config import Settings
from app.context import RequestInfo, ResponseEffects, Services
from app.registry import load_procedures
from app.superjson import MISSING
from app.trpc.envelopes import error_shape
from tests.support.factories import member_client
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def http(live_server):
    with httpx.Client(base_url=f"{live_server.url}/api/trpc", timeout=30) as client:
        yield client


def shape_of(response: httpx.Response) -> dict:
    body = response.json()
    error = body["error"]
    return error.get("json", error)


def post_raw(http: httpx.Client, path: str, content: bytes, **headers: str) -> httpx.Response:
    return http.post(f"/{path}", content=content, headers={"content-type": "application/json", **headers})


# ---- NUL characters and lone surrogates: BAD_REQUEST naming the field, before any SQL -------


def test_nul_in_login_email_is_bad_request_naming_the_field(http):
    r = post_raw(http, "auth.login", json.dumps({"json": {"email": "a\u0000b", "password": "x"}}).encode())
    assert r.status_code == 400, r.text
    shape = shape_of(r)
    assert shape["data"]["code"] == "BAD_REQUEST", shape
    assert "$.email" in shape["message"] and "NUL" in shape["message"], shape


def test_nul_deep_in_a_free_form_query_input_names_its_path(http):
    value = {"json": {"outer": [{"inner": ["ok", "bad\u0000"]}]}}
    r = http.get(f"/wire.echo?input={quote(json.dumps(value))}")
    assert r.status_code == 400, r.text
    assert "$.outer[0].inner[1]" in shape_of(r)["message"], r.text


def test_nul_in_a_key_is_refused(http):
    value = {"json": {"a\u0000": 1}}
    r = http.get(f"/wire.echo?input={quote(json.dumps(value))}")
    assert r.status_code == 400, r.text


def test_lone_surrogate_is_refused_as_unparseable(http):
    # A string holding one could be neither stored nor encoded back as UTF-8.
    r = post_raw(http, "auth.login", b'{"json":{"email":"a\\ud800b","password":"x"}}')
    assert r.status_code == 400, r.text
    assert shape_of(r)["data"]["code"] == "PARSE_ERROR", r.text


def test_paired_surrogates_and_other_unicode_still_pass(http):
    value = {"json": {"text": "caf\u00e9 \U0001F600 \u4e2d"}}
    r = http.get(f"/wire.echo?input={quote(json.dumps(value))}")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["data"]["json"] == value["json"]


async def test_nul_in_nested_org_settings_changes_nothing(db, live_server):
    org, _, client = await member_client(db, live_server, role="admin")
    before = await db.fetchval("SELECT ai_settings::text FROM organizations WHERE id = $1", org.id)
    for change in (
        {"aiSettings": {"systemPrompts": {"summarize": "Be brief\u0000"}}},
        {"name": "Evil\u0000Corp"},
    ):
        response = client.http.post(
            "/api/trpc/org.update", json={"json": change}, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, response.text
        message = shape_of(response)["message"]
        assert "NUL" in message and ("$.aiSettings.systemPrompts.summarize" in message or "$.name" in message), message
    assert await db.fetchval("SELECT ai_settings::text FROM organizations WHERE id = $1", org.id) == before
    assert await db.fetchval("SELECT name FROM organizations WHERE id = $1", org.id) == org.name


# ---- bytes that are not UTF-8: 400 PARSE_ERROR, not 500 ---------------------------------------


def test_body_that_is_not_utf8_is_a_parse_error(http):
    r = post_raw(http, "auth.login", b'{"json":{"email":"\xff\xfe","password":"x"}}')
    assert r.status_code == 400, r.text
    assert shape_of(r)["data"]["code"] == "PARSE_ERROR", r.text


def test_query_input_that_is_not_utf8_is_a_parse_error(http):
    for escaped in ("%FF%FE", "%22%ED%A0%80%22"):  # a stray byte; an encoded surrogate
        r = http.get(f"/wire.echo?input={escaped}")
        assert r.status_code == 400, (escaped, r.text)
        assert shape_of(r)["data"]["code"] == "PARSE_ERROR", r.text


# ---- framing: complete JSON answers carry a Content-Length; streams stay chunked --------------


def test_json_answers_have_a_content_length(http):
    answers = [
        http.get(f"/wire.echo?input={quote(json.dumps({'json': 'x'}))}"),
        http.get(f"/wire.echo,wire.notFound?batch=1&input={quote(json.dumps({'0': {'json': 1}}))}"),
        http.get("/wire.nothing"),
        post_raw(http, "wire.add", b"not json"),
    ]
    for response in answers:
        assert response.headers.get("content-length") == str(len(response.content)), response.headers
        assert "transfer-encoding" not in response.headers, response.headers


def test_streamed_batches_stay_chunked(http):
    url = f"/wire.echo?batch=1&input={quote(json.dumps({'0': {'json': 1}}))}"
    with http.stream("GET", url, headers={"trpc-accept": "application/jsonl"}) as response:
        response.read()
    assert response.headers.get("transfer-encoding") == "chunked", response.headers
    assert "content-length" not in response.headers


# ---- resource sinks: heartbeat bounds, streams per client, half-sent bodies ------------------


def sse_event_names(lines: Iterator[str], until: str) -> list[str]:
    """Event names (pings left out) read from a stream's lines, up to the first `until` event.
    The caller keeps `lines`: dropping the iterator closes the connection."""
    names: list[str] = []
    name = "message"
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line == "":
            if name != "ping":
                names.append(name)
                if name in (until, "serialized-error", "return"):
                    return names
            name = "message"
    return names


def heartbeat_url(count: int, interval_ms: int) -> str:
    return f"/system.heartbeat?input={quote(json.dumps({'count': count, 'intervalMs': interval_ms}))}"


@pytest.mark.parametrize("count, interval_ms", [(1, 10), (1, 999), (10_000, 1_000)])
def test_heartbeat_refuses_a_fast_or_endless_stream(http, count, interval_ms):
    with http.stream("GET", heartbeat_url(count, interval_ms), headers={"accept": "text/event-stream"}) as response:
        body = response.read().decode()
    assert "event: serialized-error" in body and "BAD_REQUEST" in body, body
    assert '"n":' not in body, body


def test_heartbeat_streams_per_client_address_are_capped(live_server):
    headers = {"accept": "text/event-stream"}
    with httpx.Client(base_url=f"{live_server.url}/api/trpc", timeout=30) as client:
        open_streams = []
        readers = []
        try:
            for _ in range(4):
                stream = client.stream("GET", heartbeat_url(30, 1_000), headers=headers)
                lines = stream.__enter__().iter_lines()
                open_streams.append(stream)
                readers.append(lines)
                assert sse_event_names(lines, "message") == ["connected", "message"]
            with client.stream("GET", heartbeat_url(30, 1_000), headers=headers) as fifth:
                body = fifth.read().decode()
            assert "event: serialized-error" in body and "TOO_MANY_REQUESTS" in body, body
        finally:
            for stream in open_streams:
                stream.__exit__(None, None, None)
    # Closing a stream frees its place (the server notices the disconnect within a moment).
    deadline = time.monotonic() + 10
    while True:
        with httpx.Client(base_url=f"{live_server.url}/api/trpc", timeout=30) as client:
            with client.stream("GET", heartbeat_url(1, 1_000), headers=headers) as again:
                body = again.read().decode()
        if '"n":1' in body or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert '"n":1' in body and "event: return" in body, body


def test_half_sent_body_is_answered_408_and_closed(live_server):
    """The test server's BODY_READ_TIMEOUT_SECONDS is 3: a body stuck halfway is not held forever."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        connection.sendall(
            b"POST /api/trpc/wire.add HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: 100\r\n\r\n" + b'{"json":{"a":'
        )
        started = time.monotonic()
        received = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break  # the server closed the connection
            received += chunk
        waited = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408"), received
    assert b'"TIMEOUT"' in received, received
    assert 2 < waited < 15, waited


# ---- database outage: SERVICE_UNAVAILABLE with Retry-After, not 500 ---------------------------


@contextlib.asynccontextmanager
async def _services_on(database_url: str, min_connections: int = 1) -> AsyncIterator[Services]:
    """The process's services over a pool of one connection to `database_url`."""
    load_procedures()
    pool = await asyncpg.create_pool(database_url, min_size=min_connections, max_size=1)
    try:
        yield Services(settings=Settings(), pool=pool)
    finally:
        await pool.close()


def _dead_database_url() -> str:
    # A closed port stands for PostgreSQL being down.
    return f"postgresql://nobody@127.0.0.1:{free_port()}/none"


async def _call(services: Services, method: str, path: str, raw_input: Any) -> Outcome:
    """One call through the real call path, as the endpoint makes it."""
    request = RequestInfo(
        method=method, headers={}, cookies={}, client_address="127.0.0.1", origin_trusted=True, cookies_deliverable=True
    )
    return await call_procedure(services, request, ResponseEffects(), Call(path, raw_input, superjson=False, batched=False))


async def _status(services: Services) -> dict[str, Any]:
    outcome = await _call(services, "GET", "system.status", MISSING)
    assert outcome.error is None, outcome.error
    return msgspec.to_builtins(outcome.value)


async def test_status_says_unavailable_when_the_database_does_not_answer():
    async with _services_on(_dead_database_url(), min_connections=0) as services:
        status = await _status(services)
    assert status["database"] == "unavailable"


async def test_a_slow_database_check_holds_only_the_status_call_that_asks(database_url):
    """Once the database has answered, a status call made while another call's check waits
    (here: for the pool's only connection) answers at once with the last known state."""
    async with _services_on(database_url) as services:
        assert services.pool is not None
        assert (await _status(services))["database"] == "ok"
        check = services.extras["database_check"]
        check.at = -1e9  # the last answer is old: the next call asks
        asking = None
        try:
            async with services.pool.acquire():  # the check's query cannot get a connection meanwhile
                asking = asyncio.ensure_future(_status(services))
                while not check.lock.locked():  # the first call has started its check
                    await asyncio.sleep(0)
                assert (await _status(services))["database"] == "ok"
                assert not asking.done(), "the second call answered while the first still waited"
            assert (await asking)["database"] == "ok"  # the connection came back in time
        finally:
            if asking is not None:
                asking.cancel()


async def test_status_calls_before_the_first_answer_wait_for_it(database_url):
    """No call reports a state the database has not given yet, however many arrive together."""
    async with _services_on(database_url) as services:
        assert services.pool is not None
        async with services.pool.acquire():
            calls = [asyncio.ensure_future(_status(services)) for _ in range(3)]
            while "database_check" not in services.extras or not services.extras["database_check"].lock.locked():
                await asyncio.sleep(0)
            for _ in range(10):  # every call has had turns enough to answer, had it not waited
                await asyncio.sleep(0)
            assert not any(call.done() for call in calls)
        assert [(await call)["database"] for call in calls] == ["ok", "ok", "ok"]


async def test_database_outage_answers_503_with_retry_after():
    """A database that is down, through the real call path and the real envelope."""
    async with _services_on(_dead_database_url(), min_connections=0) as services:
        outcome = await _call(services, "POST", "auth.login", {"email": "someone@example.test", "password": "x"})
    assert outcome.error is not None and outcome.error.code == "SERVICE_UNAVAILABLE", outcome.error
    assert outcome.status == 503
    assert outcome.error.headers.get("retry-after") == "1"
    shape = error_shape(outcome.error, outcome.path, debug=False, cause=outcome.cause)
    assert "127.0.0.1" not in json.dumps(shape) and "Errno" not in json.dumps(shape), shape
