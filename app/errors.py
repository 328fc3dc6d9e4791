"""tRPC errors: the one exception type a handler raises to answer with an error.

The code names, JSON-RPC numbers and HTTP statuses are tRPC v11's (see the wire spec, section 5).
Several names share -32603, so the shape always carries `data.code` and `data.httpStatus` too.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

log = logging.getLogger("app.trpc")

ErrorCode = Literal[
    "PARSE_ERROR",
    "BAD_REQUEST",
    "UNAUTHORIZED",
    "PAYMENT_REQUIRED",
    "FORBIDDEN",
    "NOT_FOUND",
    "METHOD_NOT_SUPPORTED",
    "TIMEOUT",
    "CONFLICT",
    "PRECONDITION_FAILED",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "UNPROCESSABLE_CONTENT",
    "PRECONDITION_REQUIRED",
    "TOO_MANY_REQUESTS",
    "CLIENT_CLOSED_REQUEST",
    "INTERNAL_SERVER_ERROR",
    "NOT_IMPLEMENTED",
    "BAD_GATEWAY",
    "SERVICE_UNAVAILABLE",
    "GATEWAY_TIMEOUT",
]

# name -> (JSON-RPC code, HTTP status)
ERROR_CODES: dict[str, tuple[int, int]] = {
    "PARSE_ERROR": (-32700, 400),
    "BAD_REQUEST": (-32600, 400),
    "UNAUTHORIZED": (-32001, 401),
    "PAYMENT_REQUIRED": (-32002, 402),
    "FORBIDDEN": (-32003, 403),
    "NOT_FOUND": (-32004, 404),
    "METHOD_NOT_SUPPORTED": (-32005, 405),
    "TIMEOUT": (-32008, 408),
    "CONFLICT": (-32009, 409),
    "PRECONDITION_FAILED": (-32012, 412),
    "PAYLOAD_TOO_LARGE": (-32013, 413),
    "UNSUPPORTED_MEDIA_TYPE": (-32015, 415),
    "UNPROCESSABLE_CONTENT": (-32022, 422),
    "PRECONDITION_REQUIRED": (-32028, 428),
    "TOO_MANY_REQUESTS": (-32029, 429),
    "CLIENT_CLOSED_REQUEST": (-32099, 499),
    "INTERNAL_SERVER_ERROR": (-32603, 500),
    "NOT_IMPLEMENTED": (-32603, 501),
    "BAD_GATEWAY": (-32603, 502),
    "SERVICE_UNAVAILABLE": (-32603, 503),
    "GATEWAY_TIMEOUT": (-32603, 504),
}


class TRPCError(Exception):
    """An error with a tRPC code. `data` is merged into the shape's `data` (for example the quota's
    limit and reset time); `headers` go on a non-batched response (for example Retry-After)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or code)
        self.code: ErrorCode = code
        self.message = message or code
        self.data = data or {}
        self.headers = headers or {}

    @property
    def http_status(self) -> int:
        return ERROR_CODES[self.code][1]

    @property
    def json_rpc_code(self) -> int:
        return ERROR_CODES[self.code][0]


def not_found(what: str = "Resource") -> TRPCError:
    return TRPCError("NOT_FOUND", f"{what} not found")


def as_trpc_error(error: BaseException, debug: bool) -> TRPCError:
    """The error a client sees for any exception a call raised."""
    if isinstance(error, TRPCError):
        return error
    from app.database import DATABASE_OUTAGES, DATABASE_RETRY_AFTER_SECONDS  # asyncpg stays out of this module

    if isinstance(error, DATABASE_OUTAGES):
        log.warning("database unavailable: %s: %s", type(error).__name__, error)
        return TRPCError(
            "SERVICE_UNAVAILABLE",
            "The database is unavailable; retry shortly",
            headers={"retry-after": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    log.exception("unhandled error in a procedure", exc_info=error)
    # Outside debug mode an unexpected error says nothing of its cause: messages of libraries
    # (database, model providers) can carry hosts, keys or customer data.
    message = f"{type(error).__name__}: {error}" if debug else "Internal server error"
    return TRPCError("INTERNAL_SERVER_ERROR", message)
