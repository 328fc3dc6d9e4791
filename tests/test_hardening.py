"""Regression tests for what a black-box attack run found: text PostgreSQL cannot store, bytes that
are not UTF-8, and how complete JSON answers are framed.

Each test names the failure it guards against; they run against the session's live server.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from tests.support.factories import member_client


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
