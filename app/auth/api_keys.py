"""API keys for server-to-server callers: `Authorization: Bearer hd_<prefix>_<secret>`.

A key is 32 random bytes, so a plain sha256 of it is as good as a slow password hash and costs
nothing per request. The 8-character prefix is stored in clear (unique index) to find the row and
to show in lists; the whole key is never stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args
from uuid import UUID

import asyncpg

# `admin` includes every other scope (app.guards.key_scope).
KeyScope = Literal["ticket:read", "ticket:write", "ai:run", "admin"]
KEY_SCOPES: tuple[str, ...] = get_args(KeyScope)
KEY_MARKER = "hd_"
_PREFIX_LENGTH = 8


@dataclass(frozen=True, slots=True)
class NewKey:
    key: str  # shown to its creator once
    prefix: str  # "hd_" and 8 hex characters, stored in clear
    secret_hash: str


def generate_key() -> NewKey:
    prefix = KEY_MARKER + secrets.token_hex(_PREFIX_LENGTH // 2)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(key=key, prefix=prefix, secret_hash=hash_key(key))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The stored prefix of a presented key, or None when it is not shaped like one of ours."""
    if not key.startswith(KEY_MARKER):
        return None
    prefix, separator, secret = key.partition("_")[2].partition("_")
    if not separator or not secret or len(prefix) != _PREFIX_LENGTH:
        return None
    return KEY_MARKER + prefix


async def insert_key(
    connection: asyncpg.Connection | asyncpg.Pool,
    org_id: UUID,
    name: str,
    scopes: Sequence[str],
    created_by: UUID | None,
) -> tuple[asyncpg.Record, str]:
    """Store a new key for the organization; returns its row and the key itself."""
    new_key = generate_key()
    row = await connection.fetchrow(
        """
        INSERT INTO api_keys (org_id, name, prefix, secret_hash, scopes, created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id, name, prefix, scopes, created_at, last_used_at, revoked_at
        """,
        org_id,
        name,
        new_key.prefix,
        new_key.secret_hash,
        list(scopes),
        created_by,
    )
    assert row is not None
    return row, new_key.key
