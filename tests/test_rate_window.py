"""The AI request rate is a sliding window in PostgreSQL: at most the limit in ANY 60 seconds,
with an exact Retry-After (app/usage/metering.py, `admit_rate` in schema.sql); rows that hold no
current call are swept now and then (`sweep_rate_limit_calls`).

The clock is passed in explicitly, so the minute boundary is crossed without sleeping."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
import pytest

from app.context import Caller
from app.errors import TRPCError
from app.usage.metering import admit_call
from tests.support.factories import create_org

LIMIT = 100


async def a_caller(db: asyncpg.Pool) -> Caller:
    org = await create_org(db, plan="business")
    return Caller(org_id=org.id, user_id=uuid4(), role="agent", plan="business", ai_features="full")


async def admit(db: asyncpg.Pool, caller: Caller, at: datetime, limit: int = LIMIT) -> int | None:
    """None when admitted, else the Retry-After seconds of the refusal."""
    try:
        await admit_call(db, caller, metered=False, rate_limited=True, rate_limit_per_minute=limit, at=at)
    except TRPCError as error:
        assert error.code == "TOO_MANY_REQUESTS"
        assert error.headers["retry-after"] == str(error.data["retryAfterSeconds"])
        return int(error.data["retryAfterSeconds"])
    return None


async def test_a_burst_across_a_minute_boundary_is_refused(db):
    caller = await a_caller(db)
    boundary = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
    # 100 calls in the last second of one clock minute...
    first = boundary - timedelta(seconds=1)
    for index in range(LIMIT):
        assert await admit(db, caller, first + timedelta(milliseconds=9 * index)) is None
    # ...and the next ones right after the boundary: fixed minute windows let 100 more through.
    assert await admit(db, caller, boundary + timedelta(milliseconds=700)) == 59
    assert await admit(db, caller, boundary + timedelta(seconds=30)) == 29

    # Refusals are not counted: the slot frees exactly when the oldest call is a minute old.
    assert await admit(db, caller, first + timedelta(seconds=60) - timedelta(milliseconds=1)) == 1
    assert await admit(db, caller, first + timedelta(seconds=60)) is None
    # One slot freed, one taken: the next frees when the second-oldest call turns a minute old.
    assert await admit(db, caller, first + timedelta(seconds=60, milliseconds=5)) == 1
    assert await admit(db, caller, first + timedelta(seconds=60, milliseconds=9)) is None
    # A quiet minute later the whole limit is available again.
    later = first + timedelta(seconds=125)
    results = [await admit(db, caller, later + timedelta(milliseconds=index)) for index in range(LIMIT + 1)]
    assert results[:LIMIT] == [None] * LIMIT and results[LIMIT] == 60


async def test_at_most_the_limit_in_any_sixty_seconds_under_concurrency(db):
    caller = await a_caller(db)
    other = Caller(org_id=caller.org_id, user_id=uuid4(), role="agent", plan="business", ai_features="full")
    at = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
    results = await asyncio.gather(*(admit(db, caller, at, limit=10) for _ in range(25)))
    assert results.count(None) == 10
    assert sorted(result for result in results if result is not None) == [60] * 15
    # Another user of the same organization has a rate of its own.
    assert await admit(db, other, at, limit=10) is None


async def test_the_default_clock_is_the_databases_now(db):
    caller = await a_caller(db)
    for _ in range(3):
        await admit_call(db, caller, metered=False, rate_limited=True, rate_limit_per_minute=3)
    with pytest.raises(TRPCError) as refused:
        await admit_call(db, caller, metered=False, rate_limited=True, rate_limit_per_minute=3)
    assert 59 <= refused.value.data["retryAfterSeconds"] <= 60


async def test_quiet_rows_are_swept_within_the_organization_only(db):
    caller = await a_caller(db)
    org_id = caller.org_id
    other_org = (await a_caller(db)).org_id
    at = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
    rows = {
        (org_id, "user:quiet"): [at - timedelta(minutes=5), at - timedelta(seconds=121)],
        (org_id, "user:never-called"): [],
        (org_id, "user:active"): [at - timedelta(minutes=5), at - timedelta(seconds=30)],
        # Outside the window but inside the margin kept for a caller whose clock is behind.
        (org_id, "user:lately"): [at - timedelta(seconds=90)],
        (org_id, "user:sweeping"): [at - timedelta(minutes=5)],  # the caller's own row stays
        (other_org, "user:quiet"): [at - timedelta(minutes=5)],
    }
    for (org, subject), calls in rows.items():
        await db.execute("INSERT INTO rate_limit_calls (org_id, subject, calls) VALUES ($1, $2, $3)", org, subject, calls)
    swept = await db.fetchval(
        "SELECT sweep_rate_limit_calls($1, 'user:sweeping', interval '1 minute', $2)", org_id, at
    )
    assert swept == 2
    remaining = await db.fetch(
        "SELECT org_id, subject FROM rate_limit_calls WHERE org_id = ANY($1::uuid[])", [org_id, other_org]
    )
    left = {(row["org_id"], row["subject"]) for row in remaining}
    kept = {(org_id, "user:active"), (org_id, "user:lately"), (org_id, "user:sweeping"), (other_org, "user:quiet")}
    assert left == kept


async def test_a_sweep_skips_rows_another_caller_holds_instead_of_waiting(db):
    caller = await a_caller(db)
    at = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
    await db.execute(
        "INSERT INTO rate_limit_calls (org_id, subject, calls) VALUES ($1, 'user:held', $2)",
        caller.org_id,
        [at - timedelta(hours=1)],
    )
    sweep = "SELECT sweep_rate_limit_calls($1, 'user:sweeping', interval '1 minute', $2)"
    async with db.acquire() as holder, holder.transaction():
        # Another caller's admit_rate holds its row (quiet as it is) until its statement ends.
        await holder.execute(
            "SELECT calls FROM rate_limit_calls WHERE org_id = $1 AND subject = 'user:held' FOR UPDATE", caller.org_id
        )
        async with db.acquire() as sweeper:
            await sweeper.execute("SET lock_timeout = '2s'")  # a sweep that waited would fail here
            assert await sweeper.fetchval(sweep, caller.org_id, at) == 0
            await sweeper.execute("RESET lock_timeout")
    assert await db.fetchval(sweep, caller.org_id, at) == 1


async def test_a_swept_subject_is_counted_afresh(db):
    caller = await a_caller(db)
    at = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
    for index in range(3):
        assert await admit(db, caller, at + timedelta(seconds=index), limit=3) is None
    assert await admit(db, caller, at + timedelta(seconds=3), limit=3) == 57
    # Minutes later the row holds nothing current: another caller's sweep takes it.
    later = at + timedelta(minutes=5)
    assert await db.fetchval(
        "SELECT sweep_rate_limit_calls($1, 'key:someone-else', interval '1 minute', $2)", caller.org_id, later
    ) == 1
    assert await admit(db, caller, later, limit=3) is None
    assert await db.fetchval(
        "SELECT cardinality(calls) FROM rate_limit_calls WHERE org_id = $1", caller.org_id
    ) == 1


async def test_a_row_swept_while_its_caller_waits_for_it_is_inserted_again(db):
    caller = await a_caller(db)
    at = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
    row = "FROM rate_limit_calls WHERE org_id = $1 AND subject = $2"
    assert await admit(db, caller, at - timedelta(minutes=5), limit=3) is None  # the caller's row exists
    async with db.acquire() as sweeper:
        async with sweeper.transaction():
            # A sweep holds the row: the caller's insert finds it there, then waits for its lock...
            await sweeper.execute(f"SELECT 1 {row} FOR UPDATE", caller.org_id, caller.usage_subject)
            admitting = asyncio.create_task(admit(db, caller, at, limit=3))
            try:
                await _until_blocked_by(db, await sweeper.fetchval("SELECT pg_backend_pid()"))
                assert not admitting.done(), "the caller did not wait for the row's lock"
                # ...and the sweep deletes it: the lock then finds no row, and the caller inserts it again.
                await sweeper.execute(f"DELETE {row}", caller.org_id, caller.usage_subject)
            except BaseException:
                admitting.cancel()
                raise
    assert await asyncio.wait_for(admitting, 10) is None
    # A fresh row holding this call alone: the call was recorded, not lost with the old row.
    assert await db.fetchval(f"SELECT calls {row}", caller.org_id, caller.usage_subject) == [at]


async def _until_blocked_by(db: asyncpg.Pool, blocker_pid: int, seconds: float = 10.0) -> None:
    """Wait until some session waits for a lock that `blocker_pid` holds."""
    deadline = time.monotonic() + seconds
    query = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
    while not await db.fetchval(query, blocker_pid):
        assert time.monotonic() < deadline, f"no session waited for backend {blocker_pid} within {seconds} s"
        await asyncio.sleep(0.01)
