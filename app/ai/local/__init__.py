"""Offline AI engine: multilingual sentence embeddings (USE-m v3) plus rules, no network, no key."""

from app.ai.local.engine import LocalEngine, warm_up

__all__ = ["LocalEngine", "warm_up"]
