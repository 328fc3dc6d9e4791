"""Raw-HTTP checks of the tRPC wire protocol, with httpx.

Covers what the official client (tests/test_interop.py) does not show: exact bodies and status
codes of the spec's example exchanges (section 12), headers, request-level errors, limits,
malformed requests (always a 4xx tRPC error, never a 500 or a stack trace), the no-transformer
encoding, the exact JSON-lines framing of streamed batches and the server-sent events of
subscriptions. Procedures come from tests.support.wire_procedures (`wire.*`) plus `system.status`.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from app.superjson import split_path

NO_INPUT = {"json": None, "meta": {"values": ["undefined"], "v": 1}}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# Section 6/7: exceeding maxBatchSize is a request-level 400 BAD_REQUEST (Node: "Batch call
# exceeds maximum size").
# The catalog (procedures.md) wins over tRPC here: an oversized batch is PAYLOAD_TOO_LARGE.
BATCH_LIMIT = ("PAYLOAD_TOO_LARGE", 413, -32013)
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_BATCH_SIZE = 50


def enc(value: Any) -> str:
    """`encodeURIComponent(JSON.stringify(value))`, as the client builds `?input=`."""
    return quote(json.dumps(value, separators=(",", ":"), ensure_ascii=False), safe="-_.!~*'()")


@pytest.fixture(scope="module")
def http(live_server):
    with httpx.Client(base_url=f"{live_server.url}/api/trpc", timeout=30) as client:
        yield client


def checked(response: httpx.Response) -> httpx.Response:
    """Every answer: no stack trace, and a 5xx only as a tRPC JSON envelope."""
    body = response.text
    assert "Traceback" not in body and 'File "' not in body, body[:2000]
    if response.status_code >= 500:
        assert response.headers.get("content-type", "").startswith("application/json"), (response, body[:500])
    return response


def get(http: httpx.Client, path: str, input: Any = ..., **params: str) -> httpx.Response:
    query = "&".join([f"{k}={v}" for k, v in params.items()] + ([] if input is ... else [f"input={enc(input)}"]))
    return checked(http.get(f"/{path}" + (f"?{query}" if query else "")))


def post(http: httpx.Client, path: str, body: Any = ..., *, content_type: str | None = "application/json", **params: str) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    content = b"" if body is ... else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return checked(http.post(f"/{path}" + (f"?{query}" if query else ""), content=content, headers=headers))


def error_of(body: Any, *, superjson: bool = True) -> dict[str, Any]:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    if not superjson:
        return body["error"]
    assert set(body["error"]) == {"json"}, f"superjson wraps the whole error shape: {body}"
    return body["error"]["json"]


def assert_error(
    body: Any, code: str, status: int, json_rpc: int, *, path: Any = ..., superjson: bool = True
) -> dict[str, Any]:
    shape = error_of(body, superjson=superjson)
    assert set(shape) == {"message", "code", "data"}, shape
    assert shape["code"] == json_rpc, shape
    assert shape["data"]["code"] == code and shape["data"]["httpStatus"] == status, shape
    assert "stack" not in shape["data"], shape
    assert isinstance(shape["message"], str) and shape["message"], shape
    if path is not ...:
        if path is None:
            assert "path" not in shape["data"], shape
        else:
            assert shape["data"]["path"] == path, shape
    return shape


NOT_FOUND_SHAPE = {
    "message": "Ticket not found",
    "code": -32004,
    "data": {"code": "NOT_FOUND", "httpStatus": 404, "path": "wire.notFound"},
}


# ---- superjson decoding of what the server sends (Date and undefined are all it emits) ------


def _annotated(value: Any, annotation: list[Any]) -> Any:
    if annotation == ["Date"]:
        assert isinstance(value, str) and ISO_MS.match(value), value
        return {"$date": value}
    if annotation == ["undefined"]:
        assert value is None, value
        return {"$undefined": True}
    if annotation == ["number"]:
        assert value in ("NaN", "Infinity", "-Infinity", "-0"), value
        return {"$number": value}
    raise AssertionError(f"unexpected superjson annotation {annotation!r}")


def sj(envelope: Any) -> Any:
    """Decode a superjson envelope into tagged values ({"$date": iso}, {"$undefined": True})."""
    assert isinstance(envelope, dict) and "json" in envelope and set(envelope) <= {"json", "meta"}, envelope
    value = envelope["json"]
    meta = envelope.get("meta")
    if meta is None:
        return value
    assert meta.get("v") == 1, f"meta.v must be 1: {meta}"
    values = meta["values"]
    if isinstance(values, list):
        return _annotated(value, values)
    for path, annotation in values.items():
        keys = split_path(path)
        parent = value
        for key in keys[:-1]:
            parent = parent[int(key)] if isinstance(parent, list) else parent[key]
        last = int(keys[-1]) if isinstance(parent, list) else keys[-1]
        parent[last] = _annotated(parent[last], annotation)
    return value


# ---- section 12: the example exchanges --------------------------------------------------------


def test_1_query(http):
    r = get(http, "wire.echo", {"json": {"hello": "w"}})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"result": {"data": {"json": {"hello": "w"}}}}


def test_answers_carry_a_length_and_do_not_name_the_server_software(http):
    # Content-Length, not chunks, for a complete answer; no `server: uvicorn` for a scanner.
    response = http.get("/wire.echo", params={"input": json.dumps({"hi": 1})})
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(response.content))
    assert "transfer-encoding" not in response.headers
    assert "server" not in response.headers
    assert "date" in response.headers  # HTTP wants it from a server with a clock


def test_2_query_without_input(http):
    r = get(http, "wire.echo", NO_INPUT)
    assert r.status_code == 200
    assert r.json() == {"result": {"data": NO_INPUT}}


def test_3_mutation(http):
    r = post(http, "wire.add", {"json": {"a": 2, "b": 3}})
    assert r.status_code == 200
    assert r.json() == {"result": {"data": {"json": {"sum": 5}}}}


def test_4_date_in_output(http):
    r = get(http, "system.status", NO_INPUT)
    assert r.status_code == 200
    data = r.json()["result"]["data"]
    assert data["meta"] == {"values": {"time": ["Date"]}, "v": 1}
    assert ISO_MS.match(data["json"]["time"]), data
    assert set(data["json"]) == {"version", "time", "database", "ai", "debug"}


def test_5_date_and_undefined_echoed(http):
    value = {
        "json": {"d": "1970-01-01T00:00:00.000Z", "u": None},
        "meta": {"values": {"d": ["Date"], "u": ["undefined"]}, "v": 1},
    }
    r = get(http, "wire.echo", value)
    assert r.status_code == 200
    assert r.json() == {"result": {"data": value}}


def test_5b_undefined_in_array_and_escaped_keys(http):
    value = {
        "json": {"list": [None, "1999-12-31T23:59:59.999Z", None], "a.b": "2000-01-01T00:00:00.000Z", "w\\x": 1},
        "meta": {"values": {"list.0": ["undefined"], "list.1": ["Date"], "a\\.b": ["Date"]}, "v": 1},
    }
    r = get(http, "wire.echo", value)
    assert r.status_code == 200
    assert sj(r.json()["result"]["data"]) == {
        "list": [{"$undefined": True}, {"$date": "1999-12-31T23:59:59.999Z"}, None],
        "a.b": {"$date": "2000-01-01T00:00:00.000Z"},
        "w\\x": 1,
    }


def test_the_same_query_again_gets_the_same_answer(http):
    # A repeated GET may be parsed once and its parse reused (app.trpc.parse): inputs that
    # decoding changes in place, input errors and the stream choice must come out the same on
    # every repetition.
    annotated = {
        "json": {"d": "1970-01-01T00:00:00.000Z", "u": None, "list": [None]},
        "meta": {"values": {"d": ["Date"], "u": ["undefined"], "list.0": ["undefined"]}, "v": 1},
    }
    for _ in range(3):
        assert get(http, "wire.echo", annotated).json() == {"result": {"data": annotated}}
        assert get(http, "wire.echo", NO_INPUT).json() == {"result": {"data": NO_INPUT}}
        assert get(http, "wire.echo", {"json": "same"}).json() == {"result": {"data": {"json": "same"}}}
        bad = checked(http.get("/wire.echo?input=%7Bbad"))
        assert bad.status_code == 400
        assert_error(bad.json(), "PARSE_ERROR", 400, -32700)
    batch_url = f"/wire.echo?batch=1&input={enc({'0': {'json': 'a'}})}"
    for _ in range(2):
        plain = checked(http.get(batch_url))
        assert plain.json() == [{"result": {"data": {"json": "a"}}}]
        streamed, received = read_timed(http, batch_url, {"trpc-accept": "application/jsonl"})
        assert streamed.status_code == 200
        assert hydrate_jsonl([sj(line) for _, line in jsonl_lines(received)]) == {"0": {"result": {"data": "a"}}}


def test_6_procedure_error(http):
    r = get(http, "wire.notFound", NO_INPUT)
    assert r.status_code == 404
    assert r.json() == {"error": {"json": NOT_FOUND_SHAPE}}


def test_7_invalid_input(http):
    r = post(http, "wire.add", {"json": {"a": "x"}})
    assert r.status_code == 400
    shape = assert_error(r.json(), "BAD_REQUEST", 400, -32600, path="wire.add")
    assert "$.a" in shape["message"], shape


def test_8_mixed_batch_is_207(http):
    r = get(http, "wire.echo,wire.notFound,wire.echo", {"0": {"json": 1}, "2": {"json": "x"}}, batch="1")
    assert r.status_code == 207
    assert r.json() == [
        {"result": {"data": {"json": 1}}},
        {"error": {"json": NOT_FOUND_SHAPE}},
        {"result": {"data": {"json": "x"}}},
    ]


def test_8b_all_not_found_batch_is_404(http):
    r = get(http, "wire.notFound,wire.notFound", {"0": NO_INPUT, "1": NO_INPUT}, batch="1")
    assert r.status_code == 404
    assert r.json() == [{"error": {"json": NOT_FOUND_SHAPE}}] * 2


def test_9_mutation_batch(http):
    r = post(http, "wire.add,wire.add", {"0": {"json": {"a": 1, "b": 1}}, "1": {"json": {"a": 2, "b": 2}}}, batch="1")
    assert r.status_code == 200
    assert r.json() == [{"result": {"data": {"json": {"sum": 2}}}}, {"result": {"data": {"json": {"sum": 4}}}}]


@pytest.mark.parametrize(
    ("send", "method", "kind", "path", "allow"),
    [
        pytest.param(lambda http: post(http, "wire.echo", {"json": 1}), "POST", "query", "wire.echo", "GET", id="10-query-posted"),
        pytest.param(
            lambda http: get(http, "wire.add", {"json": {"a": 1, "b": 2}}), "GET", "mutation", "wire.add", "POST", id="11-mutation-via-get"
        ),
    ],
)
def test_10_11_the_wrong_method_is_405_with_allow(http, send, method, kind, path, allow):
    r = send(http)
    assert r.status_code == 405
    assert r.headers.get("allow") == allow
    assert r.json() == {
        "error": {
            "json": {
                "message": f'Unsupported {method}-request to {kind} procedure at path "{path}"',
                "code": -32005,
                "data": {"code": "METHOD_NOT_SUPPORTED", "httpStatus": 405, "path": path},
            }
        }
    }


def test_an_answers_own_headers_stay_with_that_answer(http):
    # Answers share their common headers (Vary, CORS) between requests; the `allow` of a 405
    # must not reach the next answer, from either form of request.
    for _ in range(2):
        refused = get(http, "wire.add", {"json": {"a": 1, "b": 2}})
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        for answer in (get(http, "wire.echo", NO_INPUT), post(http, "wire.add", {"json": {"a": 1, "b": 2}})):
            assert answer.status_code == 200
            assert "allow" not in answer.headers
            assert answer.headers["vary"] == "origin, trpc-accept, accept"


def test_12_unknown_procedure(http):
    r = get(http, "wire.nope", NO_INPUT)
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "json": {
                "message": 'No procedure found on path "wire.nope"',
                "code": -32004,
                "data": {"code": "NOT_FOUND", "httpStatus": 404, "path": "wire.nope"},
            }
        }
    }


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda http: checked(http.get("/wire.echo?input=%7Bbad")), id="GET"),
        pytest.param(lambda http: post(http, "wire.add", b'{"json":{"a":1,'), id="POST"),
        pytest.param(lambda http: checked(http.get("/wire.echo?input=%7B%22json%22%3A")), id="GET-truncated"),
    ],
)
def test_13_malformed_json_is_a_parse_error(http, send):
    # The catalog (procedures.md) names PARSE_ERROR for input that is not JSON, as tRPC v10 did;
    # v11 says BAD_REQUEST. Both are 400 and the client treats them alike.
    r = send(http)
    assert r.status_code == 400
    assert_error(r.json(), "PARSE_ERROR", 400, -32700)


def test_13b_malformed_json_in_a_batch_is_400(http):
    r = checked(http.get("/wire.echo,wire.echo?batch=1&input=%7Bbad"))
    assert r.status_code == 400
    body = r.json()
    items = body if isinstance(body, list) else [body]
    assert len(items) in (1, 2), body
    for item in items:
        assert_error(item, "PARSE_ERROR", 400, -32700)


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_14_unsupported_content_type_is_415(http, content_type):
    r = post(http, "wire.add", {"json": {"a": 1, "b": 2}}, content_type=content_type)
    assert r.status_code == 415
    shape = assert_error(r.json(), "UNSUPPORTED_MEDIA_TYPE", 415, -32015, path=None)
    if content_type == "text/plain":
        assert shape["message"].startswith('Unsupported content-type "text/plain'), shape


def test_14b_json_content_type_with_parameters_is_accepted(http):
    r = post(http, "wire.add", {"json": {"a": 1, "b": 2}}, content_type="application/json; charset=utf-8")
    assert r.status_code == 200
    assert r.json() == {"result": {"data": {"json": {"sum": 3}}}}


def test_14c_request_level_415_in_a_batch_is_one_object(http):
    r = post(http, "wire.add,wire.add", {"0": {"json": {"a": 1, "b": 1}}}, content_type="text/plain", batch="1")
    assert r.status_code == 415
    assert_error(r.json(), "UNSUPPORTED_MEDIA_TYPE", 415, -32015, path=None)


def test_15_mixed_procedure_types_is_one_error_object(http):
    r = get(http, "wire.echo,wire.add", {"0": {"json": 1}, "1": {"json": {"a": 1, "b": 1}}}, batch="1")
    assert r.status_code == 400
    shape = assert_error(r.json(), "BAD_REQUEST", 400, -32600, path=None)  # an object, not an array
    assert shape["message"].startswith("Cannot mix procedure types in call"), shape
    assert "query" in shape["message"] and "mutation" in shape["message"], shape


def test_18_head_is_204_empty(http):
    for path in ("wire.echo", "wire.add", "wire.nope"):
        r = checked(http.head(f"/{path}"))
        assert r.status_code == 204, path
        assert r.content == b""


# ---- URL and query parameters -----------------------------------------------------------------


def test_percent_encoded_path_is_decoded(http):
    r = checked(http.get(f"/wire%2Eecho?input={enc({'json': 'ok'})}"))
    assert r.status_code == 200
    assert r.json() == {"result": {"data": {"json": "ok"}}}


@pytest.mark.parametrize("raw_path", ["wire.ec%ZZho", "wire.echo%", "wire.ech%E9o", "wire.echo%2"])
def test_malformed_percent_escape_in_path_is_400(http, raw_path):
    r = checked(http.get(f"/{raw_path}?input={enc(NO_INPUT)}"))
    assert r.status_code == 400, r.text
    assert_error(r.json(), "BAD_REQUEST", 400, -32600)


def test_batch_true_is_not_a_batch(http):
    r = get(http, "wire.echo,wire.echo", {"json": {"0": 1, "1": 2}}, batch="true")
    assert r.status_code == 404
    shape = assert_error(r.json(), "NOT_FOUND", 404, -32004)  # one object: a single call to "wire.echo,wire.echo"
    assert "wire.echo,wire.echo" in shape["message"]


def test_extra_query_parameters_are_ignored(http):
    r = checked(http.get(f"/wire.echo?foo=bar&input={enc({'json': 7})}&_=123"))
    assert r.status_code == 200
    assert r.json() == {"result": {"data": {"json": 7}}}


@pytest.mark.parametrize("batch_input", [[{"json": 1}, {"json": 2}], "x", 5, None])
def test_non_object_batch_input_is_400(http, batch_input):
    r = get(http, "wire.echo,wire.echo", batch_input, batch="1")
    assert r.status_code == 400
    body = r.json()
    items = body if isinstance(body, list) else [body]
    assert len(items) in (1, 2), body
    for item in items:
        shape = assert_error(item, "BAD_REQUEST", 400, -32600)
        assert "object" in shape["message"], shape


def test_long_batch_url_is_served(http):
    """A browser batch puts every input in the URL: ~12 KB request line."""
    n = 20
    text = "é" * 60 + "x" * 200
    r = get(http, ",".join(["wire.echo"] * n), {str(i): {"json": f"{i}{text}"} for i in range(n)}, batch="1")
    assert len(str(r.request.url)) > 10_000
    assert r.status_code == 200
    assert r.json() == [{"result": {"data": {"json": f"{i}{text}"}}} for i in range(n)]


# ---- limits -----------------------------------------------------------------------------------


def test_body_over_the_limit_is_413(http, live_server):
    pad = "x" * (DEFAULT_MAX_BODY_BYTES + 1024)
    r = post(http, "wire.add", {"json": {"a": 1, "b": 2, "pad": pad}})
    assert r.status_code == 413
    assert_error(r.json(), "PAYLOAD_TOO_LARGE", 413, -32013)
    # Chunked, so no content-length to check up front.
    def chunks():
        yield b'{"json":{"a":1,"b":2,"pad":"'
        for _ in range(20):
            yield b"y" * (64 * 1024)
        yield b'"}}'

    r = checked(http.post("/wire.add", content=chunks(), headers={"content-type": "application/json"}))
    assert r.status_code == 413
    assert_error(r.json(), "PAYLOAD_TOO_LARGE", 413, -32013)
    assert get(http, "wire.echo", {"json": "alive"}).status_code == 200


def test_body_under_the_limit_is_accepted(http):
    pad = "x" * (DEFAULT_MAX_BODY_BYTES - 4096)
    r = post(http, "wire.add", {"json": {"a": 1, "b": 2, "pad": pad}})
    assert r.status_code != 413
    assert r.status_code in (200, 400), r.text[:500]


def test_batch_size_limit(http):
    n = DEFAULT_MAX_BATCH_SIZE
    r = get(http, ",".join(["wire.echo"] * n), {str(i): {"json": i} for i in range(n)}, batch="1")
    assert r.status_code == 200
    assert [item["result"]["data"]["json"] for item in r.json()] == list(range(n))

    n += 1
    r = get(http, ",".join(["wire.echo"] * n), {str(i): {"json": i} for i in range(n)}, batch="1")
    code, status, json_rpc = BATCH_LIMIT
    assert r.status_code == status
    assert_error(r.json(), code, status, json_rpc, path=None)  # one object for the whole request


def test_batch_size_limit_for_mutations_and_streams(http):
    n = DEFAULT_MAX_BATCH_SIZE + 10
    code, status, json_rpc = BATCH_LIMIT
    r = post(http, ",".join(["wire.add"] * n), {str(i): {"json": {"a": i, "b": 0}} for i in range(n)}, batch="1")
    assert r.status_code == status
    assert_error(r.json(), code, status, json_rpc, path=None)


# ---- no transformer (plain JSON) -------------------------------------------------------------


def test_19_plain_query(http):
    r = get(http, "wire.echo", {"hello": "w"})
    assert r.status_code == 200
    assert r.json() == {"result": {"data": {"hello": "w"}}}


def test_19_plain_query_without_input(http):
    """The plain client omits `?input=` when there is none; the answer has no `data`."""
    r = get(http, "wire.echo")
    assert r.status_code == 200
    assert r.json() in ({"result": {}}, {"result": {"data": None}})


def test_19_plain_errors_are_not_wrapped(http):
    r = get(http, "wire.notFound")
    assert r.status_code == 404
    assert r.json() == {"error": NOT_FOUND_SHAPE}
    r = post(http, "wire.add", {"a": "x", "b": 1})
    assert r.status_code == 400
    shape = assert_error(r.json(), "BAD_REQUEST", 400, -32600, path="wire.add", superjson=False)
    assert "$.a" in shape["message"]


def test_19_plain_mutation(http):
    r = post(http, "wire.add", {"a": 1.5, "b": 2})
    assert r.status_code == 200
    assert r.json() == {"result": {"data": {"sum": 3.5}}}


def test_19_plain_batch(http):
    r = get(http, "wire.echo,wire.notFound,wire.echo", {"0": {"hello": "w"}, "2": [1, "two"]}, batch="1")
    assert r.status_code == 207
    assert r.json() == [
        {"result": {"data": {"hello": "w"}}},
        {"error": NOT_FOUND_SHAPE},
        {"result": {"data": [1, "two"]}},
    ]
    r = post(http, "wire.add,wire.add", {"0": {"a": 1, "b": 1}, "1": {"a": 2, "b": 2}}, batch="1")
    assert r.status_code == 200
    assert r.json() == [{"result": {"data": {"sum": 2}}}, {"result": {"data": {"sum": 4}}}]


# ---- 16: streamed batches (JSON lines) ------------------------------------------------------


def read_timed(http: httpx.Client, url: str, headers: dict[str, str]) -> tuple[httpx.Response, list[tuple[float, bytes]]]:
    """GET `url`, returning the response and (seconds since the request, bytes) per received chunk."""
    started = time.monotonic()
    received: list[tuple[float, bytes]] = []
    with http.stream("GET", url, headers=headers) as response:
        for chunk in response.iter_raw():
            received.append((time.monotonic() - started, chunk))
    body = b"".join(chunk for _, chunk in received)
    assert b"Traceback" not in body, body[:2000]
    return response, received


def jsonl_lines(received: list[tuple[float, bytes]]) -> list[tuple[float, Any]]:
    """Split a JSONL body into (arrival time of the line's newline, parsed line)."""
    body = b"".join(chunk for _, chunk in received)
    assert body.endswith(b"\n"), f"every line ends with a newline: {body[-200:]!r}"
    lines: list[tuple[float, Any]] = []
    buffer = b""
    for at, chunk in received:
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            text = line.lstrip(b" ")  # a lone space is a keep-alive ping
            assert text, "empty line in JSONL"
            lines.append((at, json.loads(text)))
    assert buffer.strip(b" ") == b"", buffer
    return lines


def hydrate_jsonl(lines: list[Any], times: list[float] | None = None) -> dict[str, Any]:
    """Rebuild each call's envelope from the head and the chunk lines (section 8).

    With `times` (arrival of each line), returns {index: (envelope, time the call was complete)}.
    """
    times = times or [0.0] * len(lines)
    head, chunks = lines[0], {}
    for chunk, at in zip(lines[1:], times[1:]):
        assert isinstance(chunk, list) and len(chunk) == 3, chunk
        chunk_id, status, encoded = chunk
        assert chunk_id not in chunks, f"chunk {chunk_id} sent twice"
        chunks[chunk_id] = (status, encoded, at)
    used: set[int] = set()

    def hydrate(encoded: list[Any], at: float) -> tuple[Any, float]:
        assert isinstance(encoded, list) and isinstance(encoded[0], list) and len(encoded[0]) <= 1, encoded
        value = encoded[0][0] if encoded[0] else {"$undefined": True}
        for key, kind, chunk_id in encoded[1:]:
            assert kind == 0, "only promises are expected"
            status, inner_encoded, inner_at = chunks[chunk_id]
            used.add(chunk_id)
            assert status == 0, "calls resolve their promise; errors are envelopes"
            inner, inner_at = hydrate(inner_encoded, inner_at)
            at = max(at, inner_at)
            if key is None:
                value = inner
            else:
                assert value[key] == 0, "a referenced place holds the placeholder 0"
                value[key] = inner
        return value, at

    result = {index: hydrate(encoded, times[0]) for index, encoded in head.items()}
    assert used == set(chunks), "every chunk is referenced"
    return result if any(times) else {index: value for index, (value, _) in result.items()}


def test_16_jsonl_stream(http):
    inputs = {
        "0": {"json": {"ms": 400, "value": "s"}},
        "1": {
            "json": {"d": "1970-01-01T00:00:00.000Z", "list": [1, None]},
            "meta": {"values": {"d": ["Date"], "list.1": ["undefined"]}, "v": 1},
        },
    }
    url = f"/wire.slow,wire.echo,wire.notFound?batch=1&input={enc(inputs)}"
    response, received = read_timed(http, url, {"trpc-accept": "application/jsonl"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    lines = jsonl_lines(received)
    for _, line in lines:
        assert isinstance(line, dict) and "json" in line and set(line) <= {"json", "meta"}, line
    decoded = [sj(line) for _, line in lines]
    assert set(decoded[0]) == {"0", "1", "2"}, decoded[0]
    calls = hydrate_jsonl(decoded, [at for at, _ in lines])
    assert {index: envelope for index, (envelope, _) in calls.items()} == {
        "0": {"result": {"data": "s"}},
        "1": {"result": {"data": {"d": {"$date": "1970-01-01T00:00:00.000Z"}, "list": [1, {"$undefined": True}]}}},
        "2": {"error": NOT_FOUND_SHAPE},
    }
    # Streamed: the head and the fast calls arrive long before the 400 ms call is done.
    assert lines[0][0] < 0.3, lines
    assert calls["1"][1] < 0.3 and calls["2"][1] < 0.3, calls
    assert calls["0"][1] >= 0.39, calls


def test_16_jsonl_with_accept_header(http):
    response, received = read_timed(
        http, f"/wire.echo?batch=1&input={enc({'0': {'json': 'a'}})}", {"accept": "application/jsonl"}
    )
    assert response.status_code == 200
    decoded = [sj(line) for _, line in jsonl_lines(received)]
    assert hydrate_jsonl(decoded) == {"0": {"result": {"data": "a"}}}


def test_16_jsonl_mutations(http):
    with http.stream(
        "POST",
        "/wire.add,wire.boom?batch=1",
        content=json.dumps({"0": {"json": {"a": 1, "b": 2}}}),
        headers={"content-type": "application/json", "trpc-accept": "application/jsonl"},
    ) as response:
        received = [(0.0, response.read())]
    assert response.status_code == 200
    assert b"Traceback" not in received[0][1] and b"sk-123" not in received[0][1]
    result = hydrate_jsonl([sj(line) for _, line in jsonl_lines(received)])
    assert result["0"] == {"result": {"data": {"sum": 3}}}
    assert result["1"]["error"]["data"] == {"code": "INTERNAL_SERVER_ERROR", "httpStatus": 500, "path": "wire.boom"}


def test_16_jsonl_plain(http):
    response, received = read_timed(
        http,
        f"/wire.echo,wire.notFound?batch=1&input={enc({'0': {'hello': 'w'}})}",
        {"trpc-accept": "application/jsonl"},
    )
    assert response.status_code == 200
    lines = [line for _, line in jsonl_lines(received)]
    # Without a transformer the head is plain JSON, not wrapped in a superjson {"json": ...}.
    assert lines[0] == {"0": [[0], [None, 0, 0]], "1": [[0], [None, 0, 1]]}, lines
    assert hydrate_jsonl(lines) == {"0": {"result": {"data": {"hello": "w"}}}, "1": {"error": NOT_FOUND_SHAPE}}


def test_16_streaming_needs_a_batch(http):
    r = checked(http.get(f"/wire.echo?input={enc({'json': 1})}", headers={"trpc-accept": "application/jsonl"}))
    assert r.status_code == 400
    assert_error(r.json(), "BAD_REQUEST", 400, -32600)


# ---- 17: subscriptions (server-sent events) -------------------------------------------------


def sse_events(received: list[tuple[float, bytes]], *, pings: bool = False) -> list[dict[str, Any]]:
    """Parse an event stream into [{event, data, id, at}], `at` = arrival of the block's end.
    Keep-alive pings are left out unless `pings`."""
    events: list[dict[str, Any]] = []
    buffer = ""
    for at, chunk in received:
        buffer += chunk.decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            if not block.strip("\n"):
                continue  # extra blank lines between events are allowed
            event: dict[str, Any] = {"event": "message", "data": None, "at": at}
            for line in block.strip("\n").split("\n"):
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    event["data"] = value if event["data"] is None else event["data"] + "\n" + value
                else:
                    event[name] = value
            if pings or event["event"] != "ping":
                events.append(event)
    assert buffer.strip("\n") == "", f"unterminated event: {buffer!r}"
    return events


def test_17_subscription_events(http):
    url = f"/wire.ticks?input={enc({'json': {'count': 3, 'intervalMs': 150}})}"
    response, received = read_timed(http, url, {"accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers.get("cache-control") == "no-cache, no-transform"
    assert response.headers.get("x-accel-buffering") == "no"
    events = sse_events(received)
    assert [event["event"] for event in events] == ["connected", "message", "message", "message", "return"], events
    assert isinstance(json.loads(events[0]["data"]), dict)  # client options, plain JSON
    ticks = [sj(json.loads(event["data"])) for event in events[1:4]]
    assert [tick["n"] for tick in ticks] == [1, 2, 3]
    assert all(set(tick) == {"n", "at"} and set(tick["at"]) == {"$date"} for tick in ticks), ticks
    assert events[4]["data"] == ""
    # Sent as they happen, not buffered until the end.
    assert events[1]["at"] < events[4]["at"] - 0.2, events


def test_17_subscription_bad_input_is_an_in_stream_error(http):
    url = f"/wire.ticks?input={enc({'json': {'count': 'x', 'intervalMs': 1}})}"
    response, received = read_timed(http, url, {"accept": "text/event-stream"})
    assert response.status_code == 200
    events = sse_events(received)
    assert [event["event"] for event in events] == ["connected", "serialized-error"], events
    shape = sj(json.loads(events[1]["data"]))
    assert shape["code"] == -32600 and shape["data"]["code"] == "BAD_REQUEST", shape
    assert shape["data"]["path"] == "wire.ticks" and "$.count" in shape["message"], shape


def test_subscription_in_a_batch_is_bad_request(http):
    """Subscriptions are SSE only: inside a batch each call is a 400 (Node: "Cannot batch subscription calls")."""
    inputs = {"0": {"json": {"count": 1, "intervalMs": 1}}}
    r = get(http, "wire.ticks", inputs, batch="1")
    assert r.status_code == 400
    body = r.json()
    for item in body if isinstance(body, list) else [body]:
        assert_error(item, "BAD_REQUEST", 400, -32600)
    response, received = read_timed(
        http, f"/wire.ticks?batch=1&input={enc(inputs)}", {"trpc-accept": "application/jsonl"}
    )
    if response.status_code == 200:
        calls = hydrate_jsonl([sj(line) for _, line in jsonl_lines(received)])
        assert_error(calls["0"], "BAD_REQUEST", 400, -32600, superjson=False)
    else:
        assert response.status_code == 400


def test_17_subscription_unknown_path_is_a_json_404(http):
    r = checked(http.get(f"/wire.nope?input={enc({'json': {}})}", headers={"accept": "text/event-stream"}))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert_error(r.json(), "NOT_FOUND", 404, -32004, path="wire.nope")


def test_17_subscription_plain(http):
    response, received = read_timed(
        http, f"/wire.ticks?input={enc({'count': 1, 'intervalMs': 1})}", {"accept": "text/event-stream"}
    )
    assert response.status_code == 200
    events = sse_events(received)
    assert [event["event"] for event in events] == ["connected", "message", "return"], events
    tick = json.loads(events[1]["data"])
    assert set(tick) == {"n", "at"} and tick["n"] == 1, tick
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$", tick["at"]), tick


# ---- errors never leak, malformed requests never 500 ----------------------------------------


def test_unexpected_exception_has_no_stack_or_cause(http):
    r = post(http, "wire.boom", NO_INPUT)
    assert r.status_code == 500
    shape = assert_error(r.json(), "INTERNAL_SERVER_ERROR", 500, -32603, path="wire.boom")
    assert "sk-123" not in r.text, "an unexpected exception's message must not reach the client"
    assert shape["data"] == {"code": "INTERNAL_SERVER_ERROR", "httpStatus": 500, "path": "wire.boom"}


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


ODD_REQUESTS = {
    "invalid-utf8-input": ("GET", "/wire.echo?input=%FF%FE", None, None),
    "invalid-date": ("GET", f"/wire.echo?input={enc({'json': {'d': 'nope'}, 'meta': {'values': {'d': ['Date']}, 'v': 1}})}", None, None),
    "date-not-a-string": ("GET", f"/wire.echo?input={enc({'json': {'d': 5}, 'meta': {'values': {'d': ['Date']}, 'v': 1}})}", None, None),
    "meta-path-missing": ("GET", f"/wire.echo?input={enc({'json': {}, 'meta': {'values': {'x.y': ['Date']}, 'v': 1}})}", None, None),
    "meta-index-out-of-range": ("GET", f"/wire.echo?input={enc({'json': [], 'meta': {'values': {'3': ['Date']}, 'v': 1}})}", None, None),
    "meta-values-number": ("GET", f"/wire.echo?input={enc({'json': 1, 'meta': {'values': 5, 'v': 1}})}", None, None),
    "meta-not-object": ("GET", f"/wire.echo?input={enc({'json': 1, 'meta': 'x'})}", None, None),
    "unknown-annotation": ("GET", f"/wire.echo?input={enc({'json': 1, 'meta': {'values': ['Wat'], 'v': 1}})}", None, None),
    "empty-annotation": ("GET", f"/wire.echo?input={enc({'json': {'a': 1}, 'meta': {'values': {'a': []}, 'v': 1}})}", None, None),
    "bad-bigint": ("GET", f"/wire.echo?input={enc({'json': 'x', 'meta': {'values': ['bigint'], 'v': 1}})}", None, None),
    "huge-integer": ("GET", "/wire.echo?input=" + quote('{"json":' + "9" * 5000 + "}"), None, None),
    "huge-exponent": ("GET", "/wire.echo?input=%7B%22json%22%3A1e999%7D", None, None),
    "deep-nesting-query": ("GET", "/wire.echo?input=" + quote('{"json":' + _deep(600) + "}"), None, None),
    "deep-nesting-body": ("POST", "/wire.add", '{"json":{"a":' + _deep(20000) + ',"b":1}}', "application/json"),
    "empty-input": ("GET", "/wire.echo?input=", None, None),
    "empty-path": ("GET", "/?input=%7B%7D", None, None),
    "empty-batch-path": ("GET", "/?batch=1&input=%7B%7D", None, None),
    "trailing-comma": ("GET", f"/wire.echo,?batch=1&input={enc({'0': {'json': 1}})}", None, None),
    "null-body": ("POST", "/wire.add", "null", "application/json"),
    "array-body": ("POST", "/wire.add", "[1,2]", "application/json"),
    "empty-body": ("POST", "/wire.add", "", "application/json"),
    "batch-entry-not-envelope": ("POST", "/wire.add,wire.add?batch=1", '{"0":5,"1":{"json":{"a":1,"b":1}}}', "application/json"),
    "subscription-in-batch": ("GET", f"/wire.ticks,wire.echo?batch=1&input={enc({'0': {'json': {'count': 1, 'intervalMs': 1}}})}", None, None),
    "subscription-batch-of-one": ("GET", f"/wire.ticks?batch=1&input={enc({'0': {'json': {'count': 1, 'intervalMs': 1}}})}", None, None),
    "put": ("PUT", "/wire.echo", "{}", "application/json"),
    "delete": ("DELETE", "/wire.add", None, None),
    "very-long-path": ("GET", "/" + "a." * 2000 + "b", None, None),
    "nul-in-path": ("GET", "/wire.echo%00", None, None),
}


@pytest.mark.parametrize("name", list(ODD_REQUESTS))
def test_odd_requests_get_a_4xx_trpc_error(http, name):
    method, url, body, content_type = ODD_REQUESTS[name]
    headers = {"content-type": content_type} if content_type else {}
    r = checked(http.request(method, url, content=body.encode() if body is not None else None, headers=headers))
    assert r.status_code < 500, f"{name}: {r.status_code} {r.text[:300]}"
    assert r.headers.get("content-type", "").startswith("application/json"), (name, r.headers, r.text[:300])
    payload = r.json()
    items = payload if isinstance(payload, list) else [payload]
    for item in items:
        assert isinstance(item, dict) and set(item) <= {"result", "error"} and len(item) == 1, item
        if "error" in item:
            shape = item["error"].get("json", item["error"])
            assert shape["data"]["httpStatus"] < 500, shape


def test_server_still_answers_after_odd_requests(http):
    assert get(http, "wire.echo", {"json": "still here"}).json() == {"result": {"data": {"json": "still here"}}}


def test_17_subscription_sends_pings_through_a_quiet_spell(http):
    """A spell longer than the ping interval (SSE_PING_SECONDS, 0.5 s in the test server) sends
    keep-alive pings between the values, and the subscription goes on where it was."""
    url = f"/wire.ticks?input={enc({'json': {'count': 2, 'intervalMs': 1_600}})}"
    response, received = read_timed(http, url, {"accept": "text/event-stream"})
    assert response.status_code == 200
    events = sse_events(received, pings=True)
    names = [event["event"] for event in events]
    assert [name for name in names if name != "ping"] == ["connected", "message", "message", "return"], names
    first, second = (index for index, name in enumerate(names) if name == "message")
    assert names[first + 1 : second] and set(names[first + 1 : second]) == {"ping"}, names
    assert second - first - 1 >= 2, f"a 1.6 s spell holds at least two 0.5 s pings: {names}"
    values = [event for event in events if event["event"] == "message"]
    assert [sj(json.loads(event["data"]))["n"] for event in values] == [1, 2]
