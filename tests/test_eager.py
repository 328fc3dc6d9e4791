"""gather_eagerly: concurrent like asyncio.gather, without a task for calls that never wait."""

from __future__ import annotations

import asyncio

import pytest

from app.trpc.eager import gather_eagerly


async def test_results_keep_call_order_and_waiting_calls_overlap() -> None:
    finished: list[str] = []

    async def call(name: str, delay: float | None) -> str:
        if delay is not None:
            await asyncio.sleep(delay)
        finished.append(name)
        return name

    results = await gather_eagerly([call("slow", 0.05), call("instant", None), call("fast", 0.01)])
    assert results == ["slow", "instant", "fast"]
    assert finished == ["instant", "fast", "slow"]  # the waits ran concurrently, not one by one


async def test_a_bare_yield_and_an_exception_caught_inside_behave_as_in_a_task() -> None:
    async def yields_then_recovers() -> str:
        await asyncio.sleep(0)
        try:
            await asyncio.wait_for(asyncio.sleep(1), 0.01)
        except TimeoutError:
            return "recovered"
        return "no timeout"

    assert await gather_eagerly([yields_then_recovers()]) == ["recovered"]


async def test_cancelling_the_gather_cancels_every_waiting_call() -> None:
    cancelled: list[str] = []

    async def waits(name: str) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return name

    outer = asyncio.ensure_future(gather_eagerly([waits("a"), waits("b")]))
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    await asyncio.sleep(0)
    assert sorted(cancelled) == ["a", "b"]
