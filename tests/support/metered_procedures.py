"""Procedures that exist only to test the metering mechanism (loaded by tests/support/serve.py, TEST_PROCEDURE_MODULES).

They follow the transaction contract of `app.usage.metering` the way the ai.* procedures do: the "AI
work" first, then the side effects and the ledger in one transaction. Here the only side effect
is the ledger row itself.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec

from app.ai.interface import AIError, TokenUsage
from app.context import Context
from app.usage.metering import record_token_usage
from app.registry import procedure

NonNegative = Annotated[int, msgspec.Meta(ge=0)]


class WorkInput(msgspec.Struct, frozen=True):
    operation: str = "summarize"
    model: str = "test-model"
    promptTokens: NonNegative = 10
    completionTokens: NonNegative = 5
    costUsd: float | None = None
    # Time spent "in the model" before writing, so concurrent calls overlap for real.
    delayMs: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    # Fail inside the transaction, after the ledger row was written: the contract says the row
    # must vanish and the operation must be released.
    failAfterLedger: bool = False


class WorkDone(msgspec.Struct, frozen=True):
    recorded: int


@procedure("meter.work", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def work(ctx: Context, input: WorkInput) -> WorkDone:
    caller = ctx.require_caller()
    if input.delayMs:
        await asyncio.sleep(input.delayMs / 1000)
    usage = [TokenUsage(input.operation, input.model, input.promptTokens, input.completionTokens, input.costUsd)]
    async with ctx.pool.acquire() as connection, connection.transaction():
        await record_token_usage(connection, caller, usage)
        if input.failAfterLedger:
            raise AIError("the provider rejected the answer after it was recorded")
    return WorkDone(recorded=len(usage))


@procedure("meter.fail", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def fail(ctx: Context) -> WorkDone:
    # The reservation is already taken when a handler starts; the engine then gives up. The
    # message imitates a careless provider error, to prove that it does not reach the client.
    raise AIError("provider 'acme' refused key sk-test-SECRET-123: quota exceeded")
