"""The ticket an AI call works on: reading it (with the organization's AI settings) and writing
back what the AI found (a summary, tags).

Free text sent to an AI procedure (a subject and a description, plain or TipTap JSON) becomes the
same `TicketText` an engine sees for a stored ticket; the description obeys the ticket limit
(`MAX_DESCRIPTION_CHARS`) and a document is flattened off the event loop.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from app.ai.interface import TicketText
from app.ai.local.workers import run_cpu
from app.assist.engines import default_embedding_model
from app.assist.models import within_allow_list
from app.assist.queries import TicketForAI, load_settings_and_tags, load_ticket_for_ai
from app.assist.settings import OrgAISettings
from app.context import Context
from app.errors import not_found
from app.helpdesk.tiptap import description_text
from app.helpdesk.validation import tag_form

# Ticket tags as tickets.update stores them (app.helpdesk.validation): normalised, at most 64
# characters, at most 50 on a ticket.
MAX_TAG_CHARS = 64
MAX_TICKET_TAGS = 50


async def ticket_for_ai(
    ctx: Context,
    ticket_id: UUID,
    *,
    with_messages: bool = True,
    with_existing_tags: bool = False,
    connection: asyncpg.Connection | None = None,
) -> TicketForAI:
    """The caller's organization's ticket with its AI context; NOT_FOUND for any other id."""
    caller = ctx.require_caller()
    ticket = await load_ticket_for_ai(
        connection if connection is not None else ctx.pool,
        caller.org_id,
        ticket_id,
        default_embedding_model=default_embedding_model(ctx),
        with_messages=with_messages,
        with_existing_tags=with_existing_tags,
    )
    if ticket is None:
        raise not_found("Ticket")
    usable = _usable(ctx, ticket.settings)
    return ticket if usable is ticket.settings else dataclasses.replace(ticket, settings=usable)


def _usable(ctx: Context, settings: OrgAISettings) -> OrgAISettings:
    engine = within_allow_list(ctx.settings, settings.engine)
    return settings if engine is settings.engine else msgspec.structs.replace(settings, engine=engine)


async def org_settings(ctx: Context, *, with_existing_tags: bool = False) -> tuple[OrgAISettings, list[str]]:
    """For operations on free text: the organization's AI settings and, when asked, its tags."""
    settings, tags = await load_settings_and_tags(ctx.pool, ctx.require_caller().org_id, with_existing_tags=with_existing_tags)
    return _usable(ctx, settings), tags


async def ticket_content(subject: str, description: str | dict[str, Any], path: str = "description") -> TicketText:
    """Free text as an engine sees a ticket; BAD_REQUEST at `path` when the description's text is
    longer than MAX_DESCRIPTION_CHARS."""
    if isinstance(description, str):
        text = description_text(description, path)
    else:
        # Flattening a TipTap document walks every node of up to a megabyte of JSON: CPU work.
        text = await run_cpu(description_text, description, path)
    return TicketText(subject=subject.strip(), description=text)


def valid_tags(tags: list[str]) -> list[str]:
    """The engine's tag suggestions as a ticket may hold them: normalised like every ticket tag,
    duplicates and what tickets.update would refuse dropped (an engine's slip is not an error)."""
    cleaned = (tag_form(tag) for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag and len(tag) <= MAX_TAG_CHARS and "\x00" not in tag))


_APPLY_AI_RESULTS_SQL = f"""
UPDATE tickets AS t
SET ai_summary = coalesce($3, t.ai_summary),
    tags = (t.tags || ARRAY(SELECT added.tag FROM unnest($4::text[]) WITH ORDINALITY AS added (tag, position)
                            WHERE added.tag <> ALL (t.tags) ORDER BY added.position))[1:{MAX_TICKET_TAGS}],
    -- A new tag is a change the team sees; a refreshed summary alone is not.
    updated_at = CASE WHEN $4::text[] <@ t.tags THEN t.updated_at ELSE now() END
WHERE t.org_id = $1 AND t.id = $2
RETURNING t.tags
"""


async def apply_ai_results(
    connection: asyncpg.Connection, org_id: UUID, ticket_id: UUID, *, summary: str | None, tags: list[str]
) -> list[str]:
    """Store a summary and merge tags into the ticket (existing tags first, in one statement so a
    concurrent tag edit is never lost); the ticket's tags afterwards. NOT_FOUND if it is gone."""
    merged = await connection.fetchval(_APPLY_AI_RESULTS_SQL, org_id, ticket_id, summary, tags)
    if merged is None:
        raise not_found("Ticket")
    return list(merged)

