"""The hosted-model engine: every operation is one structured-output call through litellm.

How one operation runs:
- The system prompt is the organization's override or the shipped one (`app/ai/prompts/`); the
  ticket and any other customer text go as delimited JSON data in the user message.
- With `redact_pii`, PII is replaced by placeholders before anything is sent and restored in
  the decoded answer.
- The answer must decode (msgspec, so types and ranges are validated) into the operation's
  Struct, whose JSON Schema is also sent as `response_format`. An invalid answer gets ONE repair
  request that quotes the validation error; if that fails too, the next fallback model is tried.
- Rate limits, 5xx and timeouts are retried with bounded exponential backoff (honouring
  Retry-After up to the cap); other provider errors (bad key, unknown model, bad request) move on
  to the next fallback model at once.
- Token usage is recorded for every response received during an operation that succeeds,
  including an invalid answer that was repaired and answers from a model that was then given up
  on, because the provider bills those tokens. Errors and timeouts return no usage, and an
  operation that fails as a whole raises `AIError` and records nothing (it is not charged).
- `AIError` messages name models, error classes, HTTP statuses and validation problems only:
  never an API key or a provider's response body.

litellm takes about 2 s to import and by default fetches a price map over the network and reads
`.env`; it is imported on first use, in a worker thread, with both behaviours switched off.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import ModuleType
from typing import Any, TypeVar

import msgspec

from app.ai import prompts
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
from app.ai.litellm_stream import stream_reply
from app.ai.provider_errors import backoff_delay, describe_error, retry_after_seconds, status_code
from app.ai.redaction import Redactions, redact_values, restore_value
from app.ai.structured_output import (
    AnswerT,
    InvalidAnswer,
    consistent_sentiment,
    decode_answer,
    intent_problem,
    normalized_tags,
    ranking_of_known,
    repair_request,
    replies_problem,
    response_format,
)

log = logging.getLogger(__name__)

ResponseT = TypeVar("ResponseT")

# Set before the first `import litellm`: no network fetch of the price map, no `.env` loading,
# and no hidden SDK retries (litellm 1.106.2 turns an explicit `max_retries=0` for embeddings
# into this default, because it tests `max_retries or DEFAULT_MAX_RETRIES`).
LITELLM_ENVIRONMENT = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_MODE": "PRODUCTION",
    "DEFAULT_MAX_RETRIES": "0",
}

EMBEDDING_BATCH_SIZE = 256
# litellm enforces `timeout`; this margin only bounds providers whose clients ignore it.
_TIMEOUT_GRACE_S = 1.0


@functools.cache
def import_litellm() -> ModuleType:
    """Import litellm once, offline and quiet."""
    os.environ.update(LITELLM_ENVIRONMENT)
    import litellm

    litellm.suppress_debug_info = True
    litellm.DEFAULT_MAX_RETRIES = 0  # type: ignore[misc]  # a Final constant; in case litellm was imported before us
    return litellm


class _ModelGaveUp(Exception):
    """This model will not answer this operation; the reason is safe to show."""


# ---- the engine ---------------------------------------------------------------------------------


class LitellmEngine:
    """Any model litellm can name, for organizations (or a deployment) that configure one."""

    name = "litellm"

    def __init__(
        self,
        *,
        default_model: str | None,
        fallback_models: tuple[str, ...] = (),
        embedding_model: str | None = None,
        embedding_dimensions: int = 512,
        timeout_s: float = 30.0,
        num_retries: int = 2,
        api_base: str | None = None,
        api_key: str | None = None,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 8.0,
    ) -> None:
        self.default_model = default_model or None
        self.fallback_models = tuple(fallback_models)
        self.default_embedding_model = embedding_model or None
        self._embedding_dimensions = embedding_dimensions
        self._timeout_s = timeout_s
        self._num_retries = max(0, num_retries)
        self._api_base = api_base or None
        self._api_key = api_key or None
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._litellm: ModuleType | None = None

    def __repr__(self) -> str:  # never the key
        return (
            f"LitellmEngine(default_model={self.default_model!r}, "
            f"fallback_models={self.fallback_models!r}, embedding_model={self.default_embedding_model!r})"
        )

    # -- names --

    def model_name(self, settings: EngineSettings) -> str:
        model = settings.model or self.default_model
        if not model:
            raise AIError("no AI model is configured")
        return model

    def chat_models(self, settings: EngineSettings) -> list[str]:
        """The model to ask first, then the fallbacks, each once."""
        fallbacks = settings.fallback_models or self.fallback_models
        return list(dict.fromkeys([self.model_name(settings), *fallbacks]))

    def embedding_model_name(self, settings: EngineSettings) -> str:
        model = settings.embedding_model or self.default_embedding_model
        if not model:
            raise AIError("no embedding model is configured")
        return model

    def embedding_dimensions(self, settings: EngineSettings) -> int:
        return self._embedding_dimensions

    # -- operations --

    async def summarize(self, ticket: TicketText, settings: EngineSettings) -> AIResult[Summary]:
        language = prompts.language_instruction("the summary", settings.language)
        return await self._ask_about(
            "summarize", Summary, settings, f"Summarize this support ticket. {language}", ("ticket", ticket)
        )

    async def sentiment(self, text: str, settings: EngineSettings) -> AIResult[Sentiment]:
        return await self._ask_about(
            "sentiment",
            Sentiment,
            settings,
            "Rate the sentiment of this customer text.",
            ("text", text),
            finish=consistent_sentiment,
        )

    async def priority(self, ticket: TicketText, settings: EngineSettings) -> AIResult[Priority]:
        return await self._ask_about(
            "priority", Priority, settings, "Suggest a priority for this support ticket.", ("ticket", ticket)
        )

    async def tags(self, ticket: TicketText, existing_tags: list[str], settings: EngineSettings) -> AIResult[Tags]:
        return await self._ask_about(
            "tags",
            Tags,
            settings,
            "Suggest tags for this support ticket. The organization's existing tags are listed in <existing_tags>.",
            ("ticket", ticket),
            ("existing_tags", existing_tags),
            finish=lambda tags: Tags(tags=normalized_tags(tags.tags)),
        )

    async def replies(
        self, ticket: TicketText, article: Candidate | None, settings: EngineSettings
    ) -> AIResult[Replies]:
        [sent_ticket, sent_article], pii = _redacted(settings, [ticket, article])
        instructions, blocks = prompts.reply_material(
            "Draft replies to the customer in this support ticket. The organization's preferred tone "
            f"is {json.dumps(settings.reply_tone)}: use it for the first draft. "
            + prompts.language_instruction("the replies", settings.language),
            sent_ticket,
            sent_article,
        )
        result = await self._ask("replies", Replies, settings, instructions, blocks, check=replies_problem)
        return _restored(result, pii)

    async def classify(
        self, ticket: TicketText, taxonomy: list[IntentDefinition], settings: EngineSettings
    ) -> AIResult[Classification]:
        return await self._ask_about(
            "classify",
            Classification,
            settings,
            "Classify the intent of this support ticket. The intents to choose from are listed in <intents>.",
            ("ticket", ticket),
            ("intents", taxonomy),
            check=intent_problem(taxonomy),
        )

    async def improve(self, text: str, tone: str | None, settings: EngineSettings) -> AIResult[ImprovedText]:
        return await self._ask_about(
            "improve",
            ImprovedText,
            settings,
            f"Improve this draft reply, keeping its language. Requested tone: {json.dumps(tone or settings.reply_tone)}.",
            ("draft", text),
        )

    async def rank(
        self, ticket: TicketText, candidates: list[Candidate], kind: str, settings: EngineSettings
    ) -> AIResult[Ranking]:
        if not candidates:  # nothing to judge: spend no tokens
            return AIResult(value=Ranking(ranked=[]), usage=[], model=self.model_name(settings))
        [sent_ticket, sent_candidates], pii = _redacted(settings, [ticket, candidates])
        result = await self._ask(
            "rank",
            Ranking,
            settings,
            f"Judge which of these candidates (kind: {json.dumps(kind)}) would help with this support "
            "ticket. The candidates are listed in <candidates>.",
            [prompts.data_block("ticket", sent_ticket), prompts.data_block("candidates", sent_candidates)],
        )
        return _restored(result, pii, lambda ranking: ranking_of_known(ranking, candidates))

    async def analyze(
        self, ticket: TicketText, existing_tags: list[str], settings: EngineSettings
    ) -> AIResult[Analysis]:
        def cleaned(analysis: Analysis) -> Analysis:
            return msgspec.structs.replace(
                analysis,
                tags=normalized_tags(analysis.tags),
                sentiment=consistent_sentiment(analysis.sentiment),
            )

        return await self._ask_about(
            "analyze",
            Analysis,
            settings,
            "Analyse this support ticket. The organization's existing tags are listed in <existing_tags>. "
            + prompts.language_instruction("the summary", settings.language),
            ("ticket", ticket),
            ("existing_tags", existing_tags),
            finish=cleaned,
        )

    async def embed(self, texts: list[str], settings: EngineSettings) -> AIResult[Embeddings]:
        model = self.embedding_model_name(settings)
        dimensions = self._embedding_dimensions
        if not texts:
            return AIResult(value=Embeddings(vectors=[], dimensions=dimensions), usage=[], model=model)
        # Vectors need no restoring, but the texts still leave the machine.
        sent_texts, _pii = _redacted(settings, texts)
        litellm = await self._library()
        vectors: list[list[float]] = []
        usage: list[TokenUsage] = []
        for start in range(0, len(sent_texts), EMBEDDING_BATCH_SIZE):
            batch = sent_texts[start : start + EMBEDDING_BATCH_SIZE]
            try:
                response = await self._call_with_retries(
                    "embed",
                    model,
                    functools.partial(
                        litellm.aembedding,
                        model=model,
                        input=batch,
                        # Dropped by litellm for models that cannot shorten their vectors; the
                        # length check below then reports the mismatch.
                        dimensions=dimensions,
                        drop_params=True,
                        **self._call_options(),
                    ),
                )
            except _ModelGaveUp as gave_up:
                raise AIError(f"AI operation 'embed' failed: {model}: {gave_up}") from None
            vectors.extend(_vectors(response, len(batch)))
            usage.append(_token_usage("embed", model, response))
        wrong = {len(vector) for vector in vectors if len(vector) != dimensions}
        if wrong:
            raise AIError(
                f"AI operation 'embed' failed: {model} returned {min(wrong)}-dimensional vectors, expected {dimensions}"
            )
        return AIResult(value=Embeddings(vectors=vectors, dimensions=dimensions), usage=usage, model=model)

    def stream_reply(
        self, ticket: TicketText, article: Candidate | None, tone: str | None, settings: EngineSettings
    ) -> AsyncIterator[ReplyDelta | ReplyDone]:
        """One plain-text reply draft, streamed (app.ai.litellm_stream)."""
        return stream_reply(self, ticket, article, tone, settings)

    # -- the machinery --

    async def _library(self) -> ModuleType:
        if self._litellm is None:
            # The first import takes seconds: keep the event loop serving meanwhile.
            try:
                self._litellm = await asyncio.to_thread(import_litellm)
            except ImportError:
                raise AIError("litellm is not installed (pip install 'helpdesk-ai[hosted]')") from None
        return self._litellm

    def _call_options(self) -> dict[str, Any]:
        # We retry ourselves (with fallbacks in between): switch off litellm's and the SDK's retries.
        options: dict[str, Any] = {"timeout": self._timeout_s, "num_retries": 0, "max_retries": 0}
        if self._api_base:
            options["api_base"] = self._api_base
        if self._api_key:
            options["api_key"] = self._api_key
        return options

    def _is_transient(self, error: BaseException) -> bool:
        litellm = self._litellm
        if isinstance(error, TimeoutError):
            return True
        if litellm is not None:
            if isinstance(error, litellm.UnsupportedParamsError):
                return False  # reported with status 500, but retrying cannot help
            if isinstance(error, (litellm.Timeout, litellm.APIConnectionError)):
                return True
        status = status_code(error)
        return status is not None and (status in (408, 409, 429) or status >= 500)

    async def _call_with_retries(
        self, operation: str, model: str, call: Callable[[], Awaitable[ResponseT]]
    ) -> ResponseT:
        """One provider call, retried on transient errors; `_ModelGaveUp` when it cannot succeed."""
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(self._timeout_s + _TIMEOUT_GRACE_S):
                    return await call()
            except Exception as error:  # provider SDKs raise many unrelated classes
                reason = describe_error(error)
                log.debug("AI %s on %s failed: %s", operation, model, reason, exc_info=True)
                if not self._is_transient(error):
                    raise _ModelGaveUp(reason) from None
                if attempt >= self._num_retries:
                    raise _ModelGaveUp(f"{reason} after {attempt + 1} attempts") from None
                delay = backoff_delay(attempt, retry_after_seconds(error), self._backoff_base_s, self._backoff_cap_s)
                log.warning("AI %s on %s: %s, retrying in %.2f s", operation, model, reason, delay)
                await asyncio.sleep(delay)
                attempt += 1

    async def _ask(
        self,
        operation: str,
        answer_type: type[AnswerT],
        settings: EngineSettings,
        instructions: str,
        blocks: list[str],
        check: Callable[[AnswerT], str | None] | None = None,
    ) -> AIResult[AnswerT]:
        """Ask the configured model, then each fallback, for a valid `answer_type`."""
        messages = [
            {"role": "system", "content": prompts.system_prompt(operation, settings.system_prompts)},
            {"role": "user", "content": prompts.user_message(instructions, *blocks)},
        ]
        usage: list[TokenUsage] = []
        failures: list[str] = []
        for model in self.chat_models(settings):
            try:
                answer = await self._ask_model(operation, model, answer_type, messages, check, usage)
            except _ModelGaveUp as gave_up:
                failures.append(f"{model}: {gave_up}")
                log.warning("AI %s: giving up on %s: %s", operation, model, gave_up)
                continue
            return AIResult(value=answer, usage=usage, model=model)
        raise AIError(f"AI operation {operation!r} failed on every model: " + "; ".join(failures))

    async def _ask_about(
        self,
        operation: str,
        answer_type: type[AnswerT],
        settings: EngineSettings,
        instructions: str,
        customer_data: tuple[str, Any],
        *organization_data: tuple[str, Any],
        check: Callable[[AnswerT], str | None] | None = None,
        finish: Callable[[AnswerT], AnswerT] | None = None,
    ) -> AIResult[AnswerT]:
        """An operation on one piece of customer text, as a (tag, value) data block: it is redacted
        before it is sent and restored in the answer. The organization's own lists (its tags, its
        intents) hold no customer data and go as they are."""
        tag, value = customer_data
        [sent_value], pii = _redacted(settings, [value])
        blocks = [prompts.data_block(tag, sent_value)]
        blocks += [prompts.data_block(name, data) for name, data in organization_data]
        result = await self._ask(operation, answer_type, settings, instructions, blocks, check=check)
        return _restored(result, pii, finish)

    async def _ask_model(
        self,
        operation: str,
        model: str,
        answer_type: type[AnswerT],
        messages: list[dict[str, str]],
        check: Callable[[AnswerT], str | None] | None,
        usage: list[TokenUsage],
    ) -> AnswerT:
        litellm = await self._library()
        conversation = messages
        repaired = False
        while True:
            response = await self._call_with_retries(
                operation,
                model,
                functools.partial(
                    litellm.acompletion,
                    model=model,
                    messages=conversation,
                    response_format=response_format(answer_type),
                    # Providers without structured output get the same request minus that
                    # parameter; the prompt still asks for JSON and the answer is validated.
                    drop_params=True,
                    **self._call_options(),
                ),
            )
            usage.append(_token_usage(operation, model, response))
            content = _message_content(response)
            try:
                return decode_answer(content, answer_type, check)
            except InvalidAnswer as invalid:
                if repaired:
                    raise _ModelGaveUp(f"invalid answer after a repair request: {invalid}") from None
                log.warning("AI %s on %s: invalid answer, asking for a repair: %s", operation, model, invalid)
                repaired = True
                conversation = [
                    *messages,
                    {"role": "assistant", "content": content or ""},
                    {"role": "user", "content": repair_request(str(invalid), answer_type)},
                ]


# ---- helpers over litellm responses and redaction ----------------------------------------------


def _message_content(response: Any) -> str | None:
    try:
        content = response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def _token_usage(operation: str, model: str, response: Any) -> TokenUsage:
    usage = getattr(response, "usage", None)
    cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
    return TokenUsage(
        operation=operation,
        model=model,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        # litellm prices only models it knows (or that were registered); otherwise unknown.
        cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
    )


def _vectors(response: Any, expected_count: int) -> list[list[float]]:
    items = [item if isinstance(item, dict) else dict(item) for item in response.data]
    items.sort(key=lambda item: item.get("index", 0))
    vectors = [[float(x) for x in item["embedding"]] for item in items]
    if len(vectors) != expected_count:
        raise AIError(f"the embedding model returned {len(vectors)} vectors for {expected_count} texts")
    return vectors


def _redacted(settings: EngineSettings, values: Sequence[Any]) -> tuple[list[Any], Redactions]:
    if not settings.redact_pii:
        return list(values), {}
    return redact_values(values)


def _restored(
    result: AIResult[AnswerT],
    pii: Redactions,
    finish: Callable[[AnswerT], AnswerT] | None = None,
) -> AIResult[AnswerT]:
    """Put the redacted PII back into the answer, then apply the operation's clean-up."""
    value = restore_value(result.value, pii)
    if finish is not None:
        value = finish(value)
    return AIResult(value=value, usage=result.usage, model=result.model)
