"""Nearest-neighbour search over ticket and article embeddings, per organization.

Each model gets its own HNSW index, a partial expression index over `embedding::vector(<dims>)`
restricted to that model and dimension (`ensure_model_index`); the vectors themselves are
written by app.assist.embeddings_store.

Searching one organization's tickets (`nearest_tickets`) picks a plan by the organization's size,
because a filtered HNSW scan is only good when the organization is a large share of the index
(measured in BENCHMARKS.md, "Similar tickets and analyze"):

- up to `EXACT_SCAN_MAX_ROWS` vectors, or a small share of the model's vectors: an exact scan of
  the organization's rows (the primary key leads with org_id; vectors are stored inline, so this
  costs about 1 µs per row) -- recall 1.0. The SQL orders by `embedding <=> $q` on the raw column,
  which no index matches, so the planner cannot wander into the HNSW index;
- above it: HNSW, with `relaxed_order` iterative scanning (so the filter cannot starve the
  result), in a transaction with `plan_cache_mode = force_custom_plan`: asyncpg prepares every
  statement, and a generic plan neither knows the organization's size nor can prove a partial
  index's predicate. An organization past `ORG_INDEX_MIN_ROWS` vectors has an HNSW index of its
  own (`ensure_org_index`, built in the background by app.assist.embedding_refresh), which the planner
  then prefers: recall 0.99 at ef_search 200 whatever its share of the table. Until then the
  model's shared index serves it, at ef_search 300 (recall 0.98-0.99 for an organization that
  is a third of the table; too low for a small share, which is why those get the exact scan).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec
import numpy as np

from app.assist.embeddings_store import ARTICLE_HASH_SQL, checked_dimensions

SearchStrategy = Literal["exact", "hnsw"]

# Below this many vectors an exact scan costs at most ~2 ms and is always right.
EXACT_SCAN_MAX_ROWS = 2_000
# A filtered scan of the model's shared HNSW index finds an organization's neighbours only when
# enough of the graph is its own; below this share of the model's vectors the exact scan stays
# the plan (until the organization has an index of its own, see ORG_INDEX_MIN_ROWS).
HNSW_MIN_SHARE = 0.05
# ...unless the exact scan itself would cost more than a relaxed iterative HNSW scan (~20-40 ms).
EXACT_SCAN_CEILING_ROWS = 40_000
# From this many vectors an organization gets its own partial HNSW index (built in the background,
# CONCURRENTLY): recall 0.99 at half the candidates the shared index needs, whatever its share.
ORG_INDEX_MIN_ROWS = 10_000
# Candidates an HNSW scan keeps. The shared index needs about 300 for recall@10 >= 0.98 when the
# organization is a third of it; an organization's own index needs far fewer. Raised for a
# larger LIMIT.
HNSW_EF_SEARCH = 300
ORG_INDEX_EF_SEARCH = 200
HNSW_MAX_EF_SEARCH = 1000
# Building over existing rows takes about 25 s per 100,000 vectors: far beyond the pool's
# statement timeout, and legitimately so.
INDEX_BUILD_TIMEOUT_SECONDS = 3600.0
# Organization sizes change slowly; counting them on every search would cost more than the search.
COUNT_CACHE_SECONDS = 60.0

# ---- HNSW indexes: one per model, and one per big organization ----------------------------------

_ready_indexes: set[str] = set()


def _slug(model: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")[:24]


def model_index_name(model: str, dimensions: int) -> str:
    """A stable, valid identifier per (model, dimension): readable prefix, hash for uniqueness."""
    digest = hashlib.sha256(f"{model}\x00{dimensions}".encode()).hexdigest()[:10]
    return f"ticket_embeddings_hnsw_{_slug(model)}_{checked_dimensions(dimensions)}_{digest}"


def org_index_name(org_id: UUID, model: str, dimensions: int) -> str:
    digest = hashlib.sha256(f"{org_id}\x00{model}\x00{dimensions}".encode()).hexdigest()[:16]
    return f"ticket_embeddings_hnsw_org_{digest}"


_INDEX_DDL = (
    "SELECT format('CREATE INDEX %s IF NOT EXISTS %I ON ticket_embeddings USING hnsw "
    "((embedding::vector(%s)) vector_cosine_ops) WHERE ' || $5::text, "
    "$1::text, $2::text, $3::int, $4::text, $6::uuid)"
)


async def ensure_model_index(connection: asyncpg.Connection, model: str, dimensions: int) -> None:
    """Create the model's HNSW index if it does not exist (once per process per model).

    The DDL is built server-side with format(%I, %L), so an odd model name cannot inject SQL. An
    advisory lock keeps two processes from building the same index at once.
    """
    name = model_index_name(model, dimensions)
    if name in _ready_indexes:
        return
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", name)
        if not await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", name):
            statement = await connection.fetchval(
                _INDEX_DDL, "", name, checked_dimensions(dimensions), model, "model = %4$L AND dimensions = %3$s", None
            )
            await connection.execute(statement, timeout=INDEX_BUILD_TIMEOUT_SECONDS)
    _ready_indexes.add(name)


async def ensure_org_index(connection: asyncpg.Connection, org_id: UUID, model: str, dimensions: int) -> bool:
    """Build the organization's own HNSW index for the model, CONCURRENTLY (writes go on).

    `connection` must not be in a transaction and is busy for the whole build (about 25 s per
    100,000 vectors); it must not come from the pool either, as the build's advisory lock is
    session-level and pooled connections go back without a reset (app.database). Returns False
    when another process is building it right now. A build that was interrupted leaves an
    invalid index behind; it is dropped and built again.
    """
    name = org_index_name(org_id, model, dimensions)
    lock = f"org-index:{name}"
    if not await connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", lock):
        return False
    try:
        valid = await connection.fetchval(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)", name
        )
        if valid is False:
            await connection.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"', timeout=INDEX_BUILD_TIMEOUT_SECONDS)
        if valid is not True:
            statement = await connection.fetchval(
                _INDEX_DDL,
                "CONCURRENTLY",
                name,
                checked_dimensions(dimensions),
                model,
                "org_id = %5$L AND model = %4$L AND dimensions = %3$s",
                org_id,
            )
            await connection.execute(statement, timeout=INDEX_BUILD_TIMEOUT_SECONDS)
        # The counts cache also remembers whether the index exists: make searches see it now.
        for key in [key for key in _counts if key[0] == org_id]:
            del _counts[key]
        return True
    finally:
        await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", lock)



# ---- nearest neighbours -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SimilarTicket:
    ticket_id: UUID
    similarity: float  # 1 - cosine distance, clamped to 0..1
    subject: str
    status: str
    priority: str
    tags: list[str]
    assignee_id: UUID | None
    excerpt: str  # the start of the description (240 characters), for explaining the match


@dataclass(frozen=True, slots=True, kw_only=True)
class VectorCounts:
    org_rows: int  # the organization's vectors for the model
    model_rows: int  # all vectors of the model (the planner's estimate); -1: no HNSW index yet
    org_indexed: bool  # the organization has a valid HNSW index of its own


_counts: dict[tuple[UUID, str, int], tuple[float, VectorCounts]] = {}


async def vector_counts(connection: asyncpg.Connection, org_id: UUID, model: str, dimensions: int) -> VectorCounts:
    """What the search plan depends on, cached for COUNT_CACHE_SECONDS.

    The organization is counted exactly (an index-only walk of its part of the primary key); the
    model's total is the planner's estimate of the index size, which is all a share needs.
    """
    key = (org_id, model, dimensions)
    cached = _counts.get(key)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    row = await connection.fetchrow(
        """
        SELECT (SELECT count(*) FROM ticket_embeddings
                WHERE org_id = $1 AND model = $2 AND dimensions = $3) AS org_rows,
               (SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($4)) AS index_rows,
               to_regclass($4) IS NOT NULL AS indexed,
               coalesce((SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($5)), false) AS org_indexed
        """,
        org_id,
        model,
        checked_dimensions(dimensions),
        model_index_name(model, dimensions),
        org_index_name(org_id, model, dimensions),
    )
    org_rows = int(row["org_rows"])
    # reltuples is -1 until the index is first vacuumed or analysed; the org is then a floor.
    model_rows = max(int(row["index_rows"] or 0), org_rows) if row["indexed"] else -1
    counts = VectorCounts(org_rows=org_rows, model_rows=model_rows, org_indexed=bool(row["org_indexed"]))
    if len(_counts) > 10_000:
        _counts.clear()
    _counts[key] = (now + COUNT_CACHE_SECONDS, counts)
    return counts


def choose_strategy(counts: VectorCounts) -> SearchStrategy:
    if counts.org_indexed and counts.org_rows > EXACT_SCAN_MAX_ROWS:
        return "hnsw"
    if counts.model_rows < 0 or counts.org_rows <= EXACT_SCAN_MAX_ROWS:
        return "exact"
    share = counts.org_rows / max(counts.model_rows, 1)
    if share >= HNSW_MIN_SHARE or counts.org_rows > EXACT_SCAN_CEILING_ROWS:
        return "hnsw"
    return "exact"


def wants_org_index(counts: VectorCounts) -> bool:
    """Big enough for an index of its own, and none yet (the caller builds it in the background)."""
    return counts.model_rows >= 0 and counts.org_rows >= ORG_INDEX_MIN_ROWS and not counts.org_indexed


def ef_search_for(limit: int, org_indexed: bool) -> int:
    base = ORG_INDEX_EF_SEARCH if org_indexed else HNSW_EF_SEARCH
    return min(HNSW_MAX_EF_SEARCH, max(base, 4 * limit))


def _similar_sql(dimensions: int, strategy: SearchStrategy) -> str:
    dims = checked_dimensions(dimensions)
    if strategy == "exact":
        # The raw column, which no index covers: a walk of the org's primary-key range and a sort.
        distance = "e.embedding <=> $3::vector"
    else:
        # Exactly the model index's expression, so the planner can order by the HNSW index.
        distance = f"e.embedding::vector({dims}) <=> $3::vector({dims})"
    return f"""
        WITH nearest AS MATERIALIZED (
            SELECT e.ticket_id, {distance} AS distance
            FROM ticket_embeddings e
            WHERE e.org_id = $1 AND e.model = $2 AND e.dimensions = {dims}
              AND ($5::uuid IS NULL OR e.ticket_id <> $5)
            ORDER BY {distance}
            LIMIT $4
        )
        SELECT n.ticket_id, {similarity_sql("n.distance")} AS similarity, t.subject, t.status, t.priority,
               t.tags, t.assignee_id, left(t.description_text, 240) AS excerpt
        FROM nearest n
        JOIN tickets t ON t.org_id = $1 AND t.id = n.ticket_id
        ORDER BY n.distance, n.ticket_id
    """


async def nearest_tickets(
    connection: asyncpg.Connection,
    org_id: UUID,
    model: str,
    dimensions: int,
    vector: np.ndarray | Sequence[float],
    limit: int,
    *,
    exclude_ticket_id: UUID | None = None,
    strategy: SearchStrategy | None = None,
) -> list[SimilarTicket]:
    """The organization's `limit` tickets nearest to `vector` (cosine), nearest first.

    Only rows of `org_id` are ever considered: the filter is in the scan itself, so another
    organization's vectors can never appear, however near they are. With an HNSW plan PostgreSQL
    picks the organization's own index when it has one (a custom plan proves its predicate),
    else the model's shared index.
    """
    counts = await vector_counts(connection, org_id, model, dimensions)
    if strategy is None:
        strategy = choose_strategy(counts)
    query = np.asarray(vector, dtype=np.float32)
    arguments = (org_id, model, query, limit, exclude_ticket_id)
    sql = _similar_sql(dimensions, strategy)
    if strategy == "exact":
        rows = await connection.fetch(sql, *arguments)
    elif connection.is_in_transaction():
        await _set_hnsw_options(connection, ef_search_for(limit, counts.org_indexed))
        rows = await connection.fetch(sql, *arguments)
    else:
        async with connection.transaction():
            await _set_hnsw_options(connection, ef_search_for(limit, counts.org_indexed))
            rows = await connection.fetch(sql, *arguments)
    return msgspec.convert([dict(row) for row in rows], list[SimilarTicket])


async def _set_hnsw_options(connection: asyncpg.Connection, ef_search: int) -> None:
    # Transaction-local (is_local = true): the pooled connection goes back to the defaults.
    await connection.execute(
        "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true), "
        "set_config('plan_cache_mode', 'force_custom_plan', true)",
        str(ef_search),
    )


def similarity_sql(distance: str) -> str:
    """1 - cosine distance, clamped to 0..1, in SQL; NULL stays NULL (no current vector), and a
    zero vector, which has no direction (NaN), is 0. (least/greatest would skip a NULL.)"""
    return (
        f"CASE WHEN {distance} IS NULL THEN NULL WHEN {distance} = 'NaN' THEN 0 "
        f"ELSE greatest(0, least(1, 1 - {distance})) END"
    )


# ---- articles: vector and full-text candidates --------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleCandidate:
    article_id: UUID
    title: str
    content: str
    tags: list[str]
    similarity: float | None  # None when the article has no current embedding
    text_rank: float  # ts_rank_cd normalised to 0..1 (rank / (rank + 1)); 0 when no term matched


async def published_article_candidates(
    connection: asyncpg.Connection,
    org_id: UUID,
    model: str,
    dimensions: int,
    vector: np.ndarray | Sequence[float],
    text_query: str | None,
    limit: int,
) -> list[ArticleCandidate]:
    """The published articles nearest in meaning plus those matching the words, in one query.

    An organization's knowledge base is small (hundreds to a few thousand articles), so the vector
    side is an exact scan. A vector older than its article's last update is not used, and the
    content hash is checked for the returned articles only (hashing the whole knowledge base on
    every call would cost more than the search). `text_query` is a `to_tsquery('simple', ...)` expression (terms joined
    with `|`), or None to skip the full-text side.
    """
    dims = checked_dimensions(dimensions)
    rows = await connection.fetch(
        f"""
        WITH by_vector AS (
            SELECT e.article_id
            FROM article_embeddings e
            JOIN articles a ON a.org_id = e.org_id AND a.id = e.article_id
            WHERE e.org_id = $1 AND e.model = $2 AND e.dimensions = {dims} AND a.published
              AND e.created_at >= a.updated_at
            ORDER BY e.embedding <=> $3::vector
            LIMIT $5
        ), by_text AS (
            SELECT a.id AS article_id
            FROM articles a, to_tsquery('simple', coalesce($4, '')) AS query
            WHERE $4 IS NOT NULL AND a.org_id = $1 AND a.published AND a.search_vector @@ query
            ORDER BY ts_rank_cd(a.search_vector, query, 32) DESC, a.id
            LIMIT $5
        ), candidates AS (
            SELECT article_id FROM by_vector UNION SELECT article_id FROM by_text
        )
        SELECT a.id AS article_id, a.title, a.content, a.tags,
               {similarity_sql(f"CASE WHEN e.content_hash = {ARTICLE_HASH_SQL} THEN e.embedding <=> $3::vector END")}
                   AS similarity,
               CASE WHEN $4 IS NULL THEN 0
                    ELSE ts_rank_cd(a.search_vector, to_tsquery('simple', $4), 32) END AS text_rank
        FROM candidates c
        JOIN articles a ON a.org_id = $1 AND a.id = c.article_id
        LEFT JOIN article_embeddings e
               ON e.org_id = a.org_id AND e.article_id = a.id AND e.model = $2 AND e.dimensions = {dims}
        """,
        org_id,
        model,
        np.asarray(vector, dtype=np.float32),
        text_query,
        limit,
    )
    return msgspec.convert([dict(row) for row in rows], list[ArticleCandidate])
