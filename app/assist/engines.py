"""Which engine answers an AI call, and the token-ledger rows it leaves.

The engine answering is the organization's choice: a hosted model when the organization or the
deployment names one, else the offline local engine (`app.ai.choose`). Embeddings choose
separately, so a hosted chat model does not move the vectors. Every model name that reaches an
engine has passed the deployment's allow-list (`app.assist.models`).
"""

from __future__ import annotations

from uuid import UUID

from app.ai.choose import choose_embedding_engine, choose_engine
from app.ai.interface import Engine, EngineSettings, TokenUsage
from app.assist.feedback import Suggested, record_answer
from app.assist.models import require_allowed
from app.assist.settings import with_overrides
from app.context import Context
from app.errors import TRPCError
from app.usage.metering import record_token_usage


def local_engine(ctx: Context) -> Engine:
    local = ctx.services.local_engine
    if local is None:
        raise TRPCError("SERVICE_UNAVAILABLE", "The AI engine is not available")
    return local


def chat_engine(ctx: Context, settings: EngineSettings) -> Engine:
    return choose_engine(settings, local_engine(ctx), ctx.services.hosted_engine)


def embedding_engine(ctx: Context, settings: EngineSettings) -> Engine:
    return choose_embedding_engine(settings, local_engine(ctx), ctx.services.hosted_engine)


def default_embedding_model(ctx: Context) -> str:
    """The embedding model of an organization that names none: the lookup hint for stored vectors."""
    defaults = EngineSettings()
    return embedding_engine(ctx, defaults).embedding_model_name(defaults)


def playground_engine(
    ctx: Context, settings: EngineSettings, model: str | None, system_prompt: str | None
) -> tuple[Engine, EngineSettings]:
    """The engine and settings for a call with the prompt playground's per-call model and
    classify prompt on top of the organization's settings. A model outside the deployment's
    allow-list is refused before any engine sees it."""
    if system_prompt:
        settings = with_overrides(settings, system_prompts={"classify": system_prompt})
    if model is None:
        return chat_engine(ctx, settings), settings
    model = require_allowed(ctx.settings, model.strip(), "model")
    local = local_engine(ctx)
    if model == local.model_name(settings):
        return local, settings
    hosted = ctx.services.hosted_engine
    if hosted is None:
        issue = f"model {model!r} needs a hosted AI engine; this server runs only {local.model_name(settings)} - at `$.model`"
        raise TRPCError("BAD_REQUEST", f"Invalid input: {issue}", data={"issue": issue})
    return hosted, with_overrides(settings, model=model)


def ledger(usage: list[TokenUsage], operation: str, model: str) -> list[TokenUsage]:
    """Every AI operation leaves at least one ledger row, even one that needed no model call
    (similar tickets from a stored vector): the ledger then shows the operation at zero tokens."""
    return usage if usage else [TokenUsage(operation=operation, model=model, prompt_tokens=0, completion_tokens=0)]


async def record(ctx: Context, usage: list[TokenUsage]) -> None:
    """The ledger rows of an operation whose only write they are (one statement: atomic alone)."""
    async with ctx.pool.acquire() as connection:
        await record_token_usage(connection, ctx.require_caller(), usage)


async def record_suggested(ctx: Context, usage: list[TokenUsage], suggested: Suggested) -> UUID:
    """The ledger rows of an answer a person can act on, and its suggestion, in one transaction."""
    async with ctx.pool.acquire() as connection, connection.transaction():
        return await record_answer(connection, ctx.require_caller(), usage, suggested)
