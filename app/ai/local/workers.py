"""Where the local engine's CPU work runs: two worker threads, never the event loop.

Embedding and lexicon passes are CPU-bound. Two workers match the two cores of the target
machine and act as the limiter: a burst of requests queues here instead of starving the loop.
numpy releases the GIL inside its matrix products, so two workers really do run in parallel.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

MAX_WORKERS = 2

_executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="local-ai")


async def run_cpu(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(function, *args, **kwargs))
