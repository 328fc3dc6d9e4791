"""Similar-ticket scoring: meaning (embedding cosine) blended with shared wording, and a floor.

Vectors alone confuse tickets that share a setting but not a request ("cancel my plan" next to
"change my plan"); shared content words alone miss paraphrases. The blend is the same shape the
article search uses (a weighted sum of similarity and a 0..1 text rank). A candidate scoring under
the floor is not a match and is not returned, so a ticket with no real neighbour gets an empty list
instead of five unrelated ones. Weight and floor were chosen on 20 intents x 10 requests drawn from
the HINT3 and MultiDoGO training rows (tests/data/public/intent_train.jsonl): there the floor lifts
the precision of what is shown from 0.80 to 0.91 while about 3.6 of 5 neighbours remain. They are
reported on the separate dev set (similar_dev.jsonl) by scripts/evaluate_engine.py --public.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from yake_rust import Yake

from app.ai.local.embedding import Matrix, Vector
from app.ai.local.text import fold, words

VECTOR_WEIGHT = 0.7
SIMILAR_TICKET_FLOOR = 0.45


@functools.cache
def _stopwords() -> frozenset[str]:
    # Function words of the six languages carry no topic; yake-rust ships the lists.
    return frozenset(
        fold(word) for language in ("en", "de", "es", "fr", "it", "pt") for word in Yake(language=language).stopwords
    )


def content_terms(text: str) -> list[str]:
    stop = _stopwords()
    return [term for term in (fold(word) for word in words(text)) if len(term) > 2 and term not in stop and not term.isdigit()]


def text_ranks(query: str, documents: Sequence[str]) -> np.ndarray:
    """0..1 per document: IDF-weighted share of the query's content terms that the document contains.

    A stand-in for PostgreSQL's ts_rank over the 'simple' configuration, computed in memory so the
    offline evaluation and the SQL path score wording on the same 0..1 scale.
    """
    query_terms = set(content_terms(query))
    if not query_terms or not documents:
        return np.zeros(len(documents), dtype=np.float32)
    document_terms = [set(content_terms(document)) for document in documents]
    frequency = Counter(term for terms in document_terms for term in terms & query_terms)
    count = len(documents)
    idf = {term: math.log(1 + count / (1 + frequency[term])) for term in query_terms}
    total = sum(idf.values())
    return np.array(
        [sum(idf[term] for term in query_terms & terms) / total for terms in document_terms], dtype=np.float32
    )


def hybrid_scores(similarities: np.ndarray, ranks: np.ndarray, vector_weight: float = VECTOR_WEIGHT) -> np.ndarray:
    return vector_weight * similarities + (1 - vector_weight) * ranks


def most_similar(
    query_text: str,
    query_vector: Vector,
    texts: Sequence[str],
    vectors: Matrix,
    limit: int = 5,
    floor: float = SIMILAR_TICKET_FLOOR,
    vector_weight: float = VECTOR_WEIGHT,
) -> list[tuple[int, float]]:
    """Indexes and scores of the best candidates at or above the floor, best first (ties by index)."""
    if not texts:
        return []
    scores = hybrid_scores(vectors @ query_vector, text_ranks(query_text, texts), vector_weight)
    order = sorted(range(len(texts)), key=lambda index: (-round(float(scores[index]), 6), index))
    return [(index, float(scores[index])) for index in order[:limit] if scores[index] >= floor]


def rerank_by_meaning_and_wording(
    query_text: str,
    candidates: Sequence[tuple[float, str]],
    limit: int,
    floor: float | None = SIMILAR_TICKET_FLOOR,
    vector_weight: float = VECTOR_WEIGHT,
) -> list[tuple[int, float]]:
    """Re-rank a vector search's candidates, given as (cosine similarity, text), by the hybrid score.

    For a search that already ran in the database (pgvector): ask it for a few more candidates than
    needed, then this puts the ones that also share the query's wording first and drops those under
    the floor. `floor=None` keeps everyone (the floor was calibrated on this engine's embeddings; a
    hosted model's cosines sit on another scale).
    """
    if not candidates:
        return []
    similarities = np.array([similarity for similarity, _ in candidates], dtype=np.float32)
    scores = hybrid_scores(similarities, text_ranks(query_text, [text for _, text in candidates]), vector_weight)
    order = sorted(range(len(candidates)), key=lambda index: (-round(float(scores[index]), 6), index))
    return [(index, float(scores[index])) for index in order if floor is None or scores[index] >= floor][:limit]
