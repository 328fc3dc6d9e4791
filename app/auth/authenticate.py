"""Who calls: an API key (`Authorization: Bearer ...`) or else the session cookie.

`authenticate` is called by `app.calls.call_procedure`, once per HTTP request, before any
procedure. It answers None when the request carries neither credential (public procedures still
work), and UNAUTHORIZED when it carries one that does not hold: tampered, unknown, expired,
revoked, or belonging to a deactivated user.

Checking a credential costs one SQL statement: a plain read by primary key that also reads the
organization's plan. `last_seen_at` / `last_used_at` move forward by a second statement only when
they are more than a minute old, so a busy session writes at most once a minute and its read stays
a plain read (folding the write into it as a writable CTE doubled the read's cost). A worker also
remembers a successful check for under a second (app.auth.cache): a burst of requests with one
cookie reads the row once, and a revocation still holds in every worker within one second.
"""

from __future__ import annotations

import hmac

import asyncpg

from app.auth.api_keys import hash_key, key_prefix
from app.auth.cache import caller_cache
from app.auth.sessions import SESSION_COOKIE, clearing_header, read_session_cookie
from app.context import Caller, RequestInfo, Services
from app.errors import TRPCError

_SESSION_SQL = """
SELECT s.user_id, u.role, o.plan, p.ai_features,
       s.last_seen_at < now() - interval '1 minute' AS stale
FROM sessions s
JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id
JOIN organizations o ON o.id = s.org_id
JOIN plans p ON p.name = o.plan
WHERE s.org_id = $1 AND s.id = $2
  AND s.revoked_at IS NULL
  AND s.expires_at > now()
  AND s.last_seen_at > now() - make_interval(mins => $3)
  AND u.active
"""
_TOUCH_SESSION_SQL = "UPDATE sessions SET last_seen_at = now() WHERE org_id = $1 AND id = $2"

# The key's row is found by its clear prefix (unique index); its org is not known before.
_KEY_SQL = """
SELECT k.org_id, k.id, k.secret_hash, k.scopes, o.plan, p.ai_features,
       k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute' AS stale
FROM api_keys k
JOIN organizations o ON o.id = k.org_id
JOIN plans p ON p.name = o.plan
WHERE k.prefix = $1 AND k.secret_hash = $2 AND k.revoked_at IS NULL
"""
_TOUCH_KEY_SQL = "UPDATE api_keys SET last_used_at = now() WHERE org_id = $1 AND id = $2"


def _pool(services: Services) -> asyncpg.Pool:
    if services.pool is None:
        raise TRPCError("SERVICE_UNAVAILABLE", "Database unavailable")
    return services.pool


def role_for_scopes(scopes: frozenset[str]) -> str:
    """The role a key acts with: its scopes decide, so a read-only key can never reach a
    procedure that needs an agent, whatever scope that procedure declares."""
    if "admin" in scopes:
        return "admin"
    if "ticket:write" in scopes or "ai:run" in scopes:
        return "agent"
    return "viewer"


async def _caller_from_key(services: Services, key: str) -> Caller:
    prefix = key_prefix(key)
    if prefix is None:
        raise TRPCError("UNAUTHORIZED", "Invalid API key")
    presented_hash = hash_key(key)
    cache = caller_cache(services)
    remembered = cache.get("key:" + presented_hash)
    if remembered is not None:
        return remembered
    row = await _pool(services).fetchrow(_KEY_SQL, prefix, presented_hash)
    # The database compared the hashes already; compare again in constant time so the answer
    # never depends on how much of a hash matched.
    if row is None or not hmac.compare_digest(row["secret_hash"], presented_hash):
        raise TRPCError("UNAUTHORIZED", "Invalid or revoked API key")
    if row["stale"]:
        await _pool(services).execute(_TOUCH_KEY_SQL, row["org_id"], row["id"])
    scopes = frozenset(row["scopes"])
    caller = Caller(
        org_id=row["org_id"],
        user_id=None,
        role=role_for_scopes(scopes),  # type: ignore[arg-type]
        plan=row["plan"],
        ai_features=row["ai_features"],
        scopes=scopes,
        api_key_id=row["id"],
    )
    cache.put("key:" + presented_hash, caller)
    return caller


async def _caller_from_session(services: Services, cookie: str) -> Caller:
    cache = caller_cache(services)
    # Only cookies that passed every check below are remembered, so a hit needs no signature check.
    remembered = cache.get("session:" + cookie)
    if remembered is not None:
        return remembered
    settings = services.settings
    named = read_session_cookie(settings.secret_key, cookie)
    expired = TRPCError(
        "UNAUTHORIZED", "Session expired or signed out; sign in again", headers={"set-cookie": clearing_header(settings)}
    )
    if named is None:
        raise expired
    org_id, session_id = named
    row = await _pool(services).fetchrow(_SESSION_SQL, org_id, session_id, settings.session_idle_minutes)
    if row is None:
        raise expired
    if row["stale"]:
        await _pool(services).execute(_TOUCH_SESSION_SQL, org_id, session_id)
    caller = Caller(
        org_id=org_id,
        user_id=row["user_id"],
        role=row["role"],
        plan=row["plan"],
        ai_features=row["ai_features"],
        session_id=session_id,
    )
    cache.put("session:" + cookie, caller)
    return caller


async def authenticate(services: Services, request: RequestInfo) -> Caller | None:
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise TRPCError("UNAUTHORIZED", "Authorization must be `Bearer <API key>`")
        return await _caller_from_key(services, credential.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await _caller_from_session(services, cookie)
    return None
