"""Which engine answers for an organization: a hosted model when one is named, else the local one.

The app builds both engines once per process (app.wiring.build_engines) and passes them in. The
hosted engine has a model only when the environment (AI_MODEL) or the organization's settings
name one; otherwise the local engine answers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from app.ai.interface import AIError, Engine, EngineSettings


def _names_a_model(read_name: Callable[[], str]) -> bool:
    # A hosted engine takes its model from the organization's settings or its own default, and
    # raises AIError when neither names one.
    try:
        read_name()
    except AIError:
        return False
    return True


def choose_engine(settings: EngineSettings, local: Engine, hosted: Engine | None) -> Engine:
    """The hosted engine when the organization or the environment names a chat model."""
    if hosted is not None and _names_a_model(partial(hosted.model_name, settings)):
        return hosted
    return local


def choose_embedding_engine(settings: EngineSettings, local: Engine, hosted: Engine | None) -> Engine:
    """Embeddings choose separately: a chat model does not imply an embedding model."""
    if hosted is not None and _names_a_model(partial(hosted.embedding_model_name, settings)):
        return hosted
    return local
