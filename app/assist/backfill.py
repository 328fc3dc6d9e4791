"""Embed every ticket (and article) of an organization that lacks a current embedding.

Run it (from the command line, see the README's "Other commands") after importing tickets, after
an organization changes its embedding model, or after an upgrade that changed how tickets are
embedded; `python -m app` also runs it over a freshly seeded development database. It embeds with
the model the server would use for the organization (the same engine choice, from the same
environment: AI_MODEL, AI_EMBEDDING_MODEL, ...), in batches, with a progress bar; an interrupted
run resumes with what is still missing. An organization past ORG_INDEX_MIN_ROWS vectors also gets
its own partial HNSW index (built CONCURRENTLY). Token-ledger rows are written for the embedding
calls (with no user: the operator ran them); they use no AI-operation quota.
"""

from __future__ import annotations

import time
from uuid import UUID

import asyncpg
from tqdm import tqdm

from app.assist.settings import settings_from_json
from app.config import Settings
from app.context import Caller, Services
from app.database import create_pool
from app.assist.embedding_refresh import BACKFILL_BATCH_SIZE, backfill_embeddings, embedding_engine_for
from app.assist.embeddings_store import ARTICLES, TICKETS, EmbeddedKind, count_lacking_embedding
from app.assist.vector_search import ensure_org_index, vector_counts, wants_org_index
from app.wiring import build_engines


async def find_organization(pool: asyncpg.Pool, slug_or_id: str) -> asyncpg.Record:
    try:
        org_id: UUID | None = UUID(slug_or_id)
    except ValueError:
        org_id = None
    row = await pool.fetchrow(
        """
        SELECT o.id, o.name, o.slug, o.plan, o.ai_settings::text AS ai_settings, p.ai_features
        FROM organizations o JOIN plans p ON p.name = o.plan
        WHERE o.slug = $1 OR o.id = $2
        """,
        slug_or_id,
        org_id,
    )
    if row is None:
        raise ValueError(f"no organization with slug or id {slug_or_id!r}")
    return row


async def backfill(
    settings: Settings, database_url: str, slug_or_id: str, batch_size: int = BACKFILL_BATCH_SIZE, *, articles: bool
) -> str:
    """Backfill one organization; returns the report to print (progress bars go to stderr)."""
    pool = await create_pool(database_url, 2)
    try:
        services = Services(settings=settings, pool=pool)
        await build_engines(services)
        org = await find_organization(pool, slug_or_id)
        engine_settings = settings_from_json(org["ai_settings"]).engine
        engine = embedding_engine_for(services, engine_settings)
        model, dimensions = engine.embedding_model_name(engine_settings), engine.embedding_dimensions(engine_settings)
        # The ledger names no user or key: an operator ran this.
        operator = Caller(org_id=org["id"], user_id=None, role="admin", plan=org["plan"], ai_features=org["ai_features"])
        lines = [f"{org['name']} ({org['slug']}): embedding with {model} ({dimensions} dimensions)"]

        lines.append(await _backfill_kind(services, operator, TICKETS, model, dimensions, batch_size))
        async with pool.acquire() as connection:
            counts = await vector_counts(connection, org["id"], model, dimensions)
        if wants_org_index(counts):
            # Big enough for an HNSW index of its own: build it now rather than on the first
            # search (CONCURRENTLY: the organization keeps working meanwhile). On a connection of
            # its own, as the build's advisory lock is session-level (see ensure_org_index).
            started = time.monotonic()
            connection = await asyncpg.connect(database_url)
            try:
                await ensure_org_index(connection, org["id"], model, dimensions)
            finally:
                await connection.close()
            lines.append(f"built the organization's own HNSW index in {time.monotonic() - started:.0f} s")
        if articles:
            lines.append(await _backfill_kind(services, operator, ARTICLES, model, dimensions, batch_size))
        return "\n".join(lines)
    finally:
        await pool.close()


async def _backfill_kind(
    services: Services, operator: Caller, kind: EmbeddedKind, model: str, dimensions: int, batch_size: int
) -> str:
    assert services.pool is not None and operator.org_id is not None
    missing = await count_lacking_embedding(services.pool, kind, operator.org_id, model, dimensions)
    with tqdm(total=missing, unit=kind.name, desc=kind.table) as progress:
        stored = await backfill_embeddings(
            services, operator, operator.org_id, kind, batch_size=batch_size, on_batch=progress.update
        )
    return f"{kind.table}: {stored} embedded of {missing} lacking a current embedding"
