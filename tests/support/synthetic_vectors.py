"""Synthetic, clustered unit vectors for similarity tests and benchmarks (not real embeddings).

The layout is calibrated so that plain unfiltered HNSW recall resembles real sentence
embeddings: 100 random "category" directions, 20
topics per category (topic centroid = unit(category + 0.6 x unit gaussian)), and each vector =
unit(topic centroid + noise), the noise's norm uniform in [0.5, 1.0]. Topics overlap as real
support topics do, so nearest neighbours are not trivially the same cluster.

    space = VectorSpace(dimensions=512, seed=7)
    vectors = space.sample(3_000, topics=space.all_topics())
    focused = space.sample(300, topics=space.topics_of_categories(range(5)))
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import numpy as np

if TYPE_CHECKING:
    import asyncpg

CATEGORIES = 100
TOPICS_PER_CATEGORY = 20
CATEGORY_SPREAD = 0.6
NOISE_RANGE = (0.5, 1.0)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class VectorSpace:
    def __init__(self, dimensions: int = 512, seed: int = 7) -> None:
        self.dimensions = dimensions
        self.rng = np.random.default_rng(seed)
        categories = unit_rows(self.rng.standard_normal((CATEGORIES, dimensions)))
        self.topic_category = np.arange(CATEGORIES * TOPICS_PER_CATEGORY) // TOPICS_PER_CATEGORY
        spread = unit_rows(self.rng.standard_normal((len(self.topic_category), dimensions)))
        self.centroids = unit_rows(categories[self.topic_category] + CATEGORY_SPREAD * spread)

    def all_topics(self) -> np.ndarray:
        return np.arange(len(self.centroids))

    def topics_of_categories(self, categories: Iterable[int]) -> np.ndarray:
        return np.nonzero(np.isin(self.topic_category, list(categories)))[0]

    def sample(self, count: int, topics: np.ndarray) -> np.ndarray:
        """`count` unit vectors around topics drawn uniformly from `topics` (float32, (count, dims))."""
        out = np.empty((count, self.dimensions), dtype=np.float32)
        step = 20_000
        for start in range(0, count, step):
            size = min(step, count - start)
            chosen = self.rng.choice(topics, size)
            noise = unit_rows(self.rng.standard_normal((size, self.dimensions)))
            radius = self.rng.uniform(*NOISE_RANGE, (size, 1)).astype(np.float32)
            out[start : start + size] = unit_rows(self.centroids[chosen] + radius * noise)
        return out


def exact_top_k(matrix: np.ndarray, query: np.ndarray, k: int, exclude: int | None = None) -> list[int]:
    """Row indexes of the k rows of `matrix` (unit rows) nearest `query` by cosine, nearest first."""
    scores = matrix @ query
    if exclude is not None:
        scores[exclude] = -np.inf
    k = min(k, len(scores) - (1 if exclude is not None else 0))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]


async def load_synthetic_tickets(
    connection: asyncpg.Connection,
    org_id: UUID,
    vectors: np.ndarray,
    model: str,
    *,
    subject_prefix: str = "Synthetic ticket",
) -> list[UUID]:
    """Insert one ticket per vector and its embedding (current content hash) with binary COPY."""
    from app.assist.embeddings_store import content_hash, ticket_embedding_text

    first_number = await connection.fetchval(
        "UPDATE organizations SET last_ticket_number = last_ticket_number + $2 WHERE id = $1 "
        "RETURNING last_ticket_number - $2 + 1",
        org_id,
        len(vectors),
    )
    ids = [uuid4() for _ in range(len(vectors))]
    tickets = []
    embeddings = []
    for offset, (ticket_id, vector) in enumerate(zip(ids, vectors, strict=True)):
        number = first_number + offset
        subject = f"{subject_prefix} {number}"
        description = f"Synthetic description {number}"
        tickets.append((org_id, ticket_id, number, subject, json.dumps(description), description))
        text_hash = content_hash(ticket_embedding_text(subject, description))
        embeddings.append((org_id, ticket_id, model, len(vector), vector, text_hash))
    await connection.copy_records_to_table(
        "tickets",
        records=tickets,
        columns=("org_id", "id", "number", "subject", "description", "description_text"),
    )
    await connection.copy_records_to_table(
        "ticket_embeddings",
        records=embeddings,
        columns=("org_id", "ticket_id", "model", "dimensions", "embedding", "content_hash"),
    )
    return ids
