"""Nearest-prototype scoring: each label is the centroid of a few example sentences' vectors.

This is zero-shot classification on top of the sentence encoder. Because the encoder maps the
six languages into one space, examples in a couple of languages cover all of them; a few in each
language still sharpen the centroid for phrasing that does not translate word for word.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np

from app.ai.local.embedding import Matrix, Vector, embed_cached


class PrototypeSet:
    """Label centroids, built lazily on first use (the encoder must be loaded for that)."""

    def __init__(self, examples: Mapping[str, Sequence[str]]) -> None:
        self.labels: tuple[str, ...] = tuple(examples)
        self._examples = {label: tuple(texts) for label, texts in examples.items()}
        self._centroids: Matrix | None = None
        self._lock = threading.Lock()

    def centroids(self) -> Matrix:
        if self._centroids is None:
            with self._lock:
                if self._centroids is None:
                    rows = []
                    for label in self.labels:
                        mean = embed_cached(self._examples[label]).mean(axis=0)
                        rows.append(mean / np.linalg.norm(mean))
                    self._centroids = np.vstack(rows).astype(np.float32)
        return self._centroids

    def similarities(self, vector: Vector) -> dict[str, float]:
        scores = self.centroids() @ vector
        return {label: float(score) for label, score in zip(self.labels, scores, strict=True)}


def softmax(scores: Mapping[str, float], temperature: float) -> dict[str, float]:
    """Turn cosine similarities into probabilities; a low temperature sharpens small cosine gaps."""
    labels = list(scores)
    values = np.array([scores[label] for label in labels], dtype=np.float64) / temperature
    values -= values.max()
    weights = np.exp(values)
    weights /= weights.sum()
    return {label: float(weight) for label, weight in zip(labels, weights, strict=True)}
