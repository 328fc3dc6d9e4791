"""org.*: the organization's name and its AI settings. The plan is not here: plans change by the
operator (the set_plan command, see the README), because a plan is what the organization pays for."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
import msgspec

from app.assist.models import allowed_models, require_allowed_choices
from app.context import Context
from app.errors import TRPCError
from app.registry import procedure
from app.rows import struct_from_row

# The operations whose system prompt an organization may replace (app.ai.interface.OPERATIONS
# minus `embed`, which has no prompt).
PromptOperation = Literal[
    "summarize", "sentiment", "priority", "tags", "replies", "classify", "improve", "rank", "analyze"
]
LanguageCode = Literal["en", "es", "fr", "de", "it", "pt"]
ModelName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SystemPrompt = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
IntentName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
OrgName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Tone = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
TriageField = Literal["priority", "tags", "assignee"]
Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class Intent(msgspec.Struct, frozen=True):
    name: IntentName
    description: Annotated[str, msgspec.Meta(max_length=1_000)] = ""


class AiSettings(msgspec.Struct, frozen=True):
    """What an organization chose; what it leaves empty the environment decides. Stored as-is in
    organizations.ai_settings and read by the AI procedures."""

    model: ModelName | None = None
    fallbackModels: Annotated[list[ModelName], msgspec.Meta(max_length=5)] = []
    embeddingModel: ModelName | None = None
    systemPrompts: dict[PromptOperation, SystemPrompt] = {}
    # Empty: the default taxonomy (five cancellation intents).
    intentTaxonomy: Annotated[list[Intent], msgspec.Meta(max_length=100)] = []
    autoTriage: bool = False
    # What auto-triage writes to a new ticket; the rest it only suggests (see the ticket's aiTriage).
    autoTriageApply: list[TriageField] = msgspec.field(default_factory=lambda: ["priority", "tags"])
    # The least confidence at which auto-triage assigns the suggested agent.
    autoTriageAssigneeMinConfidence: Fraction = 0.7
    # Keep the final text people send with feedback on a suggestion (it may hold customer data).
    keepFeedbackText: bool = False
    redactPii: bool = True
    replyTone: Tone = "friendly"
    language: LanguageCode | None = None


class AiSettingsChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A partial change: absent fields keep their value, null resets a model to the default."""

    model: ModelName | None | msgspec.UnsetType = msgspec.UNSET
    fallbackModels: Annotated[list[ModelName], msgspec.Meta(max_length=5)] | msgspec.UnsetType = msgspec.UNSET
    embeddingModel: ModelName | None | msgspec.UnsetType = msgspec.UNSET
    systemPrompts: dict[PromptOperation, SystemPrompt] | msgspec.UnsetType = msgspec.UNSET
    intentTaxonomy: Annotated[list[Intent], msgspec.Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    autoTriage: bool | msgspec.UnsetType = msgspec.UNSET
    autoTriageApply: Annotated[list[TriageField], msgspec.Meta(max_length=3)] | msgspec.UnsetType = msgspec.UNSET
    autoTriageAssigneeMinConfidence: Fraction | msgspec.UnsetType = msgspec.UNSET
    keepFeedbackText: bool | msgspec.UnsetType = msgspec.UNSET
    redactPii: bool | msgspec.UnsetType = msgspec.UNSET
    replyTone: Tone | msgspec.UnsetType = msgspec.UNSET
    language: LanguageCode | None | msgspec.UnsetType = msgspec.UNSET


class UpdateOrgInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: OrgName | msgspec.UnsetType = msgspec.UNSET
    aiSettings: AiSettingsChange | msgspec.UnsetType = msgspec.UNSET


class Organization(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    slug: str
    plan: str
    aiOperationsLimit: int | None  # None: the plan's
    billingAnchor: datetime
    aiSettings: AiSettings
    createdAt: datetime
    updatedAt: datetime
    # The deployment's allow-list (AI_ALLOWED_MODELS, or the configured models): the only names
    # aiSettings and the playground accept, so a picker offers exactly these.
    allowedModels: list[str]


_ORG_COLUMNS = "id, name, slug, plan, ai_operations_limit, billing_anchor, ai_settings, created_at, updated_at"


def read_ai_settings(stored: str | bytes) -> AiSettings:
    """organizations.ai_settings as a typed value. Keys this version does not know (written by a
    newer one) are ignored rather than breaking every read."""
    return msgspec.json.decode(stored, type=AiSettings)


def _organization_from_row(row: asyncpg.Record, models: tuple[str, ...]) -> Organization:
    return struct_from_row(
        row, Organization, aiSettings=read_ai_settings(row["ai_settings"]), allowedModels=list(models)
    )


def _check_taxonomy(intents: list[Intent]) -> None:
    names = [intent.name for intent in intents]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise TRPCError(
            "BAD_REQUEST",
            f"aiSettings.intentTaxonomy: intent {duplicate!r} appears twice",
            data={"field": "aiSettings.intentTaxonomy"},
        )


def _stored_form(settings: AiSettings) -> dict[str, object]:
    """Only what the organization chose: a default left out stays the default if it changes, and
    app.assist.settings reads an absent key as "use the default" (an empty taxonomy would be refused)."""
    return {
        field.name: value
        for field in msgspec.structs.fields(AiSettings)
        if (value := getattr(settings, field.name)) != (
            field.default if field.default is not msgspec.NODEFAULT else field.default_factory()
        )
    }


def _merged(current: AiSettings, change: AiSettingsChange) -> AiSettings:
    values = msgspec.structs.asdict(current)
    values.update(
        (field, value)
        for field, value in msgspec.structs.asdict(change).items()
        if value is not msgspec.UNSET
    )
    return AiSettings(**values)


@procedure("org.get", "query", role="admin", scope="admin")
async def get_org(ctx: Context) -> Organization:
    caller = ctx.require_caller()
    row = await ctx.pool.fetchrow(f"SELECT {_ORG_COLUMNS} FROM organizations WHERE id = $1", caller.org_id)
    if row is None:
        raise TRPCError("NOT_FOUND", "Organization not found")
    return _organization_from_row(row, allowed_models(ctx.settings))


@procedure("org.update", "mutation", role="admin", scope="admin")
async def update_org(ctx: Context, input: UpdateOrgInput) -> Organization:
    caller = ctx.require_caller()
    if input.aiSettings is not msgspec.UNSET:
        change = input.aiSettings
        if change.intentTaxonomy is not msgspec.UNSET:
            _check_taxonomy(change.intentTaxonomy)
        # Only the deployment's allowed models: a model name is where the server sends prompts.
        require_allowed_choices(
            ctx.settings,
            model=change.model or None,
            fallback_models=change.fallbackModels or None,
            embedding_model=change.embeddingModel or None,
            path="aiSettings",
        )
    async with ctx.pool.acquire() as connection, connection.transaction():
        # Read and write under a row lock: two admins changing different settings at once both win.
        stored = await connection.fetchval(
            "SELECT ai_settings FROM organizations WHERE id = $1 FOR UPDATE", caller.org_id
        )
        if stored is None:
            raise TRPCError("NOT_FOUND", "Organization not found")
        settings = read_ai_settings(stored)
        if input.aiSettings is not msgspec.UNSET:
            settings = _merged(settings, input.aiSettings)
        row = await connection.fetchrow(
            f"""
            UPDATE organizations SET
                name = COALESCE($2, name),
                ai_settings = $3::jsonb,
                updated_at = now()
            WHERE id = $1
            RETURNING {_ORG_COLUMNS}
            """,
            caller.org_id,
            input.name.strip() if input.name is not msgspec.UNSET else None,
            msgspec.json.encode(_stored_form(settings)).decode(),
        )
    assert row is not None
    return _organization_from_row(row, allowed_models(ctx.settings))
