"""Knowledge-base articles: lists (optionally searched), reads and changes.

`articles.search_vector` is a generated column (schema.sql), so writes here never touch it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

ARTICLE_COLUMNS = "a.id, a.title, a.content, a.published, a.tags, a.created_at, a.updated_at"

UPDATABLE_COLUMNS = frozenset({"title", "content", "published", "tags"})


@dataclass(frozen=True, slots=True)
class ArticlePage:
    rows: list[asyncpg.Record]
    total: int


async def list_articles(
    connection: asyncpg.Connection,
    org_id: UUID,
    *,
    published: bool | None,
    search: str | None,
    limit: int,
    offset: int,
) -> ArticlePage:
    """A page of articles and the exact number of matches. A search ranks by relevance (title
    words weigh more than body words); otherwise the newest come first. A knowledge base holds
    hundreds of articles, not millions, so exact counts and ranking are cheap."""
    params: list[Any] = [org_id]
    conditions = ["a.org_id = $1"]
    order = "a.created_at DESC, a.id DESC"
    if published is not None:
        params.append(published)
        conditions.append(f"a.published = ${len(params)}")
    if search is not None:
        # Parsed once here: inside the statement a cached generic plan would parse it per row.
        tsquery = await connection.fetchval("SELECT helpdesk_search_query($1)::text", search)
        if not tsquery:  # nothing searchable in it: nothing matches
            return ArticlePage(rows=[], total=0)
        params.append(tsquery)
        query = f"${len(params)}::tsquery"
        conditions.append(f"a.search_vector @@ {query}")
        order = f"ts_rank(a.search_vector, {query}) DESC, {order}"
    where = " AND ".join(conditions)
    params.extend((limit, offset))
    sql = f"""
    SELECT counted.matches, page.*
    FROM (SELECT count(*) AS matches FROM articles a WHERE {where}) AS counted
    LEFT JOIN LATERAL (
        SELECT {ARTICLE_COLUMNS}, row_number() OVER (ORDER BY {order}) AS position
        FROM articles a
        WHERE {where}
        ORDER BY {order}
        LIMIT ${len(params) - 1} OFFSET ${len(params)}
    ) AS page ON true
    ORDER BY page.position
    """
    records = await connection.fetch(sql, *params)
    return ArticlePage(rows=[record for record in records if record["id"] is not None], total=int(records[0]["matches"]))


async def get_article(connection: asyncpg.Connection, org_id: UUID, article_id: UUID) -> asyncpg.Record | None:
    return await connection.fetchrow(
        f"SELECT {ARTICLE_COLUMNS} FROM articles a WHERE a.org_id = $1 AND a.id = $2", org_id, article_id
    )


async def create_article(
    connection: asyncpg.Connection,
    org_id: UUID,
    *,
    title: str,
    content: str,
    published: bool,
    tags: list[str],
) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        INSERT INTO articles AS a (org_id, title, content, published, tags)
        VALUES ($1, $2, $3, $4, $5)
        RETURNING {ARTICLE_COLUMNS}
        """,
        org_id,
        title,
        content,
        published,
        tags,
    )
    assert row is not None
    return row


async def update_article(
    connection: asyncpg.Connection, org_id: UUID, article_id: UUID, changes: Mapping[str, Any]
) -> asyncpg.Record | None:
    """Apply `changes` (column -> value, keys from UPDATABLE_COLUMNS); None when there is no such
    article in the organization."""
    unknown = set(changes) - UPDATABLE_COLUMNS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    params: list[Any] = [org_id, article_id]
    assignments = ["updated_at = now()"]
    for column, value in changes.items():
        params.append(value)
        assignments.append(f"{column} = ${len(params)}")
    return await connection.fetchrow(
        f"""
        UPDATE articles AS a SET {", ".join(assignments)}
        WHERE a.org_id = $1 AND a.id = $2
        RETURNING {ARTICLE_COLUMNS}
        """,
        *params,
    )


async def delete_article(connection: asyncpg.Connection, org_id: UUID, article_id: UUID) -> bool:
    deleted = await connection.fetchval(
        "DELETE FROM articles WHERE org_id = $1 AND id = $2 RETURNING id", org_id, article_id
    )
    return deleted is not None
