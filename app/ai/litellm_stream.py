"""A reply draft streamed from a hosted model (`LitellmEngine.stream_reply`).

The same rules as every other hosted operation (`app.ai.litellm_engine`): the shipped or the
organization's system prompt, ticket text only as delimited JSON data, PII redacted before
sending and restored in the answer, bounded retries of transient errors, then the fallback
models. Retries and fallbacks apply until the first piece of text arrives; after that the
caller has shown text to a person, so a failure ends the stream with `AIError`.

Restoring PII in pieces: a placeholder may arrive split across chunks (`[EMA` + `IL_1]`), so
the end of a chunk that could still become one is held back (`StreamRestorer`).

Closing: whether the stream completes, fails, or its consumer stops early (the generator is
closed or cancelled), litellm's stream is closed in `finally`, which closes the HTTP response
and so the connection to the provider: a client that leaves stops the model.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from app.ai import prompts
from app.ai.interface import AIError, Candidate, EngineSettings, ReplyDelta, ReplyDone, TicketText, TokenUsage
from app.ai.provider_errors import describe_error
from app.ai.redaction import StreamRestorer

if TYPE_CHECKING:
    from app.ai.litellm_engine import LitellmEngine

OPERATION = "replies"  # the ledger's name for reply drafts, streamed or not
PROMPT = "reply_draft"  # the shipped system prompt (app/ai/prompts/reply_draft.v*.txt)


class _NoText(Exception):
    """The model's stream ended without any text."""


async def stream_reply(
    engine: LitellmEngine, ticket: TicketText, article: Candidate | None, tone: str | None, settings: EngineSettings
) -> AsyncIterator[ReplyDelta | ReplyDone]:
    from app.ai.litellm_engine import _ModelGaveUp, _redacted  # the engine imports this module

    [sent_ticket, sent_article], pii = _redacted(settings, [ticket, article])
    instructions, blocks = prompts.reply_material(
        f"Draft one reply to the customer in this support ticket, in this tone: {json.dumps(tone or settings.reply_tone)}. "
        + prompts.language_instruction("the reply", settings.language),
        sent_ticket,
        sent_article,
    )
    messages = [
        {"role": "system", "content": prompts.system_prompt(PROMPT, settings.system_prompts)},
        {"role": "user", "content": prompts.user_message(instructions, *blocks)},
    ]
    litellm = await engine._library()

    failures: list[str] = []
    for model in engine.chat_models(settings):
        try:
            stream, first = await engine._call_with_retries(
                OPERATION, model, functools.partial(_open, litellm, engine, model, messages)
            )
        except _ModelGaveUp as gave_up:
            failures.append(f"{model}: {gave_up}")
            continue
        break
    else:
        raise AIError(f"AI operation {OPERATION!r} (streamed) failed on every model: " + "; ".join(failures))

    try:
        prompt_tokens = _count(litellm, model, messages=messages)
        restorer = StreamRestorer(pii)
        received = ""  # the model's text, placeholders and all: what the completion tokens count
        shown = ""
        reported: Any = None  # the provider's usage, from its last chunk
        chunk: Any = first
        while chunk is not None:
            reported = getattr(chunk, "usage", None) or reported
            piece = _chunk_text(chunk)
            if piece:
                received += piece
                visible = restorer.feed(piece)
                if visible:
                    shown += visible
                    consumed = _usage(litellm, model, prompt_tokens, _count(litellm, model, text=received))
                    yield ReplyDelta(text=visible, consumed=consumed)
            chunk = await _next_chunk(stream, engine._timeout_s)
        rest = restorer.flush()
        completion_tokens = _count(litellm, model, text=received)
        if reported is not None and getattr(reported, "prompt_tokens", None):
            prompt_tokens = int(reported.prompt_tokens)
            completion_tokens = int(getattr(reported, "completion_tokens", 0) or completion_tokens)
        if rest:
            shown += rest
            yield ReplyDelta(text=rest, consumed=_usage(litellm, model, prompt_tokens, completion_tokens))
        yield ReplyDone(text=shown, usage=_usage(litellm, model, prompt_tokens, completion_tokens), model=model)
    except Exception as error:  # the provider failed mid-stream: nothing to fall back on now
        raise AIError(f"AI operation {OPERATION!r} (streamed) failed on {model}: {describe_error(error)}") from None
    finally:
        await stream.aclose()


async def _open(litellm: Any, engine: LitellmEngine, model: str, messages: list[dict[str, str]]) -> tuple[Any, Any]:
    """Start the stream and wait for its first chunk with text (the part retries cover)."""
    stream = await litellm.acompletion(
        model=model,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        drop_params=True,
        **engine._call_options(),
    )
    try:
        async for chunk in stream:
            if _chunk_text(chunk):
                return stream, chunk
        raise _NoText("the model's stream ended without text")
    except BaseException:
        await stream.aclose()
        raise


async def _next_chunk(stream: Any, timeout_s: float) -> Any:
    """The next chunk, or None at the end; a silent provider fails after `timeout_s`."""
    try:
        async with asyncio.timeout(timeout_s):
            return await anext(stream)
    except StopAsyncIteration:
        return None


def _chunk_text(chunk: Any) -> str:
    try:
        content = chunk.choices[0].delta.content
    except (AttributeError, IndexError, TypeError):
        return ""
    return content if isinstance(content, str) else ""


def _count(litellm: Any, model: str, **what: Any) -> int:
    """Tokens as litellm counts them for `model` (its tokenizer, or a close default)."""
    try:
        return int(litellm.token_counter(model=model, **what))
    except Exception:  # an unknown tokenizer must not stop the stream; approximate by words
        text = what.get("text") or " ".join(message["content"] for message in what.get("messages", []))
        return len(text.split())


def _usage(litellm: Any, model: str, prompt_tokens: int, completion_tokens: int) -> TokenUsage:
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
        cost: float | None = float(prompt_cost) + float(completion_cost)
    except Exception:  # litellm prices only the models it knows
        cost = None
    return TokenUsage(OPERATION, model, prompt_tokens, completion_tokens, cost_usd=cost)
