"""The public development data in tests/data/public/ and a disk cache of its embeddings.

Shared by scripts/train_heads.py (training the classifier heads) and scripts/evaluate_engine.py
(scoring on dev). Embedding the 25,000 texts takes a few minutes on one core, so vectors are kept
in .data/embedding-cache/, keyed by a hash of the texts; delete the folder to recompute.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.ai.local.embedding import embed_texts  # noqa: E402

PUBLIC_DATA = ROOT / "tests" / "data" / "public"
CACHE_DIR = ROOT / ".data" / "embedding-cache"
_BATCH = 64


def load_rows(name: str) -> list[dict[str, object]]:
    with (PUBLIC_DATA / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def embed_all(texts: list[str]) -> np.ndarray:
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"{key}.npy"
    if path.exists():
        return np.load(path)
    chunks = [embed_texts(texts[start : start + _BATCH]) for start in range(0, len(texts), _BATCH)]
    vectors = np.vstack(chunks).astype(np.float32) if chunks else np.zeros((0, 512), dtype=np.float32)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


if __name__ == "__main__":
    # Warm the cache for every public file.
    for name in ("sentiment_train", "sentiment_dev", "intent_train", "intent_dev", "similar_dev"):
        rows = load_rows(name)
        print(name, embed_all([str(row["text"]) for row in rows]).shape, flush=True)
