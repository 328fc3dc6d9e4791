"""Fuzzing every registered procedure, and the transport around them, against the live server.

Inputs are derived from each procedure's input type (msgspec's type information): a well-formed
value, then mutated with wrong types, missing and extra fields, huge strings, deep nesting, NaN
and infinities (through superjson's `number` annotation), bad UUIDs, NUL characters and lone
surrogates, and superjson meta that points nowhere. Transport-level garbage (bytes that are not
JSON or not UTF-8, wrong content types, absurd batch paths) is fuzzed separately.

Whatever arrives, the answer is never a 5xx and never shows a traceback, SQL or a file path.
`make test` runs a short form; `make fuzz` runs FUZZ_EXAMPLES examples per procedure.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.registry import Procedure, load_procedures
from tests.support.factories import create_org, create_user, login

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=list(HealthCheck),
)
PROCEDURES: list[Procedure] = sorted(load_procedures().values(), key=lambda procedure: procedure.path)
# What an answer must never show: a stack, a source file, SQL text, a server path.
LEAKS = re.compile(r"Traceback|File \"|\.py\b|\bSELECT\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|\bWHERE\b|/work/|/home/|/usr/")
HUGE = 20_000 if EXAMPLES <= 10 else 300_000


@pytest.fixture(scope="module")
def admin(live_server, database_url):
    """A signed-in admin of a business-plan organization: guards let the fuzz reach the decoder."""

    async def arrange() -> Any:
        import asyncpg

        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        try:
            org = await create_org(pool, plan="business")
            return await create_user(pool, org.id, role="admin")
        finally:
            await pool.close()

    client = login(live_server, asyncio.run(arrange()))
    yield client.http
    client.close()


# ---- inputs derived from the input type -------------------------------------------------------

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.just("a\u0000b"),
    st.just("not-a-uuid"),
    st.just("00000000-0000-0000-0000-00000000000g"),
    st.just("x" * HUGE),
    st.just(json.loads("[" * 200 + "]" * 200)),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.lists(st.integers(), max_size=3),
)


def well_formed(info: mi.Type, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value of roughly the right shape (lengths and ranges not respected)."""
    if depth > 4:
        return st.none()
    if isinstance(info, mi.StructType):
        fields = {field.encode_name: well_formed(field.type, depth + 1) for field in info.fields}
        return st.fixed_dictionaries({}, optional=fields)
    if isinstance(info, mi.StrType):
        return st.text(max_size=30)
    if isinstance(info, mi.IntType):
        return st.integers(min_value=-5, max_value=500)
    if isinstance(info, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.UUIDType):
        return st.uuids().map(str)
    if isinstance(info, mi.DateTimeType):
        return st.just("2026-01-01T00:00:00.000Z")
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(list(info.values))
    if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        return st.lists(well_formed(info.item_type, depth + 1), max_size=3)
    if isinstance(info, mi.DictType):
        return st.dictionaries(st.text(max_size=10), well_formed(info.value_type, depth + 1), max_size=3)
    if isinstance(info, mi.UnionType):
        return st.one_of([well_formed(member, depth + 1) for member in info.types])
    if isinstance(info, mi.Metadata):
        return well_formed(info.type, depth)
    return GARBAGE


def mutated(value: Any) -> st.SearchStrategy[Any]:
    """`value` with one field replaced by garbage, one extra field, or left whole."""
    if not isinstance(value, dict) or not value:
        return st.one_of(st.just(value), GARBAGE)
    keys = sorted(value)
    return st.one_of(
        st.just(value),
        st.tuples(st.sampled_from(keys), GARBAGE).map(lambda pair: {**value, pair[0]: pair[1]}),
        st.tuples(st.text(max_size=8), GARBAGE).map(lambda pair: {**value, pair[0]: pair[1]}),
        st.sampled_from(keys).map(lambda key: {k: v for k, v in value.items() if k != key}),
    )


def envelope(value: Any, twist: str, keys: list[str]) -> Any:
    """The superjson envelope of `value`, possibly with meta that is wrong on purpose."""
    if twist == "plain":
        return {"json": value}
    if twist == "nan" and isinstance(value, dict) and keys:
        return {"json": {**value, keys[0]: "NaN"}, "meta": {"values": {keys[0]: ["number"]}, "v": 1}}
    if twist == "infinity" and isinstance(value, dict) and keys:
        return {"json": {**value, keys[0]: "-Infinity"}, "meta": {"values": {keys[0]: ["number"]}, "v": 1}}
    if twist == "meta-nowhere":
        return {"json": value, "meta": {"values": {"no.such.path": ["Date"]}, "v": 1}}
    if twist == "date-garbage" and isinstance(value, dict) and keys:
        return {"json": {**value, keys[0]: "yesterday"}, "meta": {"values": {keys[0]: ["Date"]}, "v": 1}}
    return value  # no envelope at all


def procedure_inputs(procedure: Procedure) -> st.SearchStrategy[tuple[Any, str]]:
    if procedure.input_type is None or procedure.input_type is Any:
        base: st.SearchStrategy[Any] = GARBAGE
        keys: list[str] = []
    else:
        info = mi.type_info(procedure.input_type)
        keys = [field.encode_name for field in info.fields] if isinstance(info, mi.StructType) else []
        base = well_formed(info).flatmap(mutated)
    twists = st.sampled_from(["plain", "plain", "nan", "infinity", "meta-nowhere", "date-garbage", "bare"])
    return st.tuples(base, twists).map(lambda pair: (envelope(pair[0], pair[1], keys), pair[1]))


# ---- sending and checking ---------------------------------------------------------------------


def check(response_status: int, body: str, what: str) -> None:
    assert response_status < 500, f"{what}: {response_status} {body[:500]}"
    leak = LEAKS.search(body)
    assert leak is None, f"{what}: answer shows {leak.group(0)!r}: {body[:500]}"


def send(http: httpx.Client, procedure: Procedure, payload: Any, raw: bytes | None = None) -> None:
    text = json.dumps(payload, allow_nan=True) if raw is None else None
    what = f"{procedure.path} {(text or repr(raw))[:200]}"
    if procedure.kind == "mutation":
        content = raw if raw is not None else text.encode()  # type: ignore[union-attr]
        response = http.post(f"/api/trpc/{procedure.path}", content=content, headers={"content-type": "application/json"})
        check(response.status_code, response.text, what)
        return
    url = f"/api/trpc/{procedure.path}?input={quote(text) if text is not None else quote(raw or b'')}"
    if procedure.kind == "query":
        response = http.get(url)
        check(response.status_code, response.text, what)
        return
    # A subscription: the first events tell whether it was accepted; no need to wait for the end.
    with http.stream("GET", url, headers={"accept": "text/event-stream"}) as response:
        seen = ""
        for line in response.iter_lines():
            seen += line + "\n"
            if line.startswith("data: ") and "connected" not in seen.splitlines()[-2:][0]:
                break
        check(response.status_code, seen, what)
        for line in seen.splitlines():
            if line.startswith("data: {") and '"httpStatus"' in line:
                status = json.loads(line[len("data: ") :])
                status = status.get("json", status)["data"]["httpStatus"]
                assert status < 500, f"{what}: in-stream {line[:300]}"


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda procedure: procedure.path)
def test_fuzzed_inputs_never_answer_5xx_or_leak(admin, procedure):
    @FUZZ_SETTINGS
    @given(procedure_inputs(procedure))
    def run(case: tuple[Any, str]) -> None:
        send(admin, procedure, case[0])

    run()


def minimal(info: mi.Type) -> Any:
    """A small valid value of the type, so that a bad string is the only thing wrong."""
    if isinstance(info, mi.Metadata):
        return minimal(info.type)
    if isinstance(info, mi.StructType):
        return {field.encode_name: minimal(field.type) for field in info.fields if field.required}
    if isinstance(info, mi.StrType):
        return "x" * max(info.min_length or 0, 4)
    if isinstance(info, (mi.IntType, mi.FloatType)):
        return info.ge if info.ge is not None else 1
    if isinstance(info, mi.UUIDType):
        return "00000000-0000-4000-8000-000000000000"
    if isinstance(info, mi.LiteralType):
        return info.values[0]
    if isinstance(info, mi.UnionType):
        return minimal(next((member for member in info.types if not isinstance(member, mi.NoneType)), info.types[0]))
    if isinstance(info, mi.BoolType):
        return False
    if isinstance(info, mi.DateTimeType):
        return "2026-01-01T00:00:00Z"
    if isinstance(info, mi.DictType):
        return {}
    return []


def string_fields(info: mi.Type) -> list[str]:
    while isinstance(info, mi.Metadata):
        info = info.type
    if not isinstance(info, mi.StructType):
        return ["x"]
    return [field.encode_name for field in info.fields] or ["x"]


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda procedure: procedure.path)
def test_nul_and_lone_surrogates_never_answer_5xx(admin, procedure):
    info = mi.type_info(procedure.input_type) if procedure.input_type not in (None, Any) else mi.AnyType()
    base = minimal(info) if isinstance(info, mi.StructType) else {}
    for name in string_fields(info):
        for bad in ("a\u0000b", ["a\u0000b"], {"k": "a\u0000b"}):
            send(admin, procedure, {"json": {**base, name: bad}})
        # A lone surrogate can only travel as a JSON escape.
        raw = json.dumps({"json": {**base, name: "SURROGATE"}}).replace("SURROGATE", "\\ud800")
        send(admin, procedure, None, raw=raw.encode())


# ---- transport-level garbage -----------------------------------------------------------------

PATHS = st.one_of(
    st.sampled_from([procedure.path for procedure in PROCEDURES]),
    st.text(max_size=40),
    st.lists(st.sampled_from(["system.status", "auth.me", "", ",", "x" * 300]), max_size=60).map(",".join),
)


@FUZZ_SETTINGS
@given(
    path=PATHS,
    body=st.one_of(st.binary(max_size=300), st.just(b"\xff\xfe{"), st.just(b'{"0":' * 300), st.text().map(str.encode)),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1", "multipart/form-data"]),
    batch=st.sampled_from(["", "?batch=1", "?batch=true", "?batch=1&input=%ZZ", "?input=%FF"]),
    method=st.sampled_from(["GET", "POST"]),
)
def test_transport_garbage_never_answers_5xx_or_leaks(admin, path, body, content_type, batch, method):
    url = "/api/trpc/" + quote(path, safe=",.") + batch
    headers = {"content-type": content_type} if content_type else {}
    response = admin.request(method, url, content=body if method == "POST" else None, headers=headers)
    check(response.status_code, response.text, f"{method} {url[:200]} {body[:100]!r}")


def test_every_registered_procedure_is_fuzzed():
    # A procedure added later is covered without a list to update here.
    assert {procedure.path for procedure in PROCEDURES} >= {"auth.login", "tickets.create", "ai.run"}
    assert all(procedure.input_type is None or procedure.input_type is Any or msgspec.json.schema(procedure.input_type)
               for procedure in PROCEDURES)
