"""Guards: what a procedure requires of its caller, as small composable checks.

A declaration's data (`role=`, `scope=`, `feature=`, `feature_for=`) becomes a tuple of guards once,
when the procedure is registered, and `app.calls` runs them in order for every call, as tRPC's
`.use()` middlewares run before a resolver. A procedure that needs something else passes its own
with `guards=(...)`. A guard raises a TRPCError to refuse; it never reads the database, so the
order "who calls, may they, is the input valid, then meter and run" costs nothing per guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from app.errors import TRPCError
from app.roles import Role

if TYPE_CHECKING:
    from app.context import Context

Feature = Literal["basic", "full"]

ROLE_RANK: dict[str, int] = {"viewer": 0, "agent": 1, "admin": 2}
FEATURE_RANK: dict[str, int] = {"none": 0, "basic": 1, "full": 2}
# What each plan feature is called in a refusal; which plans include it is the `plans` table's say.
FEATURE_NAMES: dict[str, str] = {"basic": "basic AI features", "full": "full AI assist"}

# Checked once the caller is known, before the input is decoded.
Guard = Callable[["Context"], None]
# Checked after the input is decoded, for a requirement that depends on it.
InputGuard = Callable[["Context", Any], None]


def same_site_session(context: Context) -> None:
    """A browser session's call, query or mutation, must come from this site or an allowed origin
    (app.trpc.origin): a cookie alone is not proof that the user meant to send the request."""
    caller = context.caller
    if caller is not None and caller.session_id is not None and not context.request.origin_trusted:
        raise TRPCError("FORBIDDEN", "Cross-site request refused")


def at_least(role: Role) -> Guard:
    rank = ROLE_RANK[role]

    def guard(context: Context) -> None:
        if ROLE_RANK[context.caller.role] < rank:  # type: ignore[union-attr]
            raise TRPCError("FORBIDDEN", f"This needs the {role} role")

    return guard


def key_scope(scope: str) -> Guard:
    """An API key needs the scope (or `admin`, which includes every other); sessions are governed
    by their role alone."""

    def guard(context: Context) -> None:
        scopes = context.caller.scopes  # type: ignore[union-attr]
        if scopes is not None and scope not in scopes and "admin" not in scopes:
            raise TRPCError("FORBIDDEN", f"This API key lacks the {scope} scope")

    return guard


def require_feature(context: Context, feature: Feature) -> None:
    caller = context.caller
    if caller is not None and FEATURE_RANK[caller.ai_features] < FEATURE_RANK[feature]:
        raise TRPCError(
            "FORBIDDEN",
            f"Your {caller.plan} plan does not include {FEATURE_NAMES[feature]}",
            data={"plan": caller.plan, "feature": feature},
        )


def plan_feature(feature: Feature) -> Guard:
    def guard(context: Context) -> None:
        require_feature(context, feature)

    return guard


def plan_feature_for(feature_of: Callable[[Any], Feature]) -> InputGuard:
    """For a procedure whose plan feature depends on its input (ai.run's actions); checked before
    metering, so a refused call costs neither quota nor request rate."""

    def guard(context: Context, value: Any) -> None:
        require_feature(context, feature_of(value))

    return guard


def declared_guards(role: Role, scope: str | None, feature: Feature | None, public: bool) -> tuple[Guard, ...]:
    """The guards a declaration's data stands for, cheapest first."""
    if public:
        return ()
    guards: list[Guard] = [same_site_session]
    if role != "viewer":
        guards.append(at_least(role))
    if scope is not None:
        guards.append(key_scope(scope))
    if feature is not None:
        guards.append(plan_feature(feature))
    return tuple(guards)
