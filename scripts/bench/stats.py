"""Latency statistics shared by the benchmarks."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the sample `fraction` of the way through the sorted list."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def latency_summary(samples: list[float]) -> dict[str, float]:
    """Median, 95th percentile (milliseconds, two decimals) and the sample count."""
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(percentile(samples, 0.95), 2), "n": len(samples)}
