"""apiKeys.*: keys for servers and scripts, and what a key may do."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from uuid import uuid4

import pytest

from tests.support.factories import create_api_key, create_org, create_user, member_client
from tests.support.trpc import TRPCClient, error_of


def bearer(live_server, key: str, **headers: str) -> TRPCClient:
    return TRPCClient(live_server.url, headers={"authorization": f"Bearer {key}", **headers})


async def test_a_created_key_is_shown_once_and_stored_hashed(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    created = client.mutation("apiKeys.create", {"name": "CRM sync", "scopes": ["ticket:read", "ticket:write"]})
    key = created["key"]
    assert key.startswith(created["prefix"] + "_")
    assert created["prefix"].startswith("hd_") and len(created["prefix"]) == len("hd_") + 8
    assert created["scopes"] == ["ticket:read", "ticket:write"]

    row = await db.fetchrow("SELECT secret_hash, created_by FROM api_keys WHERE org_id = $1 AND id = $2", org.id, created["id"])
    assert row["secret_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["created_by"] == admin.id

    listed = client.query("apiKeys.list")
    assert [item["id"] for item in listed] == [created["id"]]
    assert "key" not in listed[0] and "secretHash" not in listed[0]
    assert key.split("_", 2)[2] not in client.response.text

    assert bearer(live_server, key).query("auth.me")["organization"]["id"] == str(org.id)


async def test_create_validates_name_and_scopes(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    for bad, field in (
        ({"name": "x", "scopes": ["tickets:everything"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["admin"]}, "name"),
    ):
        error = error_of(client.mutation, "apiKeys.create", bad)
        assert error.code == "BAD_REQUEST" and f"$.{field}" in error.message
    assert await db.fetchval("SELECT count(*) FROM api_keys WHERE org_id = $1", org.id) == 0


@pytest.mark.parametrize("role", ["viewer", "agent"])
async def test_only_admins_manage_keys(db, live_server, role):
    org, member, client = await member_client(db, live_server, role=role)
    await create_api_key(db, org.id, ("ticket:read",))
    key_id = await db.fetchval("SELECT id FROM api_keys WHERE org_id = $1", org.id)
    for call in (
        lambda: client.mutation("apiKeys.create", {"name": "mine", "scopes": ["admin"]}),
        lambda: client.query("apiKeys.list"),
        lambda: client.mutation("apiKeys.revoke", {"id": str(key_id)}),
    ):
        assert error_of(call).code == "FORBIDDEN"
    rows = await db.fetch("SELECT revoked_at FROM api_keys WHERE org_id = $1", org.id)
    assert [row["revoked_at"] for row in rows] == [None]


async def test_a_revoked_key_stops_working_at_once(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    created = client.mutation("apiKeys.create", {"name": "short-lived", "scopes": ["ticket:read"]})
    server = bearer(live_server, created["key"])
    server.query("auth.me")
    assert client.mutation("apiKeys.revoke", {"id": created["id"]}) == {"success": True}
    assert error_of(server.query, "auth.me").code == "UNAUTHORIZED"
    listed = client.query("apiKeys.list")
    assert listed[0]["revokedAt"] is not None
    # Revoking again succeeds and keeps the first revocation time.
    assert client.mutation("apiKeys.revoke", {"id": created["id"]}) == {"success": True}
    assert client.query("apiKeys.list")[0]["revokedAt"] == listed[0]["revokedAt"]


async def test_revoking_an_unknown_key_is_not_found(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    error = error_of(client.mutation, "apiKeys.revoke", {"id": str(uuid4())})
    assert (error.code, error.message) == ("NOT_FOUND", "API key not found")


async def test_bad_keys_are_unauthorized(db, live_server):
    org = await create_org(db)
    key = await create_api_key(db, org.id, ("ticket:read",))
    prefix, secret = key.rsplit("_", 1)[0], key.rsplit("_", 1)[1]
    for bad in (
        prefix + "_" + ("A" if secret[0] != "A" else "B") + secret[1:],  # right prefix, wrong secret
        "hd_00000000_" + secret,  # unknown prefix
        "not-a-key",
        "hd_short_x",
    ):
        assert error_of(bearer(live_server, bad).query, "auth.me").code == "UNAUTHORIZED", bad
    basic = TRPCClient(live_server.url, headers={"authorization": "Basic dXNlcjpwYXNz"})
    assert error_of(basic.query, "auth.me").code == "UNAUTHORIZED"
    assert bearer(live_server, key).query("auth.me")["organization"]["id"] == str(org.id)


async def test_a_key_is_limited_by_its_scopes(db, live_server):
    org = await create_org(db)
    await create_user(db, org.id, role="admin")
    read_key = bearer(live_server, await create_api_key(db, org.id, ("ticket:read",)))
    write_key = bearer(live_server, await create_api_key(db, org.id, ("ticket:write",)))
    admin_key = bearer(live_server, await create_api_key(db, org.id, ("admin",)))

    read_key.query("users.list")
    error = error_of(write_key.query, "users.list")
    assert error.code == "FORBIDDEN" and "ticket:read" in error.message
    assert error_of(read_key.query, "apiKeys.list").code == "FORBIDDEN"
    assert error_of(read_key.mutation, "apiKeys.create", {"name": "escalate", "scopes": ["admin"]}).code == "FORBIDDEN"
    # The admin scope includes every other.
    admin_key.query("users.list")
    admin_key.query("apiKeys.list")
    assert await db.fetchval("SELECT count(*) FROM api_keys WHERE org_id = $1", org.id) == 3


async def test_a_key_is_not_subject_to_the_browser_origin_check(db, live_server):
    # Browsers never attach an Authorization header on their own, so a key cannot be ridden
    # cross-site; scripts send whatever Origin they like.
    org = await create_org(db)
    client = bearer(live_server, await create_api_key(db, org.id, ("admin",)), origin="https://evil.example")
    created = client.mutation("apiKeys.create", {"name": "from a script", "scopes": ["ticket:read"]})
    assert created["name"] == "from a script"


async def test_last_used_moves_at_most_once_a_minute(db, live_server):
    org = await create_org(db)
    key = await create_api_key(db, org.id, ("ticket:read",))
    assert await db.fetchval("SELECT last_used_at FROM api_keys WHERE org_id = $1", org.id) is None
    bearer(live_server, key).query("auth.me")
    first = await db.fetchval("SELECT last_used_at FROM api_keys WHERE org_id = $1", org.id)
    assert first is not None
    bearer(live_server, key).query("auth.me")
    assert await db.fetchval("SELECT last_used_at FROM api_keys WHERE org_id = $1", org.id) == first
    await db.execute("UPDATE api_keys SET last_used_at = last_used_at - interval '2 minutes' WHERE org_id = $1", org.id)
    await asyncio.sleep(1)  # past the worker's memory of this key (SESSION_CACHE_MS < 1 s)
    bearer(live_server, key).query("auth.me")
    assert await db.fetchval("SELECT last_used_at FROM api_keys WHERE org_id = $1", org.id) > first - timedelta(minutes=1)
