"""A scriptable OpenAI-compatible server for tests: chat completions and embeddings over real HTTP.

The server runs uvicorn on 127.0.0.1 (free port) in a daemon thread with its own event loop, so a
stalled response never blocks the test's loop and litellm talks to it exactly as to a provider.
One server serves the whole test session; the `fake_openai` fixture clears its script and its
request log around every test.

Scripting: queue steps, consumed one per request, oldest first; when the queue is empty the
server answers with valid JSON generated from the schema the request asked for.

    fake_openai.queue_chat(http_error(500), text_answer("{not json"), valid_answer())
    fake_openai.queue_embeddings(http_error(429, retry_after=0))
    fake_openai.chat_requests  # the JSON bodies received, oldest first
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

JsonObject = dict[str, Any]


# ---- steps: what the server does with one request -----------------------------------------


@dataclass(frozen=True)
class ValidAnswer:
    """Answer with a minimal instance of the JSON schema the request asked for."""


@dataclass(frozen=True)
class JsonAnswer:
    """Answer with this value encoded as JSON; a callable receives the request body first."""

    value: Any | Callable[[JsonObject], Any]


@dataclass(frozen=True)
class TextAnswer:
    """Answer with this exact content (for example malformed JSON)."""

    text: str


@dataclass(frozen=True)
class HttpError:
    status: int
    retry_after: float | None = None
    message: str = "fake provider error"


@dataclass(frozen=True)
class Stall:
    """Wait (longer than the client's timeout), then carry out `then`."""

    seconds: float
    then: Step = field(default_factory=ValidAnswer)


@dataclass(frozen=True)
class StreamAnswer:
    """For a `stream: true` request: send `text` in word-sized chunks, `delay` seconds apart, as
    server-sent events ending with a usage chunk and `[DONE]`. `fail_after` ends the stream
    abruptly after that many chunks, as a provider that drops the connection."""

    text: str
    delay: float = 0.0
    fail_after: int | None = None


Step = ValidAnswer | JsonAnswer | TextAnswer | HttpError | Stall | StreamAnswer


def valid_answer() -> Step:
    return ValidAnswer()


def json_answer(value: Any | Callable[[JsonObject], Any]) -> Step:
    return JsonAnswer(value)


def text_answer(text: str) -> Step:
    return TextAnswer(text)


def http_error(status: int, retry_after: float | None = None, message: str = "fake provider error") -> Step:
    return HttpError(status, retry_after, message)


def stall(seconds: float, then: Step | None = None) -> Step:
    return Stall(seconds, then if then is not None else ValidAnswer())


def stream_answer(text: str, delay: float = 0.0, fail_after: int | None = None) -> Step:
    return StreamAnswer(text, delay, fail_after)


# ---- answers generated from a JSON schema --------------------------------------------------


def example_for_schema(schema: JsonObject, defs: JsonObject | None = None) -> Any:
    """The smallest instance of `schema` this server can think of; covers what msgspec emits."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return example_for_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [option for option in schema[key] if option.get("type") != "null"]
            return example_for_schema((options or schema[key])[0], defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {name: example_for_schema(sub, defs) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        return [example_for_schema(schema.get("items", {}), defs) for _ in range(count)]
    if kind in ("number", "integer"):
        low = _bound(schema, ("minimum", "exclusiveMinimum"), 0.0)
        high = _bound(schema, ("maximum", "exclusiveMaximum"), low + 1)
        middle = (low + high) / 2
        return int(middle) if kind == "integer" else middle
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "example"


def _bound(schema: JsonObject, keys: tuple[str, ...], default: float) -> float:
    return next((float(schema[key]) for key in keys if key in schema), default)


def requested_schema(body: JsonObject) -> JsonObject:
    response_format = body.get("response_format") or {}
    return (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}


# ---- the server -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: JsonObject
    headers: dict[str, str]


def _count_tokens(text: str) -> int:
    return max(1, len(text.split()))


def _message_text(message: JsonObject) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else json.dumps(content)


def _vector(text: str, dimensions: int) -> list[float]:
    # Deterministic per text, so tests can compare vectors; bytes repeat past 32 dimensions.
    digest = hashlib.sha256(text.encode()).digest()
    return [digest[i % len(digest)] / 255 - 0.5 for i in range(dimensions)]


class FakeOpenAI:
    """The test-facing handle: script the next answers, read what was received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chat_steps: deque[Step] = deque()
        self._embedding_steps: deque[Step] = deque()
        self._requests: list[RecordedRequest] = []
        # How each streamed answer ended: "completed", or "closed" when the client hung up first.
        self._stream_endings: list[str] = []
        self.port = 0
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
            ]
        )

    # -- scripting and inspection (test thread) --

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue_chat(self, *steps: Step) -> None:
        with self._lock:
            self._chat_steps.extend(steps)

    def queue_embeddings(self, *steps: Step) -> None:
        with self._lock:
            self._embedding_steps.extend(steps)

    def reset(self) -> None:
        with self._lock:
            self._chat_steps.clear()
            self._embedding_steps.clear()
            self._requests.clear()
            self._stream_endings.clear()

    @property
    def stream_endings(self) -> list[str]:
        with self._lock:
            return list(self._stream_endings)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[JsonObject]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def embedding_requests(self) -> list[JsonObject]:
        return [r.body for r in self.requests if r.path.endswith("/embeddings")]

    @property
    def chat_models(self) -> list[str]:
        """The model named by each chat request, in order: shows retries and fallbacks."""
        return [body["model"] for body in self.chat_requests]

    # -- handlers (server thread) --

    def _record_and_pop(self, request: Request, body: JsonObject, steps: deque[Step]) -> Step:
        with self._lock:
            self._requests.append(RecordedRequest(request.url.path, body, dict(request.headers)))
            return steps.popleft() if steps else ValidAnswer()

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        step = self._record_and_pop(request, body, self._chat_steps)
        return await self._chat_response(step, body)

    async def _chat_response(self, step: Step, body: JsonObject) -> Response:
        if isinstance(step, Stall):
            await _sleep_unless_shutting_down(step.seconds)
            return await self._chat_response(step.then, body)
        if isinstance(step, HttpError):
            return _error_response(step)
        if body.get("stream"):
            answer = step if isinstance(step, StreamAnswer) else StreamAnswer("Thank you for writing to us.")
            return StreamingResponse(self._stream(answer, body), media_type="text/event-stream")
        if isinstance(step, TextAnswer):
            content = step.text
        elif isinstance(step, JsonAnswer):
            value = step.value(body) if callable(step.value) else step.value
            content = json.dumps(value, ensure_ascii=False)
        else:
            content = json.dumps(example_for_schema(requested_schema(body)))
        prompt_tokens = sum(_count_tokens(_message_text(m)) for m in body.get("messages", []))
        completion_tokens = _count_tokens(content)
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    async def _stream(self, answer: StreamAnswer, body: JsonObject) -> Any:
        words = answer.text.split(" ")
        pieces = [word if i == 0 else " " + word for i, word in enumerate(words)]
        created = int(time.time())
        identity = f"chatcmpl-{uuid.uuid4().hex}"

        def event(delta: JsonObject, finish: str | None = None, usage: JsonObject | None = None) -> bytes:
            chunk: JsonObject = {
                "id": identity,
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.get("model", "fake"),
                "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if usage:
                chunk["usage"] = usage
            return f"data: {json.dumps(chunk)}\n\n".encode()

        ending = "closed"
        try:
            for index, piece in enumerate(pieces):
                if answer.fail_after is not None and index >= answer.fail_after:
                    ending = "failed"
                    raise ConnectionAbortedError("the fake provider drops the stream")
                yield event({"content": piece} if index else {"role": "assistant", "content": piece})
                if answer.delay:
                    await asyncio.sleep(answer.delay)
            yield event({}, finish="stop")
            if (body.get("stream_options") or {}).get("include_usage"):
                prompt_tokens = sum(_count_tokens(_message_text(m)) for m in body.get("messages", []))
                completion_tokens = _count_tokens(answer.text)
                yield event({}, usage={
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                })
            yield b"data: [DONE]\n\n"
            ending = "completed"
        finally:
            with self._lock:
                self._stream_endings.append(ending)

    async def _embeddings(self, request: Request) -> Response:
        body = await request.json()
        step = self._record_and_pop(request, body, self._embedding_steps)
        while isinstance(step, Stall):
            await _sleep_unless_shutting_down(step.seconds)
            step = step.then
        if isinstance(step, HttpError):
            return _error_response(step)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dimensions = int(body.get("dimensions") or 8)
        if body.get("encoding_format") == "base64":
            return _error_response(HttpError(400, message="this fake answers floats only"))
        prompt_tokens = sum(_count_tokens(str(text)) for text in inputs)
        return JSONResponse(
            {
                "object": "list",
                "model": body.get("model", "fake"),
                "data": [
                    {"object": "embedding", "index": i, "embedding": _vector(str(text), dimensions)}
                    for i, text in enumerate(inputs)
                ],
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
            }
        )


async def _sleep_unless_shutting_down(seconds: float) -> None:
    # The client gave up long ago when the server shuts down; end quietly instead of logging a
    # cancelled task as an application error.
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(seconds)


def _error_response(step: HttpError) -> Response:
    headers = {"retry-after": str(step.retry_after)} if step.retry_after is not None else {}
    return JSONResponse(
        {"error": {"message": step.message, "type": "fake_error", "code": str(step.status)}},
        status_code=step.status,
        headers=headers,
    )


# ---- one server per test session ------------------------------------------------------------

_shared: FakeOpenAI | None = None
_shared_lock = threading.Lock()


def _start(fake: FakeOpenAI) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    fake.port = sock.getsockname()[1]
    config = uvicorn.Config(
        fake.app,
        log_level="warning",
        lifespan="off",
        # A stalled handler may still be sleeping when the tests end: give it a moment, no more.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="fake-openai")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)

    atexit.register(stop)


def shared_fake_openai() -> FakeOpenAI:
    """The session's server, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            fake = FakeOpenAI()
            _start(fake)
            _shared = fake
        return _shared


def start_app_on_fake_provider(database_url: str, fake: FakeOpenAI, **extra_env: str) -> Any:
    """The live test server with `openai/gpt-test` served by `fake`, and no retries, so a
    scripted failure is the answer."""
    from tests.support.servers import start_app

    return start_app(
        database_url,
        AI_MODEL="openai/gpt-test",
        OPENAI_API_BASE=fake.base_url,
        OPENAI_API_KEY="sk-fake",
        AI_NUM_RETRIES="0",
        **extra_env,
    )


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running fake OpenAI server with an empty script and an empty request log."""
    fake = shared_fake_openai()
    fake.reset()
    yield fake
    fake.reset()
