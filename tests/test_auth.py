"""auth.*: real cookies over real HTTP, against the running app and its PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import asyncpg
import pytest

from app.auth.cache import CallerCache
from app.auth.throttle import delay_seconds
from app.auth.sessions import (
    SESSION_COOKIE,
    read_session_cookie,
    session_cookie,
    sign_session,
    sweep_ended_sessions,
)
from app.config import ConfigError, load_settings
from app.context import Caller, Context, RequestInfo, ResponseEffects, Services
from app.usage.metering import current_period
from app.demo.seed import DEMO_ORGANIZATIONS, seed_if_empty
from procedures import common as common_procedures
from procedures.common import hand_over_session
from tests.support.factories import (
    Org,
    User,
    client_with_cookie,
    create_org,
    create_user,
    login,
    member_client,
    session_value,
    streamed_mutation,
)
from tests.support.servers import ROOT, LiveServer, start_app
from tests.support.trpc import TRPCClient, error_of

EVIL_ORIGIN = "https://evil.example"


@pytest.fixture(scope="module")
def strict_server(database_url: str) -> Iterator[LiveServer]:
    """Two workers (so a revocation must hold across processes) and small login limits."""
    server = start_app(
        database_url,
        WORKERS="2",
        LOGIN_MAX_FAILURES="3",
        LOGIN_MAX_FAILURES_PER_ADDRESS="6",
        LOGIN_FAILURE_WINDOW_SECONDS="600",
    )
    yield server
    server.stop()


async def forget_address_failures(db: asyncpg.Pool) -> None:
    # Every test client is 127.0.0.1; start each throttling test from a clean count.
    await db.execute("DELETE FROM login_failures WHERE key LIKE 'address:%'")


async def member_with_a_clean_address(db: asyncpg.Pool) -> tuple[Org, User]:
    """A new member of a new organization, for a throttling test that starts from no failures."""
    await forget_address_failures(db)
    org = await create_org(db)
    return org, await create_user(db, org.id)


# ---- login -----------------------------------------------------------------------------------


async def test_login_sets_a_signed_http_only_lax_cookie_and_returns_user_and_organization(db, live_server):
    org = await create_org(db, plan="pro")
    user = await create_user(db, org.id, role="viewer", expertise=("billing",))
    client = TRPCClient(live_server.url)
    result = client.mutation("auth.login", {"email": user.email.upper(), "password": user.password})

    assert result["user"]["id"] == str(user.id)
    assert result["user"]["email"] == user.email
    assert result["user"]["role"] == "viewer"
    assert result["user"]["expertise"] == ["billing"]
    assert "passwordHash" not in result["user"] and "password_hash" not in result["user"]
    assert result["organization"] == {"id": str(org.id), "name": org.name, "slug": org.slug, "plan": "pro"}

    header = client.response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert header.startswith(f"{SESSION_COOKIE}=")
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in header.lower()
    assert "secure" not in attributes  # APP_ENV=test serves plain HTTP

    # The cookie names a live session row of this user.
    rows = await db.fetch("SELECT id FROM sessions WHERE org_id = $1 AND user_id = $2", org.id, user.id)
    assert len(rows) == 1
    assert client.query("auth.me")["user"]["id"] == str(user.id)


async def test_wrong_password_and_unknown_email_answer_alike(db, live_server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    client = TRPCClient(live_server.url)
    wrong = error_of(client.mutation, "auth.login", {"email": user.email, "password": "not-the-password"})
    unknown = error_of(client.mutation, "auth.login", {"email": f"nobody-{uuid4().hex}@x.test", "password": "whatever1"})
    assert (wrong.code, wrong.message) == (unknown.code, unknown.message) == ("UNAUTHORIZED", "Invalid e-mail or password")
    assert SESSION_COOKIE not in client.http.cookies
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1", org.id) == 0


async def test_login_input_is_validated_with_the_field_named(live_server):
    client = TRPCClient(live_server.url)
    error = error_of(client.mutation, "auth.login", {"email": "someone@example.test"})
    assert error.code == "BAD_REQUEST"
    assert "password" in error.message


async def test_a_deactivated_member_cannot_sign_in(db, live_server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    await db.execute("UPDATE users SET active = false WHERE org_id = $1 AND id = $2", org.id, user.id)
    error = error_of(login, live_server, user)
    assert (error.code, error.message) == ("UNAUTHORIZED", "Invalid e-mail or password")


async def test_a_hash_with_weaker_parameters_is_upgraded_at_login(db, live_server):
    from argon2 import PasswordHasher

    from app.auth.passwords import needs_rehash

    org = await create_org(db)
    user = await create_user(db, org.id)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(user.password)
    await db.execute("UPDATE users SET password_hash = $3 WHERE org_id = $1 AND id = $2", org.id, user.id, weak)
    await asyncio.to_thread(login, live_server, user)
    stored = await db.fetchval("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2", org.id, user.id)
    assert stored != weak and not needs_rehash(stored)
    await asyncio.to_thread(login, live_server, user)  # and the upgraded hash verifies


async def test_login_from_a_foreign_origin_is_refused(db, live_server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    client = TRPCClient(live_server.url, headers={"origin": EVIL_ORIGIN})
    error = error_of(client.mutation, "auth.login", {"email": user.email, "password": user.password})
    assert error.code == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1", org.id) == 0


async def test_signing_in_again_replaces_the_previous_session(db, live_server):
    org = await create_org(db)
    first, second = await create_user(db, org.id), await create_user(db, org.id)
    client = await asyncio.to_thread(login, live_server, first)
    old_cookie = session_value(client)
    client.mutation("auth.login", {"email": second.email, "password": second.password})
    assert client.query("auth.me")["user"]["id"] == str(second.id)
    assert error_of(client_with_cookie(live_server, old_cookie).query, "auth.me").code == "UNAUTHORIZED"


async def test_a_stale_cookie_does_not_prevent_signing_in_or_out(db, live_server):
    org, user, client = await member_client(db, live_server)
    stale = session_value(client)
    client.mutation("auth.logout")
    assert client_with_cookie(live_server, stale).mutation("auth.logout") == {"success": True}
    fresh = client_with_cookie(live_server, stale)
    signed_in = fresh.mutation("auth.login", {"email": user.email, "password": user.password})
    assert signed_in["user"]["id"] == str(user.id)
    assert session_value(fresh) != stale


# ---- the session cookie ------------------------------------------------------------------------


async def test_missing_cookie_is_unauthorized(live_server):
    error = error_of(TRPCClient(live_server.url).query, "auth.me")
    assert error.code == "UNAUTHORIZED"


async def test_tampered_cookie_is_unauthorized_and_cleared(db, live_server):
    org, user, client = await member_client(db, live_server)
    value = session_value(client)
    payload, signature = value.rsplit(".", 1)
    # Flip the signature's first character: all six of its bits count, whereas the last one of a
    # base64 signature may carry only padding bits, and changing those changes nothing.
    flipped = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    other_org_id = uuid4()
    session_part = payload.split(".", 1)[1]
    forged_org = f"{other_org_id}.{session_part}.{signature}"  # the signature covers the org id
    for bad in (flipped, forged_org, "garbage", sign_session("another-secret-key", org.id, uuid4())):
        probe = client_with_cookie(live_server, bad)
        error = error_of(probe.query, "auth.me")
        assert error.code == "UNAUTHORIZED", bad
        # The response tells the browser to drop a cookie that can never work again.
        assert f"{SESSION_COOKIE}=" in probe.response.headers.get("set-cookie", "")
        assert "max-age=0" in probe.response.headers["set-cookie"].lower()
    # The genuine cookie still works.
    assert client.query("auth.me")["user"]["id"] == str(user.id)


async def test_expired_session_is_unauthorized(db, live_server):
    org, user, client = await member_client(db, live_server)
    await db.execute("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE org_id = $1", org.id)
    assert error_of(client.query, "auth.me").code == "UNAUTHORIZED"


async def test_idle_session_is_unauthorized(db, live_server):
    org, user, client = await member_client(db, live_server)
    settings = load_settings({"APP_ENV": "test", "SECRET_KEY": "x"})
    await db.execute(
        "UPDATE sessions SET last_seen_at = now() - make_interval(mins => $2 + 1) WHERE org_id = $1",
        org.id,
        settings.session_idle_minutes,
    )
    assert error_of(client.query, "auth.me").code == "UNAUTHORIZED"


async def _session_row(db: asyncpg.Pool, org_id: UUID, user_id: UUID, *, days_ago: int, ended: str | None) -> UUID:
    """A session created `days_ago` days ago; `ended` names how it ended (None: it still holds)."""
    return await db.fetchval(
        """
        INSERT INTO sessions (org_id, user_id, created_at, last_seen_at, expires_at, revoked_at)
        VALUES ($1, $2, now() - make_interval(days => $3),
                CASE WHEN $4 = 'idle' THEN now() - interval '2 days' ELSE now() END,
                CASE WHEN $4 = 'expired' THEN now() - interval '1 day' ELSE now() + interval '1 day' END,
                CASE WHEN $4 = 'revoked' THEN now() - interval '1 day' END)
        RETURNING id
        """,
        org_id,
        user_id,
        days_ago,
        ended,
    )


async def test_ended_sessions_are_swept_once_older_than_the_lifetime_and_only_in_their_org(db):
    settings = load_settings({"APP_ENV": "test", "SECRET_KEY": "x"})  # a lifetime of 14 days
    org, other_org = await create_org(db), await create_org(db)
    user, other_user = await create_user(db, org.id), await create_user(db, other_org.id)
    swept = {await _session_row(db, org.id, user.id, days_ago=20, ended=ended) for ended in ("revoked", "expired", "idle")}
    kept = {
        # Still valid (a longer lifetime when it was made): never cut short.
        await _session_row(db, org.id, user.id, days_ago=20, ended=None),
        # Ended, but recent: the login throttle still reads where the account signed in from.
        await _session_row(db, org.id, user.id, days_ago=1, ended="revoked"),
    }
    other = await _session_row(db, other_org.id, other_user.id, days_ago=20, ended="revoked")

    assert await sweep_ended_sessions(db, settings, org.id) == 3
    remaining = {row["id"] for row in await db.fetch("SELECT id FROM sessions WHERE org_id = $1", org.id)}
    assert remaining == kept and not remaining & swept
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1 AND id = $2", other_org.id, other) == 1


async def test_a_new_session_sweeps_its_organizations_ended_sessions_now_and_then(db, monkeypatch):
    settings = load_settings({"APP_ENV": "test", "SECRET_KEY": "x"})
    org = await create_org(db)
    user = await create_user(db, org.id)
    await _session_row(db, org.id, user.id, days_ago=30, ended="revoked")
    request = RequestInfo(
        method="POST", headers={}, cookies={}, client_address=None, origin_trusted=True, cookies_deliverable=True
    )
    ctx = Context(services=Services(settings=settings, pool=db), request=request, path="auth.login", effects=ResponseEffects())

    async def sessions() -> int:
        return await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1", org.id)

    monkeypatch.setattr(common_procedures, "SWEEP_PROBABILITY", 0.0)
    await hand_over_session(ctx, org.id, "first")
    assert await sessions() == 1
    # A failing sweep is only upkeep: the cookie is still handed over.
    monkeypatch.setattr(common_procedures, "SWEEP_PROBABILITY", 1.0)

    async def failing_sweep(*_: object) -> int:
        raise asyncpg.exceptions.DeadlockDetectedError("simulated")

    monkeypatch.setattr(common_procedures, "sweep_ended_sessions", failing_sweep)
    await hand_over_session(ctx, org.id, "second")
    assert await sessions() == 1
    monkeypatch.setattr(common_procedures, "sweep_ended_sessions", sweep_ended_sessions)
    await hand_over_session(ctx, org.id, "third")
    assert await sessions() == 0
    assert [cookie.value for cookie in ctx.effects.cookies] == ["first", "second", "third"]


async def test_calls_that_set_the_session_cookie_are_refused_on_a_streamed_answer(db, live_server):
    org, user, client = await member_client(db, live_server)
    sessions_before = await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1", org.id)
    body = streamed_mutation(live_server, "auth.login", {"email": user.email, "password": user.password})
    assert "BAD_REQUEST" in body and "auth.login sets the session cookie" in body, body
    body = streamed_mutation(
        live_server,
        "auth.changePassword",
        {"currentPassword": user.password, "newPassword": "never-applied"},
        cookie=session_value(client),
    )
    assert "BAD_REQUEST" in body and "auth.changePassword sets the session cookie" in body, body
    # Nothing changed: no session was started or ended, the password is the same.
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1", org.id) == sessions_before
    assert client.query("auth.me")["user"]["id"] == str(user.id)
    await asyncio.to_thread(login, live_server, user)


async def test_last_seen_moves_at_most_once_a_minute(db, live_server):
    org, user, client = await member_client(db, live_server)
    two_minutes_ago = await db.fetchval(
        "UPDATE sessions SET last_seen_at = now() - interval '2 minutes' WHERE org_id = $1 RETURNING last_seen_at",
        org.id,
    )
    client.query("auth.me")
    touched = await db.fetchval("SELECT last_seen_at FROM sessions WHERE org_id = $1", org.id)
    assert touched > two_minutes_ago + timedelta(minutes=1)
    client.query("auth.me")
    client.query("auth.me")
    assert await db.fetchval("SELECT last_seen_at FROM sessions WHERE org_id = $1", org.id) == touched


async def test_a_revocation_holds_in_every_worker_within_a_second(db, strict_server):
    # The strict server allows 6 failures per address: start from none, whatever ran before.
    org, user = await member_with_a_clean_address(db)
    client = await asyncio.to_thread(login, strict_server, user)
    cookie = session_value(client)
    # Fresh connections are spread over both workers, and each may remember the session briefly.
    for _ in range(8):
        assert client_with_cookie(strict_server, cookie).query("auth.me")["user"]["id"] == str(user.id)
    # Revoked behind the workers' backs, as a logout served by another host would.
    await db.execute("UPDATE sessions SET revoked_at = now() WHERE org_id = $1", org.id)
    await asyncio.sleep(1)
    for _ in range(8):
        assert error_of(client_with_cookie(strict_server, cookie).query, "auth.me").code == "UNAUTHORIZED"


def test_the_workers_memory_of_a_caller_is_short_and_forgets_revocations():
    now = [100.0]
    cache = CallerCache(0.5, clock=lambda: now[0])
    org_id, user_id, session_id, key_id = uuid4(), uuid4(), uuid4(), uuid4()
    session_caller = Caller(org_id, user_id, "agent", "business", "full", session_id=session_id)
    key_caller = Caller(org_id, None, "viewer", "business", "full", scopes=frozenset({"ticket:read"}), api_key_id=key_id)
    cache.put("a", session_caller)
    cache.put("k", key_caller)
    now[0] += 0.49
    assert cache.get("a") is session_caller and cache.get("k") is key_caller
    now[0] += 0.02
    assert cache.get("a") is None and cache.get("k") is None  # older than the TTL

    cache.put("a", session_caller)
    cache.put("b", Caller(org_id, user_id, "agent", "business", "full", session_id=uuid4()))
    cache.forget_session(org_id, session_id)
    assert cache.get("a") is None and cache.get("b") is not None
    cache.forget_user(org_id, user_id)
    assert cache.get("b") is None
    cache.put("k", key_caller)
    cache.forget_key(uuid4(), key_id)  # another organization's key of the same id: not this one
    assert cache.get("k") is key_caller
    cache.forget_key(org_id, key_id)
    assert cache.get("k") is None

    disabled = CallerCache(0, clock=lambda: now[0])
    disabled.put("a", session_caller)
    assert disabled.get("a") is None


def test_the_cache_can_never_outlive_a_second():
    with pytest.raises(ConfigError, match="SESSION_CACHE_MS"):
        load_settings({"APP_ENV": "test", "SECRET_KEY": "x", "SESSION_CACHE_MS": "1000"})
    assert load_settings({"APP_ENV": "test", "SECRET_KEY": "x"}).session_cache_ms < 1000


def test_cookie_value_round_trips_and_rejects_another_secret():
    org_id, session_id = uuid4(), uuid4()
    value = sign_session("secret-one", org_id, session_id)
    assert read_session_cookie("secret-one", value) == (org_id, session_id)
    assert read_session_cookie("secret-two", value) is None


def test_cookie_is_secure_outside_development_and_test():
    production = load_settings({"APP_ENV": "production", "SECRET_KEY": "s" * 40, "DATA_DIR": "/nonexistent"})
    test = load_settings({"APP_ENV": "test", "SECRET_KEY": "short"})
    assert session_cookie(production, "v").secure is True
    assert session_cookie(test, "v").secure is False
    cookie = session_cookie(production, "v")
    assert (cookie.name, cookie.http_only, cookie.same_site) == (SESSION_COOKIE, True, "lax")


# ---- cross-site requests -------------------------------------------------------------------------


async def test_foreign_origin_post_with_a_valid_cookie_is_refused_and_writes_nothing(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    email = f"new-{uuid4().hex}@example.test"
    new_member = {"email": email, "name": "New", "role": "agent", "password": "long-enough-pw"}
    error = error_of(client.mutation, "users.create", new_member, headers={"origin": EVIL_ORIGIN})
    assert error.code == "FORBIDDEN"
    error = error_of(
        client.mutation,
        "auth.changePassword",
        {"currentPassword": admin.password, "newPassword": "another-password"},
        headers={"origin": EVIL_ORIGIN},
    )
    assert error.code == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM users WHERE lower(email) = $1", email) == 0
    assert client.query("auth.me")["user"]["id"] == str(admin.id)  # the old password still holds
    # The same call from this site goes through.
    client.mutation("users.create", new_member, headers={"origin": live_server.url})
    assert await db.fetchval("SELECT count(*) FROM users WHERE lower(email) = $1", email) == 1


async def test_text_plain_post_with_a_valid_cookie_is_refused_and_writes_nothing(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    email = f"plain-{uuid4().hex}@example.test"
    body = f'{{"json": {{"email": "{email}", "name": "X", "role": "agent"}}}}'
    response = client.http.post("/api/trpc/users.create", content=body, headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert await db.fetchval("SELECT count(*) FROM users WHERE lower(email) = $1", email) == 0


async def test_logout_from_a_foreign_origin_is_refused(db, live_server):
    org, user, client = await member_client(db, live_server)
    assert error_of(client.mutation, "auth.logout", headers={"origin": EVIL_ORIGIN}).code == "FORBIDDEN"
    assert client.query("auth.me")["user"]["id"] == str(user.id)


# ---- logout ----------------------------------------------------------------------------------------


async def test_logout_revokes_at_once_and_clears_the_cookie(db, live_server):
    org, user, client = await member_client(db, live_server)
    cookie = session_value(client)
    assert client.mutation("auth.logout") == {"success": True}
    assert "max-age=0" in client.response.headers["set-cookie"].lower()
    assert SESSION_COOKIE not in client.http.cookies
    assert await db.fetchval("SELECT revoked_at IS NOT NULL FROM sessions WHERE org_id = $1", org.id)
    assert error_of(client_with_cookie(live_server, cookie).query, "auth.me").code == "UNAUTHORIZED"


async def test_logout_without_a_session_still_succeeds(live_server):
    assert TRPCClient(live_server.url).mutation("auth.logout") == {"success": True}


# ---- auth.me ------------------------------------------------------------------------------------


async def test_me_reports_plan_and_this_periods_usage(db, live_server):
    org, user, client = await member_client(db, live_server, plan="pro")
    me = client.query("auth.me")
    assert me["user"]["email"] == user.email
    assert me["organization"]["slug"] == org.slug
    assert me["plan"] == {"name": "pro", "aiFeatures": "basic", "aiOperationsPerPeriod": 500}
    anchor = await db.fetchval("SELECT billing_anchor FROM organizations WHERE id = $1", org.id)
    start, end = current_period(anchor, datetime.now(UTC))
    assert me["usage"] == {"used": 0, "limit": 500, "resetsAt": end}

    await db.execute(
        "INSERT INTO ai_usage_periods (org_id, period_start, period_end, operations) VALUES ($1, $2, $3, 7)",
        org.id,
        start,
        end,
    )
    await db.execute("UPDATE organizations SET ai_operations_limit = 42 WHERE id = $1", org.id)
    assert client.query("auth.me")["usage"] == {"used": 7, "limit": 42, "resetsAt": end}


async def test_me_on_an_unlimited_plan_has_no_limit(db, live_server):
    org, user, client = await member_client(db, live_server, plan="business")
    assert client.query("auth.me")["usage"]["limit"] is None


# ---- auth.changePassword --------------------------------------------------------------------------


async def test_change_password_revokes_the_other_sessions_only(db, live_server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    here, elsewhere = await asyncio.gather(
        asyncio.to_thread(login, live_server, user), asyncio.to_thread(login, live_server, user)
    )
    before = session_value(here)
    result = here.mutation("auth.changePassword", {"currentPassword": user.password, "newPassword": "a-new-password"})
    assert result == {"success": True}
    assert here.query("auth.me")["user"]["id"] == str(user.id)
    # This browser goes on under a new session: a copy of its old cookie is signed out.
    assert session_value(here) != before
    assert error_of(client_with_cookie(live_server, before).query, "auth.me").code == "UNAUTHORIZED"
    assert error_of(elsewhere.query, "auth.me").code == "UNAUTHORIZED"
    assert error_of(login, live_server, user).code == "UNAUTHORIZED"  # the old password
    client = TRPCClient(live_server.url)
    client.mutation("auth.login", {"email": user.email, "password": "a-new-password"})


async def test_change_password_needs_the_current_one_and_a_valid_new_one(db, live_server):
    org, user, client = await member_client(db, live_server)
    stored = await db.fetchval("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2", org.id, user.id)
    wrong = error_of(
        client.mutation, "auth.changePassword", {"currentPassword": "not-it-at-all", "newPassword": "a-new-password"}
    )
    assert wrong.code == "BAD_REQUEST" and "currentPassword" in wrong.message
    short = error_of(client.mutation, "auth.changePassword", {"currentPassword": user.password, "newPassword": "short"})
    assert short.code == "BAD_REQUEST" and "newPassword" in short.message
    assert await db.fetchval("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2", org.id, user.id) == stored


async def test_an_api_key_cannot_change_a_password(db, live_server):
    from tests.support.factories import create_api_key

    org = await create_org(db)
    key = await create_api_key(db, org.id, ("admin",))
    client = TRPCClient(live_server.url, headers={"authorization": f"Bearer {key}"})
    error = error_of(client.mutation, "auth.changePassword", {"currentPassword": "whatever1", "newPassword": "whatever2"})
    assert error.code == "FORBIDDEN"


# ---- throttling ------------------------------------------------------------------------------


async def test_repeated_failures_for_one_email_are_throttled(db, strict_server):
    org, user = await member_with_a_clean_address(db)
    client = TRPCClient(strict_server.url)
    for _ in range(3):  # LOGIN_MAX_FAILURES=3
        wrong = error_of(client.mutation, "auth.login", {"email": user.email, "password": "wrong-password"})
        assert wrong.code == "UNAUTHORIZED"
    blocked = error_of(client.mutation, "auth.login", {"email": user.email, "password": user.password})
    assert blocked.code == "TOO_MANY_REQUESTS"
    seconds = blocked.data["retryAfterSeconds"]
    assert 1 <= seconds <= 600
    assert blocked.headers["retry-after"] == str(seconds)
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1", org.id) == 0

    # Another e-mail from the same address is not affected...
    other = await create_user(db, org.id)
    await asyncio.to_thread(login, strict_server, other)
    # ...and once the delay after the latest failure has passed, the right password works again.
    await db.execute(
        "UPDATE login_failures SET failed_at = failed_at - interval '11 minutes' WHERE key LIKE $1",
        f"pair:{user.email}|%",
    )
    await asyncio.to_thread(login, strict_server, user)
    await forget_address_failures(db)


async def test_a_successful_login_forgives_earlier_failures(db, strict_server):
    org, user = await member_with_a_clean_address(db)
    client = TRPCClient(strict_server.url)
    for _ in range(2):
        error_of(client.mutation, "auth.login", {"email": user.email, "password": "wrong-password"})
    await asyncio.to_thread(login, strict_server, user)
    for _ in range(2):
        error_of(client.mutation, "auth.login", {"email": user.email, "password": "wrong-password"})
    await asyncio.to_thread(login, strict_server, user)  # 2 + 2 failures, never 3 in a row
    await forget_address_failures(db)


async def test_repeated_failures_from_one_address_are_throttled(db, strict_server):
    org, user = await member_with_a_clean_address(db)
    client = TRPCClient(strict_server.url)
    for index in range(6):  # LOGIN_MAX_FAILURES_PER_ADDRESS=6, spread over several e-mails
        email = f"guess-{index // 2}-{uuid4().hex}@example.test"
        error_of(client.mutation, "auth.login", {"email": email, "password": "guess-password"})
    blocked = error_of(login, strict_server, user)
    assert blocked.code == "TOO_MANY_REQUESTS"
    assert blocked.data["retryAfterSeconds"] >= 1
    await forget_address_failures(db)
    await asyncio.to_thread(login, strict_server, user)


async def test_concurrent_guesses_cannot_exceed_the_limit(db, strict_server):
    org, user = await member_with_a_clean_address(db)

    def guess() -> str:
        client = TRPCClient(strict_server.url)
        return error_of(client.mutation, "auth.login", {"email": user.email, "password": "wrong-password"}).code

    codes = await asyncio.gather(*(asyncio.to_thread(guess) for _ in range(10)))
    # 3 guesses are free (LOGIN_MAX_FAILURES=3); every later one that was checked against the
    # password came at least the growing delay after the one before, however they raced.
    checked = await db.fetchval(
        "SELECT array_agg(failed_at ORDER BY failed_at) FROM login_failures WHERE key LIKE $1", f"pair:{user.email}|%"
    )
    assert codes.count("UNAUTHORIZED") == len(checked) >= 3
    assert codes.count("TOO_MANY_REQUESTS") == 10 - len(checked) > 0
    for index in range(3, len(checked)):
        gap = (checked[index] - checked[index - 1]).total_seconds()
        assert gap >= delay_seconds(index, 3, 600), (index, gap)
    await forget_address_failures(db)


# ---- configuration ---------------------------------------------------------------------------


def test_production_requires_a_real_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"APP_ENV": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"APP_ENV": "production", "SECRET_KEY": "too-short"})
    assert load_settings({"APP_ENV": "production", "SECRET_KEY": "k" * 32}).secret_key == "k" * 32


def test_login_limits_are_validated():
    assert load_settings({"APP_ENV": "test", "SECRET_KEY": "x", "LOGIN_MAX_FAILURES": "2"}).login_max_failures == 2
    with pytest.raises(ConfigError, match="LOGIN_MAX_FAILURES"):
        load_settings({"APP_ENV": "test", "SECRET_KEY": "x", "LOGIN_MAX_FAILURES": "0"})
    with pytest.raises(ConfigError, match="LOGIN_FAILURE_WINDOW_SECONDS"):
        load_settings({"APP_ENV": "test", "SECRET_KEY": "x", "LOGIN_FAILURE_WINDOW_SECONDS": "soon"})


def test_the_server_refuses_to_start_in_production_without_a_secret_key():
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env.update({"APP_ENV": "production", "DATABASE_URL": "postgresql://unused.invalid/db"})
    result = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert result.returncode == 2
    assert b"SECRET_KEY" in result.stderr


# ---- demo data ---------------------------------------------------------------------------------


async def test_seed_creates_the_demo_organizations_once(db, database_url):
    name = f"seed_{uuid4().hex[:10]}"
    await db.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
        # `make seed`: applies the schema, seeds, prints the logins.
        env = {**os.environ, "DATABASE_URL": url, "DEMO_PASSWORD": "demo-pass-123", "APP_ENV": "development"}
        env["DATA_DIR"] = tempfile.mkdtemp(prefix="seed-data-")
        result = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "scripts.seed"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        assert "admin@acme.test" in result.stdout and "demo-pass-123" in result.stdout
        # `python -m app` in development calls this on every start: nothing to do the second time.
        assert await seed_if_empty(url, "demo-pass-123") == []

        connection = await asyncpg.connect(url)
        try:
            plans = dict(await connection.fetch("SELECT slug, plan FROM organizations"))
            assert plans == {"acme-support": "business", "globex": "business", "hooli": "pro", "initech": "free"}
            roles = dict(await connection.fetch("SELECT email, role FROM users"))
            expected = {m.email: m.role for o in DEMO_ORGANIZATIONS for m in o.members}
            # The demo corpus (app.demo.corpus) adds agents of its own.
            assert {email: roles.get(email) for email in expected} == expected
            assert roles["viewer@acme.test"] == "viewer" and roles["agent@acme.test"] == "agent"
            stored = await connection.fetchval("SELECT password_hash FROM users WHERE email = 'agent@acme.test'")
        finally:
            await connection.close()
        from app.auth.passwords import verify_password

        assert await verify_password(stored, "demo-pass-123")
        assert not await verify_password(stored, "demo-password")
    finally:
        await db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
