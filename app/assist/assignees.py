"""Who should take a ticket: each assignable agent judged by their written expertise and their
record on the organization's most similar resolved tickets, then ranked by the engine.

Reading the ticket's words for every agent's expertise is CPU work on up to 100,000 characters,
so the candidates are built on the CPU workers, never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import msgspec

from app.ai.interface import Candidate, EngineSettings, RankedCandidate, TicketText, TokenUsage
from app.ai.local.text import fold, words
from app.ai.local.workers import run_cpu
from app.assist.articles import scaled_cosine
from app.assist.vector_search import SimilarTicket, nearest_tickets
from app.assist.engines import chat_engine, ledger
from app.assist.queries import Agent, TicketForAI, assignable_agents
from app.assist.tickets import org_settings, ticket_content, ticket_for_ai
from app.assist.feedback import Suggested
from app.assist.vectors import TextVector, content_vector, store_and_record_answer, ticket_vector
from app.context import Context

# An agent's record on similar tickets: the nearest tickets of the organization looked at, and how
# many of an agent's resolved ones among them make the record count fully.
ASSIGNEE_NEIGHBOURS = 50
ASSIGNEE_FULL_RECORD = 3
RESOLVED = frozenset(("resolved", "closed"))
_SUBJECTS_PER_AGENT = 5
# Expertise written out in the ticket (or its tags) is strong evidence on its own.
_LITERAL_EXPERTISE_PRIOR = 0.8


class TriageAssignee(msgspec.Struct, frozen=True, kw_only=True):
    """The agent auto-triage picked for a ticket, and how sure the pick is (0..1)."""

    agentId: UUID
    agentName: str
    confidence: float


class AssigneeSuggestion(TriageAssignee, frozen=True, kw_only=True):
    """The agent suggested for a ticket, how sure the suggestion is (0..1), and why."""

    reasoning: str


@dataclass(frozen=True, slots=True)
class Record:
    """An agent's resolved tickets among the nearest ones."""

    similarities: list[float]
    subjects: list[str]

    @property
    def score(self) -> float:
        # The mean similarity of their closest resolved tickets, scaled by how many there are.
        best = sorted(self.similarities, reverse=True)[:ASSIGNEE_FULL_RECORD]
        return scaled_cosine(sum(best) / len(best)) * min(1.0, len(best) / ASSIGNEE_FULL_RECORD)


def resolved_records(neighbours: list[SimilarTicket], agent_ids: set[UUID]) -> dict[UUID, Record]:
    records: dict[UUID, Record] = {}
    for neighbour in neighbours:
        if neighbour.status in RESOLVED and neighbour.assignee_id is not None and neighbour.assignee_id in agent_ids:
            record = records.setdefault(neighbour.assignee_id, Record([], []))
            record.similarities.append(neighbour.similarity)
            if len(record.subjects) < _SUBJECTS_PER_AGENT:
                record.subjects.append(neighbour.subject)
    return records


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def ticket_words(ticket: TicketText, ticket_tags: list[str]) -> set[str]:
    """The ticket's words (and its tags' words), folded and singular, for expertise matching."""
    return {_singular(word) for word in words(fold(f"{ticket.subject}\n{ticket.description}\n{' '.join(ticket_tags)}"))}


def literal_expertise(expertise: list[str], present: set[str]) -> list[str]:
    """The agent's expertise tags that the ticket names outright (in its words or its tags):
    every word of the tag present, singular or plural ("invoices" matches "invoice")."""
    matched = []
    for skill in expertise:
        skill_words = [_singular(word) for word in words(fold(skill))]
        if skill_words and all(word in present for word in skill_words):
            matched.append(skill)
    return matched


def agent_candidates(
    agents: list[Agent], records: dict[UUID, Record], content: TicketText, ticket_tags: list[str]
) -> list[Candidate]:
    """The agents with something to judge them by, as candidates with their record as the prior."""
    present = ticket_words(content, ticket_tags)
    candidates: list[Candidate] = []
    for agent in agents:
        record = records.get(agent.id)
        if record is None and not agent.expertise:
            continue  # nothing to judge this agent by
        parts = []
        if agent.expertise:
            parts.append("Expertise: " + ", ".join(agent.expertise))
        if record is not None:
            parts.append("Resolved similar tickets: " + "; ".join(record.subjects))
        history = record.score if record is not None else 0.0
        literal = literal_expertise(agent.expertise, present)
        prior = max(history, _LITERAL_EXPERTISE_PRIOR if literal else 0.0)
        candidates.append(Candidate(id=str(agent.id), text=". ".join(parts), prior=prior))
    return candidates


def _suggestion(
    ranked: list[RankedCandidate], agents: list[Agent], records: dict[UUID, Record], neighbours: int
) -> AssigneeSuggestion | None:
    by_id = {str(agent.id): agent for agent in agents}
    best = next((candidate for candidate in ranked if candidate.id in by_id), None)
    if best is None:
        return None
    agent = by_id[best.id]
    record = records.get(agent.id)
    reasoning = best.reasoning
    if record is not None:
        reasoning += f" Resolved {len(record.similarities)} of the {neighbours} most similar tickets."
    return AssigneeSuggestion(
        agentId=agent.id, agentName=agent.name, confidence=round(best.relevance, 3), reasoning=reasoning.strip()
    )


@dataclass(frozen=True, slots=True)
class RankedAgents:
    best: AssigneeSuggestion | None
    to_store: TextVector | None  # the ticket's fresh vector, when its stored one was missing or stale
    usage: list[TokenUsage]
    model: str  # the model that ranked


async def rank_agents(
    ctx: Context, content: TicketText, ticket: TicketForAI | None, ticket_tags: list[str], settings: EngineSettings
) -> RankedAgents:
    """The best agent for `content`, with what to store and record: the shared core of
    ai.suggestAssignee and auto-triage, which write the ledger in their own transactions."""
    caller = ctx.require_caller()
    agents = await assignable_agents(ctx.pool, caller.org_id)
    stored: TextVector | None = None
    if ticket is not None and (ticket.subject, ticket.description_text) == (content.subject, content.description):
        stored = await ticket_vector(ctx, ticket, settings)
    vector = stored if stored is not None else await content_vector(ctx, content, settings)
    async with ctx.pool.acquire() as connection:
        neighbours = await nearest_tickets(
            connection, caller.org_id, vector.model, vector.dimensions, vector.vector, ASSIGNEE_NEIGHBOURS,
            exclude_ticket_id=ticket.id if ticket is not None else None,
        )
    records = resolved_records(neighbours, {agent.id for agent in agents})
    candidates = await run_cpu(agent_candidates, agents, records, content, ticket_tags)
    result = await chat_engine(ctx, settings).rank(content, candidates, "agent", settings)
    usage: list[TokenUsage] = [*vector.usage, *ledger(result.usage, "rank", result.model)]
    return RankedAgents(_suggestion(result.value.ranked, agents, records, len(neighbours)), stored, usage, result.model)


async def suggest_assignee(
    ctx: Context, subject: str, description: str | dict, ticket_id: UUID | None
) -> tuple[AssigneeSuggestion | None, UUID]:
    """The best agent for the text (of the ticket `ticket_id`, if given, whose stored vector and
    tags are used when the text is the ticket's own) and the answer's suggestion id; stores a
    fresh ticket vector with the ledger."""
    content = await ticket_content(subject, description)
    ticket = await ticket_for_ai(ctx, ticket_id, with_messages=False) if ticket_id is not None else None
    if ticket is not None:
        settings, ticket_tags = ticket.settings.engine, ticket.tags
    else:
        settings, ticket_tags = (await org_settings(ctx))[0].engine, []
    ranked = await rank_agents(ctx, content, ticket, ticket_tags, settings)
    suggested = Suggested("suggestAssignee", ranked.model, ticket_id)
    return ranked.best, await store_and_record_answer(ctx, ranked.to_store, ranked.usage, suggested)
