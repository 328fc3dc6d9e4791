"""The reads the AI procedures start from, each one round trip, each filtered by org_id.

`load_ticket_for_ai` brings everything an AI operation on a ticket needs in one statement: the
ticket, the organization's AI settings, the 5 newest messages, the tags the organization uses
(optional) and the ticket's stored embedding for the organization's embedding model with a flag
saying whether it still matches the ticket's text. A ticket of another organization is simply
not found, exactly like an id that does not exist.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import msgspec
import numpy as np

from app.ai.interface import ThreadMessage, TicketText
from app.assist.settings import OrgAISettings, settings_from_json
from app.assist.embeddings_store import TICKET_HASH_SQL

# The newest messages an engine sees (the catalog: subject, description and the 5 most recent).
THREAD_MESSAGES = 5
# "The organization's existing tags": the most used ones among its recent tickets. A window of
# recent tickets keeps the cost bounded for an organization with 100,000 tickets (reading them
# costs about 1 µs a ticket), and recent tags are the ones in use. The list is kept per process
# for a short while: a tag first used a few seconds ago may not be preferred yet, which is
# harmless, and most AI calls then skip the read.
TAG_WINDOW_TICKETS = 1_000
MAX_EXISTING_TAGS = 200
EXISTING_TAGS_CACHE_SECONDS = 30.0

_EXISTING_TAGS_SQL = """
    SELECT coalesce(array_agg(tag ORDER BY uses DESC, tag), '{}')
    FROM (
        SELECT tag, count(*) AS uses
        FROM (SELECT tags FROM tickets WHERE org_id = $1 ORDER BY created_at DESC LIMIT %(window)s) recent,
             unnest(recent.tags) AS tag
        GROUP BY tag
        ORDER BY uses DESC, tag
        LIMIT %(limit)s
    ) used
""" % {"window": TAG_WINDOW_TICKETS, "limit": MAX_EXISTING_TAGS}


_existing_tags: dict[UUID, tuple[float, list[str]]] = {}


def _cached_tags(org_id: UUID) -> list[str] | None:
    cached = _existing_tags.get(org_id)
    if cached is None or cached[0] < time.monotonic():
        return None
    return cached[1]


def _remember_tags(org_id: UUID, tags: list[str]) -> list[str]:
    if len(_existing_tags) > 10_000:
        _existing_tags.clear()
    _existing_tags[org_id] = (time.monotonic() + EXISTING_TAGS_CACHE_SECONDS, tags)
    return tags


@dataclass(frozen=True, slots=True)
class StoredEmbedding:
    model: str
    dimensions: int
    vector: np.ndarray
    current: bool  # embedded from the ticket's present subject and description


@dataclass(frozen=True, slots=True)
class TicketForAI:
    id: UUID
    subject: str
    description_text: str
    status: str
    priority: str
    tags: list[str]
    assignee_id: UUID | None
    messages: tuple[ThreadMessage, ...]  # oldest first, at most THREAD_MESSAGES
    settings: OrgAISettings
    existing_tags: list[str]  # empty unless asked for
    embedding: StoredEmbedding | None

    def text(self) -> TicketText:
        return TicketText(subject=self.subject, description=self.description_text, messages=self.messages)

    def current_vector(self, model: str, dimensions: int) -> np.ndarray | None:
        """The stored vector if it is current and was made by this model at this dimension."""
        stored = self.embedding
        if stored is None or not stored.current or stored.model != model or stored.dimensions != dimensions:
            return None
        return stored.vector


_MESSAGES_DECODER = msgspec.json.Decoder(list[ThreadMessage])


async def load_ticket_for_ai(
    connection: asyncpg.Connection | asyncpg.Pool,
    org_id: UUID,
    ticket_id: UUID,
    *,
    default_embedding_model: str,
    with_messages: bool = True,
    with_existing_tags: bool = False,
) -> TicketForAI | None:
    """The ticket and its AI context, or None when the organization has no such ticket.

    The embedding looked up is the one of the organization's `embeddingModel`, else
    `default_embedding_model`; the caller still checks (`current_vector`) that it is the model its
    engine will use, so a disagreement costs a re-embedding, never a wrong vector.
    """
    known_tags = _cached_tags(org_id) if with_existing_tags else None
    row = await connection.fetchrow(
        f"""
        SELECT t.id, t.subject, t.description_text, t.status, t.priority, t.tags, t.assignee_id,
               o.ai_settings::text AS ai_settings,
               CASE WHEN $4 THEN (
                   SELECT coalesce(jsonb_agg(jsonb_build_object('author', m.author, 'content', m.content)
                                             ORDER BY m.created_at, m.id), '[]'::jsonb)::text
                   FROM (SELECT author, content, created_at, id FROM messages
                         WHERE org_id = $1 AND ticket_id = $2
                         ORDER BY created_at DESC, id DESC LIMIT {THREAD_MESSAGES}) m
               ) END AS messages,
               CASE WHEN $5 THEN ({_EXISTING_TAGS_SQL}) END AS existing_tags,
               e.model AS embedding_model, e.dimensions AS embedding_dimensions, e.embedding,
               e.content_hash = {TICKET_HASH_SQL} AS embedding_current
        FROM tickets t
        JOIN organizations o ON o.id = t.org_id
        LEFT JOIN ticket_embeddings e
               ON e.org_id = t.org_id AND e.ticket_id = t.id
              AND e.model = coalesce(nullif(o.ai_settings ->> 'embeddingModel', ''), $3)
        WHERE t.org_id = $1 AND t.id = $2
        """,
        org_id,
        ticket_id,
        default_embedding_model,
        with_messages,
        with_existing_tags and known_tags is None,
    )
    if row is None:
        return None
    existing_tags: list[str] = []
    if with_existing_tags:
        existing_tags = known_tags if known_tags is not None else _remember_tags(org_id, list(row["existing_tags"]))
    embedding = None
    if row["embedding"] is not None:
        embedding = StoredEmbedding(
            model=row["embedding_model"],
            dimensions=row["embedding_dimensions"],
            vector=row["embedding"].to_numpy(),
            current=bool(row["embedding_current"]),
        )
    return TicketForAI(
        id=row["id"],
        subject=row["subject"],
        description_text=row["description_text"],
        status=row["status"],
        priority=row["priority"],
        tags=list(row["tags"]),
        assignee_id=row["assignee_id"],
        messages=tuple(_MESSAGES_DECODER.decode(row["messages"])) if row["messages"] else (),
        settings=settings_from_json(row["ai_settings"]),
        existing_tags=existing_tags,
        embedding=embedding,
    )


async def load_settings_and_tags(
    connection: asyncpg.Connection | asyncpg.Pool, org_id: UUID, *, with_existing_tags: bool
) -> tuple[OrgAISettings, list[str]]:
    """For operations on free text: the settings and, when asked, the organization's tags."""
    known_tags = _cached_tags(org_id) if with_existing_tags else None
    row = await connection.fetchrow(
        f"""
        SELECT o.ai_settings::text AS ai_settings,
               CASE WHEN $2 THEN ({_EXISTING_TAGS_SQL}) END AS existing_tags
        FROM organizations o WHERE o.id = $1
        """,
        org_id,
        with_existing_tags and known_tags is None,
    )
    if row is None:
        return settings_from_json(None), []
    if not with_existing_tags:
        return settings_from_json(row["ai_settings"]), []
    tags = known_tags if known_tags is not None else _remember_tags(org_id, list(row["existing_tags"]))
    return settings_from_json(row["ai_settings"]), tags


class Agent(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    role: str
    expertise: list[str]


async def assignable_agents(connection: asyncpg.Connection | asyncpg.Pool, org_id: UUID) -> list[Agent]:
    """Active agents and admins: the only people a ticket may be suggested to."""
    rows = await connection.fetch(
        """
        SELECT id, name, role, expertise FROM users
        WHERE org_id = $1 AND active AND role IN ('agent', 'admin')
        ORDER BY name, id
        """,
        org_id,
    )
    return msgspec.convert([dict(row) for row in rows], list[Agent])


class TicketSample(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    subject: str
    description_text: str
    tags: list[str]
    status: str


async def tickets_for_prompt_test(
    connection: asyncpg.Connection | asyncpg.Pool, org_id: UUID, tag: str | None, limit: int
) -> list[TicketSample]:
    """The organization's newest tickets carrying `tag` (any ticket when no tag is given)."""
    rows = await connection.fetch(
        """
        SELECT id, subject, description_text, tags, status FROM tickets
        WHERE org_id = $1 AND ($2::text IS NULL OR tags @> ARRAY[$2::text])
        ORDER BY created_at DESC, id DESC
        LIMIT $3
        """,
        org_id,
        tag,
        limit,
    )
    return msgspec.convert([dict(row) for row in rows], list[TicketSample])
