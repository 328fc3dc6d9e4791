"""A per-process memory of recently authenticated credentials, for less than a second.

A page load fires several requests with the same cookie within milliseconds; each would read the
same session row. Remembering the answer for `SESSION_CACHE_MS` (at most 999 ms, default 500)
spares those reads while keeping the promise that a revocation holds in every worker within one
second. The worker that performs a revocation (logout, password change, deactivation, key
revocation) forgets the entries at once, so in that worker it holds from the next request.
Only successes are remembered: a failed credential is read again every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from app.context import Caller, Services

# Enough for every session active in one worker; past it the memory is simply emptied.
_MAX_ENTRIES = 10_000


@dataclass(slots=True)
class _Entry:
    caller: Caller
    expires_at: float


class CallerCache:
    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def get(self, credential: str) -> Caller | None:
        entry = self._entries.get(credential)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._entries[credential]
            return None
        return entry.caller

    def put(self, credential: str, caller: Caller) -> None:
        if self.ttl_seconds <= 0:
            return
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[credential] = _Entry(caller, self._clock() + self.ttl_seconds)

    def _forget(self, matches: Callable[[Caller], bool]) -> None:
        for credential in [credential for credential, entry in self._entries.items() if matches(entry.caller)]:
            del self._entries[credential]

    def forget_session(self, org_id: UUID, session_id: UUID) -> None:
        self._forget(lambda caller: caller.org_id == org_id and caller.session_id == session_id)

    def forget_user(self, org_id: UUID, user_id: UUID) -> None:
        self._forget(lambda caller: caller.org_id == org_id and caller.user_id == user_id)

    def forget_key(self, org_id: UUID, key_id: UUID) -> None:
        self._forget(lambda caller: caller.org_id == org_id and caller.api_key_id == key_id)


def caller_cache(services: Services) -> CallerCache:
    """This process's cache, kept on its Services (built once per worker)."""
    cache = services.extras.get("caller_cache")
    if cache is None:
        cache = services.extras["caller_cache"] = CallerCache(services.settings.session_cache_ms / 1000)
    return cache
