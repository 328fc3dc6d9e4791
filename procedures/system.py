"""system.*: what a front end checks before anything else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from app.ai.interface import EngineSettings
from app.context import Context, Services
from app.database import database_answers
from app.errors import TRPCError
from app.registry import procedure

# system.status is polled by every open tab; the database is asked at most once a second per
# process, whatever the request rate.
_DATABASE_CHECK_SECONDS = 1.0
_DEFAULT_ENGINE_SETTINGS = EngineSettings()
# A heartbeat stream is cheap but public: bounded in rate, length and number per client address
# (per worker process), so nobody can make the server tick for them at will.
MIN_HEARTBEAT_INTERVAL_MS = 1_000
MAX_HEARTBEAT_COUNT = 3_600
MAX_HEARTBEATS_PER_ADDRESS = 4


class EngineInfo(msgspec.Struct, frozen=True):
    engine: str
    model: str


class Status(msgspec.Struct, frozen=True):
    version: str
    time: datetime
    database: Literal["ok", "unavailable"]
    ai: EngineInfo
    debug: bool


class HeartbeatInput(msgspec.Struct, frozen=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_HEARTBEAT_COUNT)] = 60
    intervalMs: Annotated[int, msgspec.Meta(ge=MIN_HEARTBEAT_INTERVAL_MS, le=60_000)] = 1000


class Heartbeat(msgspec.Struct, frozen=True):
    n: int
    at: datetime
    database: Literal["ok", "unavailable"]


@dataclass(slots=True)
class _DatabaseCheck:
    """The database's last answer to `SELECT 1`, and when it came."""

    answered: bool | None = None  # None: not asked yet
    at: float = -1e9  # time.monotonic() of the answer
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def _database_state(services: Services) -> Literal["ok", "unavailable"]:
    check: _DatabaseCheck | None = services.extras.get("database_check")
    if check is None:
        check = services.extras.setdefault("database_check", _DatabaseCheck())
    if time.monotonic() - check.at >= _DATABASE_CHECK_SECONDS:
        # One caller asks; the others answer with the last known state meanwhile rather than
        # queue behind it: a slow or hung database (database_answers waits up to 2 s for a
        # connection and 2 s for the answer) must not hold every open tab's status poll. Only
        # before the first answer does everyone wait.
        if check.answered is None or not check.lock.locked():
            async with check.lock:
                if time.monotonic() - check.at >= _DATABASE_CHECK_SECONDS:
                    check.answered = await database_answers(services.pool)
                    check.at = time.monotonic()
    return "ok" if check.answered else "unavailable"


def _engine_info(services: Services) -> EngineInfo:
    """The process's default engine (an organization's own model choice is in org.get)."""
    settings = services.settings
    if settings.ai_model:
        return EngineInfo(engine="litellm", model=settings.ai_model)
    if services.local_engine is not None:
        return EngineInfo(engine="local", model=services.local_engine.model_name(_DEFAULT_ENGINE_SETTINGS))
    return EngineInfo(engine="none", model="none")


@procedure("system.status", "query", public=True)
async def system_status(ctx: Context) -> Status:
    return Status(
        version=ctx.services.version,
        time=datetime.now(UTC),
        database=await _database_state(ctx.services),
        ai=_engine_info(ctx.services),
        debug=ctx.settings.debug,
    )


@procedure("system.heartbeat", "subscription", public=True)
async def system_heartbeat(ctx: Context, input: HeartbeatInput) -> AsyncIterator[Heartbeat]:
    """A live connection check for the front end's status indicator (server-sent events)."""
    open_streams: dict[str | None, int] = ctx.services.extras.setdefault("heartbeat_streams", {})
    address = ctx.request.client_address
    if open_streams.get(address, 0) >= MAX_HEARTBEATS_PER_ADDRESS:
        raise TRPCError(
            "TOO_MANY_REQUESTS", f"At most {MAX_HEARTBEATS_PER_ADDRESS} heartbeat streams per client at a time"
        )
    open_streams[address] = open_streams.get(address, 0) + 1
    try:
        for n in range(1, input.count + 1):
            yield Heartbeat(n=n, at=datetime.now(UTC), database=await _database_state(ctx.services))
            if n < input.count:
                await asyncio.sleep(input.intervalMs / 1000)
    finally:
        remaining = open_streams[address] - 1
        if remaining:
            open_streams[address] = remaining
        else:
            del open_streams[address]

