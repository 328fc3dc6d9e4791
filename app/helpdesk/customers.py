"""Customers: the people tickets are about, one row per e-mail address within an organization."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

# A known address is the same customer: its name is filled in (never blanked) and new traits are
# merged over the old ones, so each ticket can add what it learned.
_UPSERT_BY_EMAIL = """
INSERT INTO customers (org_id, name, email, traits)
VALUES ($1, $2, $3, $4::jsonb)
ON CONFLICT (org_id, lower(email)) WHERE email IS NOT NULL
DO UPDATE SET name = coalesce(EXCLUDED.name, customers.name),
              traits = customers.traits || EXCLUDED.traits
RETURNING id, name, email, traits
"""

_INSERT_ANONYMOUS = """
INSERT INTO customers (org_id, name, email, traits)
VALUES ($1, $2, NULL, $3::jsonb)
RETURNING id, name, email, traits
"""


async def upsert_customer(
    connection: asyncpg.Connection,
    org_id: UUID,
    *,
    name: str | None,
    email: str | None,
    traits: dict[str, Any],
) -> asyncpg.Record:
    """The customer with this e-mail (created or updated), or a new anonymous customer without one.
    Answers the row `id, name, email, traits` (traits as JSON text)."""
    traits_json = msgspec.json.encode(traits).decode()
    if email is not None:
        row = await connection.fetchrow(_UPSERT_BY_EMAIL, org_id, name, email, traits_json)
    else:
        row = await connection.fetchrow(_INSERT_ANONYMOUS, org_id, name, traits_json)
    assert row is not None
    return row
