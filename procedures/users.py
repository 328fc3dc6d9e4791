"""users.*: the organization's members (agents are assigned tickets by their expertise)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec

from app.auth.accounts import (
    MEMBER_COLUMNS,
    Email,
    Expertise,
    Member,
    PersonName,
    Role,
    member_from_row,
    normalize_email,
)
from app.auth.cache import caller_cache
from app.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password
from app.auth.sessions import revoke_user_sessions
from app.context import Context
from app.errors import TRPCError
from app.registry import procedure
from procedures.common import hand_over_session, new_browser_session, require_cookie_delivery

NewPassword = Annotated[str, msgspec.Meta(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]

USER_NOT_FOUND = "User not found"


class ListUsersInput(msgspec.Struct, frozen=True):
    role: Role | None = None
    includeInactive: bool = False


class CreateUserInput(msgspec.Struct, frozen=True):
    email: Email
    name: PersonName
    role: Role
    # Without a password the member cannot sign in until an admin sets one.
    password: NewPassword | None = None
    expertise: Expertise = []


class UpdateUserInput(msgspec.Struct, frozen=True):
    id: UUID
    email: Email | msgspec.UnsetType = msgspec.UNSET
    name: PersonName | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    password: NewPassword | msgspec.UnsetType = msgspec.UNSET
    expertise: Expertise | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


def _clean_expertise(tags: list[str]) -> list[str]:
    # Tags are matched against ticket tags, which are lower-case; keep the first of duplicates.
    return list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))


def _email_taken() -> TRPCError:
    return TRPCError("CONFLICT", "email: already in use", data={"field": "email"})


@procedure("users.list", "query", scope="ticket:read")
async def list_users(ctx: Context, input: ListUsersInput) -> list[Member]:
    caller = ctx.require_caller()
    rows = await ctx.pool.fetch(
        f"""
        SELECT {MEMBER_COLUMNS} FROM users u
        WHERE u.org_id = $1 AND ($2::text IS NULL OR u.role = $2) AND (u.active OR $3)
        ORDER BY lower(u.name), u.id
        """,
        caller.org_id,
        input.role,
        input.includeInactive,
    )
    return [member_from_row(row) for row in rows]


@procedure("users.create", "mutation", role="admin", scope="admin")
async def create_user(ctx: Context, input: CreateUserInput) -> Member:
    caller = ctx.require_caller()
    password_hash = await hash_password(input.password) if input.password is not None else None
    try:
        row = await ctx.pool.fetchrow(
            f"""
            INSERT INTO users AS u (org_id, email, name, role, password_hash, expertise)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING {MEMBER_COLUMNS}
            """,
            caller.org_id,
            normalize_email(input.email),
            input.name.strip(),
            input.role,
            password_hash,
            _clean_expertise(input.expertise),
        )
    except asyncpg.UniqueViolationError:
        raise _email_taken() from None
    assert row is not None
    return member_from_row(row)


@procedure("users.update", "mutation", role="admin", scope="admin")
async def update_user(ctx: Context, input: UpdateUserInput) -> Member:
    caller = ctx.require_caller()
    # An admin setting their own password in this browser gets a new session for it (below).
    own_password_here = input.id == caller.user_id and input.password is not msgspec.UNSET and caller.session_id is not None
    if own_password_here:
        require_cookie_delivery(ctx, "Setting one's own password")
    password_hash = await hash_password(input.password) if input.password is not msgspec.UNSET else None
    async with ctx.pool.acquire() as connection, connection.transaction():
        # The organization's active admins, locked: two admins demoting each other at once must
        # not leave the organization without one.
        admins = {
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM users WHERE org_id = $1 AND role = 'admin' AND active FOR UPDATE",
                caller.org_id,
            )
        }
        current = await connection.fetchrow(
            "SELECT role, active FROM users WHERE org_id = $1 AND id = $2 FOR UPDATE", caller.org_id, input.id
        )
        if current is None:
            raise TRPCError("NOT_FOUND", USER_NOT_FOUND)
        stays_admin = (input.role if input.role is not msgspec.UNSET else current["role"]) == "admin" and (
            input.active if input.active is not msgspec.UNSET else current["active"]
        )
        if input.id in admins and not stays_admin and len(admins) == 1:
            field = "role" if input.role is not msgspec.UNSET and input.role != "admin" else "active"
            raise TRPCError(
                "PRECONDITION_FAILED",
                f"{field}: the organization's last admin cannot be demoted or deactivated",
                data={"field": field},
            )
        try:
            row = await connection.fetchrow(
                f"""
                UPDATE users AS u SET
                    email = COALESCE($3, email),
                    name = COALESCE($4, name),
                    role = COALESCE($5, role),
                    password_hash = COALESCE($6, password_hash),
                    expertise = COALESCE($7, expertise),
                    active = COALESCE($8, active),
                    updated_at = now()
                WHERE org_id = $1 AND id = $2
                RETURNING {MEMBER_COLUMNS}
                """,
                caller.org_id,
                input.id,
                normalize_email(input.email) if input.email is not msgspec.UNSET else None,
                input.name.strip() if input.name is not msgspec.UNSET else None,
                input.role if input.role is not msgspec.UNSET else None,
                password_hash,
                _clean_expertise(input.expertise) if input.expertise is not msgspec.UNSET else None,
                input.active if input.active is not msgspec.UNSET else None,
            )
        except asyncpg.UniqueViolationError:
            raise _email_taken() from None
        assert row is not None
        renewed_session: str | None = None
        if password_hash is not None or not row["active"]:
            # A new password or a deactivation signs the member out everywhere. An admin who set
            # their own password in this browser goes on in it under a new session, as with
            # auth.changePassword: whoever may have copied the old cookie is signed out too.
            await revoke_user_sessions(connection, caller.org_id, input.id)
            if own_password_here and row["active"]:
                renewed_session = await new_browser_session(connection, ctx, caller.org_id, input.id)
    if renewed_session is not None:
        await hand_over_session(ctx, caller.org_id, renewed_session)
    # A new role, a deactivation or a revocation holds from this worker's next request.
    caller_cache(ctx.services).forget_user(caller.org_id, input.id)
    return member_from_row(row)
