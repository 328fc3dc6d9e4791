"""One procedure call, from a raw decoded input to a typed output, whatever the transport.

The order is fixed and the same for every procedure: find it, establish the caller, check the
caller's rights (role, key scope, plan feature, cross-site), validate the input, then run the
handler, wrapped in metering when it is an AI operation. Handlers therefore start from a caller
that is allowed and an input that is valid.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from app.context import Caller, Context, RequestInfo, ResponseEffects, Services
from app.errors import TRPCError
from app.registry import REGISTRY, ROLE_RANK, Feature, Procedure
from app.superjson import MISSING

FEATURE_RANK = {"none": 0, "basic": 1, "full": 2}


def find_procedure(path: str) -> Procedure:
    found = REGISTRY.get(path)
    if found is None:
        raise TRPCError("NOT_FOUND", f'No procedure found on path "{path}"')
    return found


async def _authenticate_once(services: Services, request: RequestInfo) -> Caller | None:
    if services.authenticate is None:
        return None
    if request.caller_task is None:
        request.caller_task = asyncio.ensure_future(services.authenticate(services, request))
    return await asyncio.shield(request.caller_task)


def authorize(procedure: Procedure, caller: Caller, request: RequestInfo) -> None:
    # A browser session's call, query or mutation, must come from this site or an allowed origin
    # (app.trpc.origin): a cookie alone is not proof that the user meant to send the request.
    if caller.session_id is not None and not request.origin_trusted:
        raise TRPCError("FORBIDDEN", "Cross-site request refused")
    if ROLE_RANK[caller.role] < ROLE_RANK[procedure.role]:
        raise TRPCError("FORBIDDEN", f"This needs the {procedure.role} role")
    if caller.scopes is not None and procedure.scope is not None and procedure.scope not in caller.scopes:
        if "admin" not in caller.scopes:
            raise TRPCError("FORBIDDEN", f"This API key lacks the {procedure.scope} scope")
    if procedure.feature is not None:
        require_feature(caller, procedure.feature)


def require_feature(caller: Caller, feature: Feature) -> None:
    if FEATURE_RANK[caller.ai_features] < FEATURE_RANK[feature]:
        needed = "basic AI features (pro plan)" if feature == "basic" else "full AI assist (business plan)"
        raise TRPCError(
            "FORBIDDEN",
            f"Your {caller.plan} plan does not include {needed}",
            data={"plan": caller.plan, "feature": feature},
        )


def decode_input(procedure: Procedure, raw: Any) -> Any:
    if procedure.input_type is None:
        return None
    if procedure.input_type is Any:
        return raw  # free-form input, passed through as decoded (MISSING stays undefined)
    if raw is MISSING or raw is None:
        raw = {}
    try:
        return msgspec.convert(raw, procedure.input_type, strict=False)
    except msgspec.ValidationError as error:
        raise TRPCError("BAD_REQUEST", f"Invalid input: {error}", data={"issue": str(error)}) from None
    except RecursionError:
        raise TRPCError("BAD_REQUEST", "Input is nested too deeply") from None


async def prepare_call(
    services: Services, request: RequestInfo, procedure: Procedure, raw_input: Any, effects: ResponseEffects
) -> tuple[Context, Any]:
    context = Context(services=services, request=request, path=procedure.path, effects=effects)
    if not procedure.public:
        caller = await _authenticate_once(services, request)
        if caller is None:
            raise TRPCError("UNAUTHORIZED", "Sign in or send an API key")
        authorize(procedure, caller, request)
        context.caller = caller
    elif procedure.path.startswith("auth."):
        # Public auth procedures (login, logout) like to know an existing session, but a stale
        # or revoked cookie must not stop anyone from signing in again.
        try:
            context.caller = await _authenticate_once(services, request)
        except TRPCError:
            context.caller = None
    value = decode_input(procedure, raw_input)
    if procedure.feature_for is not None and context.caller is not None:
        # Checked before metering, so a refused call costs neither quota nor request rate.
        require_feature(context.caller, procedure.feature_for(value))
    return context, value


async def run_call(procedure: Procedure, context: Context, value: Any) -> Any:
    if procedure.metered or procedure.rate_limited:
        if context.services.meter is None:
            raise TRPCError("SERVICE_UNAVAILABLE", "Usage metering is not available")
        return await context.services.meter(context, procedure, lambda: procedure.invoke(context, value))
    return await procedure.invoke(context, value)


def open_subscription(procedure: Procedure, context: Context, value: Any) -> AsyncIterator[Any]:
    return procedure.invoke(context, value)  # type: ignore[no-any-return]
