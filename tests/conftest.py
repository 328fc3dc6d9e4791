"""Shared fixtures: one real PostgreSQL and one running app for the whole session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from app.database import DEFAULT_STATEMENT_CACHE_SIZE, apply_schema, create_pool
from tests.support.hosted import HostedApp, hosted_app
from tests.support.servers import LiveServer, start_app, start_test_postgres

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        import asyncio

        asyncio.run(apply_schema(external))
        yield external
        return
    postgres = start_test_postgres()
    import asyncio

    asyncio.run(apply_schema(postgres.url))
    yield postgres.url
    postgres.stop()


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[LiveServer]:
    server = start_app(database_url)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hosted(database_url: str) -> Iterator[HostedApp]:
    """A second app whose AI is a hosted model on the fake OpenAI server (tests/support/hosted.py)."""
    with hosted_app(database_url) as app:
        yield app


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool for arranging data and checking what the server wrote."""
    # DATABASE_STATEMENT_CACHE_SIZE=0 runs the suite as behind PgBouncer in transaction mode: this
    # pool and every app the tests start (they inherit the environment) then prepare no named
    # statements. TEST_DATABASE_URL may point at a real PgBouncer.
    cache = int(os.environ.get("DATABASE_STATEMENT_CACHE_SIZE") or DEFAULT_STATEMENT_CACHE_SIZE)
    pool = await create_pool(database_url, 5, cache)
    yield pool
    await pool.close()
