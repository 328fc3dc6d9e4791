"""Usage metering: quota reservations, the request rate, the token ledger and its report.

The mechanism is exercised through real servers with the test-only procedures of
tests.support.metered_procedures (`meter.work`, `meter.fail`); the ai.* procedures are tested by
their own file. Billing periods and the report are also checked against Python references.
"""

from __future__ import annotations

import asyncio
import calendar
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ai.interface import TokenUsage
from app.context import Caller
from app.database import create_pool
from app.errors import TRPCError
from app.usage.metering import LEDGER_OPERATIONS, current_period, iso_time, record_token_usage
from app.usage.report import (
    UsageGroup,
    UsageRecord,
    UsageSummary,
    parse_usage_bound,
    token_usage_report,
    usage_summary,
)
from tests.support.factories import Org, create_api_key, create_org, create_user, login
from tests.support.metered_servers import start_metered_servers
from tests.support.servers import LiveServer
from tests.support.trpc import TRPCClient, TRPCClientError

# Low enough to reach in a test, high enough for any other test here: each uses fresh API keys
# (each key is its own caller) and makes at most a dozen calls with one.
RATE_LIMIT = 15


@pytest.fixture(scope="module")
def servers(database_url: str) -> Iterator[list[LiveServer]]:
    """Two app processes on the same database."""
    started = start_metered_servers(database_url, 2, AI_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT))
    yield started
    for each in started:
        each.stop()


@pytest.fixture(scope="module")
def server(servers: list[LiveServer]) -> LiveServer:
    return servers[0]


# ---- helpers ------------------------------------------------------------------------------------


async def org_with_limit(db: asyncpg.Pool, limit: int | None, plan: str = "pro") -> Org:
    org = await create_org(db, plan=plan)
    await db.execute("UPDATE organizations SET ai_operations_limit = $2 WHERE id = $1", org.id, limit)
    return org


async def key_client(db: asyncpg.Pool, server: LiveServer, org_id: UUID) -> tuple[TRPCClient, UUID]:
    key = await create_api_key(db, org_id, ("ai:run",))
    key_id = await db.fetchval("SELECT id FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC LIMIT 1", org_id)
    return TRPCClient(server.url, headers={"authorization": f"Bearer {key}"}), key_id


async def operations_counted(db: asyncpg.Pool, org_id: UUID) -> int:
    return int(await db.fetchval("SELECT coalesce(sum(operations), 0) FROM ai_usage_periods WHERE org_id = $1", org_id))


async def ledger_rows(db: asyncpg.Pool, org_id: UUID) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM token_usage WHERE org_id = $1 ORDER BY created_at, id", org_id)


def refused(client: TRPCClient, path: str = "meter.work", value: Any = None) -> TRPCClientError:
    with pytest.raises(TRPCClientError) as caught:
        client.mutation(path, value)
    return caught.value


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll an async condition until it holds; fails the test when it never does."""
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


# ---- billing periods ----------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("anchor", "now", "start", "end"),
    [
        # The anchor's day is clamped in short months, and each period starts from the anchor.
        ("2024-01-31T10:00Z", "2024-02-15T00:00Z", "2024-01-31T10:00Z", "2024-02-29T10:00Z"),
        ("2024-01-31T10:00Z", "2024-02-29T10:00Z", "2024-02-29T10:00Z", "2024-03-31T10:00Z"),
        ("2024-01-31T10:00Z", "2024-03-31T09:59:59.999999Z", "2024-02-29T10:00Z", "2024-03-31T10:00Z"),
        ("2024-01-31T10:00Z", "2024-04-30T10:00Z", "2024-04-30T10:00Z", "2024-05-31T10:00Z"),
        ("2023-01-31T00:00Z", "2023-02-28T00:00Z", "2023-02-28T00:00Z", "2023-03-31T00:00Z"),
        # Across a year, and at the exact start instant.
        ("2024-03-15T08:30Z", "2025-01-15T08:30Z", "2025-01-15T08:30Z", "2025-02-15T08:30Z"),
        ("2024-03-15T08:30Z", "2025-01-15T08:29Z", "2024-12-15T08:30Z", "2025-01-15T08:30Z"),
        # The default anchor (start of a month) gives calendar months.
        ("2024-06-01T00:00Z", "2024-12-31T23:59Z", "2024-12-01T00:00Z", "2025-01-01T00:00Z"),
        # An anchor in the future still places `now` in a period.
        ("2024-06-20T00:00Z", "2024-05-01T00:00Z", "2024-04-20T00:00Z", "2024-05-20T00:00Z"),
        # Another time zone is the same instant in UTC.
        ("2024-02-01T01:00+02:00", "2024-02-10T00:00Z", "2024-01-31T23:00Z", "2024-02-29T23:00Z"),
    ],
)
def test_current_period_examples(anchor: str, now: str, start: str, end: str) -> None:
    assert current_period(at(anchor), at(now)) == (at(start), at(end))


def test_current_period_needs_aware_datetimes() -> None:
    with pytest.raises(ValueError):
        current_period(datetime(2024, 1, 1), datetime(2024, 2, 1, tzinfo=UTC))


ZONES = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.sampled_from(ZONES))


@given(anchor=moments, now=moments)
def test_current_period_properties(anchor: datetime, now: datetime) -> None:
    start, end = current_period(anchor, now)
    assert start <= now < end
    # Consecutive: the next period starts where this one ends.
    assert current_period(anchor, end)[0] == end
    # Every period starts on the anchor's day (or the month's last day) at its time of day.
    anchor_utc = anchor.astimezone(UTC)
    for moment in (start, end):
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
        assert moment.timetz().replace(tzinfo=None) == anchor_utc.timetz().replace(tzinfo=None)
        assert moment.day == min(anchor_utc.day, calendar.monthrange(moment.year, moment.month)[1])
    months_apart = (end.year - start.year) * 12 + end.month - start.month
    assert months_apart == 1


@pytest.fixture(scope="module")
def private_loop(database_url: str) -> Iterator[tuple[asyncio.AbstractEventLoop, asyncpg.Pool]]:
    """An event loop and pool of its own, for hypothesis tests (which run synchronously)."""
    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(create_pool(database_url, 2))
    yield loop, pool
    loop.run_until_complete(pool.close())
    loop.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(moments, moments), min_size=1, max_size=40))
def test_sql_billing_period_agrees_with_current_period(
    private_loop: tuple[asyncio.AbstractEventLoop, asyncpg.Pool], pairs: list[tuple[datetime, datetime]]
) -> None:
    loop, pool = private_loop
    rows = loop.run_until_complete(
        pool.fetch(
            "SELECT p.* FROM unnest($1::timestamptz[], $2::timestamptz[]) AS x (anchor, moment),"
            " LATERAL billing_period(x.anchor, x.moment) AS p",
            [anchor for anchor, _ in pairs],
            [now for _, now in pairs],
        )
    )
    assert [(row["period_start"], row["period_end"]) for row in rows] == [current_period(a, n) for a, n in pairs]


# ---- reservations -------------------------------------------------------------------------------


async def test_a_metered_call_counts_one_operation_and_writes_the_ledger(db: asyncpg.Pool, server: LiveServer) -> None:
    org = await org_with_limit(db, 5)
    client, key_id = await key_client(db, server, org.id)
    work = {"operation": "sentiment", "model": "m-1", "promptTokens": 7, "completionTokens": 3, "costUsd": 0.00125}
    answer = client.mutation("meter.work", work)
    assert answer == {"recorded": 1}
    assert await operations_counted(db, org.id) == 1
    [row] = await ledger_rows(db, org.id)
    recorded = (row["operation"], row["model"], row["prompt_tokens"], row["completion_tokens"], row["total_tokens"])
    assert recorded == ("sentiment", "m-1", 7, 3, 10)
    assert row["cost_usd"] == Decimal("0.00125")
    assert (row["api_key_id"], row["user_id"]) == (key_id, None)
    # The count sits in the current billing period's row.
    anchor = await db.fetchval("SELECT billing_anchor FROM organizations WHERE id = $1", org.id)
    period = await db.fetchrow("SELECT period_start, period_end FROM ai_usage_periods WHERE org_id = $1", org.id)
    now = await db.fetchval("SELECT now()")
    assert (period["period_start"], period["period_end"]) == current_period(anchor, now)


async def test_a_session_call_is_recorded_for_its_user(db: asyncpg.Pool, server: LiveServer) -> None:
    org = await org_with_limit(db, 5)
    user = await create_user(db, org.id, role="agent")
    client = await asyncio.to_thread(login, server, user)
    client.mutation("meter.work", {"operation": "embed", "completionTokens": 0})
    [row] = await ledger_rows(db, org.id)
    assert (row["user_id"], row["api_key_id"], row["operation"]) == (user.id, None, "embed")
    assert await operations_counted(db, org.id) == 1


async def test_the_quota_refuses_with_its_limit_usage_and_reset_time(db: asyncpg.Pool, server: LiveServer) -> None:
    org = await org_with_limit(db, 2)
    client, _ = await key_client(db, server, org.id)
    client.mutation("meter.work")
    client.mutation("meter.work")
    error = refused(client)
    assert (error.code, error.status) == ("TOO_MANY_REQUESTS", 429)
    anchor = await db.fetchval("SELECT billing_anchor FROM organizations WHERE id = $1", org.id)
    _, period_end = current_period(anchor, await db.fetchval("SELECT now()"))
    assert {key: error.data[key] for key in ("limit", "used", "resetsAt")} == {
        "limit": 2,
        "used": 2,
        "resetsAt": iso_time(period_end),
    }
    assert datetime.fromisoformat(error.data["resetsAt"]) == period_end
    # The refused call reserved nothing and recorded nothing.
    assert await operations_counted(db, org.id) == 2
    assert len(await ledger_rows(db, org.id)) == 2
    assert await usage_summary(db, org.id) == UsageSummary(used=2, limit=2, resetsAt=period_end)


async def test_usage_of_an_earlier_period_does_not_count(db: asyncpg.Pool, server: LiveServer) -> None:
    org = await org_with_limit(db, 1)
    anchor = await db.fetchval("SELECT billing_anchor FROM organizations WHERE id = $1", org.id)
    start, _ = current_period(anchor, await db.fetchval("SELECT now()"))
    earlier_start, _ = current_period(anchor, start - timedelta(microseconds=1))
    await db.execute(
        "INSERT INTO ai_usage_periods (org_id, period_start, period_end, operations) VALUES ($1, $2, $3, 1)",
        org.id,
        earlier_start,
        start,
    )
    client, _ = await key_client(db, server, org.id)
    client.mutation("meter.work")
    assert refused(client).data["used"] == 1
    assert (await usage_summary(db, org.id)).used == 1


async def test_a_failed_ai_call_is_released_and_leaves_no_ledger_row(db: asyncpg.Pool, server: LiveServer) -> None:
    org = await org_with_limit(db, 1)
    client, _ = await key_client(db, server, org.id)
    error = refused(client, "meter.fail")
    assert (error.code, error.status) == ("INTERNAL_SERVER_ERROR", 500)
    assert "not charged" in error.message
    body = client.last_response.text if client.last_response is not None else ""
    assert "sk-test" not in body and "acme" not in body and "Traceback" not in body
    # The AI layer failed inside the handler's transaction, after writing its ledger row.
    assert refused(client, "meter.work", {"failAfterLedger": True}).code == "INTERNAL_SERVER_ERROR"
    # Any other failure releases too (here: an operation name the ledger refuses).
    assert refused(client, "meter.work", {"operation": "not-an-operation"}).code == "INTERNAL_SERVER_ERROR"
    assert await operations_counted(db, org.id) == 0
    assert await ledger_rows(db, org.id) == []
    # The released operation is usable: the limit of 1 still allows one call, then refuses.
    client.mutation("meter.work")
    assert refused(client).code == "TOO_MANY_REQUESTS"
    assert await operations_counted(db, org.id) == 1


async def test_a_client_that_leaves_does_not_separate_the_count_from_the_ledger(
    db: asyncpg.Pool, server: LiveServer
) -> None:
    org = await org_with_limit(db, 5)
    key = await create_api_key(db, org.id, ("ai:run",))
    headers = {"authorization": f"Bearer {key}"}

    def leave_early(value: dict[str, Any]) -> None:
        with pytest.raises(httpx.TimeoutException):
            httpx.post(f"{server.url}/api/trpc/meter.work", json={"json": value}, headers=headers, timeout=0.2)

    # The handler outlives the client and commits: the operation stays charged.
    await asyncio.to_thread(leave_early, {"delayMs": 800})

    async def recorded() -> bool:
        return len(await ledger_rows(db, org.id)) == 1

    await wait_until(recorded)
    assert await operations_counted(db, org.id) == 1

    # The handler outlives the client and fails: the reservation, held while it works, is released.
    await asyncio.to_thread(leave_early, {"delayMs": 800, "failAfterLedger": True})

    async def counted(expected: int) -> bool:
        return await operations_counted(db, org.id) == expected

    await wait_until(lambda: counted(2))
    await wait_until(lambda: counted(1))
    assert len(await ledger_rows(db, org.id)) == 1


async def test_limits_changed_in_the_database_hold_from_the_next_call(db: asyncpg.Pool, server: LiveServer) -> None:
    plan = f"metering-{uuid4().hex[:10]}"
    await db.execute("INSERT INTO plans (name, ai_features, ai_operations_per_period) VALUES ($1, 'basic', 1)", plan)
    org = await create_org(db, plan=plan)
    client, _ = await key_client(db, server, org.id)
    client.mutation("meter.work")
    assert refused(client).data["limit"] == 1

    await db.execute("UPDATE plans SET ai_operations_per_period = 2 WHERE name = $1", plan)
    client.mutation("meter.work")
    error = refused(client)
    assert (error.data["limit"], error.data["used"]) == (2, 2)

    # The organization's own limit overrides the plan's.
    await db.execute("UPDATE organizations SET ai_operations_limit = 3 WHERE id = $1", org.id)
    client.mutation("meter.work")
    assert refused(client).data["limit"] == 3

    # An unlimited plan: calls go on, and are still counted.
    await db.execute("UPDATE organizations SET plan = 'business', ai_operations_limit = NULL WHERE id = $1", org.id)
    client.mutation("meter.work")
    client.mutation("meter.work")
    assert await operations_counted(db, org.id) == 5
    summary = await usage_summary(db, org.id)
    assert (summary.used, summary.limit) == (5, None)

    # Back to a limit below the usage: refused, and the usage reported as it is.
    await db.execute("UPDATE organizations SET plan = $2, ai_operations_limit = 4 WHERE id = $1", org.id, plan)
    error = refused(client)
    assert (error.data["limit"], error.data["used"]) == (4, 5)


async def test_organizations_never_count_against_each_other(db: asyncpg.Pool, server: LiveServer) -> None:
    org_a = await org_with_limit(db, 1)
    org_b = await org_with_limit(db, 2)
    client_a, _ = await key_client(db, server, org_a.id)
    client_b, _ = await key_client(db, server, org_b.id)
    client_a.mutation("meter.work", {"model": "model-a"})
    assert refused(client_a).code == "TOO_MANY_REQUESTS"
    client_b.mutation("meter.work", {"model": "model-b"})
    client_b.mutation("meter.work", {"model": "model-b"})
    assert refused(client_b).data["used"] == 2
    assert (await operations_counted(db, org_a.id), await operations_counted(db, org_b.id)) == (1, 2)

    report_a = await token_usage_report(db, org_a.id, None, None, None)
    report_b = await token_usage_report(db, org_b.id, None, None, None)
    assert {row.model for row in report_a.usage if isinstance(row, UsageRecord)} == {"model-a"}
    assert {row.model for row in report_b.usage if isinstance(row, UsageRecord)} == {"model-b"}
    assert {row.id for row in report_a.usage if isinstance(row, UsageRecord)} == {
        row["id"] for row in await ledger_rows(db, org_a.id)
    }
    for group_by in ("model", "day", "operation"):
        grouped = await token_usage_report(db, org_b.id, None, None, group_by)
        assert sum(row.operations for row in grouped.usage if isinstance(row, UsageGroup)) == 2


# ---- request rate -------------------------------------------------------------------------------


async def start_of_a_fresh_window(db: asyncpg.Pool) -> None:
    """Wait, if needed, until a minute has enough left for a burst of calls (the DB's clock)."""
    seconds = await db.fetchval("SELECT extract(second FROM clock_timestamp())")
    if seconds > 50:
        await asyncio.sleep(61 - float(seconds))


async def test_the_request_rate_is_shared_by_every_process(db: asyncpg.Pool, servers: list[LiveServer]) -> None:
    first, second = servers
    org = await org_with_limit(db, None, plan="business")
    client_first, _ = await key_client(db, first, org.id)
    key = client_first.http.headers["authorization"]
    client_second = TRPCClient(second.url, headers={"authorization": key})
    other_client, _ = await key_client(db, second, org.id)  # same organization, another caller

    await start_of_a_fresh_window(db)
    for call in range(RATE_LIMIT):
        (client_first if call % 2 == 0 else client_second).mutation("meter.work")
    error = refused(client_second)
    assert (error.code, error.status) == ("TOO_MANY_REQUESTS", 429)
    seconds = error.data["retryAfterSeconds"]
    assert isinstance(seconds, int) and 1 <= seconds <= 60
    assert error.headers["retry-after"] == str(seconds)
    assert "limit" not in error.data  # a rate refusal, not the quota's

    # In a batch, each refused item says how long to wait, but the response has no Retry-After.
    items = client_first.batch("mutation", [("meter.work", None), ("meter.work", None)])
    assert [item.code for item in items if isinstance(item, TRPCClientError)] == ["TOO_MANY_REQUESTS"] * 2
    assert all(1 <= item.data["retryAfterSeconds"] <= 60 for item in items if isinstance(item, TRPCClientError))
    assert client_first.last_response is not None and "retry-after" not in client_first.last_response.headers

    # Refused requests reserved nothing; another caller of the organization still has its rate.
    assert await operations_counted(db, org.id) == RATE_LIMIT
    other_client.mutation("meter.work")
    assert await operations_counted(db, org.id) == RATE_LIMIT + 1


# ---- the ledger ---------------------------------------------------------------------------------


async def test_record_token_usage_writes_one_row_per_model_call(db: asyncpg.Pool) -> None:
    org = await create_org(db, plan="pro")
    caller = Caller(org_id=org.id, user_id=uuid4(), role="agent", plan="pro", ai_features="basic")
    usage = [
        TokenUsage("analyze", "gpt-x", 100, 20, 0.0031),
        TokenUsage("embed", "embedder", 40, 0, None),
    ]
    async with db.acquire() as connection:
        async with connection.transaction():
            await record_token_usage(connection, caller, usage)
        with pytest.raises(ValueError, match="unknown ledger operation"):
            await record_token_usage(connection, caller, [TokenUsage("summarise", "gpt-x", 1, 1)])
    rows = await db.fetch("SELECT * FROM token_usage WHERE org_id = $1 ORDER BY operation", org.id)
    assert [(r["operation"], r["model"], r["prompt_tokens"], r["completion_tokens"], r["cost_usd"]) for r in rows] == [
        ("analyze", "gpt-x", 100, 20, Decimal("0.0031")),
        ("embed", "embedder", 40, 0, None),
    ]
    assert {r["user_id"] for r in rows} == {caller.user_id}


def test_ledger_operations_are_the_engine_operations_and_triage() -> None:
    assert LEDGER_OPERATIONS == {
        "summarize", "sentiment", "priority", "tags", "replies", "classify", "improve", "rank", "analyze", "embed",
        "triage",
    }


# ---- the report ---------------------------------------------------------------------------------

REPORT_START = datetime(2024, 1, 1, tzinfo=UTC)
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3", "local-encoder")

ledger_row = st.fixed_dictionaries(
    {
        "operation": st.sampled_from(sorted(LEDGER_OPERATIONS)),
        "model": st.sampled_from(MODELS),
        "prompt_tokens": st.integers(0, 50_000),
        "completion_tokens": st.integers(0, 5_000),
        "cost_usd": st.none() | st.decimals(min_value=0, max_value=100, places=8),
        "id": st.uuids(),
        "user_id": st.none() | st.sampled_from([UUID(int=1), UUID(int=2)]),
        # Rows spread over about three months, several on the same instant.
        "created_at": st.integers(0, 90 * 24 * 4).map(lambda quarters: REPORT_START + timedelta(minutes=15 * quarters)),
    }
)
bound = st.none() | st.integers(-5, 95).map(lambda days: REPORT_START + timedelta(days=days, hours=7))


def reference_report(
    rows: list[dict[str, Any]], start: datetime | None, end: datetime | None, group_by: str | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What the report must say, computed in Python from the rows themselves."""
    matching = [
        row
        for row in rows
        if (start is None or row["created_at"] >= start) and (end is None or row["created_at"] < end)
    ]
    costs = [row["cost_usd"] for row in matching if row["cost_usd"] is not None]
    prompt = sum(row["prompt_tokens"] for row in matching)
    completion = sum(row["completion_tokens"] for row in matching)
    totals = {
        "totalTokens": prompt + completion,
        "totalPromptTokens": prompt,
        "totalCompletionTokens": completion,
        "totalCostUsd": float(sum(costs, Decimal(0))) if costs else None,
    }
    if group_by is None:
        newest = sorted(matching, key=lambda row: (row["created_at"], row["id"]), reverse=True)[:limit]
        return [
            {
                "id": row["id"],
                "operation": row["operation"],
                "model": row["model"],
                "promptTokens": row["prompt_tokens"],
                "completionTokens": row["completion_tokens"],
                "totalTokens": row["prompt_tokens"] + row["completion_tokens"],
                "costUsd": None if row["cost_usd"] is None else float(row["cost_usd"]),
                "userId": row["user_id"],
                "createdAt": row["created_at"],
            }
            for row in newest
        ], totals

    def key(row: dict[str, Any]) -> Any:
        day = row["created_at"].astimezone(UTC).date()
        if group_by == "day":
            start = day
        elif group_by == "week":
            start = day - timedelta(days=day.weekday())
        elif group_by == "month":
            start = day.replace(day=1)
        else:
            return str(row[group_by])
        return datetime(start.year, start.month, start.day, tzinfo=UTC)

    # Each group names its key by what it is: a time bucket's start is its `period`.
    key_field = "period" if group_by in ("day", "week", "month") else group_by

    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in matching:
        groups.setdefault(key(row), []).append(row)
    result = []
    for name, members in groups.items():
        group_costs = [row["cost_usd"] for row in members if row["cost_usd"] is not None]
        group_prompt = sum(row["prompt_tokens"] for row in members)
        group_completion = sum(row["completion_tokens"] for row in members)
        result.append(
            {
                key_field: name,
                "operations": len(members),
                "promptTokens": group_prompt,
                "completionTokens": group_completion,
                "totalTokens": group_prompt + group_completion,
                "costUsd": float(sum(group_costs, Decimal(0))) if group_costs else None,
            }
        )
    if group_by in ("day", "week", "month"):
        result.sort(key=lambda group: group["period"], reverse=True)
    else:
        result.sort(key=lambda group: (-group["totalTokens"], group[key_field].encode()))
    return result, totals


async def insert_ledger(pool: asyncpg.Pool, org_id: UUID, rows: list[dict[str, Any]]) -> None:
    await pool.executemany(
        "INSERT INTO token_usage (org_id, id, user_id, operation, model, prompt_tokens, completion_tokens, cost_usd,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            (org_id, row["id"], row["user_id"], row["operation"], row["model"], row["prompt_tokens"],
             row["completion_tokens"], row["cost_usd"], row["created_at"])
            for row in rows
        ],
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(ledger_row, max_size=40, unique_by=lambda row: row["id"]),
    start=bound,
    end=bound,
    group_by=st.none() | st.sampled_from(["day", "week", "month", "operation", "model"]),
    limit=st.integers(1, 50),
)
def test_the_report_matches_a_python_reference(
    private_loop: tuple[asyncio.AbstractEventLoop, asyncpg.Pool],
    rows: list[dict[str, Any]],
    start: datetime | None,
    end: datetime | None,
    group_by: str | None,
    limit: int,
) -> None:
    loop, pool = private_loop

    async def run() -> Any:
        org = await create_org(pool, plan="pro")
        other = await create_org(pool, plan="pro")
        await insert_ledger(pool, org.id, rows)
        await insert_ledger(pool, other.id, rows[:3])  # the same rows in another org: never in this report
        return await token_usage_report(pool, org.id, start, end, group_by, max_records=limit)  # type: ignore[arg-type]

    report = loop.run_until_complete(run())
    expected_usage, expected_totals = reference_report(rows, start, end, group_by, limit)
    assert [msgspec.structs.asdict(item) for item in report.usage] == expected_usage
    assert msgspec.structs.asdict(report.totals) == expected_totals
    if group_by is not None:
        # The groups add up to the totals.
        assert sum(item.totalTokens for item in report.usage) == report.totals.totalTokens


async def test_the_report_lists_the_newest_thousand_and_totals_them_all(db: asyncpg.Pool) -> None:
    org = await create_org(db, plan="pro")
    await db.execute(
        """
        INSERT INTO token_usage (org_id, operation, model, prompt_tokens, completion_tokens, created_at)
        SELECT $1, 'classify', 'm', n, 1, $2::timestamptz + n * interval '1 second'
        FROM generate_series(1, 1050) AS n
        """,
        org.id,
        REPORT_START,
    )
    report = await token_usage_report(db, org.id, None, None, None)
    assert len(report.usage) == 1000
    listed = [item.promptTokens for item in report.usage]
    assert listed == list(range(1050, 50, -1))  # newest first
    assert report.totals.totalPromptTokens == sum(range(1, 1051))
    assert report.totals.totalCompletionTokens == 1050
    assert report.totals.totalTokens == sum(range(1, 1051)) + 1050


async def test_an_empty_report_has_zero_totals(db: asyncpg.Pool) -> None:
    org = await create_org(db, plan="pro")
    for group_by in (None, "day", "model"):
        report = await token_usage_report(db, org.id, None, None, group_by)
        assert report.usage == []
        assert (report.totals.totalTokens, report.totals.totalPromptTokens, report.totals.totalCostUsd) == (0, 0, None)


def test_report_bounds_from_iso_dates() -> None:
    assert parse_usage_bound("2024-01-31", field="endDate", end=True) == datetime(2024, 2, 1, tzinfo=UTC)
    assert parse_usage_bound("2024-01-31", field="startDate", end=False) == datetime(2024, 1, 31, tzinfo=UTC)
    with_offset = parse_usage_bound("2024-01-31T10:30:00+02:00", field="endDate", end=True)
    assert with_offset == datetime(2024, 1, 31, 8, 30, tzinfo=UTC)
    without_offset = parse_usage_bound("2024-01-31T10:30:00", field="startDate", end=False)
    assert without_offset == datetime(2024, 1, 31, 10, 30, tzinfo=UTC)
    a_date_time = datetime(2024, 1, 31, 12, tzinfo=UTC)  # a superjson Date arrives as one
    assert parse_usage_bound(a_date_time, field="endDate", end=True) == a_date_time
    assert parse_usage_bound(None, field="startDate", end=False) is None
    with pytest.raises(TRPCError) as caught:
        parse_usage_bound("last tuesday", field="startDate", end=False)
    assert caught.value.code == "BAD_REQUEST" and "startDate" in caught.value.message


async def test_usage_summary_before_any_call(db: asyncpg.Pool) -> None:
    org = await create_org(db, plan="pro")
    summary = await usage_summary(db, org.id)
    anchor = await db.fetchval("SELECT billing_anchor FROM organizations WHERE id = $1", org.id)
    _, period_end = current_period(anchor, await db.fetchval("SELECT now()"))
    assert summary == UsageSummary(used=0, limit=500, resetsAt=period_end)

