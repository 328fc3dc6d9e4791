"""Ticket and article embeddings in pgvector: which items lack a current vector, and storing them.

One row per (item, model), in `ticket_embeddings` or `article_embeddings`. Both tables have the
same shape, so every query here is written once and parametrised by an `EmbeddedKind` (`TICKETS`,
`ARTICLES`). The `embedding` column is an untyped `vector` so that any model's dimension fits;
searching those vectors is app.assist.vector_search.

Staleness: `content_hash` is the SHA-256 of the exact text that was embedded. The same hash is
computed in SQL (`EmbeddedKind.hash_sql`), so "which rows lack a current embedding" is one query,
and an upsert only lands if the item's text is still the text that was embedded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import asyncpg
import numpy as np
from pgvector import Vector


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedKind:
    """A table whose rows are embedded: its text is `first || '\\n\\n' || second`."""

    name: Literal["ticket", "article"]
    table: str
    alias: str
    embeddings_table: str
    id_column: str  # the item's id in the embeddings table
    first: str
    second: str
    counts_tokens: bool  # the embeddings table keeps each vector's token count

    @property
    def text_sql(self) -> str:
        return f"{self.alias}.{self.first} || E'\\n\\n' || {self.alias}.{self.second}"

    @property
    def hash_sql(self) -> str:
        """The SQL twin of `content_hash(embedding_text(...))` over the item's current text."""
        return f"encode(sha256(convert_to({self.text_sql}, 'UTF8')), 'hex')"


TICKETS = EmbeddedKind(
    name="ticket",
    table="tickets",
    alias="t",
    embeddings_table="ticket_embeddings",
    id_column="ticket_id",
    first="subject",
    second="description_text",
    counts_tokens=True,
)
ARTICLES = EmbeddedKind(
    name="article",
    table="articles",
    alias="a",
    embeddings_table="article_embeddings",
    id_column="article_id",
    first="title",
    second="content",
    counts_tokens=False,
)
TICKET_HASH_SQL = TICKETS.hash_sql
ARTICLE_HASH_SQL = ARTICLES.hash_sql


def embedding_text(first: str, second: str) -> str:
    """What an item's vector stands for: a ticket's subject and description (the problem, not the
    chat), an article's title and content."""
    return f"{first}\n\n{second}"


def ticket_embedding_text(subject: str, description_text: str) -> str:
    return embedding_text(subject, description_text)


def content_hash(text: str) -> str:
    """Must equal `EmbeddedKind.hash_sql` for the same text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checked_dimensions(dimensions: int) -> int:
    # Interpolated into SQL as a type modifier (it cannot be a parameter): insist on an int.
    value = int(dimensions)
    if not 1 <= value <= 16_000:
        raise ValueError(f"unsupported embedding dimension {dimensions!r}")
    return value


# ---- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddingRow:
    item_id: UUID
    vector: np.ndarray | Sequence[float]
    content_hash: str
    token_count: int = 0


async def upsert_embeddings(
    connection: asyncpg.Connection,
    kind: EmbeddedKind,
    org_id: UUID,
    model: str,
    dimensions: int,
    rows: Sequence[EmbeddingRow],
) -> list[UUID]:
    """Store vectors whose item still has the embedded text; returns the items written.

    An item edited (or deleted) while its text was being embedded keeps its newer state: the
    join on the current hash drops the outdated vector instead of storing it as current.
    """
    if not rows:
        return []
    a, item = kind.alias, kind.id_column
    column, value, update = ("", "", "")
    if kind.counts_tokens:
        column, value, update = ", token_count", ", item.token_count", ", token_count = excluded.token_count"
    written = await connection.fetch(
        f"""
        INSERT INTO {kind.embeddings_table} AS e
            (org_id, {item}, model, dimensions, embedding, content_hash{column}, created_at)
        SELECT $1, {a}.id, $2, $3, item.embedding, item.content_hash{value}, now()
        FROM unnest($4::uuid[], $5::vector[], $6::text[], $7::integer[])
             AS item (item_id, embedding, content_hash, token_count)
        JOIN {kind.table} {a} ON {a}.org_id = $1 AND {a}.id = item.item_id
        WHERE {kind.hash_sql} = item.content_hash
        ON CONFLICT (org_id, {item}, model) DO UPDATE
            SET dimensions = excluded.dimensions, embedding = excluded.embedding,
                content_hash = excluded.content_hash{update},
                created_at = excluded.created_at
        RETURNING e.{item}
        """,
        org_id,
        model,
        checked_dimensions(dimensions),
        [row.item_id for row in rows],
        # asyncpg would take a numpy array inside a list for a nested array dimension; pgvector's
        # Vector is opaque to it and goes through the registered binary codec.
        [Vector(np.asarray(row.vector, dtype=np.float32)) for row in rows],
        [row.content_hash for row in rows],
        [row.token_count for row in rows],
    )
    return [record[item] for record in written]


async def upsert_ticket_embeddings(
    connection: asyncpg.Connection, org_id: UUID, model: str, dimensions: int, rows: Sequence[EmbeddingRow]
) -> list[UUID]:
    return await upsert_embeddings(connection, TICKETS, org_id, model, dimensions, rows)


# ---- reading what needs (re)embedding -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TextToEmbed:
    item_id: UUID
    text: str
    content_hash: str


def _lacking_sql(kind: EmbeddedKind, select: str, tail: str, *, exact: bool, published_only: bool) -> str:
    """Items of organization $1 with no current vector for model $2 at dimension $3.

    `exact` compares content hashes, which reads every item's text (right for a backfill);
    without it an embedding counts as stale when the item was updated after it was made, which
    an AI request can afford to ask on every call (the candidates query re-checks the hash of the
    few articles it returns).
    """
    a = kind.alias
    stale = f"e.content_hash <> {kind.hash_sql}" if exact else f"e.created_at < {a}.updated_at"
    published = f" AND {a}.published" if published_only else ""
    return f"""
        SELECT {select}
        FROM {kind.table} {a}
        LEFT JOIN {kind.embeddings_table} e ON e.org_id = {a}.org_id AND e.{kind.id_column} = {a}.id AND e.model = $2
        WHERE {a}.org_id = $1{published}
          AND (e.{kind.id_column} IS NULL OR e.dimensions <> $3 OR {stale})
          {tail}
    """


def _select_text(kind: EmbeddedKind) -> str:
    return f"{kind.alias}.id, {kind.alias}.{kind.first} AS first, {kind.alias}.{kind.second} AS second"


def _to_embed(rows: Sequence[asyncpg.Record]) -> list[TextToEmbed]:
    texts = [(row["id"], embedding_text(row["first"], row["second"])) for row in rows]
    return [TextToEmbed(item_id=item_id, text=text, content_hash=content_hash(text)) for item_id, text in texts]


async def items_lacking_embedding(
    connection: asyncpg.Connection | asyncpg.Pool,
    kind: EmbeddedKind,
    org_id: UUID,
    model: str,
    dimensions: int,
    *,
    after: UUID | None,
    limit: int,
    published_only: bool = False,
    exact: bool = True,
) -> list[TextToEmbed]:
    """The next `limit` items (by id, after `after`) with no current embedding for the model."""
    tail = f"AND ($4::uuid IS NULL OR {kind.alias}.id > $4) ORDER BY {kind.alias}.id LIMIT $5"
    sql = _lacking_sql(kind, _select_text(kind), tail, exact=exact, published_only=published_only)
    return _to_embed(await connection.fetch(sql, org_id, model, checked_dimensions(dimensions), after, limit))


async def count_lacking_embedding(
    connection: asyncpg.Connection | asyncpg.Pool, kind: EmbeddedKind, org_id: UUID, model: str, dimensions: int
) -> int:
    sql = _lacking_sql(kind, "count(*)", "", exact=True, published_only=False)
    return int(await connection.fetchval(sql, org_id, model, checked_dimensions(dimensions)))


async def item_to_embed(
    connection: asyncpg.Connection | asyncpg.Pool,
    kind: EmbeddedKind,
    org_id: UUID,
    item_id: UUID,
    model: str,
    dimensions: int,
) -> TextToEmbed | None:
    """The item's text if it lacks a current vector for the model; None if current or absent."""
    sql = _lacking_sql(kind, _select_text(kind), f"AND {kind.alias}.id = $4", exact=True, published_only=False)
    return next(iter(_to_embed(await connection.fetch(sql, org_id, model, checked_dimensions(dimensions), item_id))), None)
