"""The procedure registry: every procedure declared once, beside its handler.

    @procedure("tickets.get", "query", scope="ticket:read")
    async def get_ticket(ctx: Context, input: TicketId) -> Ticket: ...

The input and output types are read from the handler's annotations (msgspec Structs), so the
declaration cannot drift from the code. Who may call (public, minimum role, API-key scope) and what
the plan must include (feature, metering) are data on the declaration, turned into guards
(`app.guards`) once here and enforced by `app.calls`, never checked by hand in a handler.
"""

from __future__ import annotations

import importlib
import inspect
import typing

import msgspec
import msgspec.inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from app.guards import Feature, Guard, InputGuard, Role, declared_guards, plan_feature_for

ProcedureKind = Literal["query", "mutation", "subscription"]
# Whether the call needs to know its caller: "required" refuses anonymous calls; "optional" looks
# (a login likes to know the session it replaces) but lets anyone in; "none" never looks.
Identify = Literal["required", "optional", "none"]

__all__ = ["REGISTRY", "Feature", "Identify", "Procedure", "ProcedureKind", "Role", "load_procedures", "procedure"]

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
    "procedures.feedback",
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
    takes_input: bool = True  # False for `async def handler(ctx)`
    identify: Identify = "required"
    guards: tuple[Guard, ...] = ()  # checked in order once the caller is known
    input_guards: tuple[InputGuard, ...] = ()  # checked in order once the input is decoded

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
    feature_for: Callable[[Any], Feature] | None = None,
    identify: Identify | None = None,
    guards: tuple[Guard, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated handler `async def handler(ctx, input) -> Output` under `path`.

    `feature_for` maps the input to the plan feature it needs; `guards` are further checks of the
    procedure's own, run after the declared ones; `identify` defaults to "none" for a public
    procedure and "required" otherwise."""

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
            takes_input=len(parameters) > 1,
            identify=identify or ("none" if public else "required"),
            guards=(*declared_guards(role, scope, feature, public), *guards),
            input_guards=(plan_feature_for(feature_for),) if feature_for is not None else (),
        )
        return handler

    return register


def load_procedures(extra_modules: tuple[str, ...] = ()) -> dict[str, Procedure]:
    """Import every procedure module (registering its procedures) and return the registry."""
    for name in (*PROCEDURE_MODULES, *extra_modules):
        importlib.import_module(name)
    return REGISTRY


def input_struct(procedure: Procedure) -> msgspec.inspect.StructType | None:
    """The fields of the procedure's input, when it is a Struct (an Annotated one included)."""
    if procedure.input_type is None or not procedure.takes_input:
        return None
    info = msgspec.inspect.type_info(procedure.input_type)
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    return info if isinstance(info, msgspec.inspect.StructType) else None


def row_id_fields(procedure: Procedure) -> tuple[str, ...]:
    """The input fields that name a row of the caller's organization: UUIDs called `id` or
    `...Id` (ticketId, assigneeId, suggestionId, ...). Derived from the input type, so a new
    procedure is covered by the tenancy tests and documented with NOT_FOUND without declaring it."""
    info = input_struct(procedure)
    if info is None:
        return ()
    return tuple(
        field.encode_name
        for field in info.fields
        if (field.encode_name == "id" or field.encode_name.endswith("Id")) and _is_uuid(field.type)
    )


def _is_uuid(kind: msgspec.inspect.Type) -> bool:
    if isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    if isinstance(kind, msgspec.inspect.UnionType):
        return any(_is_uuid(member) for member in kind.types)
    return isinstance(kind, msgspec.inspect.UUIDType)
