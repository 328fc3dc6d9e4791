"""Reading usage back: the token ledger report (`ai.getTokenUsage`) and the quota summary (`auth.me`).

The report's rows and its totals come from one SQL statement, so they read one snapshot and agree
even while new ledger rows arrive: with `groupBy` the groups add up exactly to the totals; without
it the totals cover every matching row, of which the newest 1,000 are listed.

Date ranges are half-open, [start, end), in UTC; day, week (ISO, from Monday) and month groups are
UTC calendar buckets. `parse_usage_bound` turns the procedure's `startDate` / `endDate` into these
bounds: a date-only `endDate` includes that whole day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from app.errors import TRPCError

GroupBy = Literal["day", "week", "month", "operation", "model"]

# The ledger rows listed without groupBy, newest first.
MAX_USAGE_RECORDS = 1000


# Records and groups are tagged ("kind": "record", "operationGroup", "modelGroup" or "periodGroup")
# so that `usage` is one list type that msgspec (and so JSON Schema and generated client types) can
# describe: a discriminated union. Each group names its key by what it is.


class UsageRecord(msgspec.Struct, frozen=True, tag_field="kind", tag="record"):
    """One ledger row: one model or embedding call."""

    id: UUID
    operation: str
    model: str
    promptTokens: int
    completionTokens: int
    totalTokens: int
    costUsd: float | None
    userId: UUID | None
    createdAt: datetime


class _GroupSums(msgspec.Struct, frozen=True, kw_only=True):
    """What every group adds up: the ledger rows of one operation, model, day, week or month."""

    operations: int  # ledger rows (model calls) in the group
    promptTokens: int
    completionTokens: int
    totalTokens: int
    costUsd: float | None  # None when no call in the group has a known cost


class OperationGroup(_GroupSums, frozen=True, kw_only=True, tag_field="kind", tag="operationGroup"):
    operation: str


class ModelGroup(_GroupSums, frozen=True, kw_only=True, tag_field="kind", tag="modelGroup"):
    model: str


class PeriodGroup(_GroupSums, frozen=True, kw_only=True, tag_field="kind", tag="periodGroup"):
    # The bucket's start, a Date (through superjson): UTC midnight of the day, of the week's
    # Monday (ISO weeks) or of the month's first day.
    period: datetime


UsageGroup = OperationGroup | ModelGroup | PeriodGroup


class UsageTotals(msgspec.Struct, frozen=True):
    totalTokens: int
    totalPromptTokens: int
    totalCompletionTokens: int
    totalCostUsd: float | None


class TokenUsageReport(msgspec.Struct, frozen=True):
    usage: list[UsageRecord | OperationGroup | ModelGroup | PeriodGroup]  # all records, or all groups (with groupBy)
    totals: UsageTotals


class UsageSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The current billing period's quota, as `auth.me` shows it."""

    used: int
    limit: int | None  # None: unlimited
    resetsAt: datetime


# ---- the report ---------------------------------------------------------------------------------

_MATCHING = (
    "org_id = $1 AND created_at >= coalesce($2::timestamptz, '-infinity')"
    " AND created_at < coalesce($3::timestamptz, 'infinity')"
)

# The totals are one aggregate row; the newest records hang off it (LEFT JOIN), so an empty range
# still answers its zero totals.
_RECORDS_SQL = f"""
SELECT totals.prompt_tokens AS total_prompt_tokens,
       totals.completion_tokens AS total_completion_tokens,
       totals.cost_usd AS total_cost_usd,
       newest.*
FROM (
    SELECT coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
           coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens,
           sum(cost_usd) AS cost_usd
    FROM token_usage
    WHERE {_MATCHING}
) AS totals
LEFT JOIN LATERAL (
    SELECT id, operation, model, prompt_tokens, completion_tokens, cost_usd, user_id, created_at
    FROM token_usage
    WHERE {_MATCHING}
    ORDER BY created_at DESC, id DESC
    LIMIT $4
) AS newest ON true
ORDER BY newest.created_at DESC, newest.id DESC
"""

# groupBy -> the group's key. Time buckets are UTC calendar days, ISO weeks (from Monday) and months.
_GROUP_KEYS: dict[str, str] = {
    "day": "date_trunc('day', created_at, 'UTC')",
    "week": "date_trunc('week', created_at, 'UTC')",
    "month": "date_trunc('month', created_at, 'UTC')",
    "operation": "operation",
    "model": "model",
}
_TIME_GROUPS = ("day", "week", "month")
# groupBy -> the group's type and the name of its key field.
_GROUP_TYPES: dict[str, tuple[type[OperationGroup] | type[ModelGroup] | type[PeriodGroup], str]] = {
    "day": (PeriodGroup, "period"),
    "week": (PeriodGroup, "period"),
    "month": (PeriodGroup, "period"),
    "operation": (OperationGroup, "operation"),
    "model": (ModelGroup, "model"),
}


def _grouped_sql(group_by: str) -> str:
    key = _GROUP_KEYS[group_by]
    # Time buckets list newest first, like the records; operations and models the biggest consumer
    # first. Names compare byte-wise (COLLATE "C"), whatever the database's locale.
    if group_by in _TIME_GROUPS:
        order = f"{key} DESC"
    else:
        order = f'sum(prompt_tokens) + sum(completion_tokens) DESC, {key} COLLATE "C"'
    return f"""
    SELECT {key} AS grp,
           count(*) AS operations,
           sum(prompt_tokens)::bigint AS prompt_tokens,
           sum(completion_tokens)::bigint AS completion_tokens,
           sum(cost_usd) AS cost_usd
    FROM token_usage
    WHERE {_MATCHING}
    GROUP BY {key}
    ORDER BY {order}
    """


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _sum_costs(costs: list[Decimal | None]) -> Decimal | None:
    known = [cost for cost in costs if cost is not None]
    return sum(known, Decimal(0)) if known else None


async def token_usage_report(
    pool: asyncpg.Pool,
    org_id: UUID,
    start: datetime | None,
    end: datetime | None,
    group_by: GroupBy | None,
    *,
    max_records: int = MAX_USAGE_RECORDS,
) -> TokenUsageReport:
    """The organization's ledger rows with `start <= created_at < end` (None: unbounded): the
    newest `max_records` of them, or with `group_by` one row per group; totals over them all."""
    if group_by is None:
        rows = await pool.fetch(_RECORDS_SQL, org_id, start, end, max_records)
        prompt, completion = rows[0]["total_prompt_tokens"], rows[0]["total_completion_tokens"]
        totals = UsageTotals(
            totalTokens=prompt + completion,
            totalPromptTokens=prompt,
            totalCompletionTokens=completion,
            totalCostUsd=_money(rows[0]["total_cost_usd"]),
        )
        records: list[UsageRecord | OperationGroup | ModelGroup | PeriodGroup] = [
            UsageRecord(
                id=row["id"],
                operation=row["operation"],
                model=row["model"],
                promptTokens=row["prompt_tokens"],
                completionTokens=row["completion_tokens"],
                totalTokens=row["prompt_tokens"] + row["completion_tokens"],
                costUsd=_money(row["cost_usd"]),
                userId=row["user_id"],
                createdAt=row["created_at"],
            )
            for row in rows
            if row["id"] is not None
        ]
        return TokenUsageReport(usage=records, totals=totals)

    if group_by not in _GROUP_KEYS:
        raise ValueError(f"group_by must be one of {sorted(_GROUP_KEYS)}, not {group_by!r}")
    rows = await pool.fetch(_grouped_sql(group_by), org_id, start, end)
    group_type, key_field = _GROUP_TYPES[group_by]
    groups: list[UsageRecord | OperationGroup | ModelGroup | PeriodGroup] = [
        group_type(
            **{key_field: row["grp"]},
            operations=row["operations"],
            promptTokens=row["prompt_tokens"],
            completionTokens=row["completion_tokens"],
            totalTokens=row["prompt_tokens"] + row["completion_tokens"],
            costUsd=_money(row["cost_usd"]),
        )
        for row in rows
    ]
    # The groups partition the matching rows, so their sums are the totals.
    prompt = sum(row["prompt_tokens"] for row in rows)
    completion = sum(row["completion_tokens"] for row in rows)
    totals = UsageTotals(
        totalTokens=prompt + completion,
        totalPromptTokens=prompt,
        totalCompletionTokens=completion,
        totalCostUsd=_money(_sum_costs([row["cost_usd"] for row in rows])),
    )
    return TokenUsageReport(usage=groups, totals=totals)


def parse_usage_bound(value: object, *, field: str, end: bool) -> datetime | None:
    """A report bound from `startDate` / `endDate`: an ISO date or date-time, or a Date.

    A date alone means its whole UTC day: as a start, its midnight; as an end, the next midnight
    (the range is half-open). A date-time without an offset is read as UTC. Anything else is
    BAD_REQUEST at the field.
    """
    if value is None:
        return None
    if not isinstance(value, (str, datetime, date)):
        issue = f"Expected an ISO date or date-time - at `$.{field}`"
        raise TRPCError("BAD_REQUEST", f"Invalid input: {issue}", data={"issue": issue})
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise TRPCError(
                "BAD_REQUEST",
                f"Invalid input: {field} must be an ISO date or date-time, got {value!r}",
                data={"issue": f"{field} is not an ISO date"},
            ) from None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    midnight = datetime.combine(value, time(), tzinfo=UTC)
    return midnight + timedelta(days=1) if end else midnight


def parse_usage_period(start_date: object, end_date: object) -> tuple[datetime | None, datetime | None]:
    """The half-open range a procedure's `startDate` and `endDate` name (see `parse_usage_bound`)."""
    return (
        parse_usage_bound(start_date, field="startDate", end=False),
        parse_usage_bound(end_date, field="endDate", end=True),
    )


# ---- the quota summary --------------------------------------------------------------------------

_SUMMARY_SQL = """
SELECT coalesce(o.ai_operations_limit, p.ai_operations_per_period) AS operation_limit,
       period.period_end,
       coalesce(u.operations, 0) AS used
FROM organizations o
JOIN plans p ON p.name = o.plan
CROSS JOIN LATERAL billing_period(o.billing_anchor, now()) AS period
LEFT JOIN ai_usage_periods u ON u.org_id = o.id AND u.period_start = period.period_start
WHERE o.id = $1
"""


async def usage_summary(pool: asyncpg.Pool | asyncpg.Connection, org_id: UUID) -> UsageSummary:
    """Operations used in the current billing period, the limit, and when the period ends."""
    row = await pool.fetchrow(_SUMMARY_SQL, org_id)
    if row is None:
        raise TRPCError("NOT_FOUND", "Organization not found")
    return UsageSummary(used=row["used"], limit=row["operation_limit"], resetsAt=row["period_end"])
