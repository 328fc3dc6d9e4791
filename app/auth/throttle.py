"""Login throttling, in PostgreSQL: growing delays per (e-mail, client address), and ceilings.

Three counts of failed attempts inside LOGIN_FAILURE_WINDOW_SECONDS, one row per failure and key:

- per (e-mail, address): the first LOGIN_MAX_FAILURES are free, then each further attempt must
  wait a delay that doubles with every failure (5 s, 10 s, 20 s, ... up to the window). This is
  what stops a guesser at one address, and it touches nobody else: the real user, signing in from
  their own address, is not slowed by an attack on their account from elsewhere.
- per address, over all e-mails (LOGIN_MAX_FAILURES_PER_ADDRESS): one address spraying many
  accounts is refused until its failures leave the window.
- per e-mail, over all addresses (LOGIN_MAX_FAILURES_PER_ACCOUNT, much higher): a guesser with
  many addresses is refused too, except from an address the account signed in from lately
  (a session created there in the last SESSION_LIFETIME_HOURS). So even a distributed attack
  cannot lock the owner out of their own account.

Unknown e-mails are counted exactly like known ones, so the answers never tell them apart.

An attempt is recorded as a failure *before* its password is checked and forgotten again if the
password was right. Recording first, under per-key advisory locks, is what makes the limits hold
when many attempts arrive at once, in one worker or in several: each one sees all the others.
A refused attempt records nothing, so hammering a blocked key does not extend its block and
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
# The wait after the first failure past the free ones; it doubles with each further failure.
FIRST_DELAY_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt provisionally counted as a failure; `attempt_succeeded` takes it back."""

    pair_key: str
    email_key: str
    address_key: str | None
    recorded_at: datetime


def _normal_email(email: str) -> str:
    return email.strip().lower()


def delay_seconds(failures: int, free: int, window_seconds: int) -> int:
    """How long after the latest failure the next attempt must wait, given `failures` so far."""
    if failures < free:
        return 0
    return min(window_seconds, FIRST_DELAY_SECONDS * 2 ** min(failures - free, 30))


def _refusal(seconds: int) -> TRPCError:
    seconds = max(1, seconds)
    return TRPCError(
        "TOO_MANY_REQUESTS",
        f"Too many failed sign-in attempts; try again in {seconds} seconds",
        data={"retryAfterSeconds": seconds},
        headers={"retry-after": str(seconds)},
    )


def _until(moment: datetime, now: datetime) -> int:
    return math.ceil(moment.timestamp() - now.timestamp())


def _ceiling_lifts_in(failures: list[datetime], limit: int, window_seconds: int, now: datetime) -> int:
    # Blocked while `limit` failures lie inside the window: the block lifts when the oldest ones
    # that keep the count at the limit have left it.
    return math.ceil(failures[len(failures) - limit].timestamp() + window_seconds - now.timestamp())


# Whether the account signed in from this address lately: a session row created from it. Run for
# unknown e-mails too (it then finds nothing), so both cost the same.
_KNOWN_ADDRESS_SQL = """
SELECT EXISTS (
    SELECT FROM users u JOIN sessions s ON s.org_id = u.org_id AND s.user_id = u.id
    WHERE lower(u.email) = $1 AND s.client_address = $2
      AND s.created_at > now() - make_interval(hours => $3)
)
"""


async def begin_attempt(pool: asyncpg.Pool, settings: Settings, email: str, client_address: str | None) -> Attempt:
    """Raise TOO_MANY_REQUESTS when this attempt must wait; otherwise record it as a failure
    (until `attempt_succeeded`) and return it."""
    normal = _normal_email(email)
    pair_key = f"pair:{normal}|{client_address or '-'}"
    email_key = "email:" + normal
    address_key = None if not client_address else "address:" + client_address
    keys = [pair_key, email_key] if address_key is None else [pair_key, email_key, address_key]
    window = settings.login_failure_window_seconds
    async with pool.acquire() as connection, connection.transaction():
        # Always in the same order (pair, e-mail, address): a fixed order cannot deadlock.
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
        failures = {row["key"]: row["failures"] for row in rows}
        now = rows[0]["now"] if rows else None
        if now is not None:
            _check_limits(settings, failures, pair_key, address_key, now)
            account_failures = failures.get(email_key, [])
            limit = settings.login_max_failures_per_account
            if len(account_failures) >= limit:
                known = client_address is not None and await connection.fetchval(
                    _KNOWN_ADDRESS_SQL, normal, client_address, settings.session_lifetime_hours
                )
                if not known:
                    raise _refusal(_ceiling_lifts_in(account_failures, limit, window, now))
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
    return Attempt(pair_key=pair_key, email_key=email_key, address_key=address_key, recorded_at=recorded_at)


def _check_limits(
    settings: Settings, failures: dict[str, list[datetime]], pair_key: str, address_key: str | None, now: datetime
) -> None:
    pair = failures.get(pair_key, [])
    wait = delay_seconds(len(pair), settings.login_max_failures, settings.login_failure_window_seconds)
    if wait and pair:
        remaining = _until(pair[-1], now) + wait
        if remaining > 0:
            raise _refusal(remaining)
    if address_key is not None:
        spray = failures.get(address_key, [])
        limit = settings.login_max_failures_per_address
        if len(spray) >= limit:
            raise _refusal(_ceiling_lifts_in(spray, limit, settings.login_failure_window_seconds, now))


async def attempt_succeeded(pool: asyncpg.Pool, attempt: Attempt) -> None:
    """The password was right: this (e-mail, address) pair's failures are forgiven. The e-mail's
    and the address's counts keep their other failures (one good login must not reset a guesser's
    count elsewhere); only this attempt is taken back from them."""
    await pool.execute(
        """
        DELETE FROM login_failures
        WHERE key = $1 OR (key = ANY($2::text[]) AND failed_at = $3)
        """,
        attempt.pair_key,
        [key for key in (attempt.email_key, attempt.address_key) if key is not None],
        attempt.recorded_at,
    )
