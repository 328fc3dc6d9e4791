#!/usr/bin/env python3
"""The app's own cost per request, in process: no socket, no HTTP parser, no load generator.

Drives the ASGI application that uvicorn serves (`app.server.create_app`, lifespan included)
with the benchmark's requests, one after another, and reports microseconds per request: CPU time of
this process (what a shared machine disturbs least; the database's share is not in it) and wall
time, each the best of `--repeat` runs — the part of a request that the code here can
change. With `--profile`, runs them again under cProfile and prints the functions by own time,
and writes the raw profile (`--profile-out`, for snakeviz or `python -m pstats`).

    .venv/bin/python scripts/bench/profile_query.py                   # GET system.status
    .venv/bin/python scripts/bench/profile_query.py --request batch10 # POST batch of 10 wire.add
    .venv/bin/python scripts/bench/profile_query.py --request qbatch10 # GET batch of 10 system.status
    .venv/bin/python scripts/bench/profile_query.py --request session # auth.me with a session cookie
    .venv/bin/python scripts/bench/profile_query.py --profile --top 30
    .venv/bin/python scripts/bench/profile_query.py --app floor       # trpc_floor.py, the same query

Uses an embedded PostgreSQL of its own (deleted afterwards) unless --database-url is given.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

NO_INPUT = '{"json":null,"meta":{"values":["undefined"],"v":1}}'
BATCH_BODY = ("{" + ",".join(f'"{i}":{{"json":{{"a":{i},"b":1}}}}' for i in range(10)) + "}").encode()


def _scope(method: str, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


class Exchange:
    """One request's ASGI callables, reusable: the body is handed over once per request."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.status = 0
        self.sent: list[bytes] = []
        self._delivered = False

    def reset(self) -> None:
        self.status = 0
        self.sent.clear()
        self._delivered = False

    async def receive(self) -> dict[str, Any]:
        if not self._delivered:
            self._delivered = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await asyncio.Event().wait()  # a client that stays connected
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.sent.append(message.get("body", b""))


async def _lifespan(application: Any) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, Any]]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            if message["type"] == "lifespan.startup.failed":
                raise RuntimeError(message.get("message"))
            started.set()

    task = asyncio.create_task(application({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.wait_for(started.wait(), 120)
    return task, inbox


async def _agent(database_url: str) -> tuple[bytes, bytes]:
    """A fresh agent's e-mail and password, to sign in with auth.login."""
    import asyncpg

    from tests.support.factories import create_org, create_user

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        org = await create_org(pool)
        user = await create_user(pool, org.id)
    finally:
        await pool.close()
    return user.email.encode(), user.password.encode()


async def run(args: argparse.Namespace, database_url: str) -> None:
    os.environ.update(
        {
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "HF_HUB_OFFLINE": "1",
            "DATA_DIR": tempfile.mkdtemp(prefix="profile-query-"),
        }
    )
    from app.config import load_settings
    from app.server import create_app

    if args.app == "floor":
        sys.path.insert(0, str(ROOT / "scripts" / "bench" / "reference"))
        from trpc_floor import create_app as create_floor_app

        application = create_floor_app()
    else:
        application = create_app(load_settings(), extra_procedure_modules=("tests.support.wire_procedures",))
    lifespan, inbox = await _lifespan(application)
    headers: list[tuple[bytes, bytes]] = []
    if args.request == "query":
        method, path, query, body = "GET", "/api/trpc/system.status", "input=" + quote(NO_INPUT, safe=""), b""
    elif args.request == "qbatch10":
        inputs = "{" + ",".join(f'"{i}":{NO_INPUT}' for i in range(10)) + "}"
        method, path, query, body = "GET", "/api/trpc/" + ",".join(["system.status"] * 10), "batch=1&input=" + quote(inputs, safe=""), b""
    elif args.request == "batch10":
        method, path, query, body = "POST", "/api/trpc/" + ",".join(["wire.add"] * 10), "batch=1", BATCH_BODY
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BATCH_BODY)).encode())]
    else:
        email, password = await _agent(database_url)
        login_body = b'{"json":{"email":"' + email + b'","password":"' + password + b'"}}'
        exchange = Exchange(login_body)
        cookie = b""

        async def capture(message: dict[str, Any]) -> None:
            nonlocal cookie
            if message["type"] == "http.response.start":
                for name, value in message["headers"]:
                    if name.lower() == b"set-cookie":
                        cookie = value.split(b";", 1)[0]
            await exchange.send(message)

        login_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(login_body)).encode())]
        await application(_scope("POST", "/api/trpc/auth.login", "", login_headers), exchange.receive, capture)
        assert exchange.status == 200 and cookie, (exchange.status, exchange.sent)
        method, path, query, body = "GET", "/api/trpc/auth.me", "input=" + quote(NO_INPUT, safe=""), b""
        headers = [(b"cookie", cookie)]

    scope = _scope(method, path, query, headers)
    exchange = Exchange(body)

    async def once() -> None:
        exchange.reset()
        await application(dict(scope), exchange.receive, exchange.send)
        if exchange.status != 200:
            raise RuntimeError(f"{exchange.status}: {b''.join(exchange.sent)[:300]!r}")

    for _ in range(args.warmup):
        await once()
    best_wall = best_cpu = float("inf")
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            await once()
        best_wall = min(best_wall, (time.perf_counter() - started) / args.requests * 1e6)
        best_cpu = min(best_cpu, (time.process_time() - started_cpu) / args.requests * 1e6)
    print(
        f"{args.request}: {best_cpu:.1f} µs CPU per request in this process, {best_wall:.1f} µs wall"
        f" (best of {args.repeat} × {args.requests}; load average {os.getloadavg()[0]:.1f});"
        f" answer {len(b''.join(exchange.sent))} bytes"
    )

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            await once()
        profiler.disable()
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())

    await inbox.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(lifespan, 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--request", choices=("query", "batch10", "qbatch10", "session"), default="query")
    parser.add_argument(
        "--app", choices=("real", "floor"), default="real",
        help="floor: scripts/bench/reference/trpc_floor.py, the floor of a tRPC answer (the single query only)",
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-out", type=Path, default=None)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.app == "floor" and args.request != "query":
        parser.error("--app floor answers the single query only (--request query)")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.database_url:
        asyncio.run(run(args, args.database_url))
        return 0
    from tests.support.servers import start_test_postgres

    postgres = start_test_postgres()
    try:
        asyncio.run(run(args, postgres.url))
    finally:
        postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
