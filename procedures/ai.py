"""ai.*: the AI features of the helpdesk (seed 001, with seed 000's actions and seed 003's classifier).

Every procedure but `ai.getTokenUsage` is one metered AI operation (app.usage.metering wraps it: the
operation is reserved before the handler and released if the handler raises). Each handler
follows the same contract:

1. read what it needs (usually one statement: app.assist.queries.load_ticket_for_ai);
2. do the AI work without writing anything (an AIError leaves no trace and is not charged);
3. write its side effects and its token-ledger rows in ONE transaction, then return.

The engine answering is the organization's choice (`choose_engine`): a hosted model when the
organization or the deployment names one, else the offline local engine. Embeddings choose
separately (`choose_embedding_engine`), so a hosted chat model does not move the vectors.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
import numpy as np

from app.assist import embedding_refresh
from app.ai.choose import choose_embedding_engine, choose_engine
from app.ai.interface import (
    AIError,
    AIResult,
    Analysis,
    Candidate,
    Classification,
    Engine,
    EngineSettings,
    Priority,
    ReplyDraft,
    Sentiment,
    TicketText,
    TokenUsage,
)
from app.ai.local.rank import key_terms
from app.ai.local.text import fold, words
from app.assist.queries import (
    TicketForAI,
    assignable_agents,
    load_settings_and_tags,
    load_ticket_for_ai,
    tickets_for_prompt_test,
)
from app.assist.settings import OrgAISettings, with_overrides
from app.context import Context
from app.assist.embeddings_store import (
    EmbeddingRow,
    content_hash,
    ticket_embedding_text,
    upsert_ticket_embeddings,
)
from app.assist.vector_search import (
    ArticleCandidate,
    SimilarTicket,
    ensure_model_index,
    nearest_tickets,
    published_article_candidates,
)
from app.errors import TRPCError, not_found
from app.usage.metering import record_token_usage
from app.registry import Feature, procedure
from app.helpdesk.tiptap import plain_text
from app.usage.report import GroupBy, TokenUsageReport, parse_usage_bound, token_usage_report

# ---- input types --------------------------------------------------------------------------------

Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
# As a ticket's description is sent: plain text or a TipTap (ProseMirror) JSON document.
Description = str | dict[str, Any]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=50_000)]
ModelName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SystemPrompt = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
Tone = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class TicketIdInput(msgspec.Struct, frozen=True):
    ticketId: UUID


class TextInput(msgspec.Struct, frozen=True):
    text: Text


class TicketContentInput(msgspec.Struct, frozen=True):
    subject: Subject
    description: Description


class ImproveTextInput(msgspec.Struct, frozen=True):
    text: Text
    tone: Tone | None = None


class ClassifyInput(msgspec.Struct, frozen=True):
    subject: Subject
    description: Description = ""
    model: ModelName | None = None
    systemPrompt: SystemPrompt | None = None


class SuggestAssigneeInput(msgspec.Struct, frozen=True):
    subject: Subject
    description: Description
    ticketId: UUID | None = None


class FindSimilarInput(msgspec.Struct, frozen=True):
    ticketId: UUID
    limit: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5


class TokenUsageInput(msgspec.Struct, frozen=True):
    # ISO dates or date-times, or Dates through superjson (app.usage.report.parse_usage_bound).
    startDate: Any = None
    endDate: Any = None
    groupBy: GroupBy | None = None


AiAction = Literal["auto-tag", "suggest-reply", "summarize", "improve"]


class RunInput(msgspec.Struct, frozen=True):
    action: AiAction
    ticketId: UUID | None = None
    text: Text | None = None


class TestPromptsInput(msgspec.Struct, frozen=True):
    tag: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=50)] = 10
    model: ModelName | None = None
    systemPrompt: SystemPrompt | None = None


# ---- output types -------------------------------------------------------------------------------


class SummaryOutput(msgspec.Struct, frozen=True):
    summary: str


class TagsOutput(msgspec.Struct, frozen=True):
    tags: list[str]


class TextOutput(msgspec.Struct, frozen=True):
    text: str


class ReplySuggestions(msgspec.Struct, frozen=True):
    suggestions: list[ReplyDraft]


class AssigneeSuggestion(msgspec.Struct, frozen=True):
    agentId: UUID
    agentName: str
    confidence: float
    reasoning: str


class AssigneeOutput(msgspec.Struct, frozen=True):
    suggestion: AssigneeSuggestion | None


class ArticleInfo(msgspec.Struct, frozen=True):
    id: UUID
    title: str
    content: str


class ArticleSuggestion(msgspec.Struct, frozen=True):
    articleId: UUID
    relevance: float
    reasoning: str
    article: ArticleInfo


class ArticleSuggestions(msgspec.Struct, frozen=True):
    suggestions: list[ArticleSuggestion]


class SimilarTicketInfo(msgspec.Struct, frozen=True):
    id: UUID
    subject: str
    status: str
    priority: str


class SimilarTicketMatch(msgspec.Struct, frozen=True):
    ticketId: UUID
    similarity: float
    reasoning: str
    ticket: SimilarTicketInfo


class SimilarTickets(msgspec.Struct, frozen=True):
    similarTickets: list[SimilarTicketMatch]


class EmbeddingOutput(msgspec.Struct, frozen=True):
    success: bool
    tokenCount: int
    embeddingDimensions: int


class AutoTagResult(msgspec.Struct, frozen=True):
    tags: list[str]  # what the AI suggested (and what was applied)
    ticketTags: list[str]  # the ticket's tags afterwards


class SuggestReplyResult(msgspec.Struct, frozen=True):
    suggestion: str  # the first draft, in the organization's preferred tone (seed 000's shape)
    suggestions: list[ReplyDraft]


class RunOutput(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["ai_result"] = "ai_result"
    action: AiAction
    # One shape per action; `action` says which.
    result: AutoTagResult | SuggestReplyResult | SummaryOutput | TextOutput


class PromptTestResult(msgspec.Struct, frozen=True):
    ticketId: UUID
    subject: str
    tags: list[str]
    status: str
    classification: Classification | None
    error: str | None


class PromptTestOutput(msgspec.Struct, frozen=True):
    results: list[PromptTestResult]
    total: int
    model: str
    testedAt: datetime


# ---- engines ------------------------------------------------------------------------------------


def _local_engine(ctx: Context) -> Engine:
    local = ctx.services.local_engine
    if local is None:
        raise TRPCError("SERVICE_UNAVAILABLE", "The AI engine is not available")
    return local


def chat_engine(ctx: Context, settings: EngineSettings) -> Engine:
    return choose_engine(settings, _local_engine(ctx), ctx.services.hosted_engine)  # type: ignore[arg-type]


def embedding_engine(ctx: Context, settings: EngineSettings) -> Engine:
    return choose_embedding_engine(settings, _local_engine(ctx), ctx.services.hosted_engine)  # type: ignore[arg-type]


def default_embedding_model(ctx: Context) -> str:
    """The embedding model of an organization that names none: the lookup hint for stored vectors."""
    defaults = EngineSettings()
    return embedding_engine(ctx, defaults).embedding_model_name(defaults)


def _ledger(usage: list[TokenUsage], operation: str, model: str) -> list[TokenUsage]:
    """Every AI operation leaves at least one ledger row, even one that needed no model call
    (similar tickets from a stored vector): the ledger then shows the operation at zero tokens."""
    return usage if usage else [TokenUsage(operation=operation, model=model, prompt_tokens=0, completion_tokens=0)]


# ---- tickets, vectors and tags --------------------------------------------------------------------


async def _ticket(
    ctx: Context,
    ticket_id: UUID,
    *,
    with_messages: bool = True,
    with_existing_tags: bool = False,
    connection: asyncpg.Connection | None = None,
) -> TicketForAI:
    caller = ctx.require_caller()
    ticket = await load_ticket_for_ai(
        connection if connection is not None else ctx.pool,
        caller.org_id,
        ticket_id,
        default_embedding_model=default_embedding_model(ctx),
        with_messages=with_messages,
        with_existing_tags=with_existing_tags,
    )
    if ticket is None:
        raise not_found("Ticket")
    return ticket


@dataclass(frozen=True, slots=True)
class TextVector:
    vector: np.ndarray
    model: str
    dimensions: int
    usage: list[TokenUsage]
    to_store: EmbeddingRow | None  # a freshly computed ticket vector, to be stored with the ledger


async def _embed_text(ctx: Context, text: str, settings: EngineSettings) -> tuple[np.ndarray, AIResult[Any], str, int]:
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
    vector, result, model, dimensions = await _embed_text(ctx, text, settings)
    row = EmbeddingRow(
        item_id=ticket.id,
        vector=vector,
        content_hash=content_hash(text),
        token_count=sum(call.prompt_tokens for call in result.usage),
    )
    return TextVector(vector, model, dimensions, list(result.usage), row)


async def _store_vector(connection: asyncpg.Connection, org_id: UUID, vector: TextVector) -> bool:
    if vector.to_store is None:
        return False
    written = await upsert_ticket_embeddings(connection, org_id, vector.model, vector.dimensions, [vector.to_store])
    return bool(written)


# Ticket tags as tickets.update stores them (app.helpdesk.validation): trimmed, single-spaced,
# lower-case, at most 64 characters, at most 50 on a ticket.
MAX_TAG_CHARS = 64
MAX_TICKET_TAGS = 50


def valid_tags(tags: list[str]) -> list[str]:
    cleaned = (" ".join(tag.split()).lower() for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag and len(tag) <= MAX_TAG_CHARS and "\x00" not in tag))


_APPLY_AI_RESULTS_SQL = f"""
UPDATE tickets AS t
SET ai_summary = coalesce($3, t.ai_summary),
    tags = (t.tags || ARRAY(SELECT added.tag FROM unnest($4::text[]) WITH ORDINALITY AS added (tag, position)
                            WHERE added.tag <> ALL (t.tags) ORDER BY added.position))[1:{MAX_TICKET_TAGS}],
    -- A new tag is a change the team sees; a refreshed summary alone is not.
    updated_at = CASE WHEN $4::text[] <@ t.tags THEN t.updated_at ELSE now() END
WHERE t.org_id = $1 AND t.id = $2
RETURNING t.tags
"""


async def apply_ai_results(
    connection: asyncpg.Connection, org_id: UUID, ticket_id: UUID, *, summary: str | None, tags: list[str]
) -> list[str]:
    """Store a summary and merge tags into the ticket (existing tags first, in one statement so a
    concurrent tag edit is never lost); the ticket's tags afterwards. NOT_FOUND if it is gone."""
    merged = await connection.fetchval(_APPLY_AI_RESULTS_SQL, org_id, ticket_id, summary, tags)
    if merged is None:
        raise not_found("Ticket")
    return list(merged)


# ---- knowledge-base articles ----------------------------------------------------------------------

ARTICLE_CANDIDATES = 10
MAX_ARTICLE_SUGGESTIONS = 5
# How much the meaning counts against the wording when ranking articles for a ticket.
ARTICLE_VECTOR_WEIGHT = 0.75
# A reply draft gets the best article only if it clearly fits (the same 0..1 scale as `prior`).
REPLY_ARTICLE_MIN_SCORE = 0.45
_QUERY_TERMS = 32
_ARTICLE_TEXT_CHARS = 2_000


def _scaled_cosine(similarity: float) -> float:
    # Cosines between related support texts sit around 0.35-0.8 and unrelated ones below 0.25
    # (USE and OpenAI's text-embedding-3 alike); [0.1, 0.7] -> [0, 1] spreads the useful range.
    return float(min(1.0, max(0.0, (similarity - 0.1) / 0.6)))


def article_score(candidate: ArticleCandidate) -> float:
    """Meaning and wording combined, 0..1: the `prior` an engine blends into its own judgement."""
    semantic = _scaled_cosine(candidate.similarity) if candidate.similarity is not None else 0.0
    return round(ARTICLE_VECTOR_WEIGHT * semantic + (1 - ARTICLE_VECTOR_WEIGHT) * candidate.text_rank, 4)


_TSQUERY_WORD = re.compile(r"[^\W_]+")


def text_search_query(text: str) -> str | None:
    """An OR query of the text's key terms for to_tsquery('simple', ...); prefixes stand in for
    stemming ('charg:*' finds charge, charged, charges), since the 'simple' config has none.

    Only letters and digits reach the query ("don't" and "e-mail" are split into their words),
    so no term can carry tsquery syntax whatever the ticket says.
    """
    terms: list[str] = []
    for phrase in key_terms(text)[:_QUERY_TERMS]:
        for term in _TSQUERY_WORD.findall(phrase):
            if len(term) < 3:
                continue
            stem = term[: max(4, len(term) - 2)] if len(term) >= 6 else term
            terms.append(f"{stem}:*" if stem != term else term)
    unique = list(dict.fromkeys(terms))
    return " | ".join(unique) if unique else None


async def article_candidates(
    ctx: Context, ticket: TicketText, vector: TextVector, settings: EngineSettings
) -> list[ArticleCandidate]:
    """Published articles for the ticket by meaning and by words, best `article_score` first."""
    caller = ctx.require_caller()
    await embedding_refresh.embed_missing_articles(ctx.services, caller, caller.org_id, settings)
    async with ctx.pool.acquire() as connection:
        candidates = await published_article_candidates(
            connection,
            caller.org_id,
            vector.model,
            vector.dimensions,
            vector.vector,
            text_search_query(f"{ticket.subject}\n{ticket.description}"),
            ARTICLE_CANDIDATES,
        )
    return sorted(candidates, key=lambda candidate: (-article_score(candidate), str(candidate.article_id)))


def _article_text(candidate: ArticleCandidate) -> str:
    return f"{candidate.title}\n\n{candidate.content[:_ARTICLE_TEXT_CHARS]}"


# ---- basic AI ---------------------------------------------------------------------------------------


@procedure("ai.summarizeTicket", "mutation", role="agent", scope="ai:run", feature="basic", metered=True, takes_id=("ticketId",))
async def summarize_ticket(ctx: Context, input: TicketIdInput) -> SummaryOutput:
    caller = ctx.require_caller()
    ticket = await _ticket(ctx, input.ticketId)
    settings = ticket.settings.engine
    result = await chat_engine(ctx, settings).summarize(ticket.text(), settings)
    async with ctx.pool.acquire() as connection, connection.transaction():
        await apply_ai_results(connection, caller.org_id, ticket.id, summary=result.value.summary, tags=[])
        await record_token_usage(connection, caller, _ledger(result.usage, "summarize", result.model))
    return SummaryOutput(summary=result.value.summary)


async def _settings(ctx: Context, *, with_existing_tags: bool = False) -> tuple[OrgAISettings, list[str]]:
    return await load_settings_and_tags(ctx.pool, ctx.require_caller().org_id, with_existing_tags=with_existing_tags)


async def _record(ctx: Context, usage: list[TokenUsage]) -> None:
    """The ledger rows of an operation whose only write they are (one statement: atomic alone)."""
    async with ctx.pool.acquire() as connection:
        await record_token_usage(connection, ctx.require_caller(), usage)


@procedure("ai.analyzeSentiment", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def analyze_sentiment(ctx: Context, input: TextInput) -> Sentiment:
    settings, _ = await _settings(ctx)
    result = await chat_engine(ctx, settings.engine).sentiment(input.text, settings.engine)
    await _record(ctx, _ledger(result.usage, "sentiment", result.model))
    return result.value


def _content(subject: str, description: Description) -> TicketText:
    return TicketText(subject=subject.strip(), description=plain_text(description))


@procedure("ai.predictPriority", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def predict_priority(ctx: Context, input: TicketContentInput) -> Priority:
    settings, _ = await _settings(ctx)
    result = await chat_engine(ctx, settings.engine).priority(_content(input.subject, input.description), settings.engine)
    await _record(ctx, _ledger(result.usage, "priority", result.model))
    return result.value


@procedure("ai.suggestTags", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def suggest_tags(ctx: Context, input: TicketContentInput) -> TagsOutput:
    settings, existing = await _settings(ctx, with_existing_tags=True)
    ticket = _content(input.subject, input.description)
    result = await chat_engine(ctx, settings.engine).tags(ticket, existing, settings.engine)
    await _record(ctx, _ledger(result.usage, "tags", result.model))
    return TagsOutput(tags=valid_tags(result.value.tags))


@procedure("ai.improveText", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def improve_text(ctx: Context, input: ImproveTextInput) -> TextOutput:
    settings, _ = await _settings(ctx)
    result = await chat_engine(ctx, settings.engine).improve(input.text, input.tone, settings.engine)
    await _record(ctx, _ledger(result.usage, "improve", result.model))
    return TextOutput(text=result.value.text)


def _playground_engine(
    ctx: Context, settings: EngineSettings, model: str | None, system_prompt: str | None
) -> tuple[Engine, EngineSettings]:
    """The engine and settings for a call with the prompt playground's per-call model and
    classify prompt on top of the organization's settings."""
    if system_prompt:
        settings = with_overrides(settings, system_prompts={"classify": system_prompt})
    if model is None:
        return chat_engine(ctx, settings), settings
    local = _local_engine(ctx)
    if model.strip() == local.model_name(settings):
        return local, settings
    hosted = ctx.services.hosted_engine
    if hosted is None:
        issue = f"model {model!r} needs a hosted AI engine; this server runs only {local.model_name(settings)} - at `$.model`"
        raise TRPCError("BAD_REQUEST", f"Invalid input: {issue}", data={"issue": issue})
    return hosted, with_overrides(settings, model=model)


@procedure("ai.classifyTicket", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def classify_ticket(ctx: Context, input: ClassifyInput) -> Classification:
    org_settings, _ = await _settings(ctx)
    engine, settings = _playground_engine(ctx, org_settings.engine, input.model, input.systemPrompt)
    result = await engine.classify(
        _content(input.subject, input.description), list(org_settings.intent_taxonomy), settings
    )
    await _record(ctx, _ledger(result.usage, "classify", result.model))
    return result.value


@procedure("ai.generateTicketEmbedding", "mutation", role="agent", scope="ai:run", feature="basic", metered=True, takes_id=("ticketId",))
async def generate_ticket_embedding(ctx: Context, input: TicketIdInput) -> EmbeddingOutput:
    caller = ctx.require_caller()
    ticket = await _ticket(ctx, input.ticketId, with_messages=False)
    vector = await ticket_vector(ctx, ticket, ticket.settings.engine, refresh=True)
    async with ctx.pool.acquire() as connection:
        await ensure_model_index(connection, vector.model, vector.dimensions)
        async with connection.transaction():
            stored = await _store_vector(connection, caller.org_id, vector)
            await record_token_usage(connection, caller, _ledger(vector.usage, "embed", vector.model))
    return EmbeddingOutput(
        success=stored,
        tokenCount=sum(call.prompt_tokens for call in vector.usage),
        embeddingDimensions=vector.dimensions,
    )


# ---- full assist ------------------------------------------------------------------------------------


async def _reply_drafts(ctx: Context, ticket: TicketForAI) -> tuple[list[ReplyDraft], list[TokenUsage], TextVector]:
    settings = ticket.settings.engine
    text = ticket.text()
    vector = await ticket_vector(ctx, ticket, settings)
    candidates = await article_candidates(ctx, text, vector, settings)
    best = candidates[0] if candidates and article_score(candidates[0]) >= REPLY_ARTICLE_MIN_SCORE else None
    article = None if best is None else Candidate(id=str(best.article_id), text=_article_text(best), prior=article_score(best))
    result = await chat_engine(ctx, settings).replies(text, article, settings)
    drafts = [draft for draft in result.value.suggestions if draft.text.strip()]
    if len({draft.tone.strip().lower() for draft in drafts}) < 2:
        raise AIError("the reply drafts did not come in two different tones")
    return drafts, [*vector.usage, *_ledger(result.usage, "replies", result.model)], vector


async def _store_and_record(ctx: Context, vector: TextVector | None, usage: list[TokenUsage]) -> None:
    caller = ctx.require_caller()
    async with ctx.pool.acquire() as connection:
        if vector is not None and vector.to_store is not None:
            await ensure_model_index(connection, vector.model, vector.dimensions)
        async with connection.transaction():
            if vector is not None:
                await _store_vector(connection, caller.org_id, vector)
            await record_token_usage(connection, caller, usage)


@procedure("ai.generateReplySuggestions", "mutation", role="agent", scope="ai:run", feature="full", metered=True, takes_id=("ticketId",))
async def generate_reply_suggestions(ctx: Context, input: TicketIdInput) -> ReplySuggestions:
    ticket = await _ticket(ctx, input.ticketId)
    drafts, usage, vector = await _reply_drafts(ctx, ticket)
    await _store_and_record(ctx, vector, usage)
    return ReplySuggestions(suggestions=drafts)


# An agent's record on similar tickets: the nearest tickets of the organization looked at, and how
# many of an agent's resolved ones among them make the record count fully.
ASSIGNEE_NEIGHBOURS = 50
ASSIGNEE_FULL_RECORD = 3
_RESOLVED = frozenset(("resolved", "closed"))
_SUBJECTS_PER_AGENT = 5


@dataclass(frozen=True, slots=True)
class _Record:
    similarities: list[float]
    subjects: list[str]

    @property
    def score(self) -> float:
        # The mean similarity of their closest resolved tickets, scaled by how many there are.
        best = sorted(self.similarities, reverse=True)[:ASSIGNEE_FULL_RECORD]
        return _scaled_cosine(sum(best) / len(best)) * min(1.0, len(best) / ASSIGNEE_FULL_RECORD)


def _resolved_records(neighbours: list[SimilarTicket], agent_ids: set[UUID]) -> dict[UUID, _Record]:
    records: dict[UUID, _Record] = {}
    for neighbour in neighbours:
        if neighbour.status in _RESOLVED and neighbour.assignee_id in agent_ids:
            record = records.setdefault(neighbour.assignee_id, _Record([], []))  # type: ignore[arg-type]
            record.similarities.append(neighbour.similarity)
            if len(record.subjects) < _SUBJECTS_PER_AGENT:
                record.subjects.append(neighbour.subject)
    return records


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _literal_expertise(expertise: list[str], ticket: TicketText, ticket_tags: list[str]) -> list[str]:
    """The agent's expertise tags that the ticket names outright (in its words or its tags):
    every word of the tag present, singular or plural ("invoices" matches "invoice")."""
    present = {_singular(word) for word in words(fold(f"{ticket.subject}\n{ticket.description}\n{' '.join(ticket_tags)}"))}
    matched = []
    for skill in expertise:
        skill_words = [_singular(word) for word in words(fold(skill))]
        if skill_words and all(word in present for word in skill_words):
            matched.append(skill)
    return matched


@procedure("ai.suggestAssignee", "mutation", role="agent", scope="ai:run", feature="full", metered=True, takes_id=("ticketId",))
async def suggest_assignee(ctx: Context, input: SuggestAssigneeInput) -> AssigneeOutput:
    caller = ctx.require_caller()
    content = _content(input.subject, input.description)
    ticket = await _ticket(ctx, input.ticketId, with_messages=False) if input.ticketId is not None else None
    if ticket is not None:
        org_settings = ticket.settings
        ticket_tags = ticket.tags
    else:
        org_settings, _ = await _settings(ctx)
        ticket_tags = []
    settings = org_settings.engine
    agents = await assignable_agents(ctx.pool, caller.org_id)
    stored = None
    if ticket is not None and (ticket.subject, ticket.description_text) == (content.subject, content.description):
        stored = await ticket_vector(ctx, ticket, settings)
    if stored is not None:
        vector = stored
    else:
        raw, result, model, dimensions = await _embed_text(
            ctx, ticket_embedding_text(content.subject, content.description), settings
        )
        vector = TextVector(raw, model, dimensions, list(result.usage), None)
    async with ctx.pool.acquire() as connection:
        neighbours = await nearest_tickets(
            connection,
            caller.org_id,
            vector.model,
            vector.dimensions,
            vector.vector,
            ASSIGNEE_NEIGHBOURS,
            exclude_ticket_id=input.ticketId,
        )
    records = _resolved_records(neighbours, {agent.id for agent in agents})
    candidates: list[Candidate] = []
    for agent in agents:
        record = records.get(agent.id)
        literal = _literal_expertise(agent.expertise, content, ticket_tags)
        if record is None and not agent.expertise:
            continue  # nothing to judge this agent by
        parts = []
        if agent.expertise:
            parts.append("Expertise: " + ", ".join(agent.expertise))
        if record is not None:
            parts.append("Resolved similar tickets: " + "; ".join(record.subjects))
        history = record.score if record is not None else 0.0
        # Expertise written out in the ticket (or its tags) is strong evidence on its own.
        prior = max(history, 0.8 if literal else 0.0)
        candidates.append(Candidate(id=str(agent.id), text=". ".join(parts), prior=prior))
    result = await chat_engine(ctx, settings).rank(content, candidates, "agent", settings)
    usage = [*vector.usage, *_ledger(result.usage, "rank", result.model)]
    suggestion = None
    by_id = {str(agent.id): agent for agent in agents}
    best = next((ranked for ranked in result.value.ranked if ranked.id in by_id), None)
    if best is not None:
        agent = by_id[best.id]
        record = records.get(agent.id)
        reasoning = best.reasoning
        if record is not None:
            count = len(record.similarities)
            reasoning += f" Resolved {count} of the {len(neighbours)} most similar tickets."
        suggestion = AssigneeSuggestion(
            agentId=agent.id, agentName=agent.name, confidence=round(best.relevance, 3), reasoning=reasoning.strip()
        )
    await _store_and_record(ctx, stored, usage)
    return AssigneeOutput(suggestion=suggestion)


@procedure("ai.suggestArticles", "mutation", role="agent", scope="ai:run", feature="full", metered=True, takes_id=("ticketId",))
async def suggest_articles(ctx: Context, input: TicketIdInput) -> ArticleSuggestions:
    ticket = await _ticket(ctx, input.ticketId)
    settings = ticket.settings.engine
    text = ticket.text()
    vector = await ticket_vector(ctx, ticket, settings)
    candidates = await article_candidates(ctx, text, vector, settings)
    by_id = {str(candidate.article_id): candidate for candidate in candidates}
    ranking = await chat_engine(ctx, settings).rank(
        text,
        [Candidate(id=key, text=_article_text(candidate), prior=article_score(candidate)) for key, candidate in by_id.items()],
        "article",
        settings,
    )
    suggestions = [
        ArticleSuggestion(
            articleId=by_id[ranked.id].article_id,
            relevance=round(ranked.relevance, 3),
            reasoning=ranked.reasoning,
            article=ArticleInfo(id=by_id[ranked.id].article_id, title=by_id[ranked.id].title, content=by_id[ranked.id].content),
        )
        for ranked in ranking.value.ranked
        if ranked.id in by_id
    ][:MAX_ARTICLE_SUGGESTIONS]
    await _store_and_record(ctx, vector, [*vector.usage, *_ledger(ranking.usage, "rank", ranking.model)])
    return ArticleSuggestions(suggestions=suggestions)


@procedure("ai.analyzeTicket", "mutation", role="agent", scope="ai:run", feature="full", metered=True, takes_id=("ticketId",))
async def analyze_ticket(ctx: Context, input: TicketIdInput) -> Analysis:
    """Summary, priority, tags and sentiment as ONE engine call (one AI operation); stores the
    summary and merges the suggested tags into the ticket."""
    caller = ctx.require_caller()
    ticket = await _ticket(ctx, input.ticketId, with_existing_tags=True)
    settings = ticket.settings.engine
    result = await chat_engine(ctx, settings).analyze(ticket.text(), ticket.existing_tags, settings)
    analysis = result.value
    tags = valid_tags(analysis.tags)
    async with ctx.pool.acquire() as connection, connection.transaction():
        await apply_ai_results(connection, caller.org_id, ticket.id, summary=analysis.summary, tags=tags)
        await record_token_usage(connection, caller, _ledger(result.usage, "analyze", result.model))
    # The engine's Analysis is the catalog's output shape; only the tags are the validated ones.
    return msgspec.structs.replace(analysis, tags=tags)


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
    outcome = f"; it was {match.status}, so its resolution may apply" if match.status in _RESOLVED else ""
    return f"{closeness} match: {'; '.join(parts)}{outcome}."


def _similar_output(ticket: TicketForAI, matches: list[SimilarTicket]) -> SimilarTickets:
    terms = set(key_terms(f"{ticket.subject}\n{ticket.description_text[:600]}"))
    return SimilarTickets(
        similarTickets=[
            SimilarTicketMatch(
                ticketId=match.ticket_id,
                similarity=round(match.similarity, 4),
                reasoning=similarity_reason(terms, ticket.tags, match),
                ticket=SimilarTicketInfo(id=match.ticket_id, subject=match.subject, status=match.status, priority=match.priority),
            )
            for match in matches
        ]
    )


@procedure("ai.findSimilarTickets", "mutation", role="agent", scope="ai:run", feature="full", metered=True, takes_id=("ticketId",))
async def find_similar_tickets(ctx: Context, input: FindSimilarInput) -> SimilarTickets:
    caller = ctx.require_caller()
    # The usual case -- the ticket's vector is stored and current -- runs on one connection with
    # no model call: read, search, ledger row.
    async with ctx.pool.acquire() as connection:
        ticket = await _ticket(ctx, input.ticketId, with_messages=False, connection=connection)
        settings = ticket.settings.engine
        engine = embedding_engine(ctx, settings)
        model, dimensions = engine.embedding_model_name(settings), engine.embedding_dimensions(settings)
        stored = ticket.current_vector(model, dimensions)
        if stored is not None:
            matches = await nearest_tickets(
                connection, caller.org_id, model, dimensions, stored, input.limit, exclude_ticket_id=ticket.id
            )
            # The only write: nothing else to keep it atomic with.
            await record_token_usage(connection, caller, _ledger([], "rank", model))
            await embedding_refresh.build_org_index_if_due(ctx.services, connection, caller.org_id, model, dimensions)
            return _similar_output(ticket, matches)
    # No current vector: embed the ticket first (without holding a connection while the engine
    # works), then store it, search and write the ledger in one transaction.
    vector = await ticket_vector(ctx, ticket, settings)
    async with ctx.pool.acquire() as connection:
        await ensure_model_index(connection, vector.model, vector.dimensions)
        async with connection.transaction():
            await _store_vector(connection, caller.org_id, vector)
            matches = await nearest_tickets(
                connection,
                caller.org_id,
                vector.model,
                vector.dimensions,
                vector.vector,
                input.limit,
                exclude_ticket_id=ticket.id,
            )
            await record_token_usage(connection, caller, _ledger(vector.usage, "rank", vector.model))
    return _similar_output(ticket, matches)


# ---- usage ----------------------------------------------------------------------------------------


def _usage_bound(value: Any, field: str, *, end: bool) -> datetime | None:
    if value is not None and not isinstance(value, (str, datetime, date)):
        raise TRPCError(
            "BAD_REQUEST",
            f"Invalid input: Expected an ISO date or date-time - at `$.{field}`",
            data={"issue": f"Expected an ISO date or date-time - at `$.{field}`"},
        )
    return parse_usage_bound(value, field=field, end=end)


@procedure("ai.getTokenUsage", "query", scope="ticket:read")
async def get_token_usage(ctx: Context, input: TokenUsageInput) -> TokenUsageReport:
    caller = ctx.require_caller()
    start = _usage_bound(input.startDate, "startDate", end=False)
    end = _usage_bound(input.endDate, "endDate", end=True)
    return await token_usage_report(ctx.pool, caller.org_id, start, end, input.groupBy)


# ---- seed 000's action dispatcher -------------------------------------------------------------------


def _require(value: Any, field: str, action: str) -> Any:
    if value is None:
        issue = f"Object missing required field `{field}` for action {action!r} - at `$`"
        raise TRPCError("BAD_REQUEST", f"Invalid input: {issue}", data={"issue": issue})
    return value


def _action_feature(input: RunInput) -> Feature:
    # suggest-reply is full assist (business); the other actions are basic features.
    return "full" if input.action == "suggest-reply" else "basic"


@procedure(
    "ai.run",
    "mutation",
    role="agent",
    scope="ai:run",
    feature="basic",
    feature_for=_action_feature,
    metered=True,
    takes_id=("ticketId",),
)
async def run_action(ctx: Context, input: RunInput) -> RunOutput:
    caller = ctx.require_caller()
    if input.action == "improve":
        text = _require(input.text, "text", input.action)
        if input.ticketId is not None:
            # A draft for a named ticket: the ticket must exist here, as for every other action
            # (an unknown id never succeeds, whatever the action).
            await _ticket(ctx, input.ticketId, with_messages=False)
        improved = await improve_text(ctx, ImproveTextInput(text=text))
        return RunOutput(action=input.action, result=improved)
    ticket_id = _require(input.ticketId, "ticketId", input.action)
    if input.action == "summarize":
        return RunOutput(action=input.action, result=await summarize_ticket(ctx, TicketIdInput(ticketId=ticket_id)))
    if input.action == "suggest-reply":
        ticket = await _ticket(ctx, ticket_id)
        drafts, usage, vector = await _reply_drafts(ctx, ticket)
        await _store_and_record(ctx, vector, usage)
        return RunOutput(action=input.action, result=SuggestReplyResult(suggestion=drafts[0].text, suggestions=drafts))
    # auto-tag: suggest tags for the ticket and apply them.
    ticket = await _ticket(ctx, ticket_id, with_existing_tags=True)
    settings = ticket.settings.engine
    result = await chat_engine(ctx, settings).tags(ticket.text(), ticket.existing_tags, settings)
    tags = valid_tags(result.value.tags)
    async with ctx.pool.acquire() as connection, connection.transaction():
        merged = await apply_ai_results(connection, caller.org_id, ticket.id, summary=None, tags=tags)
        await record_token_usage(connection, caller, _ledger(result.usage, "tags", result.model))
    return RunOutput(action=input.action, result=AutoTagResult(tags=tags, ticketTags=merged))


# ---- seed 003's prompt playground -------------------------------------------------------------------

# Classifications in flight at once: enough to hide a hosted model's latency, few enough not to
# trip its rate limit (the local engine has two worker threads anyway).
PROMPT_TEST_CONCURRENCY = 4


@procedure("ai.testPrompts", "mutation", role="admin", scope="ai:run", feature="full", metered=True)
async def test_prompts(ctx: Context, input: TestPromptsInput) -> PromptTestOutput:
    """Classify the organization's own tickets carrying `tag` with a candidate model and prompt.

    One AI operation for the whole batch. A ticket whose classification fails reports its error
    and the others go on; if every one fails, the operation failed and is not charged.
    """
    caller = ctx.require_caller()
    org_settings, _ = await _settings(ctx)
    engine, settings = _playground_engine(ctx, org_settings.engine, input.model, input.systemPrompt)
    taxonomy = list(org_settings.intent_taxonomy)
    samples = await tickets_for_prompt_test(ctx.pool, caller.org_id, input.tag, input.limit)
    gate = asyncio.Semaphore(PROMPT_TEST_CONCURRENCY)

    async def classify(sample_text: TicketText) -> AIResult[Classification] | AIError:
        async with gate:
            try:
                return await engine.classify(sample_text, taxonomy, settings)
            except AIError as error:
                return error

    outcomes = await asyncio.gather(
        *(classify(TicketText(subject=sample.subject, description=sample.description_text)) for sample in samples)
    )
    failures = [outcome for outcome in outcomes if isinstance(outcome, AIError)]
    if samples and len(failures) == len(samples):
        raise failures[0]
    results = []
    usage: list[TokenUsage] = []
    models = []
    for sample, outcome in zip(samples, outcomes, strict=True):
        if isinstance(outcome, AIError):
            detail = f": {outcome}" if ctx.settings.debug else ""
            results.append(PromptTestResult(sample.id, sample.subject, sample.tags, sample.status, None, f"Classification failed{detail}"))
        else:
            usage.extend(outcome.usage)
            models.append(outcome.model)
            results.append(PromptTestResult(sample.id, sample.subject, sample.tags, sample.status, outcome.value, None))
    model = models[0] if models else engine.model_name(settings)
    await _record(ctx, _ledger(usage, "classify", model))
    return PromptTestOutput(results=results, total=len(results), model=model, testedAt=datetime.now(UTC))
