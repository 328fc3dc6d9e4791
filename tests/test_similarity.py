"""Org-restricted nearest-neighbour search (app.assist.vector_search) against an exact scan in numpy.

One table holds two big-ish organizations (3,000 vectors each, searched through the model's
shared HNSW index until one gets an index of its own), a small organization whose tickets are
spread over every topic (300 vectors: the case where a filtered HNSW scan finds almost nothing,
so it must get the exact scan), and 20,000 vectors of twenty other organizations. Vectors are
synthetic and clustered (tests/support/synthetic_vectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import numpy as np
import pytest

from app.assist import embedding_refresh, vector_search
from app.config import load_settings
from app.context import Services
from app.assist.vector_search import (
    VectorCounts,
    choose_strategy,
    ensure_model_index,
    model_index_name,
    nearest_tickets,
    org_index_name,
    vector_counts,
    wants_org_index,
)
from tests.support.factories import create_org
from tests.support.synthetic_vectors import VectorSpace, exact_top_k, load_synthetic_tickets

DIMENSIONS = 512
K = 10
QUERIES = 60
BIG, SMALL, OTHERS, OTHER_ORGS = 3_000, 300, 20_000, 20


@dataclass
class OrgVectors:
    org_id: UUID
    ticket_ids: list[UUID]
    vectors: np.ndarray


@dataclass
class SimilarityData:
    model: str
    big: OrgVectors
    small: OrgVectors
    indexed: OrgVectors  # gets an HNSW index of its own in test_an_organizations_own_index
    others: list[OrgVectors]


@pytest.fixture(scope="module")
async def data(db: asyncpg.Pool) -> SimilarityData:
    # A model name of its own: this module's HNSW index holds exactly the rows loaded here.
    model = f"synthetic-{uuid4().hex[:8]}"
    space = VectorSpace(DIMENSIONS, seed=20261123)
    loaded: list[OrgVectors] = []
    async with db.acquire() as connection:
        for count in (BIG, SMALL, BIG, *([OTHERS // OTHER_ORGS] * OTHER_ORGS)):
            org = await create_org(db)
            vectors = space.sample(count, space.all_topics())
            ids = await load_synthetic_tickets(connection, org.id, vectors, model)
            loaded.append(OrgVectors(org.id, ids, vectors))
        # Built after the load, as a deployment's first backfill would; ANALYZE gives the planner
        # the per-org row counts that make it pick the HNSW index for the big org.
        await ensure_model_index(connection, model, DIMENSIONS)
        await connection.execute("ANALYZE ticket_embeddings")
    return SimilarityData(model=model, big=loaded[0], small=loaded[1], indexed=loaded[2], others=loaded[3:])


async def _search(connection: asyncpg.Connection, data: SimilarityData, org: OrgVectors, row: int) -> list[UUID]:
    found = await nearest_tickets(
        connection, org.org_id, data.model, DIMENSIONS, org.vectors[row], K, exclude_ticket_id=org.ticket_ids[row]
    )
    return [item.ticket_id for item in found]


def _truth(org: OrgVectors, row: int) -> list[UUID]:
    return [org.ticket_ids[i] for i in exact_top_k(org.vectors, org.vectors[row], K, exclude=row)]


async def _index_scans(connection: asyncpg.Connection, index: str) -> int:
    await connection.execute("SELECT pg_stat_force_next_flush()")
    await connection.execute("SELECT pg_stat_clear_snapshot()")
    return int(
        await connection.fetchval("SELECT coalesce(idx_scan, 0) FROM pg_stat_user_indexes WHERE indexrelname = $1", index)
    )


async def test_the_plan_follows_the_organizations_size(db: asyncpg.Pool, data: SimilarityData) -> None:
    async with db.acquire() as connection:
        big = await vector_counts(connection, data.big.org_id, data.model, DIMENSIONS)
        small = await vector_counts(connection, data.small.org_id, data.model, DIMENSIONS)
    assert (big.org_rows, small.org_rows) == (BIG, SMALL)
    assert big.model_rows >= 2 * BIG + SMALL + OTHERS * 0.9  # the planner's estimate of the index size
    assert not big.org_indexed and not small.org_indexed
    assert choose_strategy(big) == "hnsw"
    assert choose_strategy(small) == "exact"


async def test_recall_in_both_organizations_with_interleaved_queries(db: asyncpg.Pool, data: SimilarityData) -> None:
    """Big and small organizations alternate on one pooled connection, as in production: a
    generic plan shared between them would either starve the small one (HNSW) or scan the big
    one exhaustively (btree); the index-scan counter shows the big org really went through HNSW."""
    rng = np.random.default_rng(5)
    big_rows = rng.choice(BIG, QUERIES, replace=False)
    small_rows = rng.choice(SMALL, QUERIES, replace=False)
    big_hits = small_hits = 0
    async with db.acquire() as connection:
        index = model_index_name(data.model, DIMENSIONS)
        scans_before = await _index_scans(connection, index)
        for big_row, small_row in zip(big_rows, small_rows, strict=True):
            big_found = await _search(connection, data, data.big, int(big_row))
            small_found = await _search(connection, data, data.small, int(small_row))
            big_hits += len(set(big_found) & set(_truth(data.big, int(big_row))))
            small_truth = _truth(data.small, int(small_row))
            assert small_found == small_truth  # exact scan: the same tickets in the same order
            small_hits += len(small_found)
        scans_after = await _index_scans(connection, index)
    big_recall = big_hits / (QUERIES * K)
    assert big_recall >= 0.95, f"recall@10 of the big organization through HNSW: {big_recall:.3f}"
    assert small_hits == QUERIES * K
    assert scans_after - scans_before >= QUERIES, "the big organization's searches did not use the HNSW index"


async def test_results_never_include_another_organizations_tickets(db: asyncpg.Pool, data: SimilarityData) -> None:
    """Queried with vectors that ARE other organizations' tickets (distance 0 to them), each
    organization still gets only its own tickets."""
    async with db.acquire() as connection:
        for org in (data.big, data.small):
            own = set(org.ticket_ids)
            for other in data.others[:5]:
                found = await nearest_tickets(connection, org.org_id, data.model, DIMENSIONS, other.vectors[0], K)
                assert len(found) == K
                assert {item.ticket_id for item in found} <= own
                assert other.ticket_ids[0] not in {item.ticket_id for item in found}


async def test_similarity_is_one_minus_cosine_distance_clamped(db: asyncpg.Pool, data: SimilarityData) -> None:
    query = data.small.vectors[3]
    async with db.acquire() as connection:
        found = await nearest_tickets(connection, data.small.org_id, data.model, DIMENSIONS, query, K)
        opposite = await nearest_tickets(connection, data.small.org_id, data.model, DIMENSIONS, -query, 1)
    by_id = dict(zip(data.small.ticket_ids, data.small.vectors @ query, strict=True))
    assert found[0].ticket_id == data.small.ticket_ids[3] and found[0].similarity == pytest.approx(1.0, abs=1e-5)
    for item in found:
        assert item.similarity == pytest.approx(max(0.0, float(by_id[item.ticket_id])), abs=1e-4)
    assert [item.similarity for item in found] == sorted((item.similarity for item in found), reverse=True)
    # The nearest ticket to the opposite direction has a cosine distance near 1: similarity >= 0.
    assert 0.0 <= opposite[0].similarity <= 1.0


async def test_an_organization_without_vectors_gets_an_empty_list(db: asyncpg.Pool, data: SimilarityData) -> None:
    org = await create_org(db)
    async with db.acquire() as connection:
        assert await nearest_tickets(connection, org.id, data.model, DIMENSIONS, data.big.vectors[0], K) == []


def test_choose_strategy_thresholds() -> None:
    exact_max = vector_search.EXACT_SCAN_MAX_ROWS
    assert choose_strategy(VectorCounts(org_rows=exact_max, model_rows=10 * exact_max, org_indexed=False)) == "exact"
    assert choose_strategy(VectorCounts(org_rows=exact_max + 1, model_rows=2 * exact_max, org_indexed=False)) == "hnsw"
    # A mid-sized organization that is a sliver of a huge index: exact is cheaper than a starving HNSW...
    assert choose_strategy(VectorCounts(org_rows=exact_max * 5, model_rows=10_000_000, org_indexed=False)) == "exact"
    # ...until it has an index of its own.
    assert choose_strategy(VectorCounts(org_rows=exact_max * 5, model_rows=10_000_000, org_indexed=True)) == "hnsw"
    assert choose_strategy(VectorCounts(org_rows=vector_search.EXACT_SCAN_CEILING_ROWS + 1, model_rows=100_000_000, org_indexed=False)) == "hnsw"
    assert choose_strategy(VectorCounts(org_rows=50_000, model_rows=-1, org_indexed=False)) == "exact"  # no index for the model yet
    org_index_min = vector_search.ORG_INDEX_MIN_ROWS
    assert wants_org_index(VectorCounts(org_rows=org_index_min, model_rows=10 * org_index_min, org_indexed=False))
    assert not wants_org_index(VectorCounts(org_rows=org_index_min, model_rows=10 * org_index_min, org_indexed=True))
    assert not wants_org_index(VectorCounts(org_rows=org_index_min - 1, model_rows=10 * org_index_min, org_indexed=False))


async def test_an_organizations_own_index_is_built_in_the_background_and_used(
    db: asyncpg.Pool, data: SimilarityData, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once an organization passes ORG_INDEX_MIN_ROWS (lowered here to fit the test's sizes) its
    own partial HNSW index is built concurrently; searches then go through it, with a lower
    ef_search, and still find its neighbours."""
    monkeypatch.setattr(vector_search, "ORG_INDEX_MIN_ROWS", BIG)
    monkeypatch.setattr(vector_search, "_counts", {})
    settings = load_settings({"DATABASE_URL": database_url, "APP_ENV": "test", "DATA_DIR": str(tmp_path)})
    services = Services(settings=settings, pool=db)
    org = data.indexed
    key = (org.org_id, data.model, DIMENSIONS)
    async with db.acquire() as connection:
        await embedding_refresh.build_org_index_if_due(services, connection, org.org_id, data.model, DIMENSIONS)
        await embedding_refresh.build_org_index_if_due(services, connection, data.small.org_id, data.model, DIMENSIONS)
        assert set(embedding_refresh._index_builds) == {key}  # the small organization needs none
        await embedding_refresh._index_builds[key]
        counts = await vector_counts(connection, org.org_id, data.model, DIMENSIONS)
        assert counts.org_indexed and choose_strategy(counts) == "hnsw"
        index = org_index_name(org.org_id, data.model, DIMENSIONS)
        scans_before = await _index_scans(connection, index)
        hits = 0
        for row in range(QUERIES):
            found = await _search(connection, data, org, row)
            hits += len(set(found) & set(_truth(org, row)))
        scans_after = await _index_scans(connection, index)
        # Built already: nothing more to do.
        await embedding_refresh.build_org_index_if_due(services, connection, org.org_id, data.model, DIMENSIONS)
        assert key not in embedding_refresh._index_builds
    assert scans_after - scans_before >= QUERIES, "the organization's searches did not use its own index"
    recall = hits / (QUERIES * K)
    assert recall >= 0.95, f"recall@10 through the organization's own index: {recall:.3f}"
