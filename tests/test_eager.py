"""gather_eagerly and within: like asyncio.gather and asyncio.timeout, without a task or a timer
for work that never waits."""

from __future__ import annotations

import asyncio

import pytest

from app.trpc.eager import gather_eagerly, within


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


async def test_within_times_out_a_coroutine_that_waits_and_cleans_it_up() -> None:
    cleaned_up: list[bool] = []

    async def waits_forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.append(True)

    with pytest.raises(TimeoutError):
        await within(waits_forever(), 0.05)
    assert cleaned_up == [True]


async def test_within_returns_what_finishes_in_time_with_or_without_waiting() -> None:
    async def instant() -> str:
        return "now"

    async def soon() -> str:
        await asyncio.sleep(0.01)
        return "soon"

    loop = asyncio.get_running_loop()
    timers_before = len(loop._scheduled)  # type: ignore[attr-defined]
    assert await within(instant(), 0.5) == "now"
    assert len(loop._scheduled) == timers_before  # type: ignore[attr-defined]  # no timer was armed
    assert await within(soon(), 5) == "soon"


async def test_a_cancellation_arriving_with_the_awaited_result_is_not_lost() -> None:
    # A body chunk lands in the same loop turn as the deadline: the reader must still be
    # cancelled (as inside a Task), not read on with no deadline left.
    loop = asyncio.get_running_loop()
    chunk = loop.create_future()
    read: list[str] = []

    async def reader() -> None:
        read.append(await chunk)
        await asyncio.Event().wait()  # the next chunk, which never comes

    task = asyncio.ensure_future(within(reader(), 60))
    await asyncio.sleep(0)  # the reader now waits for the chunk
    chunk.set_result("first")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert read == []  # the cancellation was delivered where the reader awaited
