"""Run coroutines concurrently, starting each one at once (what Python 3.12 calls eager tasks).

A batch often holds calls that finish without ever waiting (a cached read, a validation error).
Starting each coroutine in place and handing only the ones that suspend to a Task saves a task,
its scheduling and its callbacks per such call, which is most of what a cheap call costs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def continue_coroutine(coroutine: Coroutine[Any, Any, T], pending: Any) -> T:
    """Drive a coroutine that suspended on `pending`, exactly as asyncio.Task's step does."""
    loop = asyncio.get_running_loop()
    while True:
        cancelled = False
        if pending is None:  # a bare yield (asyncio.sleep(0)): give the loop one turn
            await asyncio.sleep(0)
        else:
            pending._asyncio_future_blocking = False
            woken = loop.create_future()
            pending.add_done_callback(lambda _, woken=woken: woken.done() or woken.set_result(None))
            try:
                await woken
            except asyncio.CancelledError:
                # Cancelled from outside: pass it to what the coroutine waits on; the coroutine
                # then sees the cancellation where it awaited, as it would inside a Task. When
                # that has finished in the same turn, the cancellation is thrown in instead (as
                # a Task does), so that it is not lost.
                if pending.cancel():
                    await asyncio.wait((pending,))
                else:
                    cancelled = True
        try:
            pending = coroutine.throw(asyncio.CancelledError()) if cancelled else coroutine.send(None)
        except StopIteration as finished:
            return finished.value


async def gather_eagerly(coroutines: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Like asyncio.gather for coroutines that never raise (each call returns its own outcome)."""
    results: list[Any] = [None] * len(coroutines)
    suspended: list[tuple[int, asyncio.Future[T]]] = []
    for index, coroutine in enumerate(coroutines):
        try:
            pending = coroutine.send(None)
        except StopIteration as finished:
            results[index] = finished.value
            continue
        suspended.append((index, asyncio.ensure_future(continue_coroutine(coroutine, pending))))
    try:
        for index, task in suspended:
            results[index] = await task
    except asyncio.CancelledError:
        for _, task in suspended:
            task.cancel()
        # Let every call finish unwinding (its finally blocks, a released reservation) before
        # the cancellation goes on up.
        await asyncio.gather(*(task for _, task in suspended), return_exceptions=True)
        raise
    return results


async def within(coroutine: Coroutine[Any, Any, T], seconds: float) -> T:
    """`coroutine`'s result, or TimeoutError after `seconds`, with no timer for a coroutine that
    finishes without waiting (reading a request body that has already arrived, the usual case)."""
    try:
        pending = coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    async with asyncio.timeout(seconds):
        return await continue_coroutine(coroutine, pending)
