"""Scoring any `Engine` on the public development data in tests/data/public/ (see SOURCES.md there).

Unlike tests/data/eval_set.jsonl, which was written by the same hand as the engine's rules, this
data was written and labelled by other people. Tasks, each next to its majority baseline:

- sentiment: 3-class macro-F1 on multilingual tweets, overall and per language;
- cancellation: F1 of "any cancellation intent" vs not_cancel on crowd-written requests;
- language: accuracy on the same tweets (the label is the corpus language, so a few are mixed);
- tags: share of suggested new tags that are filler, and top-1 accuracy of mapping a request to
  the organization's own tag vocabulary (the source's intent names);
- similar: precision@5 by intent over 20 intents x 10 questions, with the engine's embeddings.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import msgspec
import numpy as np
from yake_rust import Yake

from app.ai.interface import Engine, EngineSettings, TicketText
from app.ai.local.evaluation import macro_f1
from app.ai.local.intent import DEFAULT_TAXONOMY
from app.ai.local.similarity import SIMILAR_TICKET_FLOOR, VECTOR_WEIGHT, most_similar
from app.ai.local.text import fold

PUBLIC_DATA = Path(__file__).resolve().parents[3] / "tests" / "data" / "public"
SENTIMENT_LABELS = ("negative", "neutral", "positive")
T = TypeVar("T")
R = TypeVar("R")

# Independent of the engine's own stopword lists: what a person would not file a ticket under.
FILLER_WORDS = frozenset(
    """
    hi hello hey dear thanks thank please regards best cheers sorry ok okay yes no user http https www rt amp
    problem problems issue issues help support team customer customers service question questions request
    ticket thing things someone something today tomorrow yesterday time day week
    hola gracias saludos favor problema problemas soporte ayuda equipo cliente clientes servicio pregunta consulta
    solicitud atencion buenos buenas dias
    bonjour merci salut cordialement probleme problemes aide equipe client clients service question demande
    hallo danke gruesse grusse bitte problem probleme hilfe unterstutzung support team kunde kunden kundenservice
    kundendienst frage anfrage service
    ciao buongiorno grazie saluti problema problemi aiuto assistenza supporto squadra cliente clienti servizio
    domanda richiesta
    ola obrigado obrigada problema problemas ajuda suporte equipe cliente clientes servico pergunta pedido
    atendimento
    """.split()
)


class TaskScore(msgspec.Struct, frozen=True):
    task: str
    metric: str
    count: int
    score: float
    baseline: float
    detail: dict[str, float] = {}


def load_rows(name: str, limit: int | None = None, per_group: str | None = None) -> list[dict[str, object]]:
    """Rows of one public file; with `per_group`, `limit` applies to each value of that field."""
    with (PUBLIC_DATA / f"{name}.jsonl").open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    if limit is None:
        return rows
    if per_group is None:
        return rows[:limit]
    taken: Counter[object] = Counter()
    chosen = []
    for row in rows:
        if taken[row[per_group]] < limit:
            taken[row[per_group]] += 1
            chosen.append(row)
    return chosen


async def _each(items: Sequence[T], call: Callable[[T], Awaitable[R]], concurrency: int) -> list[R | None]:
    limiter = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R | None:
        async with limiter:
            try:
                return await call(item)
            except Exception:  # a hosted model can fail on one item; it counts as wrong, the run goes on
                return None

    return await asyncio.gather(*(one(item) for item in items))


def _ticket(text: str) -> TicketText:
    return TicketText(subject="", description=text)


def binary_f1(gold: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    precision = tp / max(1, sum(predicted))
    recall = tp / max(1, sum(gold))
    return (2 * precision * recall / (precision + recall) if tp else 0.0), precision, recall


async def score_sentiment(engine: Engine, settings: EngineSettings, rows: list[dict[str, object]], concurrency: int) -> TaskScore:
    async def call(row: dict[str, object]) -> str:
        return (await engine.sentiment(str(row["text"]), settings)).value.sentiment

    predicted = [label or "" for label in await _each(rows, call, concurrency)]
    gold = [str(row["label"]) for row in rows]
    by_language = {}
    for language in sorted({str(row["language"]) for row in rows}):
        index = [i for i, row in enumerate(rows) if row["language"] == language]
        by_language[language] = round(macro_f1([gold[i] for i in index], [predicted[i] for i in index]), 3)
    majority = Counter(gold).most_common(1)[0][0]
    return TaskScore("sentiment", "macro-F1", len(rows), round(macro_f1(gold, predicted), 3),
                     round(macro_f1(gold, [majority] * len(gold)), 3), by_language)


async def score_cancellation_and_language(
    engine: Engine, settings: EngineSettings, intent_rows: list[dict[str, object]],
    language_rows: list[dict[str, object]], concurrency: int,
) -> list[TaskScore]:
    taxonomy = list(DEFAULT_TAXONOMY)

    async def call(row: dict[str, object]) -> tuple[str, str]:
        result = (await engine.classify(_ticket(str(row["text"])), taxonomy, settings)).value
        return result.intent, result.detectedLanguage or ""

    answers = await _each(intent_rows, call, concurrency)
    gold = [bool(row["cancel"]) for row in intent_rows]
    predicted = [answer is not None and answer[0] != "not_cancel" for answer in answers]
    f1, precision, recall = binary_f1(gold, predicted)
    cancel = TaskScore("cancellation", "F1", len(gold), round(f1, 3), 0.0,
                       {"precision": round(precision, 3), "recall": round(recall, 3)})

    languages = await _each(language_rows, call, concurrency)
    gold_language = [str(row["language"]) for row in language_rows]
    hits = [answer is not None and answer[1] == language for answer, language in zip(languages, gold_language, strict=True)]
    by_language = {
        language: round(sum(h for h, g in zip(hits, gold_language, strict=True) if g == language)
                        / max(1, gold_language.count(language)), 3)
        for language in sorted(set(gold_language))
    }
    majority = Counter(gold_language).most_common(1)[0][1] / max(1, len(gold_language))
    language = TaskScore("language", "accuracy", len(hits), round(sum(hits) / max(1, len(hits)), 3),
                         round(majority, 3), by_language)
    return [cancel, language]


def is_filler(tag: str, text: str) -> bool:
    """A tag nobody would file under: a greeting, a generic support word, a stopword, a name, a fragment."""
    parts = [fold(part) for part in tag.split("-")]
    if any(part in FILLER_WORDS or part in _all_stopwords() for part in parts):
        return True
    if len(tag) < 4 and tag.upper() not in text:  # "pro" from "iPad Pro"; "API" and "SSO" stay
        return True
    # A person's or a place's name: capitalised every time it occurs, at least once mid-sentence (in
    # German every noun is capitalised, so there this check is left out).
    if _german_like(text):
        return False
    tokens = text.replace("\n", " . ").split()
    occurrences = [
        (token.strip(".,;:!?()\"'@#"), index > 0 and tokens[index - 1][-1:] not in ".!?:")
        for index, token in enumerate(tokens)
        if fold(token.strip(".,;:!?()\"'@#")) == fold(tag)
    ]
    return (
        any(mid for _, mid in occurrences)
        and all(word[:1].isupper() and not word.isupper() for word, _ in occurrences)
    )


def _german_like(text: str) -> bool:
    words_ = [word for word in text.split() if len(word) >= 4 and word.isalpha()]
    return bool(words_) and sum(word[:1].isupper() for word in words_) / len(words_) > 0.3


_STOPWORDS: frozenset[str] | None = None


def _all_stopwords() -> frozenset[str]:
    global _STOPWORDS
    if _STOPWORDS is None:
        _STOPWORDS = frozenset(fold(w) for lang in ("en", "de", "es", "fr", "it", "pt") for w in Yake(language=lang).stopwords)
    return _STOPWORDS


async def score_tags(engine: Engine, settings: EngineSettings, filler_rows: list[dict[str, object]],
                     vocabulary_rows: list[dict[str, object]], concurrency: int) -> list[TaskScore]:
    async def new_tags(row: dict[str, object]) -> list[str]:
        return (await engine.tags(_ticket(str(row["text"])), [], settings)).value.tags

    suggested = await _each(filler_rows, new_tags, concurrency)
    pairs = [(tag, str(row["text"])) for row, tags in zip(filler_rows, suggested, strict=True) for tag in tags or []]
    filler = sum(is_filler(tag, text) for tag, text in pairs)
    filler_score = TaskScore("tags-filler", "filler share (lower is better)", len(pairs),
                             round(filler / max(1, len(pairs)), 3), 0.0,
                             {"tickets_without_tags": float(sum(not tags for tags in suggested))})

    vocabularies: dict[str, list[str]] = {}
    for row in vocabulary_rows:
        vocabularies.setdefault(str(row["source"]), [])
        name = readable_intent(str(row["intent"]))
        if name not in vocabularies[str(row["source"])]:
            vocabularies[str(row["source"])].append(name)

    async def mapped(row: dict[str, object]) -> list[str]:
        vocabulary = sorted(vocabularies[str(row["source"])])
        return (await engine.tags(_ticket(str(row["text"])), vocabulary, settings)).value.tags

    answers = await _each(vocabulary_rows, mapped, concurrency)
    gold = [readable_intent(str(row["intent"])).replace(" ", "-") for row in vocabulary_rows]
    top1 = [tags is not None and tags[:1] == [g] for tags, g in zip(answers, gold, strict=True)]
    majority = Counter(gold).most_common(1)[0][1] / max(1, len(gold))
    vocabulary_score = TaskScore("tags-vocabulary", "top-1 accuracy", len(gold), round(sum(top1) / max(1, len(top1)), 3),
                                 round(majority, 3))
    return [filler_score, vocabulary_score]


def readable_intent(intent: str) -> str:
    """'CancelAutomaticBilling' -> 'cancel automatic billing', 'CANCEL_ORDER' -> 'cancel order'."""
    spaced = "".join(f" {ch}" if ch.isupper() and i and not intent[i - 1].isupper() else ch for i, ch in enumerate(intent))
    return " ".join(spaced.replace("_", " ").lower().replace("intent", " ").split())


async def score_similar(engine: Engine, settings: EngineSettings, rows: list[dict[str, object]],
                        floor: float = SIMILAR_TICKET_FLOOR, vector_weight: float = VECTOR_WEIGHT) -> TaskScore:
    texts = [str(row["text"]) for row in rows]
    vectors = np.asarray((await engine.embed(texts, settings)).value.vectors, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    return similar_precision(rows, vectors, floor, vector_weight)


def similar_precision(rows: list[dict[str, object]], vectors: np.ndarray, floor: float, vector_weight: float) -> TaskScore:
    intents = [str(row["intent"]) for row in rows]
    texts = [str(row["text"]) for row in rows]
    vector_only = hybrid = floored = 0.0
    returned = 0
    for i in range(len(rows)):
        others = [j for j in range(len(rows)) if j != i]
        plain = sorted(others, key=lambda j: (-float(vectors[j] @ vectors[i]), j))[:5]
        vector_only += sum(intents[j] == intents[i] for j in plain) / 5
        matches = most_similar(texts[i], vectors[i], [texts[j] for j in others], vectors[others], 5, floor, vector_weight)
        returned += len(matches)
        unfloored = most_similar(texts[i], vectors[i], [texts[j] for j in others], vectors[others], 5, -1.0, vector_weight)
        hybrid += sum(intents[others[k]] == intents[i] for k, _ in unfloored) / 5
        # Precision of what is shown; a query with nothing above the floor shows nothing wrong.
        if matches:
            floored += sum(intents[others[k]] == intents[i] for k, _ in matches) / len(matches)
        else:
            floored += 1.0
    count = len(rows)
    baseline = sum((intents.count(intent) - 1) / (count - 1) for intent in intents) / count
    return TaskScore("similar", "precision@5 (hybrid, floored)", count, round(floored / count, 3), round(baseline, 3),
                     {"vector_only_p@5": round(vector_only / count, 3), "hybrid_p@5": round(hybrid / count, 3),
                      "avg_returned": round(returned / count, 2)})


async def evaluate_public(engine: Engine, settings: EngineSettings, limit: int | None = None,
                          concurrency: int = 4, with_similar: bool = True) -> list[TaskScore]:
    """Every task on dev; `limit` caps the rows per language / per task (for paid hosted runs)."""
    sentiment_rows = load_rows("sentiment_dev", limit, "language")
    intent_rows = load_rows("intent_dev", limit * 4 if limit else None)
    language_rows = load_rows("sentiment_dev", limit or 150, "language")
    scores = [await score_sentiment(engine, settings, sentiment_rows, concurrency)]
    scores += await score_cancellation_and_language(engine, settings, intent_rows, language_rows, concurrency)
    scores += await score_tags(engine, settings, load_rows("sentiment_dev", min(limit or 50, 50), "language"),
                               load_rows("intent_dev", limit or 400), concurrency)
    if with_similar:
        scores.append(await score_similar(engine, settings, load_rows("similar_dev")))
    return scores


def format_scores(scores: list[TaskScore]) -> str:
    lines = [f"{'task':<16} {'metric':<32} {'n':>5} {'score':>7} {'baseline':>9}  detail"]
    for score in scores:
        detail = " ".join(f"{key}={value:g}" for key, value in score.detail.items())
        lines.append(f"{score.task:<16} {score.metric:<32} {score.count:>5} {score.score:>7.3f} {score.baseline:>9.3f}  {detail}")
    return "\n".join(lines)
