"""Suggestions and what people did with them.

Every AI answer a person can act on (a summary, reply drafts, tags, an assignee, articles, similar
tickets, a classification) is recorded as a suggestion, in the transaction that writes its token
ledger rows, and carries its id to the client as `suggestionId`. A person then says what they did
with it (`ai.feedback`): accepted, edited or rejected. One verdict per suggestion and person; a
later one replaces the earlier. `ai.getFeedbackStats` turns the verdicts into rates per
operation, model or day.

The text a person finally sent can hold customer data, so it is kept only when the organization
turned `keepFeedbackText` on; otherwise it is dropped before it reaches the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NamedTuple
from uuid import UUID

import asyncpg
import msgspec

from app.ai.interface import TokenUsage
from app.context import Caller
from app.usage.metering import record_token_usage

Verdict = Literal["accepted", "edited", "rejected"]
FeedbackGroupBy = Literal["operation", "model", "day"]


class Suggested(NamedTuple):
    """An answer a person can act on: the procedure that made it, the model that answered, and
    the ticket it is about (None for free text)."""

    operation: str
    model: str
    ticket_id: UUID | None = None


async def record_answer(
    connection: asyncpg.Connection, caller: Caller, usage: list[TokenUsage], suggested: Suggested
) -> UUID:
    """The answer's token-ledger rows and its suggestion, on the caller's transaction; the id the
    answer carries as `suggestionId`."""
    await record_token_usage(connection, caller, usage)
    return await record_suggestion(connection, caller, *suggested)


async def record_suggestion(
    connection: asyncpg.Connection, caller: Caller, operation: str, model: str, ticket_id: UUID | None
) -> UUID:
    """Record one suggestion; call it in the transaction that writes the answer's ledger rows."""
    suggestion_id: UUID = await connection.fetchval(
        """
        INSERT INTO ai_suggestions (org_id, operation, model, ticket_id, user_id, api_key_id)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id
        """,
        caller.org_id,
        operation,
        model,
        ticket_id,
        caller.user_id,
        caller.api_key_id,
    )
    return suggestion_id


class StoredFeedback(msgspec.Struct, frozen=True, kw_only=True):
    suggestionId: UUID
    verdict: Verdict
    operation: str
    model: str
    # Whether `finalText` was kept (the organization's keepFeedbackText setting).
    finalTextKept: bool
    updatedAt: datetime


# The suggestion must be the organization's; the verdict replaces this person's earlier one. The
# organization's setting decides, in the same statement, whether the text is kept.
_SAVE_SQL = """
WITH suggestion AS (
    SELECT s.org_id, s.id, s.operation, s.model,
           coalesce((o.ai_settings ->> 'keepFeedbackText')::boolean, false) AS keep_text
    FROM ai_suggestions s JOIN organizations o ON o.id = s.org_id
    WHERE s.org_id = $1 AND s.id = $2
), saved AS (
    INSERT INTO ai_feedback (org_id, suggestion_id, user_id, verdict, final_text)
    SELECT org_id, id, $3, $4, CASE WHEN keep_text THEN $5 END FROM suggestion
    ON CONFLICT (org_id, suggestion_id, user_id) DO UPDATE
    SET verdict = excluded.verdict, final_text = excluded.final_text, updated_at = now()
    RETURNING verdict, final_text IS NOT NULL AS text_kept, updated_at
)
SELECT suggestion.operation, suggestion.model, saved.verdict, saved.text_kept, saved.updated_at
FROM suggestion, saved
"""


async def save_feedback(
    pool: asyncpg.Pool, caller: Caller, suggestion_id: UUID, verdict: Verdict, final_text: str | None
) -> StoredFeedback | None:
    """Store the caller's verdict; None when the organization has no such suggestion."""
    if caller.user_id is None:
        raise ValueError("feedback is a person's: an API key has no user to record it under")
    row = await pool.fetchrow(_SAVE_SQL, caller.org_id, suggestion_id, caller.user_id, verdict, final_text)
    if row is None:
        return None
    return StoredFeedback(
        suggestionId=suggestion_id,
        verdict=row["verdict"],
        operation=row["operation"],
        model=row["model"],
        finalTextKept=row["text_kept"],
        updatedAt=row["updated_at"],
    )


class FeedbackRates(msgspec.Struct, frozen=True, kw_only=True):
    suggestions: int  # suggestions made in the range
    verdicts: int  # verdicts given on them
    accepted: int
    edited: int
    rejected: int
    acceptanceRate: float | None  # accepted / verdicts; None with no verdict
    editRate: float | None
    rejectionRate: float | None


class FeedbackGroup(FeedbackRates, frozen=True, kw_only=True, omit_defaults=True):
    """The rates of one operation, model or day; only the key of the grouping is present."""

    operation: str | None = None
    model: str | None = None
    period: datetime | None = None  # the start of the day (UTC)


class FeedbackStats(msgspec.Struct, frozen=True, kw_only=True):
    totals: FeedbackRates
    groups: list[FeedbackGroup]  # empty without groupBy


_GROUP_KEYS: dict[str, str] = {
    "operation": "s.operation",
    "model": "s.model",
    "day": "date_trunc('day', s.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
}


def _stats_sql(group_key: str) -> str:
    # Suggestions made in [start, end) and the verdicts on them, counted once per verdict.
    return f"""
    SELECT {group_key} AS key,
           count(DISTINCT s.id) AS suggestions,
           count(f.verdict) AS verdicts,
           count(*) FILTER (WHERE f.verdict = 'accepted') AS accepted,
           count(*) FILTER (WHERE f.verdict = 'edited') AS edited,
           count(*) FILTER (WHERE f.verdict = 'rejected') AS rejected
    FROM ai_suggestions s
    LEFT JOIN ai_feedback f ON f.org_id = s.org_id AND f.suggestion_id = s.id
    WHERE s.org_id = $1
      AND s.created_at >= coalesce($2::timestamptz, '-infinity')
      AND s.created_at < coalesce($3::timestamptz, 'infinity')
    GROUP BY 1
    ORDER BY 1
    """


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rates(row: asyncpg.Record | dict[str, int]) -> dict[str, Any]:
    # The fields shared by FeedbackRates and FeedbackGroup, as keyword arguments for either.
    verdicts = row["verdicts"]
    return {
        "suggestions": row["suggestions"],
        "verdicts": verdicts,
        "accepted": row["accepted"],
        "edited": row["edited"],
        "rejected": row["rejected"],
        "acceptanceRate": _rate(row["accepted"], verdicts),
        "editRate": _rate(row["edited"], verdicts),
        "rejectionRate": _rate(row["rejected"], verdicts),
    }


async def feedback_stats(
    pool: asyncpg.Pool, org_id: UUID, start: datetime | None, end: datetime | None, group_by: FeedbackGroupBy | None
) -> FeedbackStats:
    """Acceptance, edit and rejection rates with their counts, overall and per group. The totals
    are the sum of the groups, read in the same statement."""
    rows = await pool.fetch(_stats_sql(_GROUP_KEYS[group_by] if group_by else "NULL::text"), org_id, start, end)
    counts = ("suggestions", "verdicts", "accepted", "edited", "rejected")
    summed = {name: sum(row[name] for row in rows) for name in counts}
    groups = []
    if group_by is not None:
        field = "period" if group_by == "day" else group_by
        groups = [FeedbackGroup(**_rates(row), **{field: row["key"]}) for row in rows]
    return FeedbackStats(totals=FeedbackRates(**_rates(summed)), groups=groups)
