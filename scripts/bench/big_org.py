"""One organization with 100,000 tickets, for the ticket-search benchmark.

    .venv/bin/python -m scripts.bench.big_org --database-url postgresql://...   [--tickets 100000]

The tickets come from the demo corpus's generator (`app.demo.corpus.build_corpus`) with its
twelve topics and six languages, over three years, with about three messages each, and are written
with COPY (about a minute for 100,000 on a 2-core machine). Order and invoice numbers are drawn
from a few thousand values, so they are the rare terms of the corpus (tens of tickets each), topic
words and customers' names the middle, and the words of every template the very common.

The organization (`--slug`, default "bench-big") is created with an admin who can sign in
(`bench-admin@<slug>.test`, password `--password`); when it already holds the requested number of
tickets nothing is written, so the load happens once per database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.auth.passwords import hash_password  # noqa: E402
from app.database import apply_schema  # noqa: E402
from app.demo.corpus import build_corpus, ensure_agents, write_corpus  # noqa: E402
from app.demo.profiles import PROFILES  # noqa: E402

DEFAULT_SLUG = "bench-big"
DEFAULT_PASSWORD = "bench-password"
CHUNK = 20_000  # tickets per COPY batch, to bound the loader's memory


@dataclass(frozen=True)
class BigOrg:
    id: UUID
    slug: str
    admin_email: str
    password: str
    tickets: int


def _rare_numbers(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{number}" for number in range(10_000, 10_000 + count))


async def ensure_big_org(
    database_url: str,
    *,
    slug: str = DEFAULT_SLUG,
    tickets: int = 100_000,
    password: str = DEFAULT_PASSWORD,
    say: Callable[[str], None] = print,
) -> BigOrg:
    """The organization `slug` with `tickets` tickets, loading them when it has none."""
    await apply_schema(database_url)
    connection = await asyncpg.connect(database_url)
    try:
        org_id = await connection.fetchval("SELECT id FROM organizations WHERE slug = $1", slug)
        if org_id is None:
            org_id = await connection.fetchval(
                "INSERT INTO organizations (name, slug, plan) VALUES ($1, $1, 'business') RETURNING id", slug
            )
        email = f"bench-admin@{slug}.test"
        await connection.execute(
            """
            INSERT INTO users (org_id, email, name, role, password_hash)
            SELECT $1, $2, 'Bench Admin', 'admin', $3
            WHERE NOT EXISTS (SELECT 1 FROM global_names WHERE kind = 'user-email' AND name = lower($2))
            """,
            org_id,
            email,
            await hash_password(password),
        )
        present = await connection.fetchval("SELECT count(*) FROM tickets WHERE org_id = $1", org_id)
        if present >= tickets:
            return BigOrg(org_id, slug, email, password, present)
        if present:
            raise RuntimeError(f"organization {slug} holds {present} tickets, fewer than {tickets}: use another --slug")
        started = time.perf_counter()
        acme = PROFILES["acme-support"]
        members = await ensure_agents(connection, org_id, acme.agents, None)
        # A few thousand order and invoice numbers over 100k tickets: tens of tickets each.
        spread = max(50, tickets // 30)
        profile = replace(
            acme,
            tickets=tickets,
            articles=0,
            history_days=3 * 365,
            slot_choices={"order": _rare_numbers("A", spread), "invoice": _rare_numbers("INV-", spread)},
        )
        corpus = build_corpus(profile, slug, org_id, members, datetime.now(UTC).replace(microsecond=0))
        say(f"generated {len(corpus.tickets):,} tickets in {time.perf_counter() - started:.0f} s; writing")
        await write_corpus(connection, org_id, corpus.customers, [])
        for start in range(0, len(corpus.tickets), CHUNK):
            await write_corpus(connection, org_id, [], corpus.tickets[start : start + CHUNK])
        # Fresh statistics and visibility map: the planner's choices below depend on them.
        await connection.execute("VACUUM (ANALYZE) tickets, messages, customers")
        say(f"loaded {len(corpus.tickets):,} tickets in {time.perf_counter() - started:.0f} s")
        return BigOrg(org_id, slug, email, password, len(corpus.tickets))
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--slug", default=DEFAULT_SLUG)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    args = parser.parse_args()
    org = asyncio.run(ensure_big_org(args.database_url, slug=args.slug, tickets=args.tickets, password=args.password))
    print(f"{org.slug}: {org.tickets:,} tickets; sign in as {org.admin_email} / {org.password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
