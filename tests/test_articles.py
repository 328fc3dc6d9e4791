"""articles.*: the knowledge base over real HTTP, against the running app and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest

from tests.support.factories import create_api_key, create_user, login, member_client
from tests.support.trpc import TRPCClient, error_of


def write(client: TRPCClient, title: str, content: str = "Body", **fields: Any) -> dict[str, Any]:
    return client.mutation("articles.create", {"title": title, "content": content, **fields})


async def test_create_get_update_delete(db, live_server):
    _, _, client = await member_client(db, live_server)
    article = write(client, "  Resetting your password ", "Open Settings, then Security.", tags=["Login", "login", "SSO"])
    assert set(article) == {"id", "title", "content", "published", "tags", "createdAt", "updatedAt"}
    assert (article["title"], article["published"], article["tags"]) == ("Resetting your password", False, ["login", "sso"])
    assert isinstance(article["createdAt"], datetime)
    assert client.query("articles.get", {"id": article["id"]}) == article

    updated = client.mutation("articles.update", {"id": article["id"], "published": True, "content": "New steps."})
    assert (updated["title"], updated["content"], updated["published"]) == ("Resetting your password", "New steps.", True)
    assert updated["tags"] == ["login", "sso"] and updated["updatedAt"] > article["updatedAt"]

    assert client.mutation("articles.delete", {"id": article["id"]}) == {"success": True}
    assert error_of(client.query, "articles.get", {"id": article["id"]}).code == "NOT_FOUND"
    assert error_of(client.mutation, "articles.update", {"id": article["id"], "title": "x"}).code == "NOT_FOUND"
    assert error_of(client.mutation, "articles.delete", {"id": article["id"]}).code == "NOT_FOUND"


async def test_list_filters_by_published_and_pages_newest_first(db, live_server):
    _, _, client = await member_client(db, live_server)
    for index in range(5):
        write(client, f"Article {index}", published=index % 2 == 0)

    def titles(**query: Any) -> list[str]:
        return [item["title"] for item in client.query("articles.list", query)["items"]]

    assert titles() == [f"Article {index}" for index in (4, 3, 2, 1, 0)]
    assert titles(published=True) == ["Article 4", "Article 2", "Article 0"]
    assert titles(published=False) == ["Article 3", "Article 1"]
    page = client.query("articles.list", {"limit": 2, "offset": 2})
    assert [item["title"] for item in page["items"]] == ["Article 2", "Article 1"] and page["total"] == 5
    assert client.query("articles.list", {"offset": 50}) == {"items": [], "total": 5}


async def test_search_ranks_title_matches_first_and_folds_accents(db, live_server):
    _, _, client = await member_client(db, live_server)
    in_body = write(client, "Billing basics", "How a refund reaches your card.", published=True)
    in_title = write(client, "Refund policy", "What we pay back and when.", published=True)
    draft = write(client, "Refund drafts", "Unfinished.", published=False)
    spanish = write(client, "Facturación y reembolsos", "Cómo pedir un reembolso.", published=True)

    def found(**query: Any) -> list[str]:
        return [item["id"] for item in client.query("articles.list", query)["items"]]

    assert found(search="refund") == [draft["id"], in_title["id"], in_body["id"]]
    assert found(search="refund", published=True) == [in_title["id"], in_body["id"]]
    assert found(search="facturacion") == found(search="FACTURACIÓN") == [spanish["id"]]
    assert client.query("articles.list", {"search": "refund"})["total"] == 3
    assert found(search="nothing-like-this") == []


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"content": "no title"}, "title"),
        ({"title": "   ", "content": "blank title"}, "title"),
        ({"title": "t" * 301, "content": ""}, "title"),
        ({"title": "No content"}, "content"),
        ({"title": "Bad tags", "content": "", "tags": [""]}, "tags[0]"),
        ({"title": "Bad published", "content": "", "published": "yes"}, "published"),
        ({"title": "Nul", "content": "a\x00b"}, "content"),
    ],
)
async def test_invalid_input_is_bad_request_naming_the_field(db, live_server, value, path):
    org, _, client = await member_client(db, live_server)
    error = error_of(client.mutation, "articles.create", value)
    assert error.code == "BAD_REQUEST"
    assert f"`$.{path}`" in error.message or f"required field `{path}`" in error.message, error.message
    assert await db.fetchval("SELECT count(*) FROM articles WHERE org_id = $1", org.id) == 0


async def test_viewers_read_agents_write_and_keys_use_ticket_scopes(db, live_server):
    org, _, agent = await member_client(db, live_server)
    viewer = await asyncio.to_thread(login, live_server, await create_user(db, org.id, role="viewer"))
    article = write(agent, "Two-factor setup", published=True)
    assert viewer.query("articles.get", {"id": article["id"]})["title"] == "Two-factor setup"
    assert viewer.query("articles.list")["total"] == 1
    assert error_of(viewer.mutation, "articles.create", {"title": "x", "content": "y"}).code == "FORBIDDEN"
    assert error_of(viewer.mutation, "articles.update", {"id": article["id"], "title": "x"}).code == "FORBIDDEN"
    assert error_of(viewer.mutation, "articles.delete", {"id": article["id"]}).code == "FORBIDDEN"

    reader_key = await create_api_key(db, org.id, ("ticket:read",))
    reader = TRPCClient(live_server.url, headers={"authorization": f"Bearer {reader_key}"})
    assert reader.query("articles.list")["total"] == 1
    assert error_of(reader.mutation, "articles.create", {"title": "x", "content": "y"}).code == "FORBIDDEN"


async def test_another_organization_cannot_see_or_change_an_article(db, live_server):
    _, _, owner = await member_client(db, live_server)
    _, _, intruder = await member_client(db, live_server, role="admin")
    article = write(owner, "Internal escalation matrix", published=True)
    for article_id in (article["id"], str(uuid4())):
        errors = [
            error_of(intruder.query, "articles.get", {"id": article_id}),
            error_of(intruder.mutation, "articles.update", {"id": article_id, "published": False}),
            error_of(intruder.mutation, "articles.delete", {"id": article_id}),
        ]
        assert [(error.code, error.message) for error in errors] == [("NOT_FOUND", "Article not found")] * 3
    assert intruder.query("articles.list", {"search": "escalation"}) == {"items": [], "total": 0}
    assert owner.query("articles.get", {"id": article["id"]})["published"] is True
