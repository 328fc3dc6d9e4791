"""Similar tickets: the organization's nearest tickets to one of its tickets, each with a reason
read from what the two share (tags, key terms), so no model call is needed to explain a match."""

from __future__ import annotations

import dataclasses
from uuid import UUID

import msgspec

from app.ai.local.engine import LOCAL_MODEL
from app.ai.local.rank import key_terms
from app.ai.local.similarity import SIMILAR_TICKET_FLOOR, rerank_by_meaning_and_wording
from app.ai.local.workers import run_cpu
from app.assist import embedding_refresh
from app.assist.assignees import RESOLVED
from app.assist.vector_search import SimilarTicket, ensure_model_index, nearest_tickets
from app.assist.engines import embedding_engine, ledger
from app.assist.queries import TicketForAI
from app.assist.tickets import ticket_for_ai
from app.assist.vectors import store_vector, ticket_vector
from app.context import Context
from app.assist.feedback import Suggested, record_answer

# The ticket's own key terms come from its start: enough to name what it is about.
_TICKET_TERMS_CHARS = 600
# The vector search fetches this many times `limit`, so re-ranking by shared wording has room to
# promote a candidate that the cosine alone ranked just outside.
_CANDIDATES_PER_RESULT = 3


class SimilarTicketInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    subject: str
    status: str
    priority: str


class SimilarTicketMatch(msgspec.Struct, frozen=True, kw_only=True):
    ticketId: UUID
    similarity: float
    reasoning: str
    ticket: SimilarTicketInfo


def similarity_reason(ticket_terms: set[str], ticket_tags: list[str], match: SimilarTicket) -> str:
    """Why a ticket matched, from what the two share: no model call, so it costs microseconds."""
    shared_tags = [tag for tag in match.tags if tag in ticket_tags][:3]
    shared_terms = [term for term in key_terms(f"{match.subject}\n{match.excerpt}") if term in ticket_terms][:4]
    parts = []
    if shared_tags:
        parts.append("same tags: " + ", ".join(shared_tags))
    if shared_terms:
        parts.append("both mention " + ", ".join(shared_terms))
    if not parts:
        parts.append("similar in meaning without shared wording")
    closeness = "Very close" if match.similarity >= 0.8 else "Close" if match.similarity >= 0.6 else "Loosely related"
    outcome = f"; it was {match.status}, so its resolution may apply" if match.status in RESOLVED else ""
    return f"{closeness} match: {'; '.join(parts)}{outcome}."


def reranked(ticket: TicketForAI, matches: list[SimilarTicket], limit: int, model: str) -> list[SimilarTicket]:
    """Meaning and shared wording combined (the hybrid score becomes the reported similarity), best first.

    Under the floor a candidate is not a match and is left out. The floor was calibrated on the
    offline engine's embeddings (app/ai/local/similarity.py); a hosted model's cosines sit on
    another scale, so for those the candidates are only re-ordered.
    """
    query = f"{ticket.subject}\n{ticket.description_text[:_TICKET_TERMS_CHARS]}"
    floor = SIMILAR_TICKET_FLOOR if model == LOCAL_MODEL else None
    order = rerank_by_meaning_and_wording(
        query, [(match.similarity, f"{match.subject}\n{match.excerpt}") for match in matches], limit, floor
    )
    return [dataclasses.replace(matches[index], similarity=min(1.0, max(0.0, score))) for index, score in order]


def explained_matches(ticket: TicketForAI, matches: list[SimilarTicket]) -> list[SimilarTicketMatch]:
    terms = set(key_terms(f"{ticket.subject}\n{ticket.description_text[:_TICKET_TERMS_CHARS]}"))
    return [
        SimilarTicketMatch(
            ticketId=match.ticket_id,
            similarity=round(match.similarity, 4),
            reasoning=similarity_reason(terms, ticket.tags, match),
            ticket=SimilarTicketInfo(id=match.ticket_id, subject=match.subject, status=match.status, priority=match.priority),
        )
        for match in matches
    ]


async def similar_tickets(ctx: Context, ticket_id: UUID, limit: int) -> tuple[list[SimilarTicketMatch], UUID]:
    """The `limit` tickets nearest to the ticket, explained, and the answer's suggestion id; one
    ledger row ("rank")."""
    caller = ctx.require_caller()
    # The usual case -- the ticket's vector is stored and current -- runs on one connection with
    # no model call: read, search, ledger row.
    async with ctx.pool.acquire() as connection:
        ticket = await ticket_for_ai(ctx, ticket_id, with_messages=False, connection=connection)
        settings = ticket.settings.engine
        engine = embedding_engine(ctx, settings)
        model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
        stored = ticket.current_vector(model, dimensions)
        if stored is not None:
            matches = await nearest_tickets(
                connection, caller.org_id, model, dimensions, stored, limit * _CANDIDATES_PER_RESULT, exclude_ticket_id=ticket.id
            )
            async with connection.transaction():
                suggestion_id = await record_answer(
                    connection, caller, ledger([], "rank", model), Suggested("findSimilarTickets", model, ticket.id)
                )
            await embedding_refresh.build_org_index_if_due(ctx.services, connection, caller.org_id, model, dimensions)
    if stored is not None:
        return await run_cpu(explained_matches, ticket, reranked(ticket, matches, limit, model)), suggestion_id
    # No current vector: embed the ticket first (without holding a connection while the engine
    # works), then store it, search and write the ledger in one transaction.
    vector = await ticket_vector(ctx, ticket, settings)
    async with ctx.pool.acquire() as connection:
        await ensure_model_index(connection, vector.model, vector.dimensions)
        async with connection.transaction():
            await store_vector(connection, caller.org_id, vector)
            matches = await nearest_tickets(
                connection,
                caller.org_id,
                vector.model,
                vector.dimensions,
                vector.vector,
                limit * _CANDIDATES_PER_RESULT,
                exclude_ticket_id=ticket.id,
            )
            suggestion_id = await record_answer(
                connection,
                caller,
                ledger(vector.usage, "rank", vector.model),
                Suggested("findSimilarTickets", vector.model, ticket.id),
            )
    return await run_cpu(explained_matches, ticket, reranked(ticket, matches, limit, vector.model)), suggestion_id
