"""The deployment's model allow-list: the only model names an organization or a call may pick.

A model name is where a hosted engine sends the prompt (litellm routes "ollama/x" to a local
Ollama, "openai/x" to OPENAI_API_BASE, ...), so a caller-chosen name is a request the server would
make on the caller's behalf. `AI_ALLOWED_MODELS` lists the names a deployment accepts; left
empty, it is the configured chat model, its fallbacks, the configured embedding model and the
local engine. Anything else is refused with BAD_REQUEST naming the allowed models, before any
engine (and so any connection) is involved.
"""

from __future__ import annotations

import logging

import msgspec

from app.ai.interface import EngineSettings
from app.config import Settings
from app.errors import TRPCError

log = logging.getLogger(__name__)


def allowed_models(settings: Settings) -> tuple[str, ...]:
    if settings.ai_allowed_models:
        return settings.ai_allowed_models
    from app.ai.local.engine import LOCAL_MODEL  # the process has it loaded: the engines are built at start

    configured = (settings.ai_model, *settings.ai_fallback_models, settings.ai_embedding_model, LOCAL_MODEL)
    return tuple(dict.fromkeys(name for name in configured if name))


def is_allowed(settings: Settings, model: str) -> bool:
    return model.strip() in allowed_models(settings)


def require_allowed(settings: Settings, model: str, path: str) -> str:
    """The model name, stripped; BAD_REQUEST at `path` naming the allowed models if it is not one."""
    name = model.strip()
    if name not in allowed_models(settings):
        listing = ", ".join(allowed_models(settings))
        issue = f"model {name!r} is not allowed on this server; allowed models: {listing} - at `$.{path}`"
        raise TRPCError("BAD_REQUEST", f"Invalid input: {issue}", data={"issue": issue})
    return name


def within_allow_list(settings: Settings, engine: EngineSettings) -> EngineSettings:
    """The organization's engine settings without the models the deployment no longer allows.

    org.update refuses such names, but the list may have shrunk since they were stored: they are
    then ignored (and logged), like any other unusable stored setting, instead of being called.
    """
    allowed = allowed_models(settings)
    names = [engine.model, *engine.fallback_models, engine.embedding_model]
    refused = [name for name in names if name is not None and name not in allowed]
    if not refused:
        return engine
    log.warning("ignoring the organization's AI models not in AI_ALLOWED_MODELS: %s", ", ".join(refused))
    return msgspec.structs.replace(
        engine,
        model=engine.model if engine.model in allowed else None,
        fallback_models=tuple(name for name in engine.fallback_models if name in allowed),
        embedding_model=engine.embedding_model if engine.embedding_model in allowed else None,
    )


def require_allowed_choices(
    settings: Settings, *, model: str | None, fallback_models: list[str] | None, embedding_model: str | None, path: str
) -> None:
    """org.update's model choices (None: not being set), each checked at its own field path."""
    # A blank name means "none" (app.assist.settings reads it so): nothing to check.
    if model is not None and model.strip():
        require_allowed(settings, model, f"{path}.model")
    for index, name in enumerate(fallback_models or ()):
        if name.strip():
            require_allowed(settings, name, f"{path}.fallbackModels[{index}]")
    if embedding_model is not None and embedding_model.strip():
        require_allowed(settings, embedding_model, f"{path}.embeddingModel")
