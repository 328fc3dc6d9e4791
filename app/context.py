"""What a handler receives besides its input: who calls, for which organization, and the services.

A handler never sees HTTP. What it may need of the request (the session cookie for `auth.*`, the
client address for login throttling) arrives as plain values in `RequestInfo`, and what it wants
to send back beyond its output (a cookie to set or clear) it records on `ResponseEffects`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from app.roles import Role

if TYPE_CHECKING:
    import asyncpg

    from app.ai.interface import Engine
    from app.config import Settings


@dataclass(frozen=True, slots=True)
class Caller:
    org_id: UUID
    user_id: UUID | None  # None for an API key
    role: Role
    plan: str
    ai_features: Literal["none", "basic", "full"]
    # API-key scopes; None for a browser session, which is governed by its role alone.
    scopes: frozenset[str] | None = None
    session_id: UUID | None = None
    api_key_id: UUID | None = None

    @property
    def usage_subject(self) -> str:
        """Whose request rate this is: the user, or the key for server-to-server calls."""
        return f"user:{self.user_id}" if self.user_id is not None else f"key:{self.api_key_id}"


@dataclass(slots=True)
class RequestInfo:
    method: str
    headers: dict[str, str]  # lower-case names
    cookies: dict[str, str]
    client_address: str | None
    # False when an Origin header names a site that is neither this host nor an allowed origin.
    origin_trusted: bool
    # False when the answer is streamed (JSON lines, server-sent events): its headers are sent
    # before any call ends, so no call can set a cookie.
    cookies_deliverable: bool
    # Authentication runs once per HTTP request, however many calls a batch holds.
    caller_task: Any = None


@dataclass(slots=True)
class Cookie:
    name: str
    value: str
    max_age: int | None  # None: a session cookie; 0: delete
    http_only: bool = True
    same_site: str = "lax"
    secure: bool = True
    path: str = "/"


@dataclass(slots=True)
class ResponseEffects:
    """What the calls of one request add to its answer beyond their outputs: cookies. (A call's
    own headers, such as Retry-After, travel with its error: TRPCError.headers.)"""

    cookies: list[Cookie] = field(default_factory=list)


@dataclass(slots=True)
class Services:
    """Process-wide services, built once in the lifespan handler."""

    settings: Settings
    pool: asyncpg.Pool | None
    local_engine: Engine | None = None
    hosted_engine: Engine | None = None
    version: str = "0.0.0"
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Context:
    services: Services
    request: RequestInfo
    path: str
    effects: ResponseEffects
    caller: Caller | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def pool(self) -> asyncpg.Pool:
        if self.services.pool is None:
            from app.errors import TRPCError

            raise TRPCError("SERVICE_UNAVAILABLE", "Database unavailable")
        return self.services.pool

    def require_caller(self) -> Caller:
        if self.caller is None:
            from app.errors import TRPCError

            raise TRPCError("UNAUTHORIZED", "Not signed in")
        return self.caller
