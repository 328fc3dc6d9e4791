"""The quota holds under concurrency across processes: many simultaneous AI calls spread over two
server processes on one database, against an organization with exactly 10 operations left,
succeed exactly 10 times.

LOAD_TEST_SCALE (default 1.0) scales the 1,000 calls down for CI's short form, never below 200.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.factories import create_api_key, create_org
from tests.support.metered_servers import start_metered_servers
from tests.support.servers import LiveServer

pytestmark = pytest.mark.slow

FULL_CALLS = 1000
MIN_CALLS = 200
IN_FLIGHT = 100  # simultaneous requests (connections) across both servers
LIMIT = 25
ALREADY_USED = 15  # so exactly 10 operations are left


def call_count() -> int:
    scale = float(os.environ.get("LOAD_TEST_SCALE", "1.0"))
    return max(MIN_CALLS, round(FULL_CALLS * scale))


@pytest.fixture(scope="module")
def two_servers(database_url: str) -> Iterator[list[LiveServer]]:
    # The rate limit is raised out of the way: this test is about the quota alone.
    started = start_metered_servers(database_url, 2, AI_RATE_LIMIT_PER_MINUTE="1000000")
    yield started
    for each in started:
        each.stop()


async def test_a_thousand_simultaneous_calls_take_exactly_the_ten_operations_left(
    db: asyncpg.Pool, two_servers: list[LiveServer]
) -> None:
    org = await create_org(db, plan="pro")
    await db.execute("UPDATE organizations SET ai_operations_limit = $2 WHERE id = $1", org.id, LIMIT)
    # The usage already in the current period (the row metering itself would write).
    await db.execute(
        """
        INSERT INTO ai_usage_periods (org_id, period_start, period_end, operations)
        SELECT o.id, p.period_start, p.period_end, $2
        FROM organizations o, billing_period(o.billing_anchor, now()) AS p
        WHERE o.id = $1
        """,
        org.id,
        ALREADY_USED,
    )
    key = await create_api_key(db, org.id, ("ai:run",))
    calls = call_count()
    limits = httpx.Limits(max_connections=IN_FLIGHT // 2, max_keepalive_connections=IN_FLIGHT // 2)
    clients = [
        httpx.AsyncClient(
            base_url=server.url, headers={"authorization": f"Bearer {key}"}, limits=limits, timeout=60
        )
        for server in two_servers
    ]
    # All calls wait for one signal, so they arrive together rather than as they are created.
    start = asyncio.Event()

    async def one_call(index: int) -> tuple[int, str]:
        await start.wait()
        client = clients[index % len(clients)]
        # A short stay "in the model" keeps reservations and handlers overlapping.
        response = await client.post("/api/trpc/meter.work", json={"json": {"delayMs": 20}})
        body: Any = response.json()
        code = "OK" if "result" in body else body["error"]["json"]["data"]["code"]
        return response.status_code, code

    try:
        tasks = [asyncio.ensure_future(one_call(index)) for index in range(calls)]
        start.set()
        outcomes = Counter(await asyncio.gather(*tasks))
    finally:
        for client in clients:
            await client.aclose()

    left = LIMIT - ALREADY_USED
    assert outcomes == {(200, "OK"): left, (429, "TOO_MANY_REQUESTS"): calls - left}
    # The period's counter grew by exactly the operations that were left, and each one that
    # succeeded wrote its ledger row.
    assert await db.fetchval("SELECT operations FROM ai_usage_periods WHERE org_id = $1", org.id) == LIMIT
    assert await db.fetchval("SELECT count(*) FROM token_usage WHERE org_id = $1", org.id) == left
