"""auth.*: signing in and out, who am I, changing one's own password."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from app.auth.accounts import MEMBER_COLUMNS, Member, OrganizationSummary, member_from_row
from app.auth.cache import caller_cache
from app.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from app.auth.sessions import cleared_session_cookie, revoke_session, revoke_user_sessions
from app.auth.throttle import attempt_succeeded, begin_attempt
from app.context import Context
from app.errors import TRPCError
from app.usage.report import UsageSummary, usage_summary
from app.registry import procedure
from procedures.common import Success, hand_over_session, new_browser_session, require_cookie_delivery

# Login accepts whatever was once a valid password (no minimum); only new passwords get rules.
AnyPassword = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
NewPassword = Annotated[str, msgspec.Meta(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
LoginEmail = Annotated[str, msgspec.Meta(min_length=1, max_length=320)]

INVALID_LOGIN = "Invalid e-mail or password"


def _refuse_cross_site(ctx: Context) -> None:
    # Login and logout are public, so the pipeline's cross-site check (which guards callers with a
    # session) does not reach them; another site must not sign a browser in or out either.
    if not ctx.request.origin_trusted:
        raise TRPCError("FORBIDDEN", "Cross-site request refused")


class LoginInput(msgspec.Struct, frozen=True):
    email: LoginEmail
    password: AnyPassword


class SignedIn(msgspec.Struct, frozen=True):
    user: Member
    organization: OrganizationSummary


class Plan(msgspec.Struct, frozen=True):
    name: str
    aiFeatures: Literal["none", "basic", "full"]
    aiOperationsPerPeriod: int | None  # None: unlimited


class Me(msgspec.Struct, frozen=True):
    user: Member | None  # None when an API key calls
    organization: OrganizationSummary
    plan: Plan
    usage: UsageSummary


class ChangePasswordInput(msgspec.Struct, frozen=True):
    currentPassword: AnyPassword
    newPassword: NewPassword


# ---- auth.login ---------------------------------------------------------------------------

_LOGIN_SQL = f"""
SELECT {MEMBER_COLUMNS}, u.org_id, u.password_hash, o.name AS org_name, o.slug, o.plan
FROM users u JOIN organizations o ON o.id = u.org_id
WHERE lower(u.email) = lower($1)
"""


@procedure("auth.login", "mutation", public=True, identify="optional")
async def login(ctx: Context, input: LoginInput) -> SignedIn:
    _refuse_cross_site(ctx)
    require_cookie_delivery(ctx, "auth.login")
    pool = ctx.pool
    attempt = await begin_attempt(pool, ctx.settings, input.email, ctx.request.client_address)
    # The only query not filtered by org_id: a login names an e-mail address, and the address
    # is what finds the organization (it is unique across all of them).
    row = await pool.fetchrow(_LOGIN_SQL, input.email.strip())
    password_hash = row["password_hash"] if row is not None and row["active"] else None
    # Unknown addresses and deactivated users are verified against a dummy hash: same time, same answer.
    verified = await verify_password(password_hash, input.password)
    if not verified or row is None or password_hash is None:
        raise TRPCError("UNAUTHORIZED", INVALID_LOGIN)
    await attempt_succeeded(pool, attempt)
    org_id, user_id = row["org_id"], row["id"]
    # Hashes made with weaker parameters than today's are upgraded while the password is at hand
    # (hashed before taking a connection: argon2 takes a while on purpose).
    upgraded_hash = await hash_password(input.password) if needs_rehash(password_hash) else None
    previous = ctx.caller
    async with pool.acquire() as connection, connection.transaction():
        if previous is not None and previous.session_id is not None:
            # A browser that signs in again (perhaps as someone else) drops its old session.
            await revoke_session(connection, previous.org_id, previous.session_id)
        if upgraded_hash is not None:
            await connection.execute(
                "UPDATE users SET password_hash = $3 WHERE org_id = $1 AND id = $2", org_id, user_id, upgraded_hash
            )
        cookie_value = await new_browser_session(connection, ctx, org_id, user_id)
    if previous is not None and previous.session_id is not None:
        caller_cache(ctx.services).forget_session(previous.org_id, previous.session_id)
    await hand_over_session(ctx, org_id, cookie_value)
    return SignedIn(
        user=member_from_row(row),
        organization=OrganizationSummary(id=org_id, name=row["org_name"], slug=row["slug"], plan=row["plan"]),
    )


# ---- auth.logout --------------------------------------------------------------------------


@procedure("auth.logout", "mutation", public=True, identify="optional")
async def logout(ctx: Context) -> Success:
    _refuse_cross_site(ctx)
    caller = ctx.caller
    if caller is not None and caller.session_id is not None:
        await revoke_session(ctx.pool, caller.org_id, caller.session_id)
        caller_cache(ctx.services).forget_session(caller.org_id, caller.session_id)
    ctx.effects.cookies.append(cleared_session_cookie(ctx.settings))
    return Success()


# ---- auth.me ------------------------------------------------------------------------------

# The member (when a user calls), the organization and its plan; the quota comes from
# app.usage.report.usage_summary, the one place that reads it.
_ME_SQL = f"""
SELECT o.id AS org_id, o.name AS org_name, o.slug, o.plan,
       p.ai_features, p.ai_operations_per_period,
       {MEMBER_COLUMNS}
FROM organizations o
JOIN plans p ON p.name = o.plan
LEFT JOIN users u ON u.org_id = o.id AND u.id = $2
WHERE o.id = $1
"""


@procedure("auth.me", "query")
async def me(ctx: Context) -> Me:
    caller = ctx.require_caller()
    row = await ctx.pool.fetchrow(_ME_SQL, caller.org_id, caller.user_id)
    if row is None or (caller.user_id is not None and row["id"] is None):
        # The session was valid a moment ago; its user or organization has just been deleted.
        raise TRPCError("UNAUTHORIZED", "Session expired or signed out; sign in again")
    usage = await usage_summary(ctx.pool, caller.org_id)
    return Me(
        user=member_from_row(row) if caller.user_id is not None else None,
        organization=OrganizationSummary(id=row["org_id"], name=row["org_name"], slug=row["slug"], plan=row["plan"]),
        plan=Plan(
            name=row["plan"], aiFeatures=row["ai_features"], aiOperationsPerPeriod=row["ai_operations_per_period"]
        ),
        usage=usage,
    )


# ---- auth.changePassword ------------------------------------------------------------------


@procedure("auth.changePassword", "mutation")
async def change_password(ctx: Context, input: ChangePasswordInput) -> Success:
    caller = ctx.require_caller()
    if caller.user_id is None:
        raise TRPCError("FORBIDDEN", "An API key has no password; sign in as a user")
    require_cookie_delivery(ctx, "auth.changePassword")
    pool = ctx.pool
    account = await pool.fetchrow(
        "SELECT email, password_hash FROM users WHERE org_id = $1 AND id = $2", caller.org_id, caller.user_id
    )
    if account is None:
        raise TRPCError("UNAUTHORIZED", "Session expired or signed out; sign in again")
    # A stolen session must not become an unthrottled oracle for the current password.
    attempt = await begin_attempt(pool, ctx.settings, account["email"], ctx.request.client_address)
    if not await verify_password(account["password_hash"], input.currentPassword):
        raise TRPCError("BAD_REQUEST", "currentPassword: does not match", data={"field": "currentPassword"})
    await attempt_succeeded(pool, attempt)
    new_hash = await hash_password(input.newPassword)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "UPDATE users SET password_hash = $3, updated_at = now() WHERE org_id = $1 AND id = $2",
            caller.org_id,
            caller.user_id,
            new_hash,
        )
        # Every session that knew the old password ends, this one included: whoever may have
        # copied its cookie is signed out too. This browser continues under a new session id.
        await revoke_user_sessions(connection, caller.org_id, caller.user_id)
        cookie_value = await new_browser_session(connection, ctx, caller.org_id, caller.user_id)
    caller_cache(ctx.services).forget_user(caller.org_id, caller.user_id)
    await hand_over_session(ctx, caller.org_id, cookie_value)
    return Success()
