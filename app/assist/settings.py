"""An organization's AI settings: the `organizations.ai_settings` jsonb, read into typed values.

The column is written by `org.update` (camelCase keys: model, fallbackModels, embeddingModel,
systemPrompts, intentTaxonomy, autoTriage, autoTriageApply, autoTriageAssigneeMinConfidence,
keepFeedbackText, redactPii, replyTone, language). Reading is lenient
field by field: one malformed value falls back to its default (and is logged) instead of taking
every AI procedure of the organization down with it.

Nothing here is cached across requests: an admin's change must reach every worker at once. A
handler reads the settings once per call, usually in the same statement as the ticket it works on
(`settings_from_json` takes the raw column), so they cost no extra round trip.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from app.ai.interface import OPERATIONS, EngineSettings, IntentDefinition, Language
from app.ai.local.intent import DEFAULT_TAXONOMY

log = logging.getLogger(__name__)

LANGUAGES: frozenset[str] = frozenset(("en", "es", "fr", "de", "it", "pt"))


class OrgAISettings(msgspec.Struct, frozen=True):
    engine: EngineSettings
    intent_taxonomy: tuple[IntentDefinition, ...] = DEFAULT_TAXONOMY
    auto_triage: bool = False
    # What auto-triage may write to a ticket; the rest it only suggests.
    auto_triage_apply: tuple[str, ...] = ("priority", "tags")
    # An assignee is applied only when the suggestion is at least this confident.
    auto_triage_assignee_min_confidence: float = 0.7
    # Keep the text a person finally sent with their feedback on a suggestion (it can hold
    # customer data, so off unless the organization turns it on).
    keep_feedback_text: bool = False


DEFAULT_SETTINGS = OrgAISettings(engine=EngineSettings())


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _model_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError("must be a list of model names")
    return tuple(dict.fromkeys(name for name in (_text(item) for item in value) if name))


def _system_prompts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError("must be an object of operation -> prompt")
    # Unknown operations are ignored rather than refused: a prompt for an operation this version
    # lacks must not break the ones it has.
    return {op: prompt for op, raw in value.items() if op in OPERATIONS and (prompt := _text(raw))}


def _taxonomy(value: Any) -> tuple[IntentDefinition, ...]:
    if value == []:
        return DEFAULT_TAXONOMY  # org.update stores "no taxonomy of our own" as an empty list
    intents = msgspec.convert(value, list[IntentDefinition])
    cleaned: dict[str, IntentDefinition] = {}
    for intent in intents:
        name = intent.name.strip()
        if name and name not in cleaned:
            cleaned[name] = IntentDefinition(name=name, description=intent.description.strip())
    if not cleaned:
        raise ValueError("must name at least one intent")
    return tuple(cleaned.values())


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


TRIAGE_FIELDS: tuple[str, ...] = ("priority", "tags", "assignee")


def _triage_fields(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or any(item not in TRIAGE_FIELDS for item in value):
        raise ValueError(f"must be a list of {list(TRIAGE_FIELDS)}")
    return tuple(dict.fromkeys(value))


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError("must be a number from 0 to 1")
    return float(value)


def _language(value: Any) -> Language:
    if value not in LANGUAGES:
        raise ValueError(f"must be one of {sorted(LANGUAGES)}")
    return value


def _reply_tone(value: Any) -> str:
    tone = _text(value)
    if tone is None:
        raise ValueError("must be a non-empty string")
    return tone


def settings_from_dict(stored: dict[str, Any]) -> OrgAISettings:
    engine: dict[str, Any] = {}
    organization: dict[str, Any] = {}
    readers: tuple[tuple[str, dict[str, Any], str, Any], ...] = (
        ("model", engine, "model", _text),
        ("fallbackModels", engine, "fallback_models", _model_list),
        ("embeddingModel", engine, "embedding_model", _text),
        ("systemPrompts", engine, "system_prompts", _system_prompts),
        ("redactPii", engine, "redact_pii", _boolean),
        ("replyTone", engine, "reply_tone", _reply_tone),
        ("language", engine, "language", _language),
        ("intentTaxonomy", organization, "intent_taxonomy", _taxonomy),
        ("autoTriage", organization, "auto_triage", _boolean),
        ("autoTriageApply", organization, "auto_triage_apply", _triage_fields),
        ("autoTriageAssigneeMinConfidence", organization, "auto_triage_assignee_min_confidence", _fraction),
        ("keepFeedbackText", organization, "keep_feedback_text", _boolean),
    )
    for key, target, field_name, read in readers:
        if stored.get(key) is None:
            continue
        try:
            target[field_name] = read(stored[key])
        except (ValueError, TypeError, msgspec.ValidationError) as problem:
            log.warning("ignoring the organization's AI setting %s: %s", key, problem)
    return OrgAISettings(engine=EngineSettings(**engine), **organization)


def settings_from_json(raw: str | bytes | dict[str, Any] | None) -> OrgAISettings:
    """The settings from the raw column value (asyncpg hands jsonb over as text)."""
    if raw is None:
        return DEFAULT_SETTINGS
    if isinstance(raw, dict):
        return settings_from_dict(raw)
    try:
        stored = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        log.warning("the organization's AI settings are not valid JSON; using the defaults")
        return DEFAULT_SETTINGS
    if not isinstance(stored, dict):
        return DEFAULT_SETTINGS
    return settings_from_dict(stored)


async def load_ai_settings(connection: asyncpg.Connection | asyncpg.Pool, org_id: UUID) -> OrgAISettings:
    raw = await connection.fetchval("SELECT ai_settings FROM organizations WHERE id = $1", org_id)
    return settings_from_json(raw)


def with_overrides(
    settings: EngineSettings, *, model: str | None = None, system_prompts: dict[str, str] | None = None
) -> EngineSettings:
    """Per-call overrides (the prompt playground's model and system prompt) on top of the org's."""
    changes: dict[str, Any] = {}
    if model is not None and model.strip():
        changes["model"] = model.strip()
    if system_prompts:
        changes["system_prompts"] = {**settings.system_prompts, **system_prompts}
    return msgspec.structs.replace(settings, **changes) if changes else settings
