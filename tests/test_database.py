"""The connection pool: a released connection comes back as the next caller expects it.

app.database.create_pool skips asyncpg's per-release reset query (a round trip per pooled query);
that is only right while nothing leaves session state on a pooled connection. These tests hold
the code to that, and show what asyncpg still does on release.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.assist.vector_search import _set_hnsw_options
from app.database import create_pool

ROOT = Path(__file__).resolve().parents[1]
_SET_CONFIG = re.compile(r"set_config\('[^']+',\s*[^,()]+,\s*(\w+)\)")


def _sources() -> list[Path]:
    return [*sorted((ROOT / "app").rglob("*.py")), *sorted((ROOT / "procedures").rglob("*.py"))]


def test_every_set_config_call_is_transaction_local():
    calls = [(path, match) for path in _sources() for match in _SET_CONFIG.finditer(path.read_text())]
    assert calls, "the pattern finds the set_config calls there are"
    assert [(path.name, match.group(0)) for path, match in calls if match.group(1).lower() != "true"] == []


async def test_a_released_connection_has_its_defaults_and_no_open_transaction(database_url):
    pool = await create_pool(database_url, 1)
    try:
        async with pool.acquire() as connection:
            default = await connection.fetchval("SHOW plan_cache_mode")
            async with connection.transaction():
                await _set_hnsw_options(connection, 123)
                assert await connection.fetchval("SHOW plan_cache_mode") == "force_custom_plan"
        async with pool.acquire() as connection:  # the pool's only connection, again
            assert await connection.fetchval("SHOW plan_cache_mode") == default
            assert await connection.fetchval("SELECT current_setting('hnsw.ef_search', true)") != "123"
        # A transaction left open by mistake is rolled back on release (asyncpg does this itself),
        # and the same server connection comes back, not a new one.
        connection = await pool.acquire()
        backend = await connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute("BEGIN; CREATE TEMP TABLE left_open (x int)")
        await pool.release(connection)
        async with pool.acquire() as connection:
            assert await connection.fetchval("SELECT pg_backend_pid()") == backend
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
    finally:
        await pool.close()
