"""The AI engine interface: one typed operation per capability.

Procedures call an `Engine`; two implementations exist (`app/ai/local/` offline, and
`app/ai/litellm_engine.py` for any hosted model). Every operation returns an `AIResult`, which
carries the typed answer and the token usage of every model call that produced it, so the caller
can write the token ledger in the same transaction as its side effects.

The answer Structs double as the JSON Schema handed to a model for structured output
(`msgspec.json.schema(Sentiment)`), so the shape lives in exactly one place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Generic, Literal, Protocol, TypeVar

import msgspec

SentimentLabel = Literal["positive", "neutral", "negative"]
Urgency = Literal["low", "medium", "high"]
PriorityLabel = Literal["low", "normal", "high", "urgent"]
Language = Literal["en", "es", "fr", "de", "it", "pt"]
Author = Literal["customer", "agent"]

Score = Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)]
Confidence = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


# ---- inputs -------------------------------------------------------------------------------


class ThreadMessage(msgspec.Struct, frozen=True):
    author: Author
    content: str


class TicketText(msgspec.Struct, frozen=True):
    """What an engine sees of a ticket: plain text only, never TipTap JSON."""

    subject: str
    description: str
    messages: tuple[ThreadMessage, ...] = ()  # oldest first; callers pass at most the 5 newest


class IntentDefinition(msgspec.Struct, frozen=True):
    name: str
    description: str


class Candidate(msgspec.Struct, frozen=True):
    """Something to rank against a ticket: an article, an agent, another ticket."""

    id: str
    text: str
    # Optional precomputed similarity (for example pgvector cosine) the engine may blend in.
    prior: float | None = None


class EngineSettings(msgspec.Struct, frozen=True):
    """Per-organization choices; the environment fills what the organization leaves empty."""

    model: str | None = None
    fallback_models: tuple[str, ...] = ()
    embedding_model: str | None = None
    # Operation name (see OPERATIONS) -> system prompt that replaces the shipped one.
    system_prompts: dict[str, str] = {}
    redact_pii: bool = True
    reply_tone: str = "friendly"
    language: Language | None = None  # organization default when detection is unsure


OPERATIONS = (
    "summarize",
    "sentiment",
    "priority",
    "tags",
    "replies",
    "classify",
    "improve",
    "rank",
    "analyze",
    "embed",
)


# ---- outputs ------------------------------------------------------------------------------


class Summary(msgspec.Struct, frozen=True):
    summary: str


class Sentiment(msgspec.Struct, frozen=True):
    sentiment: SentimentLabel
    score: Score
    emotions: list[str]
    urgency: Urgency


class Priority(msgspec.Struct, frozen=True):
    priority: PriorityLabel
    confidence: Confidence
    reasoning: str


class Tags(msgspec.Struct, frozen=True):
    tags: list[str]


class ReplyDraft(msgspec.Struct, frozen=True):
    text: str
    tone: str
    length: Literal["concise", "detailed"]


class Replies(msgspec.Struct, frozen=True):
    suggestions: list[ReplyDraft]


class Classification(msgspec.Struct, frozen=True):
    intent: str
    confidence: Confidence
    reasoning: str
    detectedLanguage: Language | None = None


class ImprovedText(msgspec.Struct, frozen=True):
    text: str


class RankedCandidate(msgspec.Struct, frozen=True):
    id: str
    relevance: Confidence
    reasoning: str


class Ranking(msgspec.Struct, frozen=True):
    ranked: list[RankedCandidate]  # best first; only candidates worth showing


class Analysis(msgspec.Struct, frozen=True):
    summary: str
    priority: Priority
    tags: list[str]
    sentiment: Sentiment


class Embeddings(msgspec.Struct, frozen=True):
    vectors: list[list[float]]
    dimensions: int


class TokenUsage(msgspec.Struct, frozen=True):
    operation: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


T = TypeVar("T")


class AIResult(msgspec.Struct, Generic[T], frozen=True):
    value: T
    usage: list[TokenUsage]
    model: str  # the model that produced `value` (after any fallback)


class ReplyDelta(msgspec.Struct, frozen=True):
    """One piece of a streamed reply draft, as the model produced it. `consumed` is the usage so
    far: the prompt and the completion tokens up to and including this piece, which is what the
    ledger records when the stream is abandoned here."""

    text: str
    consumed: TokenUsage


class ReplyDone(msgspec.Struct, frozen=True):
    """The end of a streamed reply draft: `text` is the concatenation of every delta's text."""

    text: str
    usage: TokenUsage
    model: str


class AIError(Exception):
    """The AI layer could not answer (all retries and fallbacks failed). Never carries a key."""


# ---- the engine ---------------------------------------------------------------------------


class Engine(Protocol):
    name: str  # "local" or "litellm"

    def model_name(self, settings: EngineSettings) -> str: ...

    def embedding_model_name(self, settings: EngineSettings) -> str: ...

    def embedding_dimensions(self, settings: EngineSettings) -> int: ...

    async def summarize(self, ticket: TicketText, settings: EngineSettings) -> AIResult[Summary]: ...

    async def sentiment(self, text: str, settings: EngineSettings) -> AIResult[Sentiment]: ...

    async def priority(self, ticket: TicketText, settings: EngineSettings) -> AIResult[Priority]: ...

    async def tags(
        self, ticket: TicketText, existing_tags: list[str], settings: EngineSettings
    ) -> AIResult[Tags]: ...

    async def replies(
        self, ticket: TicketText, article: Candidate | None, settings: EngineSettings
    ) -> AIResult[Replies]: ...

    async def classify(
        self,
        ticket: TicketText,
        taxonomy: list[IntentDefinition],
        settings: EngineSettings,
    ) -> AIResult[Classification]: ...

    async def improve(self, text: str, tone: str | None, settings: EngineSettings) -> AIResult[ImprovedText]: ...

    async def rank(
        self, ticket: TicketText, candidates: list[Candidate], kind: str, settings: EngineSettings
    ) -> AIResult[Ranking]: ...

    async def analyze(
        self, ticket: TicketText, existing_tags: list[str], settings: EngineSettings
    ) -> AIResult[Analysis]: ...

    async def embed(self, texts: list[str], settings: EngineSettings) -> AIResult[Embeddings]: ...

    def stream_reply(
        self, ticket: TicketText, article: Candidate | None, tone: str | None, settings: EngineSettings
    ) -> AsyncIterator[ReplyDelta | ReplyDone]:
        """One reply draft in `tone` (the organization's when None), streamed: deltas, then one
        ReplyDone. Raises AIError before the first delta when no model answers; closing the
        iterator early stops the model call."""
        ...
