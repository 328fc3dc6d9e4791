"""One procedure call, from a parsed call to an outcome, whatever the transport.

`call_procedure` is the only way in, called from one place in the wire layer (as tRPC's core
calls `procedure({path, getRawInput, ctx, type})`). The order is fixed and the same for every
procedure:

1. find it by path (and refuse a call of the wrong kind for the HTTP method);
2. establish the caller (`app.auth.authenticate`), once per HTTP request;
3. run the declaration's guards (`app.guards`): cross-site, role, key scope, plan feature;
4. decode and validate the input (superjson, then the input type; no NUL in any string);
5. run the input-dependent guards;
6. run the handler, wrapped in metering (`app.usage.metering`) when it is an AI operation.

Handlers therefore start from a caller that is allowed and an input that is valid. Every failure
becomes the call's outcome, never an exception, so one bad call of a batch leaves the others be.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec

from app import superjson
from app.auth.authenticate import authenticate
from app.context import Caller, Context, RequestInfo, ResponseEffects, Services
from app.errors import TRPCError, as_trpc_error
from app.registry import REGISTRY, Procedure
from app.superjson import MISSING
from app.usage.metering import meter_call, meter_stream

_METHOD_FOR_KIND = {"query": "GET", "mutation": "POST", "subscription": "GET"}


@dataclass(slots=True)
class Call:
    """One call as the wire layer parsed it; nothing here has been checked against a procedure.
    The same Call may serve several requests (app.trpc.parse.parse_get_request): never change it."""

    path: str
    raw_input: Any  # the decoded JSON input, or MISSING when none was sent
    superjson: bool  # the input is a superjson envelope
    batched: bool
    may_hold_nul: bool = True  # False when the request's JSON holds no `\u0000` escape at all
    input_error: TRPCError | None = None  # the request's input was unreadable: the call fails with it


class Outcome:
    """The result of one call: a value (an async iterator for a subscription), or an error with the
    exception that caused it."""

    __slots__ = ("path", "value", "error", "cause")

    def __init__(self, path: str, value: Any = None, error: TRPCError | None = None, cause: BaseException | None = None):
        self.path = path
        self.value = value
        self.error = error
        self.cause = cause

    @property
    def status(self) -> int:
        return 200 if self.error is None else self.error.http_status


async def call_procedure(services: Services, request: RequestInfo, effects: ResponseEffects, call: Call) -> Outcome:
    try:
        if call.input_error is not None:
            raise call.input_error
        procedure = find_procedure(call.path)
        _check_kind(procedure, request.method, call.batched)
        context = Context(services, request, procedure.path, effects)
        if procedure.identify == "required":
            context.caller = await _authenticate_once(services, request)
            if context.caller is None:
                raise TRPCError("UNAUTHORIZED", "Sign in or send an API key")
        elif procedure.identify == "optional":
            # A stale or revoked credential must not stop anyone from, say, signing in again.
            try:
                context.caller = await _authenticate_once(services, request)
            except TRPCError:
                context.caller = None
        for guard in procedure.guards:
            guard(context)
        value = decode_input(procedure, call.raw_input, call.superjson, call.may_hold_nul)
        for input_guard in procedure.input_guards:
            input_guard(context, value)
        if procedure.kind == "subscription":
            stream = procedure.invoke(context, value)
            if procedure.metered or procedure.rate_limited:
                stream = meter_stream(context, procedure, stream)
            return Outcome(call.path, stream)
        if procedure.metered or procedure.rate_limited:
            return Outcome(call.path, await meter_call(context, procedure, lambda: procedure.invoke(context, value)))
        return Outcome(call.path, await procedure.invoke(context, value))
    except asyncio.CancelledError:
        raise
    except Exception as error:  # every failure of a call becomes that call's outcome
        return Outcome(call.path, error=as_trpc_error(error, services.settings.debug), cause=error)


def find_procedure(path: str) -> Procedure:
    found = REGISTRY.get(path)
    if found is None:
        raise TRPCError("NOT_FOUND", f'No procedure found on path "{path}"')
    return found


def _check_kind(procedure: Procedure, method: str, batched: bool) -> None:
    if procedure.kind == "subscription" and batched:
        raise TRPCError("BAD_REQUEST", "Cannot batch subscription calls")
    expected = _METHOD_FOR_KIND[procedure.kind]
    if method != expected:
        raise TRPCError(
            "METHOD_NOT_SUPPORTED",
            f'Unsupported {method}-request to {procedure.kind} procedure at path "{procedure.path}"',
            headers={"allow": expected},
        )


async def _authenticate_once(services: Services, request: RequestInfo) -> Caller | None:
    if request.caller_task is None:
        request.caller_task = asyncio.ensure_future(authenticate(services, request))
    return await asyncio.shield(request.caller_task)


def decode_input(procedure: Procedure, raw: Any, is_superjson: bool, may_hold_nul: bool = True) -> Any:
    if procedure.input_type is None:
        return None
    free_form = procedure.input_type is Any
    if raw is not MISSING and is_superjson:
        try:
            raw = superjson.decode(raw, free_form)
        except superjson.SuperjsonError as error:
            raise TRPCError("BAD_REQUEST", f"Invalid superjson input: {error}") from None
    if may_hold_nul:
        refuse_unstorable_text(raw)
    if free_form:
        return raw  # free-form input, passed through as decoded (MISSING stays undefined)
    if raw is MISSING or raw is None:
        raw = {}
    try:
        return msgspec.convert(raw, procedure.input_type, strict=False)
    except msgspec.ValidationError as error:
        raise TRPCError("BAD_REQUEST", f"Invalid input: {error}", data={"issue": str(error)}) from None
    except RecursionError:
        raise TRPCError("BAD_REQUEST", "Input is nested too deeply") from None


def refuse_unstorable_text(value: Any) -> None:
    """No string of any input may hold a NUL: PostgreSQL text cannot store it. Checked once here
    for every procedure, naming the field as msgspec names a field path. (Lone UTF-16 surrogates
    cannot arrive: the JSON decoder and the query-string decoder refuse them as PARSE_ERROR.)"""
    try:
        _check_text(value)
    except _NulFound as found:
        issue = f"String contains a NUL character - at `{found.path()}`"
        raise TRPCError("BAD_REQUEST", f"Invalid input: {issue}", data={"issue": issue}) from None
    except RecursionError:
        raise TRPCError("BAD_REQUEST", "Input is nested too deeply") from None


class _NulFound(Exception):
    def __init__(self) -> None:
        self.trail: list[str | int] = []  # innermost first, filled while unwinding

    def path(self) -> str:
        return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in reversed(self.trail))


def _check_text(value: Any) -> None:
    # The common inputs are small dicts of short strings: the type tests are ordered for them.
    if isinstance(value, str):
        if "\x00" in value:
            raise _NulFound
    elif isinstance(value, dict):
        for key, item in value.items():
            try:
                if isinstance(key, str) and "\x00" in key:
                    raise _NulFound
                _check_text(item)
            except _NulFound as found:
                found.trail.append(key)
                raise
    elif isinstance(value, list):
        for index, item in enumerate(value):
            try:
                _check_text(item)
            except _NulFound as found:
                found.trail.append(index)
                raise
