"""Learned classifier heads on the 512-d sentence embedding: sentiment and cancellation.

Two logistic regressions trained by scripts/train_heads.py on public, externally written data (see
tests/data/SOURCES.md) and shipped as app/ai/local/weights/heads.npz, with the training record
(data, seed, dev metrics) next to it in heads.json. A head is one matrix product on the vector the
engine already computed, so it costs microseconds.
"""

from __future__ import annotations

import functools
from pathlib import Path

import msgspec
import numpy as np

from app.ai.local.embedding import EMBEDDING_DIMENSIONS, Vector

WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "heads.npz"
SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")


class Heads(msgspec.Struct, frozen=True):
    sentiment_weights: np.ndarray  # (512, 3)
    sentiment_bias: np.ndarray  # (3,)
    cancel_weights: np.ndarray  # (512,)
    cancel_bias: float
    # Probability above which the head alone calls a text a cancellation (chosen on dev).
    cancel_threshold: float


@functools.cache
def load_heads(path: Path = WEIGHTS_PATH) -> Heads:
    with np.load(path) as data:
        heads = Heads(
            sentiment_weights=data["sentiment_weights"].astype(np.float32),
            sentiment_bias=data["sentiment_bias"].astype(np.float32),
            cancel_weights=data["cancel_weights"].astype(np.float32),
            cancel_bias=float(data["cancel_bias"]),
            cancel_threshold=float(data["cancel_threshold"]),
        )
    if heads.sentiment_weights.shape != (EMBEDDING_DIMENSIONS, len(SENTIMENT_LABELS)):
        raise ValueError(f"{path}: sentiment weights have shape {heads.sentiment_weights.shape}")
    if heads.cancel_weights.shape != (EMBEDDING_DIMENSIONS,):
        raise ValueError(f"{path}: cancel weights have shape {heads.cancel_weights.shape}")
    return heads


def sentiment_logits(vector: Vector) -> np.ndarray:
    """Unnormalised scores for SENTIMENT_LABELS, in that order (a fresh array the caller may change)."""
    heads = load_heads()
    return np.asarray(vector @ heads.sentiment_weights + heads.sentiment_bias, dtype=np.float64)


def cancel_probability(vector: Vector) -> float:
    heads = load_heads()
    logit = float(vector @ heads.cancel_weights) + heads.cancel_bias
    return 1.0 / (1.0 + float(np.exp(-logit)))


def cancel_threshold() -> float:
    return load_heads().cancel_threshold
