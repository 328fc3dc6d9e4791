"""Procedures that exist only to test the wire protocol (loaded by tests/support/serve.py, TEST_PROCEDURE_MODULES).

They mirror the toy procedures the wire spec was observed with, so the interop tests can compare
this server's answers with the official Node server's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec

from app.context import Context
from app.errors import TRPCError
from app.registry import procedure


class AddInput(msgspec.Struct, frozen=True):
    a: float
    b: float


class Sum(msgspec.Struct, frozen=True):
    sum: float


class SlowInput(msgspec.Struct, frozen=True):
    ms: int
    value: Any = None


class TicksInput(msgspec.Struct, frozen=True):
    count: int
    intervalMs: int = 10


class Tick(msgspec.Struct, frozen=True):
    n: int
    at: datetime


@procedure("wire.echo", "query", public=True)
async def echo(ctx: Context, input: Any) -> Any:
    return input


@procedure("wire.add", "mutation", public=True)
async def add(ctx: Context, input: AddInput) -> Sum:
    return Sum(sum=input.a + input.b)


@procedure("wire.slow", "query", public=True)
async def slow(ctx: Context, input: SlowInput) -> Any:
    await asyncio.sleep(input.ms / 1000)
    return input.value


@procedure("wire.notFound", "query", public=True)
async def not_found(ctx: Context) -> None:
    raise TRPCError("NOT_FOUND", "Ticket not found")


@procedure("wire.boom", "mutation", public=True)
async def boom(ctx: Context) -> None:
    raise RuntimeError("secret-provider-key-sk-123 exploded")


@procedure("wire.ticks", "subscription", public=True)
async def ticks(ctx: Context, input: TicksInput) -> AsyncIterator[Tick]:
    for n in range(1, input.count + 1):
        yield Tick(n=n, at=datetime.now(UTC))
        await asyncio.sleep(input.intervalMs / 1000)
