"""Latency of the offline engine per call: p50 and p95 over many warm iterations.

    .venv/bin/python scripts/bench/local_engine.py              # 200 iterations per row
    .venv/bin/python scripts/bench/local_engine.py --iterations 500

Calls go through the async engine (worker-thread hop included), one at a time, cycling through
the tickets of tests/data/eval_set.jsonl so the inputs have realistic lengths and languages.
"embedding (raw)" is the encoder alone, without the engine around it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.ai.interface import Candidate, EngineSettings, ThreadMessage, TicketText  # noqa: E402
from app.ai.local import LocalEngine, warm_up  # noqa: E402
from app.ai.local.embedding import embed_text  # noqa: E402
from app.ai.local.evaluation import load_eval_set  # noqa: E402
from app.ai.local.intent import DEFAULT_TAXONOMY  # noqa: E402
from scripts.bench.stats import percentile  # noqa: E402


async def measure(call: Callable[[int], Awaitable[Any]], iterations: int) -> list[float]:
    for index in range(min(10, iterations)):  # warm the caches this row depends on
        await call(index)
    samples = []
    for index in range(iterations):
        started = time.perf_counter()
        await call(index)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    await warm_up()
    warm_up_seconds = time.perf_counter() - started

    engine = LocalEngine()
    settings = EngineSettings()
    rows = load_eval_set()
    tickets = [TicketText(subject=row.subject, description=row.description) for row in rows]
    texts = [f"{row.subject}\n{row.description}" for row in rows]
    tag_vocabulary = sorted({tag for row in rows for tag in row.tags})
    taxonomy = list(DEFAULT_TAXONOMY)
    articles = [Candidate(id=f"t{index}", text=text) for index, text in enumerate(texts[:10])]
    thread = TicketText(
        subject="Export keeps failing",
        description="Our nightly CSV export has failed three nights in a row. The file is empty.",
        messages=(
            ThreadMessage("agent", "Thanks for the report. Could you tell us which fields you export?"),
            ThreadMessage("customer", "All the default fields plus two custom ones. It worked fine until Monday."),
            ThreadMessage("agent", "We found a bug with custom fields and deployed a fix. Could you try again tonight?"),
        ),
    )

    def ticket(index: int) -> TicketText:
        return tickets[index % len(tickets)]

    def text(index: int) -> str:
        return texts[index % len(texts)]

    async def raw_embedding(index: int) -> None:
        await asyncio.sleep(0)
        embed_text(text(index))

    benches: list[tuple[str, Callable[[int], Awaitable[Any]]]] = [
        ("analyze", lambda i: engine.analyze(ticket(i), tag_vocabulary, settings)),
        ("embedding (raw)", raw_embedding),
        ("embed (1 text)", lambda i: engine.embed([text(i)], settings)),
        ("embed (10 texts)", lambda i: engine.embed([text(i + k) for k in range(10)], settings)),
        ("summarize", lambda i: engine.summarize(ticket(i), settings)),
        ("summarize (thread)", lambda i: engine.summarize(thread, settings)),
        ("sentiment", lambda i: engine.sentiment(text(i), settings)),
        ("priority", lambda i: engine.priority(ticket(i), settings)),
        ("tags", lambda i: engine.tags(ticket(i), tag_vocabulary, settings)),
        ("replies", lambda i: engine.replies(ticket(i), articles[i % len(articles)], settings)),
        ("classify", lambda i: engine.classify(ticket(i), taxonomy, settings)),
        ("improve", lambda i: engine.improve(text(i), "professional", settings)),
        ("rank (10 candidates)", lambda i: engine.rank(ticket(i), articles, "article", settings)),
    ]

    print(f"warm-up {warm_up_seconds:.2f} s; {args.iterations} iterations per row; times in ms")
    print(f"{'call':<22} {'p50':>7} {'p95':>7} {'mean':>7}")
    for name, call in benches:
        samples = await measure(call, args.iterations)
        p50, p95, mean = percentile(samples, 0.5), percentile(samples, 0.95), statistics.fmean(samples)
        print(f"{name:<22} {p50:>7.2f} {p95:>7.2f} {mean:>7.2f}")


if __name__ == "__main__":
    asyncio.run(main())
