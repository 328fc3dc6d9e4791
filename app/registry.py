"""The procedure registry: every procedure declared once, beside its handler.

    @procedure("tickets.get", "query", scope="ticket:read")
    async def get_ticket(ctx: Context, input: TicketId) -> Ticket: ...

The input and output types are read from the handler's annotations (msgspec Structs), so the
declaration cannot drift from the code. Who may call (public, minimum role, API-key scope) and what
the plan must include (feature, metering) are data on the Procedure, enforced by `app.calls`, never
checked by hand in a handler.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from app.roles import Role

ProcedureKind = Literal["query", "mutation", "subscription"]
Feature = Literal["basic", "full"]

ROLE_RANK: dict[str, int] = {"viewer": 0, "agent": 1, "admin": 2}

# The modules whose import registers the product's procedures, in catalog order.
PROCEDURE_MODULES: tuple[str, ...] = (
    "procedures.system",
    "procedures.auth",
    "procedures.tickets",
    "procedures.articles",
    "procedures.users",
    "procedures.api_keys",
    "procedures.org",
    "procedures.ai",
)


@dataclass(frozen=True, slots=True)
class Procedure:
    path: str
    kind: ProcedureKind
    handler: Callable[..., Awaitable[Any]] | Callable[..., AsyncIterator[Any]]
    input_type: Any  # None when the procedure takes no input
    output_type: Any
    public: bool = False  # callable without a session or key
    role: Role = "viewer"  # minimum role inside the organization
    scope: str | None = None  # API-key scope required (sessions are governed by role alone)
    feature: Feature | None = None  # plan feature required; AI procedures only
    metered: bool = False  # counts one AI operation against the period's quota
    rate_limited: bool = False  # counts against the per-user AI request rate
    takes_id: tuple[str, ...] = ()  # input fields that name a tenant-owned row (for tenancy tests)
    takes_input: bool = True  # False for `async def handler(ctx)`
    # For a procedure whose plan feature depends on its input (ai.run's actions): input -> feature.
    feature_for: Callable[[Any], Feature] | None = None

    def invoke(self, context: Any, value: Any) -> Any:
        return self.handler(context, value) if self.takes_input else self.handler(context)


REGISTRY: dict[str, Procedure] = {}


def procedure(
    path: str,
    kind: ProcedureKind,
    *,
    public: bool = False,
    role: Role = "viewer",
    scope: str | None = None,
    feature: Feature | None = None,
    metered: bool = False,
    rate_limited: bool | None = None,
    takes_id: tuple[str, ...] = (),
    feature_for: Callable[[Any], Feature] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated handler `async def handler(ctx, input) -> Output` under `path`."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        if path in REGISTRY:
            raise ValueError(f"procedure {path!r} is declared twice")
        hints = typing.get_type_hints(handler)
        parameters = list(inspect.signature(handler).parameters)
        input_type = hints.get(parameters[1]) if len(parameters) > 1 else None
        output_type = hints.get("return")
        REGISTRY[path] = Procedure(
            path=path,
            kind=kind,
            handler=handler,
            input_type=input_type,
            output_type=output_type,
            public=public,
            role=role,
            scope=scope,
            feature=feature,
            metered=metered,
            rate_limited=metered if rate_limited is None else rate_limited,
            takes_id=takes_id,
            takes_input=len(parameters) > 1,
            feature_for=feature_for,
        )
        return handler

    return register


def load_procedures(extra_modules: tuple[str, ...] = ()) -> dict[str, Procedure]:
    """Import every procedure module (registering its procedures) and return the registry."""
    for name in (*PROCEDURE_MODULES, *extra_modules):
        importlib.import_module(name)
    return REGISTRY
