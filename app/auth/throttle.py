"""Login throttling: failed attempts per e-mail address and per client address, in PostgreSQL.

An attempt is recorded as a failure *before* its password is checked and forgotten again if the
password was right. Recording first, under a per-key advisory lock, is what makes the limit hold
when many attempts arrive at once, in one worker or in several: each one sees all the others.
A refused attempt records nothing, so hammering a blocked account does not extend its block and
`retryAfterSeconds` stays true.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from app.config import Settings
from app.errors import TRPCError

# Rows of keys that are never tried again are swept by an occasional attempt, not by a job.
_SWEEP_PROBABILITY = 0.01


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt provisionally counted as a failure; `succeeded` takes it back."""

    email_key: str
    address_key: str | None
    recorded_at: datetime


def _email_key(email: str) -> str:
    return "email:" + email.strip().lower()


def _address_key(client_address: str | None) -> str | None:
    return None if not client_address else "address:" + client_address


def _retry_after_seconds(failures: list[datetime], limit: int, window_seconds: int, now: datetime) -> int:
    # Blocked while `limit` failures lie inside the window: the block lifts when the oldest ones
    # that keep the count at the limit have left it.
    lifting = failures[len(failures) - limit]
    return max(1, math.ceil(lifting.timestamp() + window_seconds - now.timestamp()))


async def begin_attempt(pool: asyncpg.Pool, settings: Settings, email: str, client_address: str | None) -> Attempt:
    """Raise TOO_MANY_REQUESTS when the e-mail or the address has failed too often lately;
    otherwise record this attempt as a failure (until `attempt_succeeded`) and return it."""
    email_key = _email_key(email)
    address_key = _address_key(client_address)
    keys = [email_key] if address_key is None else [email_key, address_key]
    limits = {email_key: settings.login_max_failures}
    if address_key is not None:
        limits[address_key] = settings.login_max_failures_per_address
    window = settings.login_failure_window_seconds
    async with pool.acquire() as connection, connection.transaction():
        # Always the e-mail's lock before the address's: a fixed order cannot deadlock.
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(key, 7311947002)) FROM unnest($1::text[]) AS key",
            keys,
        )
        rows = await connection.fetch(
            """
            SELECT key, array_agg(failed_at ORDER BY failed_at) AS failures, now() AS now
            FROM login_failures
            WHERE key = ANY($1::text[]) AND failed_at > now() - make_interval(secs => $2)
            GROUP BY key
            """,
            keys,
            window,
        )
        for row in rows:
            limit = limits[row["key"]]
            if len(row["failures"]) >= limit:
                seconds = _retry_after_seconds(row["failures"], limit, window, row["now"])
                raise TRPCError(
                    "TOO_MANY_REQUESTS",
                    f"Too many failed sign-in attempts; try again in {seconds} seconds",
                    data={"retryAfterSeconds": seconds},
                    headers={"retry-after": str(seconds)},
                )
        recorded_at = await connection.fetchval(
            """
            WITH expired AS (
                DELETE FROM login_failures
                WHERE (key = ANY($1::text[]) OR $3) AND failed_at <= now() - make_interval(secs => $2)
            )
            INSERT INTO login_failures (key, failed_at)
            SELECT key, now() FROM unnest($1::text[]) AS key
            RETURNING failed_at
            """,
            keys,
            window,
            random.random() < _SWEEP_PROBABILITY,
        )
    return Attempt(email_key=email_key, address_key=address_key, recorded_at=recorded_at)


async def attempt_succeeded(pool: asyncpg.Pool, attempt: Attempt) -> None:
    """The password was right: the e-mail's failures are forgiven; the address keeps its other
    failures (one good account must not reset a guesser's count), only this attempt is removed."""
    await pool.execute(
        """
        DELETE FROM login_failures
        WHERE key = $1 OR (key = $2 AND failed_at = $3)
        """,
        attempt.email_key,
        attempt.address_key,
        attempt.recorded_at,
    )
