"""Usage metering: the request rate, the period's AI-operation quota, and the token ledger.

All state lives in PostgreSQL (rate_limit_calls, ai_usage_periods, token_usage), so every
worker process and every host agrees; nothing here is counted in memory.

How a metered call runs (`meter_call`, called by `app.calls.call_procedure`
around every query or mutation declared `metered` or `rate_limited`):

1. One SQL statement (`admit_call`) counts the request in the caller's sliding window (at most the
   rate in any 60 seconds, per `Caller.usage_subject`: a user, or an API key; the SQL function
   `admit_rate` in schema.sql) and, if that is within the rate, reserves one operation in the
   organization's current billing period with a conditional UPSERT that never passes the limit, however many processes race for the last
   operation. The reservation commits at once, so every process sees it while the AI works.
2. The handler runs.
3. If the handler raises, for whatever reason, the reservation is released (one UPDATE): a call
   that failed is not charged. `AIError` then answers INTERNAL_SERVER_ERROR with a fixed message.

The transaction contract for a metered handler (the ai.* procedures):

- Do the AI work first, without writing anything.
- Then write the side effects and the token ledger together in ONE transaction the handler opens,
  and return straight after it:

      result = await engine.summarize(ticket, engine_settings)      # may raise AIError
      async with ctx.pool.acquire() as connection, connection.transaction():
          await store_summary(connection, ...)
          await record_token_usage(connection, caller, result.usage)
      return Summary(summary=result.value.summary)

  If anything fails before or inside that transaction (AIError, NOT_FOUND, a failed write), the
  transaction rolls back, the exception leaves the handler and the reservation is released: no
  side effect, no ledger row, no charge. If the transaction commits, the operation stays counted.
  So "charged" and "committed" always agree, provided the handler raises nothing after its commit.
- A client that disconnects does not cancel the handler: it runs to its end (bounded by the AI
  timeouts) and its own outcome settles the reservation, so a disconnect cannot separate the
  count from the ledger.

Metered subscriptions (`meter_stream`, for `ai.streamReply`) differ on purpose: a client that
leaves closes the stream, which stops the model; the operation is kept once a value was
delivered, and the handler records what was consumed until then.

Ledger operation names: `token_usage.operation` is the engine operation that made the model call,
one of `LEDGER_OPERATIONS` (the names of `app.ai.interface.OPERATIONS`, which the engines put in
`TokenUsage.operation`): summarize, sentiment, priority, tags, replies, classify, improve, rank
(articles, assignees and similar tickets), analyze and embed, plus triage (auto-triage of a new
ticket, app.assist.triage). They are part of the API
(`ai.getTokenUsage` groups by them), so they are never renamed.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from app.ai.interface import OPERATIONS, AIError, TokenUsage
from app.context import Caller, Context
from app.errors import TRPCError
from app.registry import Procedure

log = logging.getLogger("app.usage.metering")

# The engines' operations, and auto-triage, which runs several of them as one operation of its own.
LEDGER_OPERATIONS: frozenset[str] = frozenset((*OPERATIONS, "triage"))

# Releases still running for calls whose client left; asyncio keeps only weak references to tasks.
_pending_releases: set[asyncio.Future[Any]] = set()


# ---- billing periods ----------------------------------------------------------------------------


def _add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by whole months, its day clamped to the length of the target month."""
    month_index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def current_period(anchor: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The monthly billing period [start, end) that contains `now`, in UTC.

    Periods start every month on the anchor's day and time of day; in a month too short for that
    day they start on its last day (anchor Jan 31: ..., Feb 29, Mar 31, Apr 30, ...). Each start
    is computed from the anchor itself, never from the previous period, so one short month does
    not pull every later period earlier. The SQL function `billing_period` in schema.sql computes
    the same periods for the statements here; the tests hold the two together.
    """
    if anchor.tzinfo is None or now.tzinfo is None:
        raise ValueError("current_period needs timezone-aware datetimes")
    anchor = anchor.astimezone(UTC)
    now = now.astimezone(UTC)
    months = (now.year - anchor.year) * 12 + now.month - anchor.month
    if _add_months(anchor, months) > now:
        months -= 1
    return _add_months(anchor, months), _add_months(anchor, months + 1)


def iso_time(moment: datetime) -> str:
    """An ISO 8601 UTC time as JavaScript's `Date.toISOString()` writes it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---- admission: request rate and quota in one statement ----------------------------------------

# $1 org, $2 rate subject, $3 count the request rate?, $4 requests per minute, $5 reserve an
# operation?, $6 the time the rate counts the call at (NULL: now; tests pass their own). Every part reads the organization and plan rows afresh, so a plan or limit changed in
# the database holds from the next call on, in every process.
#
# The two counters are conditional UPSERTs: ON CONFLICT DO UPDATE locks the existing row and
# evaluates its WHERE against the latest committed version, so concurrent callers queue on the
# row and none can take the increment past the limit. A refused UPSERT returns no row.
_ADMIT_SQL = """
WITH org AS (
    SELECT coalesce(o.ai_operations_limit, p.ai_operations_per_period) AS operation_limit,
           period.period_start, period.period_end
    FROM organizations o
    JOIN plans p ON p.name = o.plan
    CROSS JOIN LATERAL billing_period(o.billing_anchor, now()) AS period
    WHERE o.id = $1
), clock AS (
    SELECT coalesce($6::timestamptz, now()) AS at
), request AS (
    -- One row when the rate is counted: its `free_at` is NULL when admitted.
    SELECT admit_rate($1, $2, $4, interval '1 minute', clock.at) AS free_at, clock.at
    FROM clock
    WHERE $3
), reservation AS (
    INSERT INTO ai_usage_periods AS u (org_id, period_start, period_end, operations)
    SELECT $1, org.period_start, org.period_end, 1
    FROM org
    WHERE $5
      AND (NOT $3 OR (SELECT free_at FROM request) IS NULL)
      AND (org.operation_limit IS NULL OR org.operation_limit > 0)
    ON CONFLICT (org_id, period_start) DO UPDATE SET operations = u.operations + 1
    WHERE (SELECT operation_limit FROM org) IS NULL OR u.operations < (SELECT operation_limit FROM org)
    RETURNING operations
)
SELECT org.operation_limit,
       org.period_start,
       org.period_end,
       NOT $3 OR (SELECT free_at FROM request) IS NULL AS request_allowed,
       (SELECT operations FROM reservation) AS reserved_operations,
       (SELECT operations FROM ai_usage_periods
        WHERE org_id = $1 AND period_start = org.period_start) AS operations_before,
       (SELECT greatest(1, ceil(extract(epoch FROM free_at - at)))::integer FROM request) AS retry_after_seconds
FROM org
"""

_RELEASE_SQL = """
UPDATE ai_usage_periods SET operations = operations - 1
WHERE org_id = $1 AND period_start = $2 AND operations > 0
"""


@dataclass(frozen=True, slots=True)
class Reservation:
    """One operation counted in `org_id`'s period starting at `period_start`."""

    org_id: UUID
    period_start: datetime


async def admit_call(
    pool: asyncpg.Pool | asyncpg.Connection,
    caller: Caller,
    *,
    metered: bool,
    rate_limited: bool,
    rate_limit_per_minute: int,
    at: datetime | None = None,
) -> Reservation | None:
    """Count the request against the caller's rate and, for a metered call, reserve one operation.

    Returns the reservation (None for a call that is only rate-limited); raises TOO_MANY_REQUESTS
    when the rate or the quota is exhausted, in which case nothing was reserved. On a connection
    inside a transaction, the reservation commits or rolls back with that transaction. `at` is the
    time the request rate counts the call at; None (always, outside tests) is the database's now.
    """
    row = await pool.fetchrow(
        _ADMIT_SQL, caller.org_id, caller.usage_subject, rate_limited, rate_limit_per_minute, metered, at
    )
    if row is None:
        # The organization was deleted after the caller was authenticated.
        raise TRPCError("UNAUTHORIZED", "Your organization no longer exists")
    if not row["request_allowed"]:
        seconds = row["retry_after_seconds"]
        raise TRPCError(
            "TOO_MANY_REQUESTS",
            f"Too many AI requests: at most {rate_limit_per_minute} a minute. Retry in {seconds} s.",
            data={"retryAfterSeconds": seconds},
            headers={"retry-after": str(seconds)},
        )
    if not metered:
        return None
    limit: int | None = row["operation_limit"]
    if row["reserved_operations"] is None:
        # The refused UPSERT saw at least `limit` operations in the latest row version; the
        # statement's snapshot may be older and lower, so it only ever raises that bound.
        used = max(row["operations_before"] or 0, limit or 0)
        raise TRPCError(
            "TOO_MANY_REQUESTS",
            f"AI operation limit reached: {used} of {limit} operations used in this billing period. "
            f"It resets at {iso_time(row['period_end'])}.",
            data={"limit": limit, "used": used, "resetsAt": iso_time(row["period_end"])},
        )
    return Reservation(org_id=caller.org_id, period_start=row["period_start"])


async def release_operation(pool: asyncpg.Pool, reservation: Reservation) -> None:
    """Give back a reserved operation, in the period it was taken from (even if one began since)."""
    await pool.execute(_RELEASE_SQL, reservation.org_id, reservation.period_start)


def _ai_failure(procedure: Procedure, caller: Caller, error: AIError, debug: bool) -> TRPCError:
    log.warning("AI operation %s failed for organization %s: %s", procedure.path, caller.org_id, error)
    # AIError messages never carry a key, but they name providers and models; the answer says
    # only what happened unless debug mode is on.
    detail = f" ({error})" if debug else ""
    return TRPCError(
        "INTERNAL_SERVER_ERROR", f"The AI service could not complete this operation; it was not charged.{detail}"
    )


def _settle_when_done(pool: asyncpg.Pool, reservation: Reservation, work: asyncio.Future[Any]) -> None:
    def settle(done: asyncio.Future[Any]) -> None:
        error = None if done.cancelled() else done.exception()
        if error is not None and not isinstance(error, (AIError, TRPCError)):
            # Nobody is left to answer; the log is the only trace of the failure.
            log.error("a metered call failed after its client left", exc_info=error)
        if done.cancelled() or error is not None:
            release = asyncio.ensure_future(release_operation(pool, reservation))
            _pending_releases.add(release)
            release.add_done_callback(_pending_releases.discard)

    work.add_done_callback(settle)


async def _admit(context: Context, procedure: Procedure) -> Reservation | None:
    """admit_call for the procedure's declaration and the deployment's rate."""
    return await admit_call(
        context.pool,
        context.require_caller(),
        metered=procedure.metered,
        rate_limited=procedure.rate_limited,
        rate_limit_per_minute=context.settings.ai_rate_limit_per_minute,
    )


async def meter_call(context: Context, procedure: Procedure, run: Callable[[], Awaitable[Any]]) -> Any:
    """Rate limit, reserve, run, and release on failure (see the module docstring)."""
    caller = context.require_caller()
    pool = context.pool
    reservation = await _admit(context, procedure)
    if reservation is None:
        try:
            return await run()
        except AIError as error:
            raise _ai_failure(procedure, caller, error, context.settings.debug) from error
    work = asyncio.ensure_future(run())
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        # The client left: the handler goes on, and its own outcome decides the reservation.
        _settle_when_done(pool, reservation, work)
        raise
    except BaseException as error:
        await asyncio.shield(release_operation(pool, reservation))
        if isinstance(error, AIError):
            raise _ai_failure(procedure, caller, error, context.settings.debug) from error
        raise


async def meter_stream(context: Context, procedure: Procedure, stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """A metered subscription: `stream` (the handler's generator) wrapped in rate limit and quota.

    The operation is reserved when the subscription starts, before the handler runs (so before
    any model call). It is released when the stream fails, or ends, before delivering its first
    value (an AIError then answers the typed INTERNAL_SERVER_ERROR, as for `meter_call`), and
    kept once a value was delivered, whatever follows: a later failure or a client that leaves
    (the consumer closes or cancels this generator, which closes the handler's and so stops its
    model call). The handler records the token ledger itself, for what it consumed.
    """
    caller = context.require_caller()
    pool = context.pool
    delivered = False
    reservation: Reservation | None = None
    try:
        reservation = await _admit(context, procedure)
        async for item in stream:
            delivered = True
            yield item
    except BaseException as error:
        if not delivered and reservation is not None:
            await asyncio.shield(release_operation(pool, reservation))
        if isinstance(error, AIError):
            raise _ai_failure(procedure, caller, error, context.settings.debug) from error
        raise
    else:
        if not delivered and reservation is not None:
            await release_operation(pool, reservation)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]  # an async generator


# ---- the token ledger ---------------------------------------------------------------------------

_RECORD_SQL = """
INSERT INTO token_usage (org_id, user_id, api_key_id, operation, model, prompt_tokens, completion_tokens, cost_usd)
SELECT $1, $2, $3, call.operation, call.model, call.prompt_tokens, call.completion_tokens, call.cost_usd
FROM unnest($4::text[], $5::text[], $6::integer[], $7::integer[], $8::numeric[])
     AS call (operation, model, prompt_tokens, completion_tokens, cost_usd)
"""


async def record_token_usage(connection: asyncpg.Connection, caller: Caller, usage: list[TokenUsage]) -> None:
    """Write one ledger row per model or embedding call, in one statement.

    Call it on the connection of the transaction that writes the operation's side effects (see
    the contract above), so the ledger and the side effects commit or vanish together.
    """
    if not usage:
        return
    unknown = {call.operation for call in usage} - LEDGER_OPERATIONS
    if unknown:
        raise ValueError(f"unknown ledger operation(s) {sorted(unknown)}; use one of {sorted(LEDGER_OPERATIONS)}")
    await connection.execute(
        _RECORD_SQL,
        caller.org_id,
        caller.user_id,
        caller.api_key_id,
        [call.operation for call in usage],
        [call.model for call in usage],
        [call.prompt_tokens for call in usage],
        [call.completion_tokens for call in usage],
        [call.cost_usd for call in usage],
    )
