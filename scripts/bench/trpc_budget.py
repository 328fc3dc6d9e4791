#!/usr/bin/env python3
"""How close to the bare ASGI app can a tRPC answer come on this stack? Two measurements, side by
side in one run, for the wire benchmark's single query (`GET system.status`):

1. **The budget curve.** The bare reference app (scripts/bench/reference/bare_asgi.py) with a busy
   wait of N µs per request (BARE_BUSY_MICROSECONDS), for N in --busy: what a given amount of
   work per request costs in requests per second. It says how much the app may spend per request
   for a given fraction of the bare app, with caches as warm as they can be (a busy wait touches
   no memory).
2. **The floor of a tRPC answer.** scripts/bench/reference/trpc_floor.py: the real app, whose
   single public query is answered with only the work no tRPC server can skip (find the
   procedure, run its handler, superjson-encode, encode, send), beside the real app itself.

Every server is pinned to core 0 and wrk to core 1, as in scripts/bench/wire.py; rounds rotate the
order, every ratio is taken within a round, then the median. Reported per server: requests per
second, CPU µs per request (from /proc), and the ratio to the bare app without a busy wait.

    .venv/bin/python scripts/bench/trpc_budget.py                  # 3 rounds, 4 s per cell
    .venv/bin/python scripts/bench/trpc_budget.py --rounds 2 --busy 0,10,20
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.wire import (  # noqa: E402
    REFERENCE,
    ROOT,
    UVICORN_OPTIONS,
    Server,
    _launch,
    ensure_wrk,
    free_port,
    measure_rounds,
    say,
    start_bare,
    start_helpdesk,
    start_postgres,
    stop_all,
)
from tests.support.servers import app_env  # noqa: E402


def start_floor(workdir: Path, database_url: str) -> Server:
    port = free_port()
    env = app_env(port, database_url, str(workdir / "floor-data"))
    command = [
        "taskset", "-c", "0", sys.executable, "-m", "uvicorn", "trpc_floor:create_app", "--factory",
        "--app-dir", str(REFERENCE), "--port", str(port), *UVICORN_OPTIONS,
    ]
    return _launch("floor", "the floor of a tRPC answer (trpc_floor.py)", command, workdir, env={**env, "PYTHONPATH": str(ROOT)}, port=port)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured duration per cell")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per cell")
    parser.add_argument("--busy", default="0,5,10,15,20,30", help="busy waits of the bare app, µs per request")
    args = parser.parse_args()
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        sys.exit("needs taskset and two cores: each server on core 0, wrk on core 1")
    # Every ratio is to the bare app without a busy wait, so 0 is always measured.
    busy = sorted({int(value) for value in args.busy.split(",")} | {0})
    if busy[0] < 0 or args.rounds < 1 or args.seconds <= 0:
        sys.exit("--busy takes microseconds (0 or more), --rounds at least 1, --seconds above 0")
    wrk = ensure_wrk()
    load_at_start = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="trpc-budget-"))
    servers: list[Server] = []
    postgres = None
    try:
        database_url, postgres = start_postgres(workdir)
        servers += [start_bare(True, workdir, 1, microseconds) for microseconds in busy]
        servers.append(start_floor(workdir, database_url))
        servers.append(start_helpdesk(True, workdir, database_url, 1))
        # measure_rounds checks every answer first (the floor's too: the same shape as the real
        # app's) and warms each server up once.
        args.first_warmup, args.connections = 5.0, 50
        measured = measure_rounds(wrk, servers, args, True, ("query",))
        results = {name: per_request["query"] for name, per_request in measured.items()}
        failed = [name for name, rounds in results.items() if any(result["errors"] for result in rounds)]
        if failed:
            raise RuntimeError(f"errors while loading {', '.join(failed)}: their figures are not comparable")
    finally:
        stop_all(servers, postgres, workdir)

    bare = results["bare"]
    say(f"\nGET system.status, {args.rounds} rounds of {args.seconds:g} s per server; load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end\n")
    say("| server | req/s (median) | CPU µs/request | ÷ bare app (median of rounds) | range |")
    say("|---|---:|---:|---:|---|")
    for server in servers:
        rounds = results[server.name]
        ratios = [mine["rps"] / theirs["rps"] for mine, theirs in zip(rounds, bare)]
        say(
            f"| {server.label} | {statistics.median(r['rps'] for r in rounds):,.0f}"
            f" | {statistics.median(r['cpu_us'] for r in rounds):.1f}"
            f" | **{statistics.median(ratios):.2f}** | {min(ratios):.2f}–{max(ratios):.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
