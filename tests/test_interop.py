"""Interop: the official TypeScript `@trpc/client` (v11 and v10) against the running server.

`tests/interop/scenarios.mjs` drives the real client through every link (v11: httpLink,
httpBatchLink, httpBatchStreamLink, httpSubscriptionLink; v10: httpLink, httpBatchLink), with
superjson and without a transformer, and prints one JSON object of results. It runs once per
client version (module-scoped, cached) against `live_server.url`; each test below asserts one
scenario. Values come back tagged so JS types survive JSON: `{"$date": iso}`,
`{"$undefined": true}`, `{"$number": "NaN"}`; errors as `{name, message, code (data.code),
httpStatus (data.httpStatus), path, hasStack, shapeCode, status (HTTP status of the response)}`.

Needs `node` (skipped with a reason when absent) and `npm ci` in tests/interop (`make test`
does it). INTEROP_PLAIN_URL, when set, sends the no-transformer clients to another server: only
for checking these tests against the Node reference server (scripts/bench/reference), which
serves one transformer per instance.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import create_api_key, create_org
from tests.support.trpc import TRPCClient

INTEROP_DIR = Path(__file__).parent / "interop"
SCENARIOS = INTEROP_DIR / "scenarios.mjs"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="`node` is not on PATH: the interop tests run the official TS client")

LINKS = {"v11": ("http", "batch", "stream"), "v10": ("http", "batch")}
COMBOS = [pytest.param(client, link, id=f"{client}-{link}") for client, links in LINKS.items() for link in links]
PLAIN_COMBOS = COMBOS


@pytest.fixture(scope="module")
def interop(live_server):
    """`interop(client)` → that client's results dict, running the Node script once per client."""
    cache: dict[str, dict[str, Any] | str] = {}

    def run(client: str) -> dict[str, Any] | str:
        for folder in (INTEROP_DIR / "node_modules", INTEROP_DIR / "v10" / "node_modules"):
            if not folder.is_dir():
                return f"{folder} is missing: run `npm ci` in tests/interop (make test does)"
        command = [NODE, str(SCENARIOS), live_server.url, client]
        if plain_url := os.environ.get("INTEROP_PLAIN_URL"):
            command += ["--plain-url", plain_url]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=INTEROP_DIR)
        except subprocess.TimeoutExpired as error:
            return f"scenarios.mjs {client} did not finish in 300 s:\n{error.stderr!r:.2000}"
        if proc.returncode != 0:
            return f"scenarios.mjs {client} exited {proc.returncode}:\n{proc.stderr[-4000:]}"
        try:
            output = json.loads(proc.stdout)
        except json.JSONDecodeError:
            return f"scenarios.mjs {client} printed no JSON:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        expected_major = "11." if client == "v11" else "10."
        if output.get("client") != client or not output.get("clientVersion", "").startswith(expected_major):
            return f"scenarios.mjs {client} ran the wrong client: {output.get('client')} {output.get('clientVersion')}"
        return output["results"]

    def results(client: str) -> dict[str, Any]:
        if client not in cache:  # a failed run is cached too: one Node run per client, whatever happens
            cache[client] = run(client)
        outcome = cache[client]
        if isinstance(outcome, str):
            pytest.fail(outcome)
        return outcome

    return results


def scenario(interop, client: str, name: str) -> Any:
    results = interop(client)
    assert name in results, f"scenario {name!r} did not run for {client}"
    result = results[name]
    assert "crashed" not in result, f"{client} {name} crashed: {result['crashed']}"
    return result


# ---- helpers --------------------------------------------------------------------------------

U = {"$undefined": True}


def D(iso: str) -> dict[str, str]:
    return {"$date": iso}


def ok(result: dict[str, Any]) -> Any:
    assert result.get("ok") is True, f"expected success, got {json.dumps(result, indent=1)}"
    return result["value"]


# What a tRPC error code is on the wire: its HTTP status and its JSON-RPC code (tRPC's own table).
WIRE_CODES = {
    "BAD_REQUEST": (400, -32600),
    "NOT_FOUND": (404, -32004),
    "METHOD_NOT_SUPPORTED": (405, -32005),
    "PAYLOAD_TOO_LARGE": (413, -32013),
    "INTERNAL_SERVER_ERROR": (500, -32603),
}


def failed(result: dict[str, Any], code: str, *, path: str | None, status: int | None) -> dict[str, Any]:
    """Assert a TRPCClientError carrying the tRPC error shape; return the error description."""
    assert result.get("ok") is False, f"expected an error {code}, got {json.dumps(result, indent=1)}"
    http_status, json_rpc = WIRE_CODES[code]
    error = result["error"]
    assert error["name"] == "TRPCClientError" and error["constructor"] == "TRPCClientError", error
    assert error["code"] == code, error
    assert error["httpStatus"] == http_status, error
    assert error["shapeCode"] == json_rpc, error
    assert error["path"] == path, error
    assert error["hasStack"] is False, f"data.stack must not be sent with debug off: {error}"
    assert "Traceback" not in (error["message"] or ""), error
    if status is not None:
        assert error["status"] == status, f"HTTP status seen by the client: {error}"
    return error


def failed_alone(interop, client: str, name: str, link: str, code: str, *, path: str) -> dict[str, Any]:
    """A scenario of one call that must fail with `code`, seen with the status its link shows."""
    return failed(scenario(interop, client, name), code, path=path, status=single_status(link, WIRE_CODES[code][0]))


def single_status(link: str, http_status: int) -> int:
    """The HTTP status the client sees for a one-call request that failed with `http_status`."""
    return 200 if link == "stream" else http_status


def batch_status(link: str, mixed: int) -> int:
    """Status of a request mixing outcomes: httpLink sends one request per call."""
    return {"http": mixed, "batch": 207, "stream": 200}[link]


WHEN = "2025-01-02T03:04:05.678Z"
DATES_EXPECTED = {
    "title": "dates",
    "when": D(WHEN),
    "nested": {
        "at": D("1970-01-01T00:00:00.000Z"),
        "maybe": U,
        "deeper": {"list": [D("1999-12-31T23:59:59.999Z"), U, 3, "x"]},
    },
    "list": [D(WHEN), {"d": D("1970-01-02T00:00:00.000Z")}, None],
    "dotted.key": D("1970-01-01T00:00:01.000Z"),
    "missing": U,
    "unicode": "héllo ✓ + & = ? % #",
}


def assert_status_value(value: Any) -> None:
    assert set(value) == {"version", "time", "database", "ai", "debug"}, value
    assert isinstance(value["version"], str) and value["version"]
    assert set(value["time"]) == {"$date"}, f"time must arrive as a Date instance: {value['time']!r}"
    seen = datetime.fromisoformat(value["time"]["$date"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - seen).total_seconds()) < 300, seen
    assert value["database"] in ("ok", "unavailable"), value
    assert isinstance(value["ai"]["engine"], str) and isinstance(value["ai"]["model"], str), value
    assert value["debug"] is False


# ---- superjson values -----------------------------------------------------------------------


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_dates_and_undefined_round_trip(interop, client, link):
    assert ok(scenario(interop, client, f"{link}.dates")) == DATES_EXPECTED


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_root_date_round_trip(interop, client, link):
    assert ok(scenario(interop, client, f"{link}.rootDate")) == D("2020-02-29T12:00:00.000Z")


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_no_input_echoes_undefined(interop, client, link):
    assert ok(scenario(interop, client, f"{link}.noInput")) == U


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_special_numbers_round_trip(interop, client, link):
    assert ok(scenario(interop, client, f"{link}.numbers")) == {
        "nan": {"$number": "NaN"},
        "inf": {"$number": "Infinity"},
        "ninf": {"$number": "-Infinity"},
        "n": 1.5,
        "big": 9007199254740991,
        "list": [{"$number": "NaN"}, 0],
    }


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_mutation(interop, client, link):
    assert ok(scenario(interop, client, f"{link}.add")) == {"sum": 5}


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_system_status_time_is_a_date(interop, client, link):
    assert_status_value(ok(scenario(interop, client, f"{link}.status")))


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_not_found_error(interop, client, link):
    error = failed_alone(interop, client, f"{link}.notFound", link, "NOT_FOUND", path="wire.notFound")
    assert error["message"] == "Ticket not found"
    assert error["dataKeys"] == ["code", "httpStatus", "path"]


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_bad_request_names_the_field(interop, client, link):
    error = failed_alone(interop, client, f"{link}.badRequest", link, "BAD_REQUEST", path="wire.add")
    assert "$.a" in error["message"], error


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_unexpected_exception_is_internal_server_error_without_stack(interop, client, link):
    error = failed_alone(interop, client, f"{link}.boom", link, "INTERNAL_SERVER_ERROR", path="wire.boom")
    # wire.boom raises RuntimeError("secret-provider-key-sk-123 exploded"): its text stays on the server.
    assert "sk-123" not in error["message"], error


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_unknown_procedure(interop, client, link):
    error = failed_alone(interop, client, f"{link}.unknownPath", link, "NOT_FOUND", path="wire.nope")
    assert "wire.nope" in error["message"]


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_mutation_called_as_query_is_method_not_supported(interop, client, link):
    error = failed_alone(interop, client, f"{link}.mutationAsQuery", link, "METHOD_NOT_SUPPORTED", path="wire.add")
    assert "wire.add" in error["message"]


def test_method_override_post_query_is_method_not_supported(interop):
    """`methodOverride: 'POST'` sends the query as POST; not allowed by default → 405."""
    error = failed(scenario(interop, "v11", "override.query"), "METHOD_NOT_SUPPORTED", path="wire.echo", status=405)
    assert "POST" in error["message"]


# ---- batches --------------------------------------------------------------------------------


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_batch_of_queries_with_a_failing_call(interop, client, link):
    calls = scenario(interop, client, f"{link}.mixedQueries")["calls"]
    assert len(calls) == 5
    assert ok(calls[0]) == {"i": 0, "d": D(WHEN)}
    failed(calls[1], "NOT_FOUND", path="wire.notFound", status=batch_status(link, 404))
    assert ok(calls[2]) == "x"
    assert ok(calls[3]) == U
    assert_status_value(ok(calls[4]))


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_batch_of_mutations_with_failing_calls(interop, client, link):
    calls = scenario(interop, client, f"{link}.mixedMutations")["calls"]
    assert ok(calls[0]) == {"sum": 2}
    error = failed(calls[1], "BAD_REQUEST", path="wire.add", status=batch_status(link, 400))
    assert "$.a" in error["message"]
    assert ok(calls[2]) == {"sum": 4}
    failed(calls[3], "INTERNAL_SERVER_ERROR", path="wire.boom", status=batch_status(link, 500))


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_twenty_calls_map_back_to_their_callers(interop, client, link):
    calls = scenario(interop, client, f"{link}.manyQueries")["calls"]
    expected = [{"i": i, "at": D(datetime.fromtimestamp(i, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"))} for i in range(20)]
    assert [ok(call) for call in calls] == expected


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_calls_run_concurrently(interop, client, link):
    result = scenario(interop, client, f"{link}.concurrentSlow")
    assert [ok(call) for call in result["calls"]] == ["a", "b"]
    # Two 400 ms calls one after the other would take 800 ms or more.
    assert result["totalMs"] < 780, result


def test_batch_client_max_items_split(interop):
    calls = scenario(interop, "v11", "batchMax5.split")["calls"]
    assert [ok(call) for call in calls] == [{"i": i} for i in range(12)]


@pytest.mark.parametrize("client", ["v11", "v10"])
def test_batch_over_max_batch_size_fails_every_call(interop, client):
    """60 calls > MAX_BATCH_SIZE (50): one request-level error object, given to every call."""
    calls = scenario(interop, client, "batch.tooMany")["calls"]
    assert len(calls) == 60
    # PAYLOAD_TOO_LARGE, as the catalog says (tRPC's own maxBatchSize answers BAD_REQUEST).
    messages = {failed(call, "PAYLOAD_TOO_LARGE", path=None, status=413)["message"] for call in calls}
    assert len(messages) == 1, messages


# ---- ordering, streaming, aborts ------------------------------------------------------------


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_slow_fast_and_failing_calls_together(interop, client, link):
    result = scenario(interop, client, f"{link}.order")
    calls = result["calls"]
    assert ok(calls["slow"]) == {"done": D("1970-01-01T00:00:00.005Z")}
    assert ok(calls["fast"]) == {"fast": True}
    failed(calls["notFound"], "NOT_FOUND", path="wire.notFound", status=None)
    assert sorted(result["order"]) == ["fast", "notFound", "slow"]
    if link in ("http", "stream"):
        # Separate requests (httpLink) or a streamed batch: the fast calls do not wait for the slow one.
        assert result["order"][-1] == "slow", result["order"]
        assert calls["fast"]["ms"] < 500 and calls["notFound"]["ms"] < 500, result
        assert calls["slow"]["ms"] >= 790, result


def test_stream_link_with_accept_header(interop):
    """httpBatchStreamLink `streamHeader: 'accept'` sends `Accept: application/jsonl` instead."""
    result = scenario(interop, "v11", "streamAccept.order")
    assert result["order"] == ["fast", "slow"]
    assert ok(result["calls"]["fast"]) == {"at": D(WHEN)}
    assert ok(result["calls"]["slow"]) == "slow"
    assert result["calls"]["fast"]["ms"] < 400, result


@pytest.mark.parametrize(("client", "link"), COMBOS)
def test_aborted_call_rejects_on_the_client(interop, client, link):
    result = scenario(interop, client, f"{link}.abort")
    aborted = result["aborted"]
    assert aborted["ok"] is False, aborted
    assert aborted["error"]["name"] == "TRPCClientError", aborted
    assert aborted["error"]["causeName"] in ("AbortError", "ObservableAbortError"), aborted
    assert aborted["ms"] < 2000, aborted  # well before the 3 s call would have answered
    assert ok(result["after"]) == {"after": "abort"}


# ---- subscriptions (v11, SSE) ---------------------------------------------------------------


def test_subscription_receives_every_tick_then_completes(interop):
    events = scenario(interop, "v11", "sub.ticks")["events"]
    kinds = [event["type"] for event in events]
    assert kinds == ["started", "data", "data", "data", "complete"], events
    data = [event for event in events if event["type"] == "data"]
    assert [event["value"]["n"] for event in data] == [1, 2, 3]
    assert all(event["atIsDate"] for event in data), data
    times = [event["value"]["at"]["$date"] for event in data]
    assert times == sorted(times), times


def test_subscription_bad_input_errors_without_retry(interop):
    events = scenario(interop, "v11", "sub.badInput")["events"]
    assert [event["type"] for event in events] == ["error"], events
    error = events[0]["error"]
    assert error["name"] == "TRPCClientError" and error["code"] == "BAD_REQUEST", error
    assert error["httpStatus"] == 400 and error["shapeCode"] == -32600, error
    assert "$.count" in error["message"], error


def test_subscription_unsubscribe_stops_it(interop):
    result = scenario(interop, "v11", "sub.unsubscribe")
    events = result["events"]
    assert [event.get("n") for event in events if event["type"] == "data"] == [1, 2], events
    assert not [event for event in events if event["type"] == "error"], events
    assert ok(result["after"]) == "still up"


async def test_stream_reply_delivers_several_chunks_before_its_final_message(db, live_server):
    """ai.streamReply through httpSubscriptionLink, signed in with an API key: deltas, then one
    done whose text is the deltas joined, then the subscription completes; one operation."""
    if NODE is None or not (INTEROP_DIR / "node_modules").is_dir():
        pytest.skip("node and tests/interop/node_modules are needed")
    org = await create_org(db, plan="business")
    key = await create_api_key(db, org.id, ("ai:run", "ticket:write"))
    with TRPCClient(live_server.url, headers={"authorization": f"Bearer {key}"}) as client:
        ticket = await asyncio.to_thread(
            client.mutation, "tickets.create", {"subject": "Export broken", "description": "The CSV export fails."}
        )
    options = json.dumps({"apiKey": key, "ticketId": ticket["id"]})
    command = [NODE, str(SCENARIOS), live_server.url, "v11", "--only", "sub.streamReply", "--stream-reply", options]
    proc = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120, cwd=INTEROP_DIR)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)["results"]["sub.streamReply"]
    assert "crashed" not in result, result
    events = result["events"]
    assert [event["type"] for event in events][-1] == "complete", events
    values = [event["value"] for event in events if event["type"] == "data"]
    deltas, final = values[:-1], values[-1]
    assert len(deltas) >= 3 and all(value["type"] == "delta" for value in deltas), values
    assert final["type"] == "done" and final["done"] is True
    assert final["text"] == "".join(value["delta"] for value in deltas)
    used = await db.fetchval("SELECT coalesce(sum(operations), 0) FROM ai_usage_periods WHERE org_id = $1", org.id)
    assert used == 1


# ---- no transformer -------------------------------------------------------------------------


@pytest.mark.parametrize(("client", "link"), PLAIN_COMBOS)
def test_plain_json_echo(interop, client, link):
    assert ok(scenario(interop, client, f"plain.{link}.echo")) == {"hello": "w", "list": [1, "two", None, {"x": True}]}


@pytest.mark.parametrize(("client", "link"), PLAIN_COMBOS)
def test_plain_json_no_input(interop, client, link):
    assert ok(scenario(interop, client, f"plain.{link}.noInput")) == U


@pytest.mark.parametrize(("client", "link"), PLAIN_COMBOS)
def test_plain_json_mutation(interop, client, link):
    assert ok(scenario(interop, client, f"plain.{link}.add")) == {"sum": 42}


@pytest.mark.parametrize(("client", "link"), PLAIN_COMBOS)
def test_plain_json_errors(interop, client, link):
    error = failed_alone(interop, client, f"plain.{link}.notFound", link, "NOT_FOUND", path="wire.notFound")
    assert error["message"] == "Ticket not found"
    error = failed_alone(interop, client, f"plain.{link}.badRequest", link, "BAD_REQUEST", path="wire.add")
    assert "$.b" in error["message"], error


@pytest.mark.parametrize(("client", "link"), PLAIN_COMBOS)
def test_plain_json_batch(interop, client, link):
    calls = scenario(interop, client, f"plain.{link}.mixedQueries")["calls"]
    assert ok(calls[0]) == {"k": "v"}
    failed(calls[1], "NOT_FOUND", path="wire.notFound", status=batch_status(link, 404))
    assert ok(calls[2]) == U
