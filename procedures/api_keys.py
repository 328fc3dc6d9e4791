"""apiKeys.*: keys for server-to-server callers; the secret is shown once, at creation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec

from app.auth.api_keys import KeyScope, insert_key
from app.auth.cache import caller_cache
from app.context import Context
from app.errors import TRPCError
from app.registry import procedure
from app.rows import struct_from_row
from procedures.common import Success

KeyName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]

API_KEY_NOT_FOUND = "API key not found"


class CreateKeyInput(msgspec.Struct, frozen=True):
    name: KeyName
    scopes: Annotated[list[KeyScope], msgspec.Meta(min_length=1, max_length=4)]


class KeyIdInput(msgspec.Struct, frozen=True):
    id: UUID


class ApiKey(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    prefix: str
    scopes: list[str]
    createdAt: datetime
    lastUsedAt: datetime | None
    revokedAt: datetime | None


class CreatedKey(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    prefix: str
    scopes: list[str]
    createdAt: datetime
    key: str  # the only time the whole key is ever shown


def _key_from_row(row: asyncpg.Record) -> ApiKey:
    return struct_from_row(row, ApiKey)


@procedure("apiKeys.create", "mutation", role="admin", scope="admin")
async def create_api_key(ctx: Context, input: CreateKeyInput) -> CreatedKey:
    caller = ctx.require_caller()
    scopes = list(dict.fromkeys(input.scopes))
    row, key = await insert_key(ctx.pool, caller.org_id, input.name.strip(), scopes, caller.user_id)
    return CreatedKey(
        id=row["id"], name=row["name"], prefix=row["prefix"], scopes=list(row["scopes"]), createdAt=row["created_at"], key=key
    )


@procedure("apiKeys.list", "query", role="admin", scope="admin")
async def list_api_keys(ctx: Context) -> list[ApiKey]:
    caller = ctx.require_caller()
    rows = await ctx.pool.fetch(
        """
        SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at
        FROM api_keys WHERE org_id = $1
        ORDER BY revoked_at IS NOT NULL, created_at DESC, id
        """,
        caller.org_id,
    )
    return [_key_from_row(row) for row in rows]


@procedure("apiKeys.revoke", "mutation", role="admin", scope="admin")
async def revoke_api_key(ctx: Context, input: KeyIdInput) -> Success:
    caller = ctx.require_caller()
    # Revoking an already revoked key succeeds and keeps the first revocation time.
    found = await ctx.pool.fetchval(
        """
        UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
        WHERE org_id = $1 AND id = $2
        RETURNING id
        """,
        caller.org_id,
        input.id,
    )
    if found is None:
        raise TRPCError("NOT_FOUND", API_KEY_NOT_FOUND)
    caller_cache(ctx.services).forget_key(caller.org_id, input.id)
    return Success()
