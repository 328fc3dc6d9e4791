"""Reply drafts for a ticket: two tones, with the best-fitting knowledge-base article if any."""

from __future__ import annotations

from app.ai.interface import AIError, ReplyDraft, TokenUsage
from app.assist.articles import article_candidates, reply_article
from app.assist.engines import chat_engine, ledger
from app.assist.queries import TicketForAI
from app.assist.vectors import TextVector, ticket_vector
from app.context import Context


async def reply_drafts(ctx: Context, ticket: TicketForAI) -> tuple[list[ReplyDraft], list[TokenUsage], TextVector]:
    """The drafts, the call's ledger rows and the ticket's vector (to store with them)."""
    settings = ticket.settings.engine
    text = ticket.text()
    vector = await ticket_vector(ctx, ticket, settings)
    candidates = await article_candidates(ctx, text, vector, settings)
    result = await chat_engine(ctx, settings).replies(text, reply_article(candidates), settings)
    drafts = [draft for draft in result.value.suggestions if draft.text.strip()]
    if len({draft.tone.strip().lower() for draft in drafts}) < 2:
        raise AIError("the reply drafts did not come in two different tones")
    return drafts, [*vector.usage, *ledger(result.usage, "replies", result.model)], vector
