"""A reply draft streamed as the model writes it (`ai.streamReply`).

The draft is written like `ai.generateReplySuggestions`' first draft (the ticket's thread, the
best-fitting knowledge-base article, the organization's engine), but as one draft in the
requested tone, sent piece by piece.

The token ledger gets the stream's usage exactly once:
- when the stream completes: its usage and its suggestion in one transaction, before the final
  event that carries the `suggestionId`;
- when it stops after some text (the client left, or the provider failed mid-stream): what was
  consumed until then (the prompt, and the completion tokens of the text received), with no
  suggestion, since nobody received a whole draft;
- when it stops before any text: nothing (the call path releases the operation too).

Metering (the quota reservation) is not here: the call path does it for every metered
subscription (`app.usage.metering.meter_stream`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Literal
from uuid import UUID

import msgspec

from app.ai.interface import ReplyDelta, TokenUsage
from app.assist.articles import article_candidates, reply_article
from app.assist.engines import chat_engine
from app.assist.feedback import Suggested
from app.assist.tickets import ticket_for_ai
from app.assist.vectors import store_and_record, store_and_record_answer, ticket_vector
from app.context import Context


class StreamedUsage(msgspec.Struct, frozen=True, kw_only=True):
    promptTokens: int
    completionTokens: int
    totalTokens: int
    model: str


class ReplyChunk(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="delta"):
    """A piece of the draft, as the model produced it."""

    delta: str


class ReplyFinished(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="done"):
    """The last event: the whole draft (the deltas joined), its usage and its suggestion id."""

    done: Literal[True]  # always true: this is the last event
    text: str
    usage: StreamedUsage
    suggestionId: UUID


ReplyStreamEvent = ReplyChunk | ReplyFinished


async def stream_reply_draft(ctx: Context, ticket_id: UUID, tone: str | None) -> AsyncIterator[ReplyStreamEvent]:
    ticket = await ticket_for_ai(ctx, ticket_id)
    settings = ticket.settings.engine
    text = ticket.text()
    vector = await ticket_vector(ctx, ticket, settings)
    article = reply_article(await article_candidates(ctx, text, vector, settings))
    pieces = chat_engine(ctx, settings).stream_reply(text, article, tone, settings)
    consumed: TokenUsage | None = None  # the usage up to the last piece sent on
    recorded = False  # the ledger has this stream's rows (or their write has begun)
    try:
        async for piece in pieces:
            if isinstance(piece, ReplyDelta):
                consumed = piece.consumed
                yield ReplyChunk(delta=piece.text)
                continue
            recorded = True
            suggested = Suggested("streamReply", piece.model, ticket.id)
            # Shielded: a client leaving now must not split the ledger from its suggestion.
            suggestion_id = await asyncio.shield(
                store_and_record_answer(ctx, vector, [*vector.usage, piece.usage], suggested)
            )
            usage = piece.usage
            yield ReplyFinished(
                done=True,
                text=piece.text,
                usage=StreamedUsage(
                    promptTokens=usage.prompt_tokens,
                    completionTokens=usage.completion_tokens,
                    totalTokens=usage.total_tokens,
                    model=usage.model,
                ),
                suggestionId=suggestion_id,
            )
            return
    finally:
        await pieces.aclose()  # type: ignore[attr-defined]  # stops the model call if it still runs
        if not recorded and consumed is not None:
            await asyncio.shield(store_and_record(ctx, vector, [*vector.usage, consumed]))
