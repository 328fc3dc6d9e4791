"""Response envelopes and status codes of the tRPC wire protocol (wire spec sections 5 and 6)."""

from __future__ import annotations

import traceback
from typing import Any

from app import superjson
from app.errors import TRPCError, as_trpc_error

__all__ = ["as_trpc_error", "batch_status", "encode_value", "error_envelope", "error_shape", "result_envelope"]


def error_shape(error: TRPCError, path: str | None, debug: bool, cause: BaseException | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"code": error.code, "httpStatus": error.http_status}
    if path is not None:
        data["path"] = path
    data.update(error.data)
    if debug:
        data["stack"] = "".join(traceback.format_exception(cause or error))
    return {"message": error.message, "code": error.json_rpc_code, "data": data}


def encode_value(value: Any, use_superjson: bool) -> Any:
    """`result.data` for a value: a superjson envelope, or the plain value."""
    return superjson.encode(value) if use_superjson else superjson.plain(value)


def result_envelope(value: Any, use_superjson: bool) -> dict[str, Any]:
    if value is superjson.MISSING and not use_superjson:
        return {"result": {}}  # JSON.stringify leaves an undefined `data` out
    return {"result": {"data": encode_value(value, use_superjson)}}


def error_envelope(shape: dict[str, Any], use_superjson: bool) -> dict[str, Any]:
    return {"error": {"json": shape} if use_superjson else shape}


def batch_status(statuses: list[int]) -> int:
    """All equal: that status; otherwise 207 Multi-Status."""
    first = statuses[0]
    return first if all(status == first for status in statuses) else 207
