"""Turning an HTTP request into tRPC calls (wire spec sections 1 to 4 and 7).

Only what the URL, the headers and the body say is read here; nothing about procedures except
their kind, needed to refuse a batch that mixes queries and mutations.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote, unquote_plus

import msgspec

from app import superjson
from app.calls import Call
from app.errors import TRPCError
from app.superjson import MISSING

_MALFORMED_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NUL_ESCAPE = "\\u0000"
_NUL_ESCAPE_BYTES = _NUL_ESCAPE.encode()
_json_decoder = msgspec.json.Decoder()
Reader = TypeVar("Reader", bound=Callable[..., Any])


@dataclass(slots=True)
class ParsedRequest:
    """A request's calls as read from the wire. One may be shared between requests (see
    parse_get_request): nothing downstream changes it or its calls."""

    calls: list[Call]
    is_batch: bool
    use_superjson: bool
    wants_stream: bool


def _remembered_when_short(limit: int) -> Callable[[Reader], Reader]:
    """Remember what `read` gave for its recent (bytes, ...) arguments, when the bytes are at
    most `limit` long. Clients send the same few paths and query strings over and over; long
    ones are rare and not worth the memory. What is returned may be shared: never change it."""

    def decorate(read: Reader) -> Reader:
        remembered = functools.lru_cache(maxsize=1024)(read)

        @functools.wraps(read)
        def read_or_remember(raw: bytes, *rest: Any) -> Any:
            return remembered(raw, *rest) if len(raw) <= limit else read(raw, *rest)

        return read_or_remember  # type: ignore[return-value]

    return decorate


@_remembered_when_short(1024)
def decode_path(raw_path: bytes, prefix: str) -> str:
    text = raw_path.decode("latin-1")[len(prefix) :].lstrip("/")
    if "%" not in text:
        return text
    if _MALFORMED_ESCAPE.search(text):
        raise TRPCError("BAD_REQUEST", "Malformed percent-escape in the procedure path")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise TRPCError("BAD_REQUEST", "The procedure path is not valid UTF-8") from None


_READ_PARAMETERS = ("batch=", "input=")


def _form_decode(value: str) -> str:
    try:
        if not value.isascii():  # raw bytes past ASCII, read as latin-1 above: the UTF-8 they hold
            value = value.encode("latin-1").decode("utf-8")
        return unquote_plus(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise TRPCError("PARSE_ERROR", "The query string is not valid UTF-8") from None


@_remembered_when_short(2048)
def query_params(query_string: bytes) -> dict[str, str]:
    """The parameters tRPC reads (`batch`, `input`), form-decoded; others are ignored.

    Hand-rolled because this runs on every request and the general parser decodes every
    parameter a client's URL may carry."""
    params: dict[str, str] = {}
    for part in query_string.decode("latin-1").split("&"):
        if part.startswith(_READ_PARAMETERS):
            name, _, value = part.partition("=")
            if "%" in value or "+" in value or not value.isascii():
                value = _form_decode(value)
            params[name] = value
    return params


def check_json_content_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise TRPCError("UNSUPPORTED_MEDIA_TYPE", f'Unsupported content-type "{content_type or ""}"')


def _decode_json(text: bytes | str) -> Any:
    try:
        return _json_decoder.decode(text)
    except msgspec.DecodeError as error:
        raise TRPCError("PARSE_ERROR", f"Input is not valid JSON: {error}") from None
    except UnicodeDecodeError:
        raise TRPCError("PARSE_ERROR", "Input is not valid UTF-8") from None
    except RecursionError:
        raise TRPCError("BAD_REQUEST", "Input is nested too deeply") from None


def _uses_superjson(inputs: list[Any]) -> bool:
    # A superjson client wraps every input, even an absent one; a client without a transformer
    # sends plain JSON or nothing. So the inputs themselves say which encoding to answer in.
    for value in inputs:
        if value is not MISSING and superjson.is_envelope(value):
            return True
    return False


def asks_for_stream(headers: dict[str, str]) -> bool:
    """Whether the client wants JSON lines (httpBatchStreamLink), by tRPC's own accept header
    when it sends one, else by Accept."""
    return "application/jsonl" in (headers.get("trpc-accept") or headers.get("accept") or "")


def parse_request(
    method: str,
    path_text: str,
    params: dict[str, str],
    wants_stream: bool,
    body: bytes,
    max_batch_size: int,
) -> ParsedRequest:
    is_batch = params.get("batch") == "1"
    paths = path_text.split(",") if is_batch else [path_text]
    if is_batch and len(paths) > max_batch_size:
        raise TRPCError("PAYLOAD_TOO_LARGE", f"Batch of {len(paths)} calls exceeds the limit of {max_batch_size}")
    if wants_stream and not is_batch:
        raise TRPCError("BAD_REQUEST", "Streaming requests must be batched (you can do a batch of 1)")

    if method == "GET":
        text = params.get("input")
        source: bytes | str | None = text
    else:
        source = body if body else None

    input_error: TRPCError | None = None
    raw_inputs: list[Any] = [MISSING] * len(paths)
    # JSON cannot carry a raw NUL in a string, only the escape: without one, no input of this
    # request needs searching for NULs (app.calls.refuse_unstorable_text).
    if source is None:
        may_hold_nul = False
    elif isinstance(source, bytes):
        may_hold_nul = _NUL_ESCAPE_BYTES in source
    else:
        may_hold_nul = _NUL_ESCAPE in source
    if source is not None:
        try:
            decoded = _decode_json(source)
            if is_batch:
                if not isinstance(decoded, dict):
                    raise TRPCError("BAD_REQUEST", '"input" needs to be an object when doing a batch call')
                raw_inputs = [decoded.get(str(index), MISSING) for index in range(len(paths))]
            else:
                raw_inputs = [decoded]
        except TRPCError as error:
            input_error = error

    # An unreadable input gives no hint of the client's transformer; the official client with
    # superjson cannot read an unwrapped error, while a plain client still sees the message.
    use_superjson = True if input_error is not None else _uses_superjson(raw_inputs)
    calls = [Call(path, raw, use_superjson, is_batch, may_hold_nul, input_error) for path, raw in zip(paths, raw_inputs)]
    return ParsedRequest(calls=calls, is_batch=is_batch, use_superjson=use_superjson, wants_stream=wants_stream)


# A GET's parse depends on its URL and on whether it asks for a stream, nothing else, and a front
# end repeats the same few (the status poll, "who am I", the organization's settings): parsing
# one again costs more under load than the query behind it. A parse is kept, and the same
# ParsedRequest handed to later requests, only when nothing of it can be changed while a call
# runs (see _shareable). A full table starts over, as URLs with per-request values (a
# cache-busting `_=<time>` parameter, say) would otherwise fill it for good; such URLs simply
# never hit.
_SHARED_GET_PARSES: dict[tuple[bytes, bytes, bool, str, int], ParsedRequest] = {}
_SHARED_GET_PARSES_LIMIT = 1024
_SHAREABLE_URL_BYTES = 2048
_ATOMIC_TYPES = (str, int, float, bool, type(None))


def parse_get_request(
    raw_path: bytes, query_string: bytes, wants_stream: bool, prefix: str, max_batch_size: int
) -> ParsedRequest:
    """parse_request for a GET, answered from the table when this exact request was parsed before.
    What is returned may be shared with other requests: never change it."""
    key = (raw_path, query_string, wants_stream, prefix, max_batch_size)
    parsed = _SHARED_GET_PARSES.get(key)
    if parsed is not None:
        return parsed
    parsed = parse_request("GET", decode_path(raw_path, prefix), query_params(query_string), wants_stream, b"", max_batch_size)
    if len(raw_path) + len(query_string) <= _SHAREABLE_URL_BYTES and _shareable(parsed):
        if len(_SHARED_GET_PARSES) >= _SHARED_GET_PARSES_LIMIT:
            _SHARED_GET_PARSES.clear()
        _SHARED_GET_PARSES[key] = parsed
    return parsed


def _shareable(parsed: ParsedRequest) -> bool:
    # Decoding an input changes it in place (superjson converts annotated members where they
    # are), and a free-form input reaches its handler as it is: only inputs with no container
    # to change may be shared. An input error is an exception object, raised once per call (its
    # traceback grows with every raise), so a parse holding one is never shared.
    return all(call.input_error is None and _atomic_input(call.raw_input) for call in parsed.calls)


def _atomic_input(raw: Any) -> bool:
    if raw is MISSING or isinstance(raw, _ATOMIC_TYPES):
        return True
    # A superjson envelope is only read; its `json` member is what decoding may change.
    return superjson.is_envelope(raw) and isinstance(raw["json"], _ATOMIC_TYPES)
