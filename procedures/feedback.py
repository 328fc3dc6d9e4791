"""ai.feedback and ai.getFeedbackStats: what people did with the AI's suggestions.

Part of the ai namespace; kept in its own module because it is about people's verdicts, not about
running a model: neither procedure is metered.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec

from app.assist.feedback import FeedbackGroupBy, FeedbackStats, StoredFeedback, Verdict, feedback_stats, save_feedback
from app.context import Context
from app.errors import TRPCError, not_found
from app.registry import procedure
from app.usage.report import parse_usage_period


class FeedbackInput(msgspec.Struct, frozen=True):
    # The suggestionId of the AI answer this verdict is about.
    suggestionId: UUID
    verdict: Verdict
    # What the person finally sent or saved, for "edited" above all. Kept only when the
    # organization's keepFeedbackText setting is on.
    finalText: Annotated[str, msgspec.Meta(max_length=100_000)] | None = None


# ISO dates or date-times, or Dates (app.usage.report.parse_usage_bound).
DateBound = Annotated[
    Any,
    msgspec.Meta(
        description="A Date, or an ISO date or date-time; a date alone as endDate includes that whole day.",
        extra={"typescript": "Date | string | null"},
    ),
]


class FeedbackStatsInput(msgspec.Struct, frozen=True):
    startDate: DateBound = None
    endDate: DateBound = None
    groupBy: FeedbackGroupBy | None = None


@procedure("ai.feedback", "mutation", role="agent", scope="ai:run")
async def give_feedback(ctx: Context, input: FeedbackInput) -> StoredFeedback:
    """Say what you did with a suggestion: accepted, edited or rejected. Your later verdict on the
    same suggestion replaces the earlier one."""
    caller = ctx.require_caller()
    if caller.user_id is None:
        raise TRPCError("FORBIDDEN", "Feedback is given by a signed-in person, not by an API key")
    stored = await save_feedback(ctx.pool, caller, input.suggestionId, input.verdict, input.finalText)
    if stored is None:
        raise not_found("Suggestion")
    return stored


@procedure("ai.getFeedbackStats", "query", scope="ticket:read")
async def get_feedback_stats(ctx: Context, input: FeedbackStatsInput) -> FeedbackStats:
    """Acceptance, edit and rejection rates of the AI's suggestions, with their counts."""
    caller = ctx.require_caller()
    start, end = parse_usage_period(input.startDate, input.endDate)
    return await feedback_stats(ctx.pool, caller.org_id, start, end, input.groupBy)
