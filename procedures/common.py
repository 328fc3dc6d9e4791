"""Answer types and handler steps more than one namespace shares."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from app.auth.sessions import SWEEP_PROBABILITY, create_session, session_cookie, sweep_ended_sessions
from app.context import Context
from app.errors import TRPCError, not_found

log = logging.getLogger(__name__)


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


def require_cookie_delivery(ctx: Context, what: str) -> None:
    """Refuse, before anything changes, a call that must set the session cookie when its answer is
    streamed (httpBatchStreamLink): the answer's headers leave before the call ends, so the browser
    would be left with a cookie that no longer works."""
    if not ctx.request.cookies_deliverable:
        raise TRPCError(
            "BAD_REQUEST", f"{what} sets the session cookie, which a streamed answer cannot carry: use httpLink or httpBatchLink"
        )


async def hand_over_session(ctx: Context, org_id: UUID, cookie_value: str) -> None:
    """Set a new session's cookie on the answer, once the transaction that wrote the session has
    committed; and now and then sweep the organization's ended sessions. The sweep is upkeep: if
    it fails, the sign-in it rides on does not."""
    ctx.effects.cookies.append(session_cookie(ctx.settings, cookie_value))
    if random.random() < SWEEP_PROBABILITY:
        try:
            await sweep_ended_sessions(ctx.pool, ctx.settings, org_id)
        except Exception:
            log.exception("sweeping the ended sessions of organization %s failed", org_id)
