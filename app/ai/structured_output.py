"""What a hosted model's answer must be: the JSON Schema sent as `response_format`, decoding and
the repair request for an invalid answer, and the rules an answer is held to and cleaned with."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from app.ai.interface import (
    Candidate,
    Classification,
    IntentDefinition,
    RankedCandidate,
    Ranking,
    Replies,
    Sentiment,
    SentimentLabel,
)
from app.helpdesk.validation import distinct_tags

AnswerT = TypeVar("AnswerT", bound=msgspec.Struct)

MAX_TAGS = 5
_MAX_PROBLEM_CHARS = 300


# ---- structured output ------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """Adapt msgspec's JSON Schema to what strict structured output accepts.

    Strict mode wants every object closed and every property required (an optional field stays
    optional through its `null` alternative), no `default` keyword, and typed enums.
    """
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    adapted = {key: _strict(value) for key, value in schema.items() if key != "default"}
    if adapted.get("type") == "object" and "properties" in adapted:
        adapted["required"] = list(adapted["properties"])
        adapted["additionalProperties"] = False
    if "enum" in adapted and "type" not in adapted and all(isinstance(v, str) for v in adapted["enum"]):
        adapted["type"] = "string"
    return adapted


@functools.cache
def _answer_schema(answer_type: type[msgspec.Struct]) -> tuple[str, str]:
    """(name, JSON text) of the strict schema for `answer_type`, its root inlined (not a $ref)."""
    schema = msgspec.json.schema(answer_type)
    definitions = dict(schema.get("$defs", {}))
    name = schema["$ref"].rsplit("/", 1)[-1]
    root = _strict(definitions.pop(name))
    if definitions:
        root["$defs"] = _strict(definitions)
    return name, json.dumps(root)


def response_format(answer_type: type[msgspec.Struct]) -> dict[str, Any]:
    name, schema_json = _answer_schema(answer_type)
    # A fresh dict per call: nothing downstream can alter the cached schema.
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": json.loads(schema_json), "strict": True},
    }


class InvalidAnswer(Exception):
    """The model answered, but not with a valid instance of the answer Struct."""


def _strip_code_fence(content: str) -> str:
    # Some models wrap JSON in ```json fences even in JSON mode.
    text = content.strip()
    if text.startswith("```"):
        first_line_end = text.find("\n")
        text = text[first_line_end + 1 :] if first_line_end != -1 else ""
        if text.rstrip().endswith("```"):
            text = text.rstrip()[:-3]
    return text.strip()


def decode_answer(
    content: str | None,
    answer_type: type[AnswerT],
    check: Callable[[AnswerT], str | None] | None = None,
) -> AnswerT:
    """Decode and validate the model's answer; `check` adds rules a JSON Schema cannot say."""
    text = _strip_code_fence(content or "")
    if not text:
        raise InvalidAnswer("the answer was empty")
    try:
        answer = msgspec.json.decode(text, type=answer_type)
    except msgspec.ValidationError as error:
        raise InvalidAnswer(f"it does not match the schema: {error}"[:_MAX_PROBLEM_CHARS]) from None
    except msgspec.DecodeError as error:
        raise InvalidAnswer(f"it is not valid JSON: {error}"[:_MAX_PROBLEM_CHARS]) from None
    problem = check(answer) if check is not None else None
    if problem:
        raise InvalidAnswer(problem[:_MAX_PROBLEM_CHARS])
    return answer


def repair_request(problem: str, answer_type: type[msgspec.Struct]) -> str:
    _name, schema_json = _answer_schema(answer_type)
    return (
        f"Your previous answer was rejected: {problem}\n"
        "Answer again with only a JSON object that matches this JSON Schema, and no other text:\n"
        f"{schema_json}"
    )


# ---- answer rules and clean-up ------------------------------------------------------------------


def normalized_tags(tags: Sequence[str]) -> list[str]:
    """The model's tags as tickets store them (app.helpdesk.validation), at most MAX_TAGS."""
    return distinct_tags(tags)[:MAX_TAGS]


def sentiment_label(score: float) -> SentimentLabel:
    """The published thresholds: positive from 0.3, negative from -0.3."""
    if score >= 0.3:
        return "positive"
    if score <= -0.3:
        return "negative"
    return "neutral"


def consistent_sentiment(sentiment: Sentiment) -> Sentiment:
    """The label follows the score, so the two can never disagree in what callers see."""
    emotions = list(dict.fromkeys(e.strip().lower() for e in sentiment.emotions if e.strip()))
    return msgspec.structs.replace(sentiment, sentiment=sentiment_label(sentiment.score), emotions=emotions)


def replies_problem(replies: Replies) -> str | None:
    tones = {draft.tone.strip().lower() for draft in replies.suggestions if draft.text.strip()}
    if len(tones) < 2:
        return "give at least two reply drafts with different tones, each with non-empty text"
    return None


def intent_problem(taxonomy: Sequence[IntentDefinition]) -> Callable[[Classification], str | None]:
    names = [intent.name for intent in taxonomy]

    def problem(classification: Classification) -> str | None:
        if names and classification.intent not in names:
            return f"intent must be exactly one of {json.dumps(names)}"
        return None

    return problem


def ranking_of_known(ranking: Ranking, candidates: Sequence[Candidate]) -> Ranking:
    """Only ids from the candidate list, each once (its best score), best first."""
    known = {candidate.id for candidate in candidates}
    best: dict[str, RankedCandidate] = {}
    for ranked in ranking.ranked:
        if ranked.id in known and (ranked.id not in best or ranked.relevance > best[ranked.id].relevance):
            best[ranked.id] = ranked
    return Ranking(ranked=sorted(best.values(), key=lambda ranked: ranked.relevance, reverse=True))
