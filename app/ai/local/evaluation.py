"""Scoring any `Engine` on the labelled tickets in tests/data/eval_set.jsonl.

Used by `make evaluate` (to compare the local engine with a hosted model) and by the
tests (to hold the local engine above the majority-class baseline). Accuracy alone flatters a
classifier on skewed labels, so macro-F1 is reported next to it, and both next to the baseline
that always answers the most common label.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import msgspec

from app.ai.interface import Engine, EngineSettings, IntentDefinition, TicketText
from app.ai.local.intent import DEFAULT_TAXONOMY

EVAL_SET_PATH = Path(__file__).resolve().parents[3] / "tests" / "data" / "eval_set.jsonl"
LABELLED_OPERATIONS = ("sentiment", "priority", "intent", "language")


class EvalTicket(msgspec.Struct, frozen=True):
    subject: str
    description: str
    language: str
    sentiment: str
    priority: str
    intent: str
    tags: list[str]


class LabelScore(msgspec.Struct, frozen=True):
    operation: str
    count: int
    accuracy: float
    macro_f1: float
    baseline_label: str
    baseline_accuracy: float
    baseline_macro_f1: float
    accuracy_by_language: dict[str, float]


class TagScore(msgspec.Struct, frozen=True):
    count: int
    hit_rate: float  # share of tickets where at least one suggested tag is a gold tag
    precision: float
    recall: float
    # Baseline: always suggest the most frequent gold tag.
    baseline_tag: str
    baseline_hit_rate: float


class EvalReport(msgspec.Struct, frozen=True):
    engine: str
    model: str
    tickets: int
    labels: list[LabelScore]
    tags: TagScore
    failures: int


class Prediction(msgspec.Struct, frozen=True):
    sentiment: str
    priority: str
    intent: str
    language: str
    tags: list[str]


def load_eval_set(path: Path = EVAL_SET_PATH) -> list[EvalTicket]:
    decoder = msgspec.json.Decoder(EvalTicket)
    return [decoder.decode(line) for line in path.read_bytes().splitlines() if line.strip()]


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of per-label F1 over the labels that occur in the gold answers."""
    labels = sorted(set(gold))
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        true_positive = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        predicted_count = sum(p == label for p in predicted)
        gold_count = sum(g == label for g in gold)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / gold_count if gold_count else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


async def predict(
    engine: Engine,
    ticket: EvalTicket,
    settings: EngineSettings,
    tag_vocabulary: list[str],
    taxonomy: list[IntentDefinition],
) -> Prediction:
    text = TicketText(subject=ticket.subject, description=ticket.description)
    sentiment, priority, classification, tags = await asyncio.gather(
        engine.sentiment(f"{ticket.subject}\n{ticket.description}", settings),
        engine.priority(text, settings),
        engine.classify(text, taxonomy, settings),
        engine.tags(text, tag_vocabulary, settings),
    )
    return Prediction(
        sentiment=sentiment.value.sentiment,
        priority=priority.value.priority,
        intent=classification.value.intent,
        language=classification.value.detectedLanguage or "",
        tags=tags.value.tags,
    )


async def evaluate(
    engine: Engine,
    settings: EngineSettings | None = None,
    tickets: Sequence[EvalTicket] | None = None,
    concurrency: int = 4,
) -> EvalReport:
    settings = settings or EngineSettings()
    tickets = list(tickets if tickets is not None else load_eval_set())
    vocabulary = sorted({tag for ticket in tickets for tag in ticket.tags})
    taxonomy = list(DEFAULT_TAXONOMY)
    limiter = asyncio.Semaphore(concurrency)

    async def one(ticket: EvalTicket) -> Prediction | None:
        async with limiter:
            try:
                return await predict(engine, ticket, settings, vocabulary, taxonomy)
            except Exception:  # a hosted model can fail on one ticket; count it, keep going
                return None

    predictions = await asyncio.gather(*(one(ticket) for ticket in tickets))
    answered = [(ticket, prediction) for ticket, prediction in zip(tickets, predictions, strict=True) if prediction]
    labels = [_label_score(operation, answered) for operation in LABELLED_OPERATIONS]
    return EvalReport(
        engine=engine.name,
        model=engine.model_name(settings),
        tickets=len(tickets),
        labels=labels,
        tags=_tag_score(answered),
        failures=len(tickets) - len(answered),
    )


def _label_score(operation: str, answered: list[tuple[EvalTicket, Prediction]]) -> LabelScore:
    gold = [getattr(ticket, operation) for ticket, _ in answered]
    predicted = [getattr(prediction, operation) for _, prediction in answered]
    majority = Counter(gold).most_common(1)[0][0] if gold else ""
    baseline = [majority] * len(gold)
    by_language: dict[str, float] = {}
    for language in sorted({ticket.language for ticket, _ in answered}):
        pairs = [
            (g, p)
            for (ticket, _), g, p in zip(answered, gold, predicted, strict=True)
            if ticket.language == language
        ]
        by_language[language] = round(accuracy([g for g, _ in pairs], [p for _, p in pairs]), 3)
    return LabelScore(
        operation=operation,
        count=len(gold),
        accuracy=round(accuracy(gold, predicted), 3),
        macro_f1=round(macro_f1(gold, predicted), 3),
        baseline_label=majority,
        baseline_accuracy=round(accuracy(gold, baseline), 3),
        baseline_macro_f1=round(macro_f1(gold, baseline), 3),
        accuracy_by_language=by_language,
    )


def _tag_score(answered: list[tuple[EvalTicket, Prediction]]) -> TagScore:
    if not answered:
        return TagScore(count=0, hit_rate=0.0, precision=0.0, recall=0.0, baseline_tag="", baseline_hit_rate=0.0)
    hits = precision = recall = 0.0
    for ticket, prediction in answered:
        shared = set(prediction.tags) & set(ticket.tags)
        hits += bool(shared)
        precision += len(shared) / len(prediction.tags) if prediction.tags else 0.0
        recall += len(shared) / len(ticket.tags) if ticket.tags else 0.0
    most_common = Counter(tag for ticket, _ in answered for tag in ticket.tags).most_common(1)[0][0]
    baseline_hits = sum(most_common in ticket.tags for ticket, _ in answered)
    count = len(answered)
    return TagScore(
        count=count,
        hit_rate=round(hits / count, 3),
        precision=round(precision / count, 3),
        recall=round(recall / count, 3),
        baseline_tag=most_common,
        baseline_hit_rate=round(baseline_hits / count, 3),
    )


def format_report(report: EvalReport) -> str:
    lines = [
        f"engine {report.engine}  model {report.model}  tickets {report.tickets}  failures {report.failures}",
        "",
        f"{'operation':<10} {'n':>4} {'accuracy':>9} {'macro-F1':>9}   "
        f"{'baseline acc':>12} {'baseline F1':>11}  majority label",
    ]
    for score in report.labels:
        lines.append(
            f"{score.operation:<10} {score.count:>4} {score.accuracy:>9.3f} {score.macro_f1:>9.3f}   "
            f"{score.baseline_accuracy:>12.3f} {score.baseline_macro_f1:>11.3f}  {score.baseline_label}"
        )
    tags = report.tags
    lines += [
        "",
        f"tags       {tags.count:>4}  hit rate {tags.hit_rate:.3f}  "
        f"precision {tags.precision:.3f}  recall {tags.recall:.3f}"
        f"   baseline hit rate {tags.baseline_hit_rate:.3f} (always '{tags.baseline_tag}')",
        "",
        "accuracy by language: "
        + "; ".join(
            f"{score.operation} "
            + " ".join(f"{lang}={value:.2f}" for lang, value in score.accuracy_by_language.items())
            for score in report.labels
        ),
    ]
    return "\n".join(lines)
