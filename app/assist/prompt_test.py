"""The prompt playground (`ai.testPrompts`): the organization's own tickets classified with a
candidate model and system prompt, as one AI operation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from app.ai.interface import AIError, AIResult, Classification, TicketText, TokenUsage
from app.assist.engines import ledger, playground_engine, record
from app.assist.queries import tickets_for_prompt_test
from app.assist.tickets import org_settings
from app.context import Context

# Classifications in flight at once: enough to hide a hosted model's latency, few enough not to
# trip its rate limit (the local engine has two worker threads anyway).
PROMPT_TEST_CONCURRENCY = 4


class PromptTestResult(msgspec.Struct, frozen=True, kw_only=True):
    ticketId: UUID
    subject: str
    tags: list[str]
    status: str
    classification: Classification | None
    error: str | None


class PromptTestOutput(msgspec.Struct, frozen=True, kw_only=True):
    results: list[PromptTestResult]
    total: int
    model: str
    testedAt: datetime


async def run_prompt_test(
    ctx: Context, tag: str | None, limit: int, model: str | None, system_prompt: str | None
) -> PromptTestOutput:
    """Classify the organization's newest tickets carrying `tag` with the candidate model and prompt.

    A ticket whose classification fails reports its error and the others go on; if every one
    fails, the operation failed (the first error is raised) and is not charged.
    """
    caller = ctx.require_caller()
    settings_of_org, _ = await org_settings(ctx)
    engine, settings = playground_engine(ctx, settings_of_org.engine, model, system_prompt)
    taxonomy = list(settings_of_org.intent_taxonomy)
    samples = await tickets_for_prompt_test(ctx.pool, caller.org_id, tag, limit)
    gate = asyncio.Semaphore(PROMPT_TEST_CONCURRENCY)

    async def classify(sample_text: TicketText) -> AIResult[Classification] | AIError:
        async with gate:
            try:
                return await engine.classify(sample_text, taxonomy, settings)
            except AIError as error:
                return error

    outcomes = await asyncio.gather(
        *(classify(TicketText(subject=sample.subject, description=sample.description_text)) for sample in samples)
    )
    failures = [outcome for outcome in outcomes if isinstance(outcome, AIError)]
    if samples and len(failures) == len(samples):
        raise failures[0]
    results = []
    usage: list[TokenUsage] = []
    models = []
    for sample, outcome in zip(samples, outcomes, strict=True):
        common: dict[str, Any] = {"ticketId": sample.id, "subject": sample.subject, "tags": sample.tags, "status": sample.status}
        if isinstance(outcome, AIError):
            detail = f": {outcome}" if ctx.settings.debug else ""
            results.append(PromptTestResult(**common, classification=None, error=f"Classification failed{detail}"))
        else:
            usage.extend(outcome.usage)
            models.append(outcome.model)
            results.append(PromptTestResult(**common, classification=outcome.value, error=None))
    answered_by = models[0] if models else engine.model_name(settings)
    await record(ctx, ledger(usage, "classify", answered_by))
    return PromptTestOutput(results=results, total=len(results), model=answered_by, testedAt=datetime.now(UTC))
