"""Browser sessions: a server-side row per login, named by a signed cookie.

The cookie holds `"<org_id>.<session_id>"` signed with SECRET_KEY (itsdangerous, HMAC-SHA256). The
signature only proves that this server issued the value; whether the session still holds (not
revoked, not idle too long, not past its lifetime, user still active) is read from the row on every
request, so logout and password changes take effect at once in every worker.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from http.cookies import SimpleCookie
from uuid import UUID

import asyncpg
from itsdangerous import BadSignature, Signer

from app.config import Settings
from app.context import Cookie

SESSION_COOKIE = "hd_session"
# Ended sessions are deleted now and then when the same organization starts a session, not by a job.
SWEEP_PROBABILITY = 0.01
# At most this many rows per sweep, so the first one after a long time stays a short statement.
SWEEP_BATCH = 1000
# A different salt per purpose: a value signed for something else never passes as a session.
_SALT = "helpdesk-ai.session"


@lru_cache(maxsize=4)
def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=_SALT, digest_method=hashlib.sha256)


def sign_session(secret_key: str, org_id: UUID, session_id: UUID) -> str:
    return _signer(secret_key).sign(f"{org_id}.{session_id}").decode()


def read_session_cookie(secret_key: str, value: str) -> tuple[UUID, UUID] | None:
    """The (org_id, session_id) a cookie names, or None when it is not a value this server signed."""
    try:
        payload = _signer(secret_key).unsign(value).decode()
    except (BadSignature, UnicodeError):
        return None
    org_text, _, session_text = payload.partition(".")
    try:
        return UUID(org_text), UUID(session_text)
    except ValueError:
        return None


def session_cookie(settings: Settings, value: str) -> Cookie:
    # The browser may forget the cookie once the session's absolute lifetime is over anyway.
    return Cookie(
        name=SESSION_COOKIE,
        value=value,
        max_age=settings.session_lifetime_hours * 3600,
        http_only=True,
        same_site=settings.session_cookie_samesite,
        secure=settings.secure_cookies,
    )


def cleared_session_cookie(settings: Settings) -> Cookie:
    return Cookie(
        name=SESSION_COOKIE,
        value="",
        max_age=0,
        http_only=True,
        same_site=settings.session_cookie_samesite,
        secure=settings.secure_cookies,
    )


async def create_session(
    connection: asyncpg.Connection | asyncpg.Pool,
    settings: Settings,
    org_id: UUID,
    user_id: UUID,
    *,
    user_agent: str | None,
    client_address: str | None,
) -> str:
    """Insert a session row for the user and return the signed cookie value naming it."""
    session_id = await connection.fetchval(
        """
        INSERT INTO sessions (org_id, user_id, expires_at, user_agent, client_address)
        VALUES ($1, $2, now() + make_interval(hours => $3), $4, $5)
        RETURNING id
        """,
        org_id,
        user_id,
        settings.session_lifetime_hours,
        (user_agent or "")[:512] or None,
        client_address,
    )
    return sign_session(settings.secret_key, org_id, session_id)


async def sweep_ended_sessions(connection: asyncpg.Connection | asyncpg.Pool, settings: Settings, org_id: UUID) -> int:
    """Delete up to SWEEP_BATCH of the organization's sessions that have ended (signed out,
    revoked, expired or idle too long) and were created before the last SESSION_LIFETIME_HOURS;
    returns how many. Sessions of that period are kept even when ended: the login throttle reads
    them to know the addresses an account signed in from lately. Rows another transaction holds
    (a revocation under way) are skipped, so a sweep never waits for a lock or deadlocks."""
    status = await connection.execute(
        """
        DELETE FROM sessions
        WHERE org_id = $1 AND id IN (
            SELECT id FROM sessions
            WHERE org_id = $1
              AND created_at < now() - make_interval(hours => $2)
              AND (revoked_at IS NOT NULL OR expires_at <= now() OR last_seen_at <= now() - make_interval(mins => $3))
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        """,
        org_id,
        settings.session_lifetime_hours,
        settings.session_idle_minutes,
        SWEEP_BATCH,
    )
    return int(status.rsplit(" ", 1)[-1])


async def revoke_session(connection: asyncpg.Connection | asyncpg.Pool, org_id: UUID, session_id: UUID) -> None:
    await connection.execute(
        "UPDATE sessions SET revoked_at = now() WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
        org_id,
        session_id,
    )


async def revoke_user_sessions(connection: asyncpg.Connection | asyncpg.Pool, org_id: UUID, user_id: UUID) -> int:
    """Revoke every live session of the user; returns how many."""
    status = await connection.execute(
        "UPDATE sessions SET revoked_at = now() WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        org_id,
        user_id,
    )
    return int(status.rsplit(" ", 1)[-1])


def clearing_header(settings: Settings) -> str:
    """A Set-Cookie header value that deletes the session cookie, for an error response: a cookie
    that failed once will never work again, so the browser should stop sending it."""
    jar: SimpleCookie = SimpleCookie()
    jar[SESSION_COOKIE] = ""
    morsel = jar[SESSION_COOKIE]
    morsel["path"] = "/"
    morsel["samesite"] = settings.session_cookie_samesite
    morsel["max-age"] = "0"
    morsel["httponly"] = True
    if settings.secure_cookies:
        morsel["secure"] = True
    return morsel.OutputString()
