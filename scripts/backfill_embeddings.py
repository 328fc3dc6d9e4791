"""Embed every ticket (and article) of an organization that lacks a current embedding.

    python -m scripts.backfill_embeddings --org acme
    python -m scripts.backfill_embeddings --org 6f1c...-uuid --batch-size 128 --no-articles

Run it after importing tickets, after an organization changes its embedding model, or after an
upgrade that changed how tickets are embedded. It embeds with the model the server would use for
the organization (the same engine choice, from the same environment: AI_MODEL,
AI_EMBEDDING_MODEL, ...), in batches, with a progress bar; an interrupted run resumes with what
is still missing. An organization past ORG_INDEX_MIN_ROWS vectors also gets its own partial HNSW
index (built CONCURRENTLY). Token-ledger rows are written for the embedding calls (with no user: the
operator ran them); they use no AI-operation quota.

Uses DATABASE_URL, or the embedded development database when it is unset.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from uuid import UUID

import asyncpg
from tqdm import tqdm

from app.assist.settings import settings_from_json
from app.config import ConfigError, Settings, load_settings
from app.context import Caller, Services
from app.database import create_pool
from app.assist.embedding_refresh import (
    BACKFILL_BATCH_SIZE,
    backfill_article_embeddings,
    backfill_ticket_embeddings,
    embedding_engine_for,
)
from app.assist.embeddings_store import (
    count_articles_lacking_embedding,
    count_tickets_lacking_embedding,
    ensure_org_index,
    vector_counts,
    wants_org_index,
)
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


async def backfill(settings: Settings, database_url: str, slug_or_id: str, batch_size: int, articles: bool) -> str:
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

        missing = await count_tickets_lacking_embedding(pool, org["id"], model, dimensions)
        with tqdm(total=missing, unit="ticket", desc="tickets") as progress:
            tickets = await backfill_ticket_embeddings(
                services, operator, org["id"], batch_size=batch_size, on_batch=progress.update
            )
        lines.append(f"tickets: {tickets} embedded of {missing} lacking a current embedding")
        async with pool.acquire() as connection:
            counts = await vector_counts(connection, org["id"], model, dimensions)
            if wants_org_index(counts):
                # Big enough for an HNSW index of its own: build it now rather than on the first
                # search (CONCURRENTLY: the organization keeps working meanwhile).
                started = time.monotonic()
                await ensure_org_index(connection, org["id"], model, dimensions)
                lines.append(f"built the organization's own HNSW index in {time.monotonic() - started:.0f} s")
        if articles:
            missing = await count_articles_lacking_embedding(pool, org["id"], model, dimensions)
            with tqdm(total=missing, unit="article", desc="articles") as progress:
                stored = await backfill_article_embeddings(
                    services, operator, org["id"], batch_size=batch_size, on_batch=progress.update
                )
            lines.append(f"articles: {stored} embedded of {missing} lacking a current embedding")
        return "\n".join(lines)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", required=True, help="the organization's slug or id")
    parser.add_argument("--batch-size", type=int, default=BACKFILL_BATCH_SIZE, help="texts per embedding call")
    parser.add_argument("--no-articles", action="store_true", help="tickets only")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.batch_size <= 2048:
        parser.error("--batch-size must be between 1 and 2048")
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    from app.__main__ import prepare_database

    try:
        report = asyncio.run(
            backfill(settings, prepare_database(settings), arguments.org, arguments.batch_size, not arguments.no_articles)
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
