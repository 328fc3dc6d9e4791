"""The limit for scripts/bench/wire.py: a bare ASGI app on the same server stack as helpdesk-ai
(uvicorn + httptools + uvloop) that does no tRPC work at all.

It answers the three benchmark requests with bodies of the same size and shape as the real
answers, built once at import: `GET .../system.status` gets a superjson status envelope (with a
Date and its `meta`), `GET .../system.status,...?batch=1&input=...` an array of ten of them,
`POST .../wire.add,...?batch=1` reads the request body and gets ten
`{"result":{"data":{"json":{"sum":n}}}}`; `/healthz` answers 200. Every answer carries a
Content-Length, like a non-streaming tRPC answer. Whatever helpdesk-ai spends beyond this app is
the cost of tRPC parsing, dispatch, the handler and encoding.

    .venv/bin/python -m uvicorn bare_asgi:app --app-dir scripts/bench/reference \
        --http httptools --loop uvloop --no-access-log --no-server-header --no-proxy-headers --log-level warning --port 4200
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

_STATUS = json.dumps(
    {
        "result": {
            "data": {
                "json": {
                    "version": "0.1.0",
                    "time": "2026-12-04T18:00:00.000Z",
                    "database": "ok",
                    "ai": {"engine": "local", "model": "helpdesk-local-v1"},
                    "debug": False,
                },
                "meta": {"values": {"time": ["Date"]}, "v": 1},
            }
        }
    },
    separators=(",", ":"),
).encode()
_BATCH = json.dumps([{"result": {"data": {"json": {"sum": i + 1}}}} for i in range(10)], separators=(",", ":")).encode()
_STATUS_BATCH = b"[" + b",".join([_STATUS] * 10) + b"]"


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]


_ANSWERS = {
    "status": (_STATUS, _headers(_STATUS)),
    "status batch": (_STATUS_BATCH, _headers(_STATUS_BATCH)),
    "batch": (_BATCH, _headers(_BATCH)),
    "ok": (b"ok", _headers(b"ok")),
}

# scripts/bench/trpc_budget.py gives the bare app a busy wait of this many microseconds per
# request, to chart what a given amount of work per request costs on this stack.
_BUSY_SECONDS = float(os.environ.get("BARE_BUSY_MICROSECONDS", "0")) / 1e6

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start
    if scope["method"] == "POST":
        while (await receive()).get("more_body"):
            pass
        body, headers = _ANSWERS["batch"]
    elif scope["path"] == "/healthz":
        body, headers = _ANSWERS["ok"]
    elif scope["query_string"].startswith(b"batch=1"):
        body, headers = _ANSWERS["status batch"]
    else:
        body, headers = _ANSWERS["status"]
    if _BUSY_SECONDS:
        until = time.perf_counter() + _BUSY_SECONDS
        while time.perf_counter() < until:
            pass
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
