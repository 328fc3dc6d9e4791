"""articles.*: the knowledge base that agents link and the AI suggests from.

Viewers read; agents and admins write. API keys use the ticket scopes (ticket:read, ticket:write):
the knowledge base is part of the helpdesk data a key is granted, and the key scopes are a fixed
set (app.auth.api_keys.KEY_SCOPES).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec

from app.context import Context
from app.errors import not_found
from app.helpdesk import articles
from app.helpdesk.validation import ensure_input_storable, normalized_tags, required_text, sent_fields
from app.registry import procedure
from app.rows import struct_from_row
from procedures.common import Success, delete_in_org

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Content = Annotated[str, msgspec.Meta(max_length=200_000)]
Tags = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]], msgspec.Meta(max_length=50)]


class Article(msgspec.Struct, frozen=True, rename="camel"):
    id: UUID
    title: str
    content: str
    published: bool
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class ArticleList(msgspec.Struct, frozen=True):
    items: list[Article]
    total: int


class ListArticlesInput(msgspec.Struct, frozen=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 25
    offset: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 0
    published: bool | None = None
    search: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ArticleIdInput(msgspec.Struct, frozen=True):
    id: UUID


class CreateArticleInput(msgspec.Struct, frozen=True):
    title: Title
    content: Content
    published: bool = False
    tags: Tags = []


class UpdateArticleInput(msgspec.Struct, frozen=True):
    id: UUID
    title: Title | msgspec.UnsetType = msgspec.UNSET
    content: Content | msgspec.UnsetType = msgspec.UNSET
    published: bool | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET


def article_from_row(row: asyncpg.Record) -> Article:
    return struct_from_row(row, Article)


def found_article(row: asyncpg.Record | None) -> Article:
    """The article a read or write within the caller's organization returned; NOT_FOUND when it
    returned none (no such article there, whoever else may have one with that id)."""
    if row is None:
        raise not_found("Article")
    return article_from_row(row)


@procedure("articles.list", "query", scope="ticket:read")
async def list_articles(ctx: Context, input: ListArticlesInput) -> ArticleList:
    caller = ctx.require_caller()
    ensure_input_storable(input)
    search = input.search.strip() if input.search is not None else None
    async with ctx.pool.acquire() as connection:
        page = await articles.list_articles(
            connection,
            caller.org_id,
            published=input.published,
            search=search or None,
            limit=input.limit,
            offset=input.offset,
        )
    return ArticleList(items=[article_from_row(row) for row in page.rows], total=page.total)


@procedure("articles.get", "query", scope="ticket:read")
async def get_article(ctx: Context, input: ArticleIdInput) -> Article:
    caller = ctx.require_caller()
    async with ctx.pool.acquire() as connection:
        row = await articles.get_article(connection, caller.org_id, input.id)
    return found_article(row)


@procedure("articles.create", "mutation", role="agent", scope="ticket:write")
async def create_article(ctx: Context, input: CreateArticleInput) -> Article:
    caller = ctx.require_caller()
    ensure_input_storable(input)
    title = required_text(input.title, "title")
    tags = normalized_tags(input.tags)
    async with ctx.pool.acquire() as connection:
        row = await articles.create_article(
            connection, caller.org_id, title=title, content=input.content, published=input.published, tags=tags
        )
    return article_from_row(row)


@procedure("articles.update", "mutation", role="agent", scope="ticket:write")
async def update_article(ctx: Context, input: UpdateArticleInput) -> Article:
    caller = ctx.require_caller()
    ensure_input_storable(input)
    changes = sent_fields(input, "title", "content", "published", "tags")
    if "title" in changes:
        changes["title"] = required_text(changes["title"], "title")
    if "tags" in changes:
        changes["tags"] = normalized_tags(changes["tags"])
    async with ctx.pool.acquire() as connection:
        row = await articles.update_article(connection, caller.org_id, input.id, changes)
    return found_article(row)


@procedure("articles.delete", "mutation", role="agent", scope="ticket:write")
async def delete_article(ctx: Context, input: ArticleIdInput) -> Success:
    return await delete_in_org(ctx, articles.delete_article, input.id, "Article")
