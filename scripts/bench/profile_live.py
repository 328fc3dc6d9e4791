#!/usr/bin/env python3
"""Where the live server's CPU goes under the wire benchmark's load: a py-spy profile.

`profile_query.py` measures the app's own code in a loop, with warm caches and no HTTP. Under
load the same code costs more, and uvicorn, the socket writes and the event loop cost the rest,
so this script profiles the real thing: it starts helpdesk-ai as `scripts/bench/wire.py` does
(pinned to core 0, test procedures loaded, an embedded PostgreSQL), loads it with wrk from core 1,
and samples the server with py-spy meanwhile. It prints the share of samples by where they fall
(the app's code, uvicorn and the socket below the app, the rest of uvicorn and the event loop)
and the busiest lines of the app, and keeps the raw samples for a flame graph
(`--raw`, py-spy's collapsed-stack format).

    .venv/bin/python scripts/bench/profile_live.py                      # GET system.status
    .venv/bin/python scripts/bench/profile_live.py --request batch10    # POST batch of 10 wire.add
    .venv/bin/python scripts/bench/profile_live.py --request qbatch10   # GET batch of 10 system.status
    .venv/bin/python scripts/bench/profile_live.py --server bare        # the bare ASGI app, same load

With `--server bare` the same profile is taken of wire.py's bare reference app, so that the
server's own share (uvicorn and the event loop) can be compared in µs per request: whatever
helpdesk-ai spends beyond it is the app's.

py-spy comes with `make bench` (the `bench` extra of pyproject.toml); it needs permission to
read the server's memory (root, or ptrace allowed for the user).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.wire import ensure_wrk, run_wrk, start_bare, start_helpdesk, start_postgres, stop_all  # noqa: E402

_APP_FILES = ("(app/", "(procedures/", "(tests/support/", "(bare_asgi.py")


def _where(stack: list[str]) -> str:
    """Which part of the server a sample's innermost frame belongs to (py-spy names files
    relative to the working directory). Only the innermost frame is trusted: py-spy links the
    frames of suspended coroutines into stacks that did not happen."""
    leaf = stack[-1]
    if any(part in leaf for part in _APP_FILES):
        return "the app's code"
    if "(uvicorn/" in leaf:
        return "uvicorn (HTTP parsing, the ASGI cycle, socket writes)"
    if "(asyncio/" in leaf:
        return "the event loop (uvloop, in C: epoll, callbacks)"
    return "libraries and the standard library"


def summarise(raw: Path, top: int, cpu_us: float) -> str:
    shares: collections.Counter[str] = collections.Counter()
    lines: collections.Counter[str] = collections.Counter()
    total = 0
    for record in raw.read_text().splitlines():
        stack_text, _, count_text = record.rpartition(" ")
        if not stack_text:
            continue
        count = int(count_text)
        stack = stack_text.split(";")
        total += count
        where = _where(stack)
        shares[where] += count
        if where == "the app's code":
            lines[stack[-1]] += count
    out = [f"{total} samples"]
    # A share of the samples times the CPU per request: what each part costs one request.
    out += [f"{count / total:6.1%} {count / total * cpu_us:6.1f} µs  {where}" for where, count in shares.most_common()]
    out.append(f"\nbusiest lines of the app's code (own samples, share of all):")
    out += [f"{count / total:6.1%}  {line}" for line, count in lines.most_common(top)]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--request", choices=("query", "batch10", "qbatch10"), default="query")
    parser.add_argument("--server", choices=("helpdesk", "bare"), default="helpdesk")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--raw", type=Path, default=None, help="keep py-spy's collapsed stacks here")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        sys.exit("py-spy is missing: `make bench` installs it (pyproject.toml, extra `bench`)")

    workdir = Path(tempfile.mkdtemp(prefix="profile-live-"))
    raw = args.raw or workdir / "samples.txt"
    wrk = ensure_wrk()
    postgres = None
    server = None
    try:
        if args.server == "bare":
            server = start_bare(True, workdir, 1)
        else:
            database_url, postgres = start_postgres(workdir)
            server = start_helpdesk(True, workdir, database_url, 1)
        run_wrk(wrk, server, args.request, 3, 50, True)  # warm up
        spy = subprocess.Popen(
            [py_spy, "record", "--nonblocking", "-r", str(args.rate), "-d", str(round(args.seconds)),
             "-p", str(server.process.pid), "-f", "raw", "-o", str(raw)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        result = run_wrk(wrk, server, args.request, args.seconds, 50, True)
        if spy.wait(60) != 0:
            sys.exit(f"py-spy failed: {spy.stderr.read().decode() if spy.stderr else ''}")
        print(f"{args.request}: {result['rps']:,.0f} req/s while sampled, {result['cpu_us']:.0f} µs CPU per request")
        print(summarise(raw, args.top, result["cpu_us"]))
        if args.raw:
            print(f"\nraw samples: {raw}")
    finally:
        stop_all([server] if server is not None else [], postgres, None if args.raw else workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
