"""Keeping ticket and article embeddings current, without making any request wait for it.

- `schedule_ticket_embedding(ctx, org_id, ticket_id)`: called by tickets.create / tickets.update
  after a ticket's subject or description changed. It returns at once; the vector is computed in
  a background task on the running loop. Schedules for a ticket already being refreshed coalesce
  into one more pass, which reads the latest text. Failures are logged, never raised: the ticket
  is saved either way, and ai.findSimilarTickets embeds a ticket on demand when its vector is
  missing or stale.
- `embed_missing_articles`: the published articles an AI request is about to search, embedded on
  the spot when they have no current vector (a knowledge base is small, and this is usually a
  no-op query).
- `backfill_embeddings(kind=TICKETS | ARTICLES)`: every item lacking a current vector, in
  batches (app.assist.backfill, which the backfill command runs).
- `build_org_index_if_due`: once an organization has ORG_INDEX_MIN_ROWS vectors, its own partial
  HNSW index is built in the background (CONCURRENTLY, on a connection of its own), which keeps
  its similarity search fast and its recall high whatever its share of the table.

Which model embeds is the organization's choice, exactly as in the AI procedures
(`choose_embedding_engine`): the local engine unless a hosted embedding model is configured.
Every embedding call writes its token-ledger rows in the transaction that stores its vectors; a
background refresh is not an AI operation of the caller's, so it uses no quota.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from uuid import UUID

import asyncpg
import numpy as np

from app.ai.choose import choose_embedding_engine
from app.ai.interface import AIError, Engine, EngineSettings, TokenUsage
from app.assist.settings import load_ai_settings
from app.context import Caller, Context, Services
from app.assist.embeddings_store import (
    ARTICLES,
    TICKETS,
    EmbeddedKind,
    EmbeddingRow,
    TextToEmbed,
    item_to_embed,
    items_lacking_embedding,
    upsert_embeddings,
)
from app.assist.vector_search import ensure_model_index, ensure_org_index, vector_counts, wants_org_index
from app.usage.metering import record_token_usage

log = logging.getLogger("app.assist.embedding_refresh")

RefreshKey = tuple[UUID, UUID]  # (org_id, ticket_id)

# Background refreshes embedding at once per process; more queue here instead of crowding the
# engine's worker threads that requests are waiting on.
REFRESH_CONCURRENCY = 2
# Articles embedded inline by one AI request; the rest wait for the next request or a backfill.
INLINE_ARTICLE_LIMIT = 64
BACKFILL_BATCH_SIZE = 64

_running: dict[RefreshKey, asyncio.Task[None]] = {}
_again: set[RefreshKey] = set()
_gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def embedding_engine_for(services: Services, settings: EngineSettings) -> Engine:
    if services.local_engine is None:
        raise AIError("no AI engine is available to embed with")
    return choose_embedding_engine(settings, services.local_engine, services.hosted_engine)


# ---- background refresh -----------------------------------------------------------------------


def schedule_ticket_embedding(ctx: Context, org_id: UUID, ticket_id: UUID) -> None:
    """Recompute the ticket's embedding in the background if its text changed (never blocks)."""
    caller = ctx.caller
    if caller is None or caller.org_id != org_id or ctx.services.pool is None:
        return
    if caller.ai_features == "none":
        return  # no AI feature of this plan reads vectors; an upgrade's first use embeds on demand
    key = (org_id, ticket_id)
    if key in _running:
        _again.add(key)  # the running refresh makes one more pass with the latest text
        return
    _running[key] = asyncio.get_running_loop().create_task(_refresh_until_settled(ctx.services, caller, key))


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(REFRESH_CONCURRENCY)
    return gate


async def _refresh_until_settled(services: Services, caller: Caller, key: RefreshKey) -> None:
    org_id, ticket_id = key
    try:
        while True:
            _again.discard(key)
            try:
                async with _gate():
                    await refresh_ticket_embedding(services, caller, org_id, ticket_id)
            except AIError as error:
                log.warning("could not embed ticket %s: %s", ticket_id, error)
            except Exception:
                log.exception("could not embed ticket %s", ticket_id)
            if key not in _again:
                return
    finally:
        # Runs right after the check above, with no await in between: a schedule arriving later
        # finds no running task and starts a new one, so no change goes unembedded.
        _running.pop(key, None)


async def _org_settings(services: Services, org_id: UUID) -> EngineSettings:
    assert services.pool is not None
    return (await load_ai_settings(services.pool, org_id)).engine


async def refresh_ticket_embedding(services: Services, caller: Caller, org_id: UUID, ticket_id: UUID) -> bool:
    """Embed the ticket if it has no current vector for its organization's model; True if stored."""
    settings = await _org_settings(services, org_id)
    engine = embedding_engine_for(services, settings)
    model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
    assert services.pool is not None
    item = await item_to_embed(services.pool, TICKETS, org_id, ticket_id, model, dimensions)
    if item is None:
        return False  # current already, or deleted meanwhile
    return bool(await _embed_and_store(services, caller, org_id, engine, settings, TICKETS, [item]))


async def settle_background_work(deadline_seconds: float) -> None:
    """At shutdown: wait for the scheduled refreshes, for at most `deadline_seconds`, then cancel
    what is left; cancel index builds (a build cut short is dropped and redone later)."""
    for build in list(_index_builds.values()):
        build.cancel()
    refreshes = list(_running.values())
    if refreshes:
        log.info("waiting for %d background embedding refresh(es)", len(refreshes))
        _done, late = await asyncio.wait(refreshes, timeout=deadline_seconds)
        for task in late:
            task.cancel()
    await asyncio.gather(*_index_builds.values(), return_exceptions=True)


# ---- an organization's own HNSW index ----------------------------------------------------------

# A build that failed, or that another process is running, is not tried again by every search
# that follows; the counts cache notices the finished index within its own TTL.
ORG_INDEX_RETRY_SECONDS = 600.0

IndexKey = tuple[UUID, str, int]
_index_builds: dict[IndexKey, asyncio.Task[None]] = {}
_index_backoff: dict[IndexKey, float] = {}


async def build_org_index_if_due(
    services: Services, connection: asyncpg.Connection, org_id: UUID, model: str, dimensions: int
) -> None:
    """Start building the organization's own HNSW index in the background once it is big enough.

    Cheap to call after every search: the counts are cached, and a build already running, or
    one that failed a moment ago, is not started again.
    """
    counts = await vector_counts(connection, org_id, model, dimensions)
    key = (org_id, model, dimensions)
    if not wants_org_index(counts) or key in _index_builds or services.settings.database_url is None:
        return
    paused_at = _index_backoff.get(key)
    if paused_at is not None and time.monotonic() - paused_at < ORG_INDEX_RETRY_SECONDS:
        return
    _index_builds[key] = asyncio.get_running_loop().create_task(_build_org_index(services.settings.database_url, key))


async def _build_org_index(database_url: str, key: IndexKey) -> None:
    org_id, model, dimensions = key
    try:
        # A connection of its own: the build holds it for as long as it takes (CONCURRENTLY
        # cannot run in a transaction), and the pool's connections stay free for requests.
        connection = await asyncpg.connect(database_url)
        try:
            started = time.monotonic()
            if await ensure_org_index(connection, org_id, model, dimensions):
                log.info("built the HNSW index of organization %s (%s) in %.0f s", org_id, model, time.monotonic() - started)
            else:
                _index_backoff[key] = time.monotonic()  # another process is building it
        finally:
            await connection.close()
    except Exception:
        _index_backoff[key] = time.monotonic()
        log.exception("could not build the HNSW index of organization %s (%s)", org_id, model)
    finally:
        _index_builds.pop(key, None)


# ---- embedding and storing ----------------------------------------------------------------------


async def _embed_and_store(
    services: Services,
    caller: Caller,
    org_id: UUID,
    engine: Engine,
    settings: EngineSettings,
    kind: EmbeddedKind,
    items: list[TextToEmbed],
) -> list[UUID]:
    """Embed `items` in one engine call and store the vectors with the ledger rows, atomically."""
    model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
    result = await engine.embed([item.text for item in items], settings)
    vectors = np.asarray(result.value.vectors, dtype=np.float32)
    if vectors.shape != (len(items), dimensions):
        raise AIError(f"the embedding model {model} returned vectors of shape {vectors.shape}, expected {(len(items), dimensions)}")
    tokens = sum(call.prompt_tokens for call in result.usage)
    rows = [
        EmbeddingRow(item_id=item.item_id, vector=vector, content_hash=item.content_hash, token_count=round(tokens / len(items)))
        for item, vector in zip(items, vectors, strict=True)
    ]
    pool = services.pool
    assert pool is not None
    async with pool.acquire() as connection:
        if kind is TICKETS:
            await ensure_model_index(connection, model, dimensions)  # similarity search needs it
        try:
            return await _store(connection, caller, kind, org_id, model, dimensions, rows, result.usage)
        except asyncpg.ForeignKeyViolationError:
            # An item was deleted while its vector was being written: the insert saw it, its
            # foreign-key check (after the delete committed) no longer does. Once more, on a
            # fresh snapshot, the upsert's join leaves the deleted item out.
            log.debug("a %s was deleted while its embedding was stored; storing the rest", kind.name)
            return await _store(connection, caller, kind, org_id, model, dimensions, rows, result.usage)


async def _store(
    connection: asyncpg.Connection,
    caller: Caller,
    kind: EmbeddedKind,
    org_id: UUID,
    model: str,
    dimensions: int,
    rows: list[EmbeddingRow],
    usage: Sequence[TokenUsage],
) -> list[UUID]:
    async with connection.transaction():
        written = await upsert_embeddings(connection, kind, org_id, model, dimensions, rows)
        await record_token_usage(connection, caller, list(usage))
    return written


async def embed_missing_articles(services: Services, caller: Caller, org_id: UUID, settings: EngineSettings) -> int:
    """Embed the organization's published articles that lack a current vector (at most
    INLINE_ARTICLE_LIMIT); the number embedded. Committed on its own: a vector is a cache that
    stays valid whatever becomes of the request that made it."""
    engine = embedding_engine_for(services, settings)
    model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
    assert services.pool is not None
    lacking = await items_lacking_embedding(
        services.pool, ARTICLES, org_id, model, dimensions, after=None, limit=INLINE_ARTICLE_LIMIT, published_only=True, exact=False
    )
    if not lacking:
        return 0
    return len(await _embed_and_store(services, caller, org_id, engine, settings, ARTICLES, lacking))


# ---- backfill -----------------------------------------------------------------------------------


async def backfill_embeddings(
    services: Services,
    caller: Caller,
    org_id: UUID,
    kind: EmbeddedKind,
    *,
    batch_size: int = BACKFILL_BATCH_SIZE,
    on_batch: Callable[[int], None] = lambda _count: None,
) -> int:
    """Embed every item of the organization lacking a current vector; the number stored. Articles
    are embedded published or not, so publishing one needs no new vector.

    Walks the items in id order (keyset pagination), so a backfill of 100,000 tickets holds no
    long transaction and can be interrupted and rerun: it resumes with what is still missing.
    """
    assert services.pool is not None
    settings = await _org_settings(services, org_id)
    engine = embedding_engine_for(services, settings)
    model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
    stored = 0
    after: UUID | None = None
    while True:
        batch = await items_lacking_embedding(services.pool, kind, org_id, model, dimensions, after=after, limit=batch_size)
        if not batch:
            return stored
        stored += len(await _embed_and_store(services, caller, org_id, engine, settings, kind, batch))
        after = batch[-1].item_id
        on_batch(len(batch))
