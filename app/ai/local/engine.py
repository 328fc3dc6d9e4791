"""The offline engine: every operation of `app.ai.interface.Engine`, with no network and no key.

Each operation runs its CPU work on the two local worker threads (see workers.py) and reports one
`TokenUsage` with deterministic word-piece estimates, so the token ledger and the quotas behave the
same whether the local engine or a hosted model answered. Same input, same output.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec

from app.ai.interface import (
    AIError,
    AIResult,
    Analysis,
    Candidate,
    Classification,
    Embeddings,
    EngineSettings,
    ImprovedText,
    IntentDefinition,
    Priority,
    Ranking,
    Replies,
    ReplyDelta,
    ReplyDone,
    Sentiment,
    Summary,
    Tags,
    TicketText,
    TokenUsage,
)
from app.ai.local.embedding import (
    EMBEDDING_DIMENSIONS,
    MAX_INPUT_CHARS,
    MODEL_NAME,
    embed_text,
    embed_texts,
    warm_up_embedder,
)
from app.ai.local.improve import improve_text
from app.ai.local.intent import DEFAULT_TAXONOMY, classify_intent
from app.ai.local.language import detect_language, warm_up_language
from app.ai.local.priority import predict_priority
from app.ai.local.rank import rank_candidates
from app.ai.local.reading import TicketReading, read_ticket
from app.ai.local.replies import draft_replies
from app.ai.local.sentiment import SENTIMENT_PROTOTYPES, analyze_sentiment
from app.ai.local.summary import is_about_billing, next_step, summarize_ticket
from app.ai.local.tags import keyword_tags, suggest_tags
from app.ai.local.text import cap, estimate_tokens
from app.ai.local.workers import run_cpu

ENGINE_NAME = "local"
LOCAL_MODEL = f"{ENGINE_NAME}/{MODEL_NAME}"


class LocalEngine:
    """Implements `app.ai.interface.Engine` offline. Stateless apart from shared model caches."""

    name = ENGINE_NAME

    def model_name(self, settings: EngineSettings) -> str:
        return LOCAL_MODEL

    def embedding_model_name(self, settings: EngineSettings) -> str:
        return LOCAL_MODEL

    def embedding_dimensions(self, settings: EngineSettings) -> int:
        return EMBEDDING_DIMENSIONS

    async def summarize(self, ticket: TicketText, settings: EngineSettings) -> AIResult[Summary]:
        return await _run("summarize", _summarize, ticket, settings)

    async def sentiment(self, text: str, settings: EngineSettings) -> AIResult[Sentiment]:
        return await _run("sentiment", _sentiment, text)

    async def priority(self, ticket: TicketText, settings: EngineSettings) -> AIResult[Priority]:
        return await _run("priority", _priority, ticket, settings)

    async def tags(self, ticket: TicketText, existing_tags: list[str], settings: EngineSettings) -> AIResult[Tags]:
        return await _run("tags", _tags, ticket, existing_tags, settings)

    async def replies(
        self, ticket: TicketText, article: Candidate | None, settings: EngineSettings
    ) -> AIResult[Replies]:
        return await _run("replies", _replies, ticket, article, settings)

    async def classify(
        self, ticket: TicketText, taxonomy: list[IntentDefinition], settings: EngineSettings
    ) -> AIResult[Classification]:
        return await _run("classify", _classify, ticket, taxonomy, settings)

    async def improve(self, text: str, tone: str | None, settings: EngineSettings) -> AIResult[ImprovedText]:
        return await _run("improve", _improve, text, tone, settings)

    async def rank(
        self, ticket: TicketText, candidates: list[Candidate], kind: str, settings: EngineSettings
    ) -> AIResult[Ranking]:
        return await _run("rank", _rank, ticket, candidates, kind, settings)

    async def analyze(
        self, ticket: TicketText, existing_tags: list[str], settings: EngineSettings
    ) -> AIResult[Analysis]:
        return await _run("analyze", _analyze, ticket, existing_tags, settings)

    async def embed(self, texts: list[str], settings: EngineSettings) -> AIResult[Embeddings]:
        return await _run("embed", _embed, texts)

    async def stream_reply(
        self, ticket: TicketText, article: Candidate | None, tone: str | None, settings: EngineSettings
    ) -> AsyncIterator[ReplyDelta | ReplyDone]:
        """The first draft of `replies` (the one in the requested tone), yielded word by word."""
        toned = msgspec.structs.replace(settings, reply_tone=tone) if tone else settings
        result = await _run("replies", _replies, ticket, article, toned)
        draft = result.value.suggestions[0].text
        prompt_tokens = result.usage[0].prompt_tokens

        def used(text: str) -> TokenUsage:
            return TokenUsage("replies", LOCAL_MODEL, prompt_tokens, estimate_tokens(text), cost_usd=0.0)

        sent = ""
        for piece in _WORD_START.split(draft):
            sent += piece
            yield ReplyDelta(text=piece, consumed=used(sent))
            await asyncio.sleep(0)  # one piece at a time, as a model would produce them
        yield ReplyDone(text=sent, usage=used(sent), model=LOCAL_MODEL)

    async def warm_up(self) -> None:
        await warm_up()


# Splits a text before every word that follows whitespace: the pieces join back to the text.
_WORD_START = re.compile(r"(?<=\s)(?=\S)")


async def warm_up() -> None:
    """Load weights and build prototypes before the first request (about 1.5 s, once per process)."""
    await run_cpu(warm_up_sync)


def warm_up_sync() -> None:
    warm_up_embedder()
    warm_up_language()
    SENTIMENT_PROTOTYPES.centroids()
    sample = TicketText(
        subject="Warm-up ticket",
        description="I cannot log in since this morning. Please cancel my subscription and refund the charge?",
    )
    reading = read_ticket(sample, None)
    classify_intent(reading.customer_text, reading.vector, DEFAULT_TAXONOMY, reading.language)
    for language in ("en", "es", "fr", "de", "it", "pt"):
        keyword_tags(sample.description, language)  # builds the per-language stopword sets
    _analysis(reading, [])


# ---- operations (run on the worker threads) ----------------------------------------------------
# Each returns (answer, prompt text, completion text) so `_run` can account tokens uniformly.

Outcome = tuple[Any, str, str]


def _summarize(ticket: TicketText, settings: EngineSettings) -> Outcome:
    reading = read_ticket(ticket, settings.language)
    summary = Summary(summary=_summary_text(reading, _sentiment_of(reading)))
    return summary, reading.full_text, summary.summary


def _sentiment(text: str) -> Outcome:
    capped = cap(text, MAX_INPUT_CHARS)
    sentiment, _signals = analyze_sentiment(capped, embed_text(capped))
    return sentiment, capped, _json(sentiment)


def _priority(ticket: TicketText, settings: EngineSettings) -> Outcome:
    reading = read_ticket(ticket, settings.language)
    priority = _priority_of(reading, _sentiment_of(reading))
    return priority, reading.full_text, _json(priority)


def _tags(ticket: TicketText, existing_tags: list[str], settings: EngineSettings) -> Outcome:
    reading = read_ticket(ticket, settings.language)
    tags = Tags(tags=suggest_tags(reading.customer_text, reading.vector, existing_tags, reading.language))
    return tags, _with(reading.full_text, existing_tags), _json(tags)


def _replies(ticket: TicketText, article: Candidate | None, settings: EngineSettings) -> Outcome:
    reading = read_ticket(ticket, settings.language)
    sentiment = _sentiment_of(reading)
    situation = next_step(
        (),
        reading.cues,
        _is_urgent(reading, sentiment),
        reading.praise_or_wish,
        reading.asks_question,
        is_about_billing(ticket),
    )
    drafts = draft_replies(
        ticket.subject, reading.language, situation, sentiment.sentiment, article, settings.reply_tone
    )
    replies = Replies(suggestions=drafts)
    prompt = _with(reading.full_text, [article.text] if article else [])
    return replies, prompt, "\n".join(draft.text for draft in drafts)


def _classify(ticket: TicketText, taxonomy: list[IntentDefinition], settings: EngineSettings) -> Outcome:
    reading = read_ticket(ticket, settings.language)
    classification = classify_intent(reading.customer_text, reading.vector, taxonomy, reading.language)
    definitions = [f"{intent.name}: {intent.description}" for intent in taxonomy or DEFAULT_TAXONOMY]
    return classification, _with(reading.customer_text, definitions), _json(classification)


def _improve(text: str, tone: str | None, settings: EngineSettings) -> Outcome:
    language = detect_language(text, settings.language).language
    improved = ImprovedText(text=improve_text(text, tone, language))
    return improved, text, improved.text


def _rank(ticket: TicketText, candidates: list[Candidate], kind: str, settings: EngineSettings) -> Outcome:
    reading = read_ticket(ticket, settings.language)
    texts = [candidate.text for candidate in candidates]
    ranked = rank_candidates(reading.customer_text, reading.vector, candidates, embed_texts(texts), kind)
    ranking = Ranking(ranked=ranked)
    return ranking, _with(reading.full_text, texts), _json(ranking)


def _analyze(ticket: TicketText, existing_tags: list[str], settings: EngineSettings) -> Outcome:
    reading = read_ticket(ticket, settings.language)
    analysis = _analysis(reading, existing_tags)
    return analysis, _with(reading.full_text, existing_tags), _json(analysis)


def _embed(texts: list[str]) -> Outcome:
    vectors = embed_texts(texts)
    embeddings = Embeddings(vectors=vectors.tolist(), dimensions=EMBEDDING_DIMENSIONS)
    # Embedding APIs bill the input only; the vectors are not "completion" text.
    return embeddings, "\n".join(cap(text, MAX_INPUT_CHARS) for text in texts), ""


# ---- shared steps -------------------------------------------------------------------------------


def _analysis(reading: TicketReading, existing_tags: list[str]) -> Analysis:
    sentiment = _sentiment_of(reading)
    return Analysis(
        summary=_summary_text(reading, sentiment),
        priority=_priority_of(reading, sentiment),
        tags=suggest_tags(reading.customer_text, reading.vector, existing_tags, reading.language),
        sentiment=sentiment,
    )


def _sentiment_of(reading: TicketReading) -> Sentiment:
    sentiment, _signals = analyze_sentiment(reading.customer_text, reading.vector, reading.signals)
    return sentiment


def _priority_of(reading: TicketReading, sentiment: Sentiment) -> Priority:
    return predict_priority(reading.customer_text, sentiment, reading.signals)


def _summary_text(reading: TicketReading, sentiment: Sentiment) -> str:
    return summarize_ticket(
        reading.ticket,
        reading.language,
        reading.vector,
        reading.cues,
        _is_urgent(reading, sentiment),
        reading.praise_or_wish,
        embed_texts,
    )


def _is_urgent(reading: TicketReading, sentiment: Sentiment) -> bool:
    return reading.wide_impact or sentiment.urgency == "high"


def _with(text: str, extras: list[str]) -> str:
    return "\n".join([text, *extras]) if extras else text


def _json(value: msgspec.Struct) -> str:
    return msgspec.json.encode(value).decode()


async def _run(operation: str, work: Callable[..., Outcome], *args: Any) -> AIResult[Any]:
    try:
        value, prompt_text, completion_text = await run_cpu(work, *args)
    except AIError:
        raise
    except Exception as error:  # the caller must not charge an operation the engine failed
        raise AIError(f"local engine failed in {operation}: {type(error).__name__}") from error
    usage = TokenUsage(
        operation=operation,
        model=LOCAL_MODEL,
        prompt_tokens=estimate_tokens(prompt_text),
        completion_tokens=estimate_tokens(completion_text),
        cost_usd=0.0,
    )
    return AIResult(value=value, usage=[usage], model=LOCAL_MODEL)
