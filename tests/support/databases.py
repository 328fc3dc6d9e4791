"""Databases of their own on the suite's PostgreSQL, for tests that cannot share its database."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg

from app.database import apply_schema


async def fresh_database(database_url: str, prefix: str) -> str:
    """Create `<prefix>_<random>` beside `database_url`'s database, apply the schema, answer its URL."""
    name = f"{prefix}_{uuid4().hex[:10]}"
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    await apply_schema(url)
    return url
