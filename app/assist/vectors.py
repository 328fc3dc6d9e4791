"""Ticket vectors for an AI call: the stored one when it is current, else a fresh one to store
with the call's ledger rows (the embedding is never written on its own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from app.ai.interface import AIError, AIResult, EngineSettings, TicketText, TokenUsage
from app.assist.embeddings_store import EmbeddingRow, content_hash, ticket_embedding_text, upsert_ticket_embeddings
from app.assist.vector_search import ensure_model_index
from app.assist.engines import embedding_engine
from app.assist.feedback import Suggested, record_answer
from app.assist.queries import TicketForAI
from app.context import Context
from app.usage.metering import record_token_usage


@dataclass(frozen=True, slots=True)
class TextVector:
    vector: np.ndarray
    model: str
    dimensions: int
    usage: list[TokenUsage]
    to_store: EmbeddingRow | None  # a freshly computed ticket vector, to be stored with the ledger


async def _embed(ctx: Context, text: str, settings: EngineSettings) -> tuple[np.ndarray, AIResult[Any], str, int]:
    engine = embedding_engine(ctx, settings)
    model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
    result = await engine.embed([text], settings)
    vector = np.asarray(result.value.vectors[0], dtype=np.float32)
    if vector.shape != (dimensions,):
        raise AIError(f"the embedding model {model} returned {vector.size} dimensions, expected {dimensions}")
    return vector, result, model, dimensions


async def ticket_vector(ctx: Context, ticket: TicketForAI, settings: EngineSettings, *, refresh: bool = False) -> TextVector:
    """The ticket's current vector: the stored one, or a new one (to store) if missing or stale."""
    engine = embedding_engine(ctx, settings)
    model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
    stored = None if refresh else ticket.current_vector(model, dimensions)
    if stored is not None:
        return TextVector(stored, model, dimensions, [], None)
    text = ticket_embedding_text(ticket.subject, ticket.description_text)
    vector, result, model, dimensions = await _embed(ctx, text, settings)
    row = EmbeddingRow(
        item_id=ticket.id,
        vector=vector,
        content_hash=content_hash(text),
        token_count=sum(call.prompt_tokens for call in result.usage),
    )
    return TextVector(vector, model, dimensions, list(result.usage), row)


async def content_vector(ctx: Context, content: TicketText, settings: EngineSettings) -> TextVector:
    """A vector for free text that is no stored ticket's: nothing to store."""
    raw, result, model, dimensions = await _embed(ctx, ticket_embedding_text(content.subject, content.description), settings)
    return TextVector(raw, model, dimensions, list(result.usage), None)


async def store_vector(connection: asyncpg.Connection, org_id: Any, vector: TextVector) -> bool:
    """Store a fresh vector (only if the ticket still has the embedded text); True if written."""
    if vector.to_store is None:
        return False
    written = await upsert_ticket_embeddings(connection, org_id, vector.model, vector.dimensions, [vector.to_store])
    return bool(written)


async def store_and_record(ctx: Context, vector: TextVector | None, usage: list[TokenUsage]) -> bool:
    """A fresh vector and the call's ledger rows in one transaction; True if a vector was written."""
    stored, _ = await _store_and_record(ctx, vector, usage, None)
    return stored


async def store_and_record_answer(
    ctx: Context, vector: TextVector | None, usage: list[TokenUsage], suggested: Suggested
) -> UUID:
    """store_and_record for an answer a person can act on: its suggestion is recorded too, and
    its id returned."""
    _, suggestion_id = await _store_and_record(ctx, vector, usage, suggested)
    assert suggestion_id is not None
    return suggestion_id


async def _store_and_record(
    ctx: Context, vector: TextVector | None, usage: list[TokenUsage], suggested: Suggested | None
) -> tuple[bool, UUID | None]:
    caller = ctx.require_caller()
    async with ctx.pool.acquire() as connection:
        if vector is not None and vector.to_store is not None:
            await ensure_model_index(connection, vector.model, vector.dimensions)
        async with connection.transaction():
            stored = await store_vector(connection, caller.org_id, vector) if vector is not None else False
            if suggested is None:
                await record_token_usage(connection, caller, usage)
                return stored, None
            return stored, await record_answer(connection, caller, usage, suggested)
