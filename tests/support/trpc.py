"""A small tRPC client for Python tests: superjson envelopes, cookies, real HTTP.

    client = TRPCClient(live_server.url)
    client.mutation("auth.login", {"email": ..., "password": ...})
    me = client.query("auth.me")
    with pytest.raises(TRPCClientError) as caught: client.query("tickets.get", {"id": random_id})
    assert caught.value.code == "NOT_FOUND"

The cookie jar of the underlying httpx.Client keeps the session between calls, as a browser would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app import superjson


class TRPCClientError(Exception):
    def __init__(self, status: int, shape: dict[str, Any], headers: httpx.Headers) -> None:
        super().__init__(shape.get("message"))
        self.status = status
        self.shape = shape
        self.message: str = shape.get("message", "")
        self.data: dict[str, Any] = shape.get("data", {})
        self.code: str = self.data.get("code", "")
        self.headers = headers

    def __repr__(self) -> str:
        return f"TRPCClientError({self.code}, {self.message!r}, status={self.status})"


def _decode_result(item: dict[str, Any], status: int, headers: httpx.Headers) -> Any:
    if "error" in item:
        shape = item["error"]
        if isinstance(shape, dict) and "json" in shape:
            shape = superjson.decode(shape)
        raise TRPCClientError(status, shape, headers)
    data = item["result"]["data"]
    return superjson.decode(data) if superjson.is_envelope(data) else data


class TRPCClient:
    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        self.http = httpx.Client(base_url=base_url, headers=headers or {}, timeout=timeout)
        self.last_response: httpx.Response | None = None

    @property
    def response(self) -> httpx.Response:
        """The answer to the last call (there must have been one)."""
        assert self.last_response is not None, "no call was made yet"
        return self.last_response

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> TRPCClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @staticmethod
    def _envelope(value: Any) -> dict[str, Any]:
        return superjson.UNDEFINED_ENVELOPE if value is None else superjson.encode(value)

    def query(self, path: str, value: Any = None, **request: Any) -> Any:
        params = {"input": json.dumps(self._envelope(value))}
        response = self.http.get(f"/api/trpc/{path}", params=params, **request)
        return self._finish(response)

    def mutation(self, path: str, value: Any = None, **request: Any) -> Any:
        response = self.http.post(f"/api/trpc/{path}", json=self._envelope(value), **request)
        return self._finish(response)

    def call(self, kind: str, path: str, value: Any = None, **request: Any) -> Any:
        return self.query(path, value, **request) if kind == "query" else self.mutation(path, value, **request)

    def _finish(self, response: httpx.Response) -> Any:
        self.last_response = response
        return _decode_result(response.json(), response.status_code, response.headers)

    def batch(self, kind: str, calls: list[tuple[str, Any]]) -> list[Any | TRPCClientError]:
        """Several calls in one request; each item is the value or the TRPCClientError."""
        paths = ",".join(path for path, _ in calls)
        inputs = {str(index): self._envelope(value) for index, (_, value) in enumerate(calls)}
        if kind == "query":
            response = self.http.get(f"/api/trpc/{paths}", params={"batch": "1", "input": json.dumps(inputs)})
        else:
            response = self.http.post(f"/api/trpc/{paths}", params={"batch": "1"}, json=inputs)
        self.last_response = response
        results: list[Any | TRPCClientError] = []
        for item in response.json():
            try:
                results.append(_decode_result(item, response.status_code, response.headers))
            except TRPCClientError as error:
                results.append(error)
        return results


def error_of(call: Callable[..., object], *args: object, **kwargs: object) -> TRPCClientError:
    """The TRPCClientError that `call(*args, **kwargs)` raises (the test fails if it raises none)."""
    with pytest.raises(TRPCClientError) as caught:
        call(*args, **kwargs)
    return caught.value
