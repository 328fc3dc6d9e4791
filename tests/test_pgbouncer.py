"""PgBouncer in transaction mode: DATABASE_STATEMENT_CACHE_SIZE=0 makes the app work behind it.

Against a real PgBouncer (Debian's package, which `make test` installs; skipped where it is missing) with
two server connections: the app started through it with the statement cache off serves
sign-in, writes and concurrent reads without a single error, while a pool with asyncpg's default
cache fails through the same bouncer, which is what the setting is for.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator

import asyncpg
import pytest

from app.database import create_pool
from tests.support.factories import create_org, create_user, login
from tests.support.pgbouncer import Bouncer, pgbouncer_path, start_pgbouncer
from tests.support.servers import start_app

needs_pgbouncer = pytest.mark.skipif(pgbouncer_path() is None, reason="pgbouncer is not installed")


async def _named_statements(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as connection:
        for _ in range(3):
            await connection.fetchval("SELECT count(*) FROM plans WHERE name = $1", "pro")
        return int(await connection.fetchval("SELECT count(*) FROM pg_prepared_statements"))


async def test_statement_cache_off_leaves_no_named_statement_on_the_server(database_url: str) -> None:
    cached = await create_pool(database_url, 1)
    uncached = await create_pool(database_url, 1, statement_cache_size=0)
    try:
        assert await _named_statements(cached) > 0
        assert await _named_statements(uncached) == 0
    finally:
        await cached.close()
        await uncached.close()


@pytest.fixture(scope="module")
def bouncer(database_url: str) -> Iterator[Bouncer]:
    if pgbouncer_path() is None:
        pytest.skip("pgbouncer is not installed")
    started = start_pgbouncer(database_url, server_connections=2)
    yield started
    started.stop()


async def _many_statements(url: str, statement_cache_size: int) -> list[BaseException]:
    """Eight client connections, each running a few different statements twice, interleaved."""
    pool = await create_pool(url, 8, statement_cache_size)
    try:

        async def client(number: int) -> None:
            async with pool.acquire() as connection:
                for round_number in range(2):
                    for text in ("SELECT $1::int + 1", "SELECT name FROM plans WHERE name = $1::text", "SELECT $1::int * 2"):
                        await connection.fetchval(text, number if "int" in text else "pro")
                        await asyncio.sleep(0)

        results = await asyncio.gather(*(client(n) for n in range(8)), return_exceptions=True)
        return [result for result in results if isinstance(result, BaseException)]
    finally:
        await pool.close()


@needs_pgbouncer
async def test_default_statement_cache_breaks_behind_transaction_pooling(bouncer: Bouncer) -> None:
    errors = await _many_statements(bouncer.url, 100)
    assert errors, "named prepared statements should not survive PgBouncer's transaction pooling"
    assert all(isinstance(error, asyncpg.PostgresError) for error in errors)


@needs_pgbouncer
async def test_statement_cache_off_works_behind_transaction_pooling(bouncer: Bouncer) -> None:
    assert await _many_statements(bouncer.url, 0) == []


@needs_pgbouncer
async def test_the_app_serves_through_pgbouncer_with_the_cache_off(db: asyncpg.Pool, bouncer: Bouncer) -> None:
    server = start_app(bouncer.url, DATABASE_STATEMENT_CACHE_SIZE="0", DATABASE_POOL_SIZE="6")
    try:
        org = await create_org(db)
        user = await create_user(db, org.id, role="agent")
        client = await asyncio.to_thread(login, server, user)
        created = [
            await asyncio.to_thread(
                client.mutation, "tickets.create", {"subject": f"Printer {n} jammed", "description": "Paper stuck"}
            )
            for n in range(5)
        ]

        def list_tickets(_: int) -> int:
            return len(client.query("tickets.list", {"limit": 50})["items"])

        with ThreadPoolExecutor(8) as threads:
            counts = await asyncio.to_thread(lambda: list(threads.map(list_tickets, range(40))))
        assert counts == [5] * 40
        stored = await db.fetchval("SELECT count(*) FROM tickets WHERE org_id = $1", org.id)
        assert stored == len(created) == 5
        assert "prepared statement" not in server.log()
    finally:
        server.stop()
