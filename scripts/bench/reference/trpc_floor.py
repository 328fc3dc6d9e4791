"""The floor of a tRPC answer on this stack, for scripts/bench/trpc_budget.py: the real app with
everything around its handlers stripped away, for the wire benchmark's single query only.

A GET, parsed through the app's own table (app.trpc.parse.parse_get_request, so a repeated
URL is parsed once), is answered with the work no tRPC server can skip: find the procedure, run its handler with a
Context, superjson-encode the output through the app's plans, encode the envelope, and send it
with a content type, the Vary the app sends and a length. Anything else (a batch, a stream, a
procedure that needs a caller or an input, a client without superjson) goes to the real app.

What it leaves out is what makes the app safe to run, so this is not a server for anything but
the measurement: no origin rules or CORS, no guards, no input decoding, no error answers, no
disconnect handling, no streams. Whatever the real app spends beyond it is the price of those.

    DATABASE_URL=... .venv/bin/python -m uvicorn trpc_floor:create_app --factory \
        --app-dir scripts/bench/reference --http httptools --loop uvloop --no-access-log \
        --no-server-header --no-proxy-headers --log-level warning --port 4300
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from app import superjson
from app.config import load_settings
from app.context import Context, RequestInfo, ResponseEffects
from app.errors import TRPCError
from app.registry import REGISTRY
from app.server import TRPC_PREFIX, create_app as create_real_app
from app.trpc.parse import parse_get_request

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_encode = msgspec.json.Encoder().encode
_HEAD = [(b"content-type", b"application/json"), (b"vary", b"origin, trpc-accept, accept")]


def _may_ask_for_stream(scope: Scope) -> bool:
    # Wider than the app's own rule (trpc-accept, else Accept): any mention sends it to the real app.
    return any(name in (b"trpc-accept", b"accept") and b"application/jsonl" in value for name, value in scope["headers"])


def create_app() -> Any:
    settings = load_settings()
    real = create_real_app(settings, ("tests.support.wire_procedures",))
    services = real.state["services"]

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(TRPC_PREFIX + "/"):
            await real(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        try:
            parsed = parse_get_request(raw_path, scope.get("query_string", b""), False, TRPC_PREFIX, settings.max_batch_size)
        except TRPCError:
            parsed = None
        plain = parsed is not None and not parsed.is_batch and parsed.use_superjson and not _may_ask_for_stream(scope)
        procedure = REGISTRY.get(parsed.calls[0].path) if plain and parsed is not None else None
        if procedure is None or procedure.kind != "query" or procedure.identify != "none" or procedure.takes_input:
            await real(scope, receive, send)  # anything but one public superjson query without input, as JSON
            return
        client = scope.get("client")
        request = RequestInfo("GET", {}, {}, client[0] if client else None, True, True)
        value = await procedure.invoke(Context(services, request, procedure.path, ResponseEffects()), None)
        body = _encode({"result": {"data": superjson.encode(value)}})
        head = _HEAD.copy()
        head.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await send({"type": "http.response.body", "body": body})

    return application
