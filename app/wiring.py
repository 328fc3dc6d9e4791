"""Which implementation serves each service interface, decided once per process."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from app.context import Services

log = logging.getLogger("app")


def _optional(module: str, name: str) -> Any:
    # While the project is being assembled some services may not exist yet; a missing module
    # leaves the service unwired, which fails closed (no caller, no metering, no engine).
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as error:
        if error.name is None or not module.startswith(error.name):
            raise
        log.warning("%s is not available: %s stays unwired", module, name)
        return None


async def build_engines(services: Services) -> None:
    """The local engine always exists (it embeds tickets even when a hosted model writes text);
    the hosted engine only when a model is configured, so litellm is never imported otherwise."""
    local_engine_class = _optional("app.ai.local.engine", "LocalEngine")
    if local_engine_class is not None:
        services.local_engine = local_engine_class()
        await _optional("app.ai.local.engine", "warm_up")()
    settings = services.settings
    if settings.ai_model is not None:
        from app.ai.litellm_engine import LitellmEngine

        services.hosted_engine = LitellmEngine(
            default_model=settings.ai_model,
            fallback_models=settings.ai_fallback_models,
            embedding_model=settings.ai_embedding_model,
            timeout_s=settings.ai_timeout_seconds,
            num_retries=settings.ai_num_retries,
        )


def wire_services(services: Services) -> None:
    services.authenticate = _optional("app.auth.authenticate", "authenticate")
    services.meter = _optional("app.metering", "meter_call")
