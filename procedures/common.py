"""Answer types and handler steps more than one namespace shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

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
