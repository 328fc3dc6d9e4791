"""Demo data for development: four organizations, one per plan, with their members.

`python -m app` calls `seed_development_data` in development; `make seed` runs `seed_if_empty` by
hand. Nothing is written when the database already holds an organization, so it is safe to run
on every start. Tickets, articles and agents come from app.demo.corpus.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from app.auth.passwords import hash_password
from app.assist.backfill import backfill
from app.assist.embedding_refresh import BACKFILL_BATCH_SIZE
from app.config import Settings
from app.demo.corpus import seed_corpus

# Any constant: two processes starting together seed once.
_SEED_LOCK_KEY = 7_311_947_003


@dataclass(frozen=True)
class DemoMember:
    email: str
    name: str
    role: str
    expertise: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoOrganization:
    slug: str
    name: str
    plan: str
    members: tuple[DemoMember, ...]


DEMO_ORGANIZATIONS: tuple[DemoOrganization, ...] = (
    DemoOrganization(
        "acme-support",
        "Acme Support",
        "business",
        (
            DemoMember("admin@acme.test", "Ada Admin", "admin", ("account", "billing")),
            DemoMember("agent@acme.test", "Alan Agent", "agent", ("billing", "technical", "shipping")),
            DemoMember("viewer@acme.test", "Vera Viewer", "viewer"),
        ),
    ),
    DemoOrganization("globex", "Globex", "business", (DemoMember("admin@globex.test", "Gina Globex", "admin"),)),
    DemoOrganization("hooli", "Hooli", "pro", (DemoMember("admin@hooli.test", "Hank Hooli", "admin"),)),
    DemoOrganization("initech", "Initech", "free", (DemoMember("admin@initech.test", "Ines Initech", "admin"),)),
)


async def seed_if_empty(database_url: str, demo_password: str) -> list[str]:
    """Seed the demo organizations when there are none; return the lines to print (the logins)."""
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _SEED_LOCK_KEY)
            if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM organizations)"):
                return []
            organizations: dict[str, UUID] = {}
            lines = [f"Demo logins (password {demo_password!r}):"]
            for organization in DEMO_ORGANIZATIONS:
                org_id = await connection.fetchval(
                    "INSERT INTO organizations (name, slug, plan) VALUES ($1, $2, $3) RETURNING id",
                    organization.name,
                    organization.slug,
                    organization.plan,
                )
                organizations[organization.slug] = org_id
                for member in organization.members:
                    await connection.execute(
                        """
                        INSERT INTO users (org_id, email, name, role, password_hash, expertise)
                        VALUES ($1, $2, $3, $4, $5, $6)
                        """,
                        org_id,
                        member.email,
                        member.name,
                        member.role,
                        await hash_password(demo_password),
                        list(member.expertise),
                    )
                    lines.append(f"  {member.email:<22} {member.role:<7} {organization.name} ({organization.plan})")
            await seed_corpus(connection, organizations, agent_password=demo_password)
            return lines
    finally:
        await connection.close()


async def seed_development_data(settings: Settings, database_url: str) -> list[str]:
    """Seed an empty development database and embed its fresh corpus, so similar tickets and
    article suggestions have neighbours from the first request (a few seconds, once). Returns the
    lines to print: the logins and what was embedded; nothing when the database was not empty."""
    logins = await seed_if_empty(database_url, settings.demo_password)
    if not logins:
        return []
    reports = [
        await backfill(settings, database_url, organization.slug, BACKFILL_BATCH_SIZE, articles=True)
        for organization in DEMO_ORGANIZATIONS
    ]
    return [*reports, *logins]
