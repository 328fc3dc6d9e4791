"""Which implementation serves each service interface, decided once per process."""

from __future__ import annotations

import logging

from app.context import Services

log = logging.getLogger("app")


async def build_engines(services: Services) -> None:
    """Both engines exist in every process. The local one answers whenever no model is named, and
    embeds tickets unless a hosted embedding model is named. The hosted one serves a model named
    by the environment or by an organization's settings; building it is cheap, since litellm is
    imported only on its first call."""
    from app.ai.litellm_engine import LitellmEngine
    from app.ai.local.engine import LocalEngine, warm_up

    services.local_engine = LocalEngine()
    await warm_up()
    settings = services.settings
    services.hosted_engine = LitellmEngine(
        default_model=settings.ai_model,
        fallback_models=settings.ai_fallback_models,
        embedding_model=settings.ai_embedding_model,
        embedding_dimensions=settings.ai_embedding_dimensions,
        timeout_s=settings.ai_timeout_seconds,
        num_retries=settings.ai_num_retries,
        api_base=settings.ai_api_base,
        api_key=settings.ai_api_key,
    )

