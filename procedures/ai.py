"""ai.*: the AI features of the helpdesk.

Every procedure but `ai.getTokenUsage` is one metered AI operation (app.usage.metering wraps it: the
operation is reserved before the handler and released if the handler raises). Each handler reads,
calls a service of `app.assist` and writes:

1. read what it needs (usually one statement: app.assist.tickets.ticket_for_ai);
2. do the AI work without writing anything (an AIError leaves no trace and is not charged);
3. write its side effects and its token-ledger rows in ONE transaction, then return.

Which engine answers is `app.assist.engines`; vectors are `app.assist.vectors`; articles, assignees
and similar tickets have a module each under `app/assist/`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from app.ai.interface import Analysis, Classification, Priority, ReplyDraft, Sentiment
from app.assist import articles, assignees, similarity
from app.assist.articles import ArticleSuggestion
from app.assist.assignees import AssigneeSuggestion
from app.assist.engines import chat_engine, ledger, playground_engine, record_suggested
from app.assist.feedback import Suggested, record_answer
from app.assist.prompt_test import PromptTestOutput, run_prompt_test
from app.assist.replies import reply_drafts
from app.assist.reply_stream import ReplyStreamEvent, stream_reply_draft
from app.assist.similarity import SimilarTicketMatch
from app.assist.tickets import apply_ai_results, org_settings, ticket_content, ticket_for_ai, valid_tags
from app.assist.vectors import store_and_record, store_and_record_answer, ticket_vector
from app.context import Context
from app.errors import TRPCError
from app.helpdesk.tiptap import Description
from app.registry import Feature, procedure
from app.usage.report import GroupBy, TokenUsageReport, parse_usage_period, token_usage_report

# ---- input types --------------------------------------------------------------------------------
# Every text an AI procedure takes has a limit the API states: a subject as on tickets, a
# description as on tickets (app.helpdesk.tiptap.Description), other text at most 50,000 characters.

Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=50_000)]
ModelName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="One of the server's AI_ALLOWED_MODELS")]
SystemPrompt = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
Tone = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=50)]


class TicketIdInput(msgspec.Struct, frozen=True, kw_only=True):
    ticketId: UUID


class StreamReplyInput(msgspec.Struct, frozen=True, kw_only=True):
    ticketId: UUID
    tone: Tone | None = None


class TextInput(msgspec.Struct, frozen=True, kw_only=True):
    text: Text


class TicketContentInput(msgspec.Struct, frozen=True, kw_only=True):
    subject: Subject
    description: Description


class ImproveTextInput(msgspec.Struct, frozen=True, kw_only=True):
    text: Text
    tone: Tone | None = None


class ClassifyInput(msgspec.Struct, frozen=True, kw_only=True):
    subject: Subject
    description: Description = ""
    model: ModelName | None = None
    systemPrompt: SystemPrompt | None = None


class SuggestAssigneeInput(msgspec.Struct, frozen=True, kw_only=True):
    subject: Subject
    description: Description
    ticketId: UUID | None = None


class FindSimilarInput(msgspec.Struct, frozen=True, kw_only=True):
    ticketId: UUID
    limit: Limit = 5


# ISO dates or date-times, or Dates through superjson (app.usage.report.parse_usage_bound).
UsageBound = Annotated[
    Any,
    msgspec.Meta(
        description="A Date, or an ISO date (its whole UTC day) or date-time (UTC when it has no offset).",
        extra={"typescript": "Date | string | null"},
    ),
]


class TokenUsageInput(msgspec.Struct, frozen=True, kw_only=True):
    startDate: UsageBound = None
    endDate: UsageBound = None
    groupBy: GroupBy | None = None


AiAction = Literal["auto-tag", "suggest-reply", "summarize", "improve"]


class RunInput(msgspec.Struct, frozen=True, kw_only=True):
    action: AiAction
    ticketId: UUID | None = None
    text: Text | None = None


class TestPromptsInput(msgspec.Struct, frozen=True, kw_only=True):
    tag: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    limit: Limit = 10
    model: ModelName | None = None
    systemPrompt: SystemPrompt | None = None


# ---- output types -------------------------------------------------------------------------------


# Every answer a person can act on carries `suggestionId`: pass it to ai.feedback to say what
# you did with the answer (accepted, edited, rejected).
SuggestionId = UUID


class SummaryOutput(msgspec.Struct, frozen=True, kw_only=True):
    summary: str
    suggestionId: SuggestionId


class TagsOutput(msgspec.Struct, frozen=True, kw_only=True):
    tags: list[str]
    suggestionId: SuggestionId


class TextOutput(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    suggestionId: SuggestionId


class SentimentOutput(Sentiment, frozen=True, kw_only=True):
    suggestionId: SuggestionId


class PriorityOutput(Priority, frozen=True, kw_only=True):
    suggestionId: SuggestionId


class ClassificationOutput(Classification, frozen=True, kw_only=True):
    suggestionId: SuggestionId


class AnalysisOutput(Analysis, frozen=True, kw_only=True):
    suggestionId: SuggestionId


class ReplySuggestions(msgspec.Struct, frozen=True, kw_only=True):
    suggestions: list[ReplyDraft]
    suggestionId: SuggestionId


class AssigneeOutput(msgspec.Struct, frozen=True, kw_only=True):
    suggestion: AssigneeSuggestion | None
    suggestionId: SuggestionId


class ArticleSuggestions(msgspec.Struct, frozen=True, kw_only=True):
    suggestions: list[ArticleSuggestion]
    suggestionId: SuggestionId


class SimilarTickets(msgspec.Struct, frozen=True, kw_only=True):
    similarTickets: list[SimilarTicketMatch]
    suggestionId: SuggestionId


class EmbeddingOutput(msgspec.Struct, frozen=True, kw_only=True):
    success: bool
    tokenCount: int
    embeddingDimensions: int


class AutoTagResult(msgspec.Struct, frozen=True, kw_only=True):
    tags: list[str]  # what the AI suggested (and what was applied)
    ticketTags: list[str]  # the ticket's tags afterwards
    suggestionId: SuggestionId


class SuggestReplyResult(msgspec.Struct, frozen=True, kw_only=True):
    suggestion: str  # the first draft, in the organization's preferred tone
    suggestions: list[ReplyDraft]
    suggestionId: SuggestionId


class RunOutput(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["ai_result"] = "ai_result"
    action: AiAction
    # One shape per action; `action` says which.
    result: AutoTagResult | SuggestReplyResult | SummaryOutput | TextOutput


# ---- basic AI -----------------------------------------------------------------------------------


@procedure("ai.summarizeTicket", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def summarize_ticket(ctx: Context, input: TicketIdInput) -> SummaryOutput:
    caller = ctx.require_caller()
    ticket = await ticket_for_ai(ctx, input.ticketId)
    settings = ticket.settings.engine
    result = await chat_engine(ctx, settings).summarize(ticket.text(), settings)
    async with ctx.pool.acquire() as connection, connection.transaction():
        await apply_ai_results(connection, caller.org_id, ticket.id, summary=result.value.summary, tags=[])
        suggestion_id = await record_answer(
            connection, caller, ledger(result.usage, "summarize", result.model),
            Suggested("summarizeTicket", result.model, ticket.id),
        )
    return SummaryOutput(summary=result.value.summary, suggestionId=suggestion_id)


@procedure("ai.analyzeSentiment", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def analyze_sentiment(ctx: Context, input: TextInput) -> SentimentOutput:
    settings, _ = await org_settings(ctx)
    result = await chat_engine(ctx, settings.engine).sentiment(input.text, settings.engine)
    suggested = Suggested("analyzeSentiment", result.model)
    suggestion_id = await record_suggested(ctx, ledger(result.usage, "sentiment", result.model), suggested)
    return SentimentOutput(**msgspec.structs.asdict(result.value), suggestionId=suggestion_id)


@procedure("ai.predictPriority", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def predict_priority(ctx: Context, input: TicketContentInput) -> PriorityOutput:
    content = await ticket_content(input.subject, input.description)
    settings, _ = await org_settings(ctx)
    result = await chat_engine(ctx, settings.engine).priority(content, settings.engine)
    suggested = Suggested("predictPriority", result.model)
    suggestion_id = await record_suggested(ctx, ledger(result.usage, "priority", result.model), suggested)
    return PriorityOutput(**msgspec.structs.asdict(result.value), suggestionId=suggestion_id)


@procedure("ai.suggestTags", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def suggest_tags(ctx: Context, input: TicketContentInput) -> TagsOutput:
    content = await ticket_content(input.subject, input.description)
    settings, existing = await org_settings(ctx, with_existing_tags=True)
    result = await chat_engine(ctx, settings.engine).tags(content, existing, settings.engine)
    suggested = Suggested("suggestTags", result.model)
    suggestion_id = await record_suggested(ctx, ledger(result.usage, "tags", result.model), suggested)
    return TagsOutput(tags=valid_tags(result.value.tags), suggestionId=suggestion_id)


@procedure("ai.improveText", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def improve_text(ctx: Context, input: ImproveTextInput) -> TextOutput:
    settings, _ = await org_settings(ctx)
    result = await chat_engine(ctx, settings.engine).improve(input.text, input.tone, settings.engine)
    suggested = Suggested("improveText", result.model)
    suggestion_id = await record_suggested(ctx, ledger(result.usage, "improve", result.model), suggested)
    return TextOutput(text=result.value.text, suggestionId=suggestion_id)


@procedure("ai.classifyTicket", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def classify_ticket(ctx: Context, input: ClassifyInput) -> ClassificationOutput:
    org, _ = await org_settings(ctx)
    engine, settings = playground_engine(ctx, org.engine, input.model, input.systemPrompt)
    content = await ticket_content(input.subject, input.description)
    result = await engine.classify(content, list(org.intent_taxonomy), settings)
    suggested = Suggested("classifyTicket", result.model)
    suggestion_id = await record_suggested(ctx, ledger(result.usage, "classify", result.model), suggested)
    return ClassificationOutput(**msgspec.structs.asdict(result.value), suggestionId=suggestion_id)


@procedure("ai.generateTicketEmbedding", "mutation", role="agent", scope="ai:run", feature="basic", metered=True)
async def generate_ticket_embedding(ctx: Context, input: TicketIdInput) -> EmbeddingOutput:
    ticket = await ticket_for_ai(ctx, input.ticketId, with_messages=False)
    vector = await ticket_vector(ctx, ticket, ticket.settings.engine, refresh=True)
    stored = await store_and_record(ctx, vector, ledger(vector.usage, "embed", vector.model))
    return EmbeddingOutput(
        success=stored,
        tokenCount=sum(call.prompt_tokens for call in vector.usage),
        embeddingDimensions=vector.dimensions,
    )


# ---- full assist --------------------------------------------------------------------------------


@procedure("ai.generateReplySuggestions", "mutation", role="agent", scope="ai:run", feature="full", metered=True)
async def generate_reply_suggestions(ctx: Context, input: TicketIdInput) -> ReplySuggestions:
    ticket = await ticket_for_ai(ctx, input.ticketId)
    drafts, usage, vector = await reply_drafts(ctx, ticket)
    suggested = Suggested("generateReplySuggestions", usage[-1].model, ticket.id)
    suggestion_id = await store_and_record_answer(ctx, vector, usage, suggested)
    return ReplySuggestions(suggestions=drafts, suggestionId=suggestion_id)


@procedure("ai.streamReply", "subscription", role="agent", scope="ai:run", feature="full", metered=True)
async def stream_reply(ctx: Context, input: StreamReplyInput) -> AsyncIterator[ReplyStreamEvent]:
    """One reply draft for the ticket, streamed over server-sent events as the model writes it:
    `{type: "delta", delta}` events, then exactly one `{type: "done", done: true, text, usage,
    suggestionId}` whose `text` is the deltas joined. `tone` (at most 40 characters) defaults to
    the organization's reply tone. One AI operation, like `ai.generateReplySuggestions`: reserved
    when the stream starts, not charged if the model fails before its first piece (the stream
    then ends with an INTERNAL_SERVER_ERROR event). A client that disconnects stops the model;
    the tokens consumed until then are recorded."""
    async for event in stream_reply_draft(ctx, input.ticketId, input.tone):
        yield event


@procedure("ai.suggestAssignee", "mutation", role="agent", scope="ai:run", feature="full", metered=True)
async def suggest_assignee(ctx: Context, input: SuggestAssigneeInput) -> AssigneeOutput:
    suggestion, suggestion_id = await assignees.suggest_assignee(ctx, input.subject, input.description, input.ticketId)
    return AssigneeOutput(suggestion=suggestion, suggestionId=suggestion_id)


@procedure("ai.suggestArticles", "mutation", role="agent", scope="ai:run", feature="full", metered=True)
async def suggest_articles(ctx: Context, input: TicketIdInput) -> ArticleSuggestions:
    ticket = await ticket_for_ai(ctx, input.ticketId)
    settings = ticket.settings.engine
    text = ticket.text()
    vector = await ticket_vector(ctx, ticket, settings)
    candidates = await articles.article_candidates(ctx, text, vector, settings)
    ranking = await chat_engine(ctx, settings).rank(text, articles.ranking_candidates(candidates), "article", settings)
    usage = [*vector.usage, *ledger(ranking.usage, "rank", ranking.model)]
    suggestion_id = await store_and_record_answer(ctx, vector, usage, Suggested("suggestArticles", ranking.model, ticket.id))
    return ArticleSuggestions(suggestions=articles.suggestions(candidates, ranking.value), suggestionId=suggestion_id)


@procedure("ai.analyzeTicket", "mutation", role="agent", scope="ai:run", feature="full", metered=True)
async def analyze_ticket(ctx: Context, input: TicketIdInput) -> AnalysisOutput:
    """Summary, priority, tags and sentiment as ONE engine call (one AI operation); stores the
    summary and merges the suggested tags into the ticket."""
    caller = ctx.require_caller()
    ticket = await ticket_for_ai(ctx, input.ticketId, with_existing_tags=True)
    settings = ticket.settings.engine
    result = await chat_engine(ctx, settings).analyze(ticket.text(), ticket.existing_tags, settings)
    tags = valid_tags(result.value.tags)
    async with ctx.pool.acquire() as connection, connection.transaction():
        await apply_ai_results(connection, caller.org_id, ticket.id, summary=result.value.summary, tags=tags)
        suggestion_id = await record_answer(
            connection, caller, ledger(result.usage, "analyze", result.model),
            Suggested("analyzeTicket", result.model, ticket.id),
        )
    # The engine's Analysis is the catalog's output shape; only the tags are the validated ones.
    return AnalysisOutput(**msgspec.structs.asdict(result.value) | {"tags": tags}, suggestionId=suggestion_id)


@procedure("ai.findSimilarTickets", "mutation", role="agent", scope="ai:run", feature="full", metered=True)
async def find_similar_tickets(ctx: Context, input: FindSimilarInput) -> SimilarTickets:
    matches, suggestion_id = await similarity.similar_tickets(ctx, input.ticketId, input.limit)
    return SimilarTickets(similarTickets=matches, suggestionId=suggestion_id)


# ---- usage --------------------------------------------------------------------------------------


@procedure("ai.getTokenUsage", "query", scope="ticket:read")
async def get_token_usage(ctx: Context, input: TokenUsageInput) -> TokenUsageReport:
    caller = ctx.require_caller()
    start, end = parse_usage_period(input.startDate, input.endDate)
    return await token_usage_report(ctx.pool, caller.org_id, start, end, input.groupBy)


# ---- the action dispatcher ----------------------------------------------------------------------


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
)
async def run_action(ctx: Context, input: RunInput) -> RunOutput:
    caller = ctx.require_caller()
    if input.action == "improve":
        text = _require(input.text, "text", input.action)
        if input.ticketId is not None:
            # A draft for a named ticket: the ticket must exist here, as for every other action
            # (an unknown id never succeeds, whatever the action).
            await ticket_for_ai(ctx, input.ticketId, with_messages=False)
        improved = await improve_text(ctx, ImproveTextInput(text=text))
        return RunOutput(action=input.action, result=improved)
    ticket_id = _require(input.ticketId, "ticketId", input.action)
    if input.action == "summarize":
        return RunOutput(action=input.action, result=await summarize_ticket(ctx, TicketIdInput(ticketId=ticket_id)))
    if input.action == "suggest-reply":
        ticket = await ticket_for_ai(ctx, ticket_id)
        drafts, usage, vector = await reply_drafts(ctx, ticket)
        suggested = Suggested("generateReplySuggestions", usage[-1].model, ticket.id)
        suggestion_id = await store_and_record_answer(ctx, vector, usage, suggested)
        result = SuggestReplyResult(suggestion=drafts[0].text, suggestions=drafts, suggestionId=suggestion_id)
        return RunOutput(action=input.action, result=result)
    # auto-tag: suggest tags for the ticket and apply them.
    ticket = await ticket_for_ai(ctx, ticket_id, with_existing_tags=True)
    settings = ticket.settings.engine
    tagged = await chat_engine(ctx, settings).tags(ticket.text(), ticket.existing_tags, settings)
    tags = valid_tags(tagged.value.tags)
    async with ctx.pool.acquire() as connection, connection.transaction():
        merged = await apply_ai_results(connection, caller.org_id, ticket.id, summary=None, tags=tags)
        suggestion_id = await record_answer(
            connection, caller, ledger(tagged.usage, "tags", tagged.model), Suggested("suggestTags", tagged.model, ticket.id)
        )
    return RunOutput(action=input.action, result=AutoTagResult(tags=tags, ticketTags=merged, suggestionId=suggestion_id))


# ---- the prompt playground ----------------------------------------------------------------------


@procedure("ai.testPrompts", "mutation", role="admin", scope="ai:run", feature="full", metered=True)
async def test_prompts(ctx: Context, input: TestPromptsInput) -> PromptTestOutput:
    """Classify the organization's own tickets carrying `tag` with a candidate model and prompt.

    One AI operation for the whole batch; a ticket whose classification fails reports its error.
    """
    return await run_prompt_test(ctx, input.tag, input.limit, input.model, input.systemPrompt)
