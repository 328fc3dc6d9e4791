"""Provider errors as the litellm engine handles them: what may be said about one (never the
provider's message, which may quote a key), and how long to wait before retrying."""

from __future__ import annotations

import random


def status_code(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def describe_error(error: BaseException) -> str:
    """Class name and HTTP status only: provider messages may quote keys or request data."""
    status = status_code(error)
    return f"{type(error).__name__} (HTTP {status})" if status else type(error).__name__


def retry_after_seconds(error: BaseException) -> float | None:
    for headers in (
        getattr(error, "litellm_response_headers", None),
        getattr(getattr(error, "response", None), "headers", None),
    ):
        if headers is None:
            continue
        value = headers.get("retry-after") or headers.get("Retry-After")
        try:
            return max(0.0, float(value)) if value is not None else None
        except (TypeError, ValueError):
            return None  # an HTTP date: fall back to our own backoff
    return None


def backoff_delay(attempt: int, retry_after: float | None, base_s: float, cap_s: float) -> float:
    """Exponential backoff with jitter, at least Retry-After, never above the cap."""
    exponential = min(cap_s, base_s * 2**attempt)
    delay = random.uniform(exponential / 2, exponential)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(cap_s, delay)
