"""The ASGI endpoint at /api/trpc: parse, run the calls concurrently, shape the answer.

A raw ASGI callable rather than a Starlette route: this is the hot path, and building Request and
Response objects per call would cost more than everything else a cheap query does. It answers in
one of three forms: a JSON body (single call or `httpBatchLink` array), JSON lines as each call
finishes (`httpBatchStreamLink`), or server-sent events (`httpSubscriptionLink`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from http.cookies import SimpleCookie
from typing import Any, TypeVar

import msgspec
from starlette.requests import cookie_parser

from app import superjson
from app.calls import Outcome, call_procedure
from app.context import Cookie, RequestInfo, ResponseEffects, Services
from app.errors import TRPCError
from app.registry import REGISTRY
from app.trpc.eager import continue_coroutine, gather_eagerly, within
from app.trpc.origin import inspect_request, merge_vary, preflight_headers
from app.trpc.envelopes import (
    as_trpc_error,
    batch_status,
    encode_value,
    error_envelope,
    error_shape,
    result_envelope,
)
from app.trpc.parse import (
    ParsedRequest,
    asks_for_stream,
    check_json_content_type,
    decode_path,
    parse_get_request,
    parse_request,
    query_params,
)

Scope = dict[str, Any]
Message = MutableMapping[str, Any]  # as ASGI servers and Starlette type it
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_encode = msgspec.json.Encoder().encode
T = TypeVar("T")


class ClientDisconnected(Exception):
    pass


class TRPCEndpoint:
    def __init__(self, services: Callable[[], Services], prefix: str = "/api/trpc") -> None:
        self._services = services
        self.prefix = prefix

    # ---- entry -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._handle(scope, receive, send)
        except Exception as error:
            # A failure outside any call still answers in tRPC's shape, never a bare 500 page.
            # (Streams have sent their headers already; the server then just closes them.)
            debug = self._services().settings.debug
            trpc_error = as_trpc_error(error, debug)
            await _send_json(send, trpc_error.http_status, error_envelope(error_shape(trpc_error, None, debug, error), True), {})

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self._services()
        settings = services.settings
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        method = scope["method"]
        source = inspect_request(scope, settings)
        cors = source.cors

        if method == "OPTIONS":
            await _send_bytes(send, 204, b"", preflight_headers(cors, headers))
            return
        if method == "HEAD":
            await _send_bytes(send, 204, b"", cors)
            return

        try:
            if method not in ("GET", "POST"):
                raise TRPCError("METHOD_NOT_SUPPORTED", f"Unsupported {method}-request")
            raw_path = scope.get("raw_path") or scope["path"].encode()
            query_string = scope.get("query_string", b"")
            wants_stream = asks_for_stream(headers)
            if method == "GET":
                parsed = parse_get_request(raw_path, query_string, wants_stream, self.prefix, settings.max_batch_size)
            else:
                path_text = decode_path(raw_path, self.prefix)
                params = query_params(query_string)
                check_json_content_type(headers.get("content-type"))
                try:
                    body = await within(_read_body(receive, headers, settings.max_body_bytes), settings.body_read_timeout_seconds)
                except TimeoutError:
                    # A half-sent body would hold the connection forever: answer and close it.
                    raise TRPCError(
                        "TIMEOUT", "The request body did not arrive in time", headers={"connection": "close"}
                    ) from None
                parsed = parse_request(method, path_text, params, wants_stream, body, settings.max_batch_size)
            if len(parsed.calls) > 1:
                _refuse_mixed_kinds(parsed)
        except TRPCError as error:
            # Request-level errors are one error object, even for a batch (wire spec section 6).
            shape = error_shape(error, None, settings.debug)
            await _send_json(send, error.http_status, error_envelope(shape, True), {**cors, **error.headers})
            return
        except ClientDisconnected:
            return

        cookie = headers.get("cookie")
        subscription = not parsed.is_batch and method == "GET" and _is_subscription(parsed.calls[0].path)
        request = RequestInfo(
            method,
            headers,
            cookie_parser(cookie) if cookie else {},
            source.client_address,
            source.origin_trusted,
            not (subscription or parsed.wants_stream),  # cookies_deliverable
        )
        exchange = _Exchange(services, request, parsed, _answer_headers(cors), receive, send)
        if subscription:
            await _serve_subscription(exchange)
        elif parsed.wants_stream:
            await _serve_jsonl(exchange)
        else:
            await _serve_json(exchange)



class _Exchange:
    """One HTTP request being answered: what every way of answering needs."""

    __slots__ = ("services", "request", "parsed", "effects", "headers", "receive", "send")

    def __init__(
        self,
        services: Services,
        request: RequestInfo,
        parsed: ParsedRequest,
        headers: dict[str, str],
        receive: Receive,
        send: Send,
    ) -> None:
        self.services = services
        self.request = request
        self.parsed = parsed
        self.effects = ResponseEffects()
        self.headers = headers  # response headers so far (shared between requests: copy to change)
        self.receive = receive
        self.send = send

    def call(self, index: int) -> Coroutine[Any, Any, Outcome]:
        return call_procedure(self.services, self.request, self.effects, self.parsed.calls[index])


# ---- JSON (httpLink, httpBatchLink) ------------------------------------------------------------


def _item(outcome: Outcome, use_superjson: bool, debug: bool) -> dict[str, Any]:
    if outcome.error is None:
        return result_envelope(outcome.value, use_superjson)
    return error_envelope(error_shape(outcome.error, outcome.path, debug, outcome.cause), use_superjson)


async def _serve_json(exchange: _Exchange) -> None:
    parsed, headers, effects = exchange.parsed, exchange.headers, exchange.effects
    debug = exchange.services.settings.debug
    body: dict[str, Any] | list[dict[str, Any]]
    if not parsed.is_batch:
        outcome = await _cancel_on_disconnect(exchange.receive, exchange.call(0))
        if outcome is None:
            return  # the client left; nobody is listening for an answer
        status, body = outcome.status, _item(outcome, parsed.use_superjson, debug)
        if outcome.error is not None and outcome.error.headers:
            headers = {**headers, **outcome.error.headers}
    else:
        calls = [exchange.call(index) for index in range(len(parsed.calls))]
        outcomes = await _cancel_on_disconnect(exchange.receive, gather_eagerly(calls))
        if outcomes is None:
            return
        status = batch_status([outcome.status for outcome in outcomes])
        body = [_item(outcome, parsed.use_superjson, debug) for outcome in outcomes]
    await _send_json(exchange.send, status, body, headers, effects.cookies)


# ---- JSON lines (httpBatchStreamLink) ----------------------------------------------------------


async def _serve_jsonl(exchange: _Exchange) -> None:
    use_superjson = exchange.parsed.use_superjson
    debug = exchange.services.settings.debug
    send = exchange.send

    def line(value: Any) -> bytes:
        return _encode(encode_value(value, use_superjson)) + b"\n"

    # Headers go out before any result is known, so no streamed call can set a cookie: the calls
    # that must are refused before they change anything (procedures.common.require_cookie_delivery).
    await send({"type": "http.response.start", "status": 200, "headers": _raw_headers(exchange.headers, "application/json")})
    count = len(exchange.parsed.calls)
    head = {str(index): [[0], [None, 0, index]] for index in range(count)}
    await send({"type": "http.response.body", "body": line(head), "more_body": True})

    async def call_and_send(index: int) -> None:
        outcome = await exchange.call(index)
        item = (
            {"result": {"data": outcome.value}}
            if outcome.error is None
            else {"error": error_shape(outcome.error, outcome.path, debug, outcome.cause)}
        )
        await send({"type": "http.response.body", "body": line([index, 0, [[item]]]), "more_body": True})

    async def call_and_send_all() -> bool:
        await asyncio.gather(*(call_and_send(index) for index in range(count)))
        return True

    finished = await _cancel_on_disconnect(exchange.receive, call_and_send_all())
    if finished is not None:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


# ---- server-sent events (httpSubscriptionLink) -------------------------------------------------


async def _serve_subscription(exchange: _Exchange) -> None:
    use_superjson = exchange.parsed.use_superjson
    settings = exchange.services.settings
    send = exchange.send
    sse_headers = {
        **exchange.headers,
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
        "connection": "keep-alive",
    }

    async def event(data: bytes | str, name: str | None = None) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        block = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
        await send({"type": "http.response.body", "body": block.encode(), "more_body": True})

    async def stream() -> None:
        await send({"type": "http.response.start", "status": 200, "headers": _raw_headers(sse_headers, "text/event-stream")})
        await event("{}", "connected")
        outcome = await exchange.call(0)
        error, cause = outcome.error, outcome.cause
        if error is None:
            iterator = outcome.value.__aiter__()
            step: asyncio.Future[Any] | None = None
            try:
                while True:
                    # A quiet spell sends pings; the pending step of the generator is kept, not
                    # cancelled, so the subscription goes on where it was.
                    step = asyncio.ensure_future(iterator.__anext__())
                    while not (await asyncio.wait((step,), timeout=settings.sse_ping_seconds))[0]:
                        await event("", "ping")
                    try:
                        item = step.result()
                    except StopAsyncIteration:
                        break
                    await event(_encode(encode_value(item, use_superjson)))
            except asyncio.CancelledError:
                # The client left: end the generator now (its `finally` blocks run), rather than
                # leaving its pending step running for nobody.
                if step is not None:
                    step.cancel()
                raise
            except Exception as failure:
                error, cause = as_trpc_error(failure, settings.debug), failure
        if error is None:
            await event("", "return")
        else:
            shape = error_shape(error, outcome.path, settings.debug, cause)
            await event(_encode(superjson.encode(shape) if use_superjson else shape), "serialized-error")
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    await _cancel_on_disconnect(exchange.receive, stream())


# ---- helpers ----------------------------------------------------------------------------------


def _is_subscription(path: str) -> bool:
    procedure = REGISTRY.get(path)
    return procedure is not None and procedure.kind == "subscription"


def _refuse_mixed_kinds(parsed: ParsedRequest) -> None:
    kinds = {REGISTRY[call.path].kind for call in parsed.calls if call.path in REGISTRY}
    if len(kinds) > 1:
        raise TRPCError("BAD_REQUEST", f"Cannot mix procedure types in call: {', '.join(sorted(kinds))}")


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TRPCError("PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TRPCError("PAYLOAD_TOO_LARGE", f"Request body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _cancel_on_disconnect(receive: Receive, work: Coroutine[Any, Any, T]) -> T | None:
    """Run `work`; if the client disconnects first, cancel it and return None.

    The work starts in place: work that finishes without waiting (a cached read, a validation
    error) needs no task and no watcher, since there is nothing to cancel. The watcher cancels
    the work directly rather than racing it through asyncio.wait: this runs on every request
    that waits, and the race costs more than a cheap query itself."""
    try:
        pending = work.send(None)
    except StopIteration as finished:
        return finished.value
    task = asyncio.ensure_future(continue_coroutine(work, pending))
    watcher = asyncio.ensure_future(_cancel_when_disconnected(receive, task))
    try:
        return await task
    except asyncio.CancelledError:
        if watcher.done() and not watcher.cancelled():
            return None  # cancelled because the client left
        raise
    finally:
        watcher.cancel()


async def _cancel_when_disconnected(receive: Receive, task: asyncio.Future[Any]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    task.cancel()


_ANSWER_HEADERS: dict[int, tuple[dict[str, str], dict[str, str]]] = {}


def _answer_headers(cors: dict[str, str]) -> dict[str, str]:
    """`cors` with `trpc-accept` and `accept` added to its Vary: they choose between a JSON answer
    and a stream. cors_headers answers from a few shared dicts (one per allowed origin, one for
    the rest), so the merged dict is made once per dict and shared as well: copy it to change it.
    (Keyed by identity; the entry holds `cors` itself, so the id cannot be reused meanwhile.)"""
    entry = _ANSWER_HEADERS.get(id(cors))
    if entry is None or entry[0] is not cors:
        entry = (cors, merge_vary(cors, "trpc-accept, accept"))
        if len(_ANSWER_HEADERS) >= 256:
            _ANSWER_HEADERS.clear()
        _ANSWER_HEADERS[id(cors)] = entry
    return entry[1]


_ENCODED_HEADERS: dict[tuple[str, ...], list[tuple[bytes, bytes]]] = {}


def _raw_headers(headers: dict[str, str], content_type: str) -> list[tuple[bytes, bytes]]:
    # Most answers carry the same few headers (content type, vary, CORS for a known origin):
    # each distinct set is encoded once per process. Sets with values that vary per request
    # (retry-after) would fill the table for good, so a full table starts over.
    key = (content_type, *headers.keys(), *headers.values())
    found = _ENCODED_HEADERS.get(key)
    if found is None:
        found = [(b"content-type", content_type.encode("latin-1"))]
        found.extend((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())
        if len(_ENCODED_HEADERS) >= 256:
            _ENCODED_HEADERS.clear()
        _ENCODED_HEADERS[key] = found
    return found.copy()  # the caller may append per-answer headers


def _cookie_header(cookie: Cookie) -> bytes:
    jar: SimpleCookie = SimpleCookie()
    jar[cookie.name] = cookie.value
    morsel = jar[cookie.name]
    morsel["path"] = cookie.path
    morsel["samesite"] = cookie.same_site
    if cookie.max_age is not None:
        morsel["max-age"] = str(cookie.max_age)
    if cookie.http_only:
        morsel["httponly"] = True
    if cookie.secure:
        morsel["secure"] = True
    return morsel.OutputString().encode("latin-1")


async def _send_bytes(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _send_json(
    send: Send, status: int, body: Any, headers: dict[str, str], cookies: list[Cookie] | None = None
) -> None:
    encoded = _encode(body)  # first, so an encoding failure can still become an error answer
    raw = _raw_headers(headers, "application/json")
    # One body message with its length: no chunked framing for an answer that is complete.
    raw.append((b"content-length", str(len(encoded)).encode()))
    for cookie in cookies or ():
        raw.append((b"set-cookie", _cookie_header(cookie)))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": encoded})

