"""Answer types and handler steps more than one namespace shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from app.auth.sessions import create_session
from app.context import Context
from app.errors import not_found


class Success(msgspec.Struct, frozen=True):
    """A mutation that has nothing else to say: `{"success": true}`."""

    success: Literal[True] = True


# A data-layer delete: (connection, org_id, row id) -> whether the organization had that row.
RowDelete = Callable[[asyncpg.Connection, UUID, UUID], Awaitable[bool]]


async def delete_in_org(ctx: Context, delete: RowDelete, row_id: UUID, what: str) -> Success:
    """Delete one of the caller's organization's rows; NOT_FOUND (`what` not found) when it has no
    row with that id, so another organization's id reads exactly as a missing one."""
    caller = ctx.require_caller()
    async with ctx.pool.acquire() as connection:
        if not await delete(connection, caller.org_id, row_id):
            raise not_found(what)
    return Success()


async def new_browser_session(connection: asyncpg.Connection, ctx: Context, org_id: UUID, user_id: UUID) -> str:
    """A session for the browser making this call, written on `connection` (inside the caller's
    transaction); returns the cookie's value. The caller sets the cookie once the transaction has
    committed, so a call that fails never hands out a session that does not exist."""
    return await create_session(
        connection,
        ctx.settings,
        org_id,
        user_id,
        user_agent=ctx.request.headers.get("user-agent"),
        client_address=ctx.request.client_address,
    )
