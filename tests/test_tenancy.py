"""Tenancy, as a property over the whole procedure registry.

For every registered procedure whose input names a tenant-owned row (`row_id_fields`: UUID fields
called `id` or `...Id`, derived from the input type),
a member of organization B calling it with the id of organization A's row must get exactly the
answer a random UUID gets (same error code, same message), and organization A's data must not
change. Procedures added later are covered without declaring anything; a field whose kind of row this
file cannot create yet makes the procedure skip, with its name and the field in the reason.

Inputs are generated from each procedure's input Struct (msgspec.inspect + hypothesis), so the
other fields are valid more often than not and the call reaches the handler's lookup.
"""

from __future__ import annotations

import asyncio
import json
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.registry import Procedure, load_procedures, row_id_fields
from tests.support.factories import create_org, member_client
from tests.support.trpc import TRPCClient, TRPCClientError

REGISTRY = load_procedures()
TENANT_PROCEDURES = sorted((p for p in REGISTRY.values() if row_id_fields(p)), key=lambda p: p.path)

EXAMPLES_PER_PROCEDURE = 5

# ---- one row of each kind in organization A --------------------------------------------------------

# What kind of row an id field names. "id" depends on the namespace (tickets.get's id is a
# ticket); every other name says its kind itself.
KIND_OF_FIELD: dict[str, str] = {
    "ticketId": "ticket",
    "articleId": "article",
    "userId": "user",
    "assigneeId": "user",
    "agentId": "user",
    "keyId": "api_key",
    "customerId": "customer",
    "messageId": "message",
    "suggestionId": "suggestion",
}
KIND_OF_ID_BY_NAMESPACE: dict[str, str] = {
    "tickets": "ticket",
    "articles": "article",
    "users": "user",
    "apiKeys": "api_key",
    "customers": "customer",
    "messages": "message",
}

# One INSERT per kind, $1 = organization A; later kinds may use earlier ones (a message needs a ticket).
ROW_FACTORIES: dict[str, str] = {
    "user": """
        INSERT INTO users (org_id, email, name, role, expertise)
        VALUES ($1, 'tenant-a-' || gen_random_uuid() || '@example.test', 'Tenant A agent', 'agent', '{billing}')
        RETURNING id""",
    "customer": """
        INSERT INTO customers (org_id, name, email)
        VALUES ($1, 'Tenant A customer', 'customer-' || gen_random_uuid() || '@example.test')
        RETURNING id""",
    "ticket": """
        WITH numbered AS (
            UPDATE organizations SET last_ticket_number = last_ticket_number + 1 WHERE id = $1
            RETURNING last_ticket_number
        )
        INSERT INTO tickets (org_id, number, subject, description, description_text, tags, customer_id)
        SELECT $1, last_ticket_number, 'Tenant A: printer on fire', to_jsonb('It smokes.'::text), 'It smokes.',
               '{hardware}', (SELECT id FROM customers WHERE org_id = $1 LIMIT 1)
        FROM numbered
        RETURNING id""",
    "message": """
        INSERT INTO messages (org_id, ticket_id, author, content)
        SELECT $1, id, 'customer', 'Still smoking.' FROM tickets WHERE org_id = $1 LIMIT 1
        RETURNING id""",
    "article": """
        INSERT INTO articles (org_id, title, content, published, tags)
        VALUES ($1, 'Tenant A: fire safety', 'Unplug the printer.', true, '{hardware}')
        RETURNING id""",
    "suggestion": """
        INSERT INTO ai_suggestions (org_id, operation, model, ticket_id)
        SELECT $1, 'summarizeTicket', 'local/use-m-v3', id FROM tickets WHERE org_id = $1 LIMIT 1
        RETURNING id""",
    "api_key": """
        INSERT INTO api_keys (org_id, name, prefix, secret_hash, scopes)
        VALUES ($1, 'Tenant A key', 'hd_' || substr(md5(random()::text), 1, 8), md5(random()::text), '{ticket:read}')
        RETURNING id""",
}


def kind_of(procedure: Procedure, field: str) -> str | None:
    if field == "id":
        return KIND_OF_ID_BY_NAMESPACE.get(procedure.path.split(".", 1)[0])
    return KIND_OF_FIELD.get(field)


@dataclass
class TenantA:
    org_id: UUID
    rows: dict[str, UUID]  # kind -> id of A's row
    missing: dict[str, str]  # kind -> why it could not be created


@pytest.fixture(scope="module")
async def tenant_a(db: asyncpg.Pool) -> TenantA:
    org = await create_org(db, plan="business", name="Tenant A")
    rows: dict[str, UUID] = {}
    missing: dict[str, str] = {}
    for kind, sql in ROW_FACTORIES.items():
        try:
            row_id = await db.fetchval(sql, org.id)
        except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError) as error:
            missing[kind] = f"the schema has no place for it yet ({error})"
            continue
        if row_id is None:
            missing[kind] = "its INSERT created nothing"
        else:
            rows[kind] = row_id
    return TenantA(org_id=org.id, rows=rows, missing=missing)


async def snapshot(db: asyncpg.Pool, org_id: UUID) -> dict[str, list[str]]:
    """Every row organization A owns, in every table that carries org_id, as sorted JSON texts."""
    tables = await db.fetch(
        """
        SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = current_schema() AND c.column_name = 'org_id' AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_name
        """
    )
    state: dict[str, list[str]] = {}
    for table in (row["table_name"] for row in tables):
        rows = await db.fetch(f'SELECT to_jsonb(t)::text AS row FROM "{table}" t WHERE org_id = $1', org_id)
        state[table] = sorted(row["row"] for row in rows)
    rows = await db.fetch("SELECT to_jsonb(o)::text AS row FROM organizations o WHERE id = $1", org_id)
    state["organizations"] = [row["row"] for row in rows]
    return state


# ---- valid inputs from the input Struct ------------------------------------------------------------

_PRINTABLE = st.characters(codec="ascii", exclude_categories=["Cc"])
_WORD_CHARACTERS = string.ascii_letters + string.digits + " -_.,!?"
_PLAIN_TEXT = st.text(alphabet=_WORD_CHARACTERS, max_size=40)


def _text(kind: mi.StrType) -> st.SearchStrategy[str]:
    low = kind.min_length or 0
    high = kind.max_length if kind.max_length is not None else 10**9
    if kind.pattern is not None:
        return st.from_regex(kind.pattern, fullmatch=True, alphabet=_PRINTABLE).filter(lambda text: low <= len(text) <= high)
    # Short, printable, and not blank where a value is required: what a real client sends.
    return st.text(alphabet=_WORD_CHARACTERS, min_size=low, max_size=min(high, max(low, 40))).filter(
        lambda text: low == 0 or bool(text.strip())
    )


def _bounds(kind: mi.IntType | mi.FloatType, default_low: float, default_high: float) -> tuple[float, float]:
    low = kind.ge if kind.ge is not None else (kind.gt + 1 if kind.gt is not None else default_low)
    high = kind.le if kind.le is not None else (kind.lt - 1 if kind.lt is not None else default_high)
    return low, high


def strategy_for(kind: mi.Type) -> st.SearchStrategy[Any]:
    """Builtin values (what a client would send) that satisfy a msgspec type."""
    if isinstance(kind, mi.Metadata):
        return strategy_for(kind.type)
    if isinstance(kind, mi.AnyType):
        return st.one_of(st.none(), st.booleans(), st.integers(-5, 5), _PLAIN_TEXT)
    if isinstance(kind, mi.NoneType):
        return st.none()
    if isinstance(kind, mi.BoolType):
        return st.booleans()
    if isinstance(kind, mi.IntType):
        low, high = _bounds(kind, -1000, 1000)
        return st.integers(int(low), int(high))
    if isinstance(kind, mi.FloatType):
        low, high = _bounds(kind, -1000.0, 1000.0)
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if isinstance(kind, mi.StrType):
        return _text(kind)
    if isinstance(kind, mi.UUIDType):
        return st.uuids().map(str)
    if isinstance(kind, mi.DateTimeType):
        return st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
    if isinstance(kind, mi.DateType):
        return st.dates().map(lambda day: day.isoformat())
    if isinstance(kind, mi.LiteralType):
        return st.sampled_from(kind.values)
    if isinstance(kind, mi.EnumType):
        return st.sampled_from([member.value for member in kind.cls])
    if isinstance(kind, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        low = kind.min_length or 0
        high = min(kind.max_length if kind.max_length is not None else 3, max(low, 3))
        unique = isinstance(kind, (mi.SetType, mi.FrozenSetType))
        return st.lists(strategy_for(kind.item_type), min_size=low, max_size=high, unique=unique)
    if isinstance(kind, mi.TupleType):
        return st.tuples(*(strategy_for(item) for item in kind.item_types)).map(list)
    if isinstance(kind, (mi.DictType, mi.FrozenDictType)):
        return st.dictionaries(strategy_for(kind.key_type), strategy_for(kind.value_type), max_size=2)
    if isinstance(kind, mi.UnionType):
        return st.one_of(*(strategy_for(option) for option in kind.types))
    if isinstance(kind, (mi.StructType, mi.TypedDictType, mi.DataclassType)):
        required = {field.encode_name: strategy_for(field.type) for field in kind.fields if field.required}
        optional = {field.encode_name: strategy_for(field.type) for field in kind.fields if not field.required}
        return st.fixed_dictionaries(required, optional=optional)
    raise NotImplementedError(f"no input strategy for {kind!r}")


def input_strategy(procedure: Procedure) -> st.SearchStrategy[dict[str, Any]]:
    info = mi.type_info(procedure.input_type)
    if isinstance(info, mi.Metadata):
        info = info.type
    assert isinstance(info, mi.StructType), f"{procedure.path}: id fields need a Struct input, got {info!r}"
    return strategy_for(info)


# ---- calling -----------------------------------------------------------------------------------------


def _without_ids(value: Any, ids: dict[str, str]) -> Any:
    text = json.dumps(value, sort_keys=True, default=str)
    for placeholder, row_id in ids.items():
        text = text.replace(row_id, f"<{placeholder}>")
    return text


def _subscription_answer(client: TRPCClient, path: str, value: Any) -> tuple[str, ...]:
    envelope = TRPCClient._envelope(value)
    params = {"input": json.dumps(envelope)}
    with client.http.stream("GET", f"/api/trpc/{path}", params=params, headers={"accept": "text/event-stream"}) as response:
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: ") and event not in ("connected", "ping"):
                if event == "serialized-error":
                    shape = json.loads(line[len("data: ") :])
                    shape = shape.get("json", shape)
                    return ("error", shape["data"]["code"], shape["message"])
                return ("ok",)
            elif not line:
                event = None
    return ("ok",)


def answer(client: TRPCClient, procedure: Procedure, value: dict[str, Any], ids: dict[str, str]) -> tuple[Any, ...]:
    """What the caller learns: the error's code and message, or (for a query) the result."""
    try:
        if procedure.kind == "subscription":
            return _subscription_answer(client, procedure.path, value)
        result = client.call(procedure.kind, procedure.path, value)
    except TRPCClientError as error:
        return ("error", error.code, error.message)
    # A mutation that succeeds creates rows of its own (new ids, times), so only success is
    # compared; a query's answer is compared whole, with the ids that were passed in masked.
    return ("ok",) if procedure.kind == "mutation" else ("ok", _without_ids(result, ids))


@pytest.mark.parametrize("procedure", TENANT_PROCEDURES, ids=[p.path for p in TENANT_PROCEDURES])
async def test_another_organizations_id_answers_like_a_random_one(db, live_server, tenant_a, procedure):
    a_ids: dict[str, str] = {}
    for field in row_id_fields(procedure):
        kind = kind_of(procedure, field)
        if kind is None:
            pytest.skip(
                f"{procedure.path}: id field {field!r} names a kind of row this test cannot create; "
                "add it to KIND_OF_FIELD / KIND_OF_ID_BY_NAMESPACE and ROW_FACTORIES"
            )
        if kind not in tenant_a.rows:
            pytest.skip(f"{procedure.path}: cannot create organization A's {kind} for {field!r}: {tenant_a.missing[kind]}")
        a_ids[field] = str(tenant_a.rows[kind])

    # B's admin on the business plan: neither role nor plan stands between the call and the lookup.
    # A fresh member per procedure keeps the AI request rate far from its limit.
    org_b, member_b, client = await member_client(db, live_server, plan="business", role="admin")
    before = await snapshot(db, tenant_a.org_id)
    answers: list[tuple[Any, ...]] = []

    @settings(
        max_examples=EXAMPLES_PER_PROCEDURE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(value=input_strategy(procedure))
    def property_holds(value: dict[str, Any]) -> None:
        random_ids = {field: str(uuid4()) for field in row_id_fields(procedure)}
        with_random = answer(client, procedure, {**value, **random_ids}, random_ids)
        with_a = answer(client, procedure, {**value, **a_ids}, a_ids)
        answers.append(with_a)
        assert with_a == with_random, (
            f"{procedure.path} told org B something about org A's row: "
            f"with A's id {with_a!r}, with a random id {with_random!r}"
        )
        # An id that names nothing is never a success; A's id must not be one either.
        assert with_random[0] == "error" or procedure.kind == "query", with_random

    await asyncio.to_thread(property_holds)
    assert await snapshot(db, tenant_a.org_id) == before, f"{procedure.path} changed organization A's data"
    # The property must have been tested past input validation at least once, or it proved nothing.
    assert any(a[0] != "error" or a[1] != "BAD_REQUEST" for a in answers), (
        f"{procedure.path}: every generated input was rejected as BAD_REQUEST: {answers[:3]!r}"
    )


def test_the_registry_declares_tenant_owned_ids():
    # Without declarations the property above would have nothing to run over.
    assert {"users.update", "apiKeys.revoke"} <= {procedure.path for procedure in TENANT_PROCEDURES}
