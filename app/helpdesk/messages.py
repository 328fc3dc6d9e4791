"""Messages: a ticket's conversation, appended to and read in order."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import asyncpg

MessageAuthor = Literal["customer", "agent"]

MESSAGE_COLUMNS = "id, ticket_id, author, author_user_id, content, created_at"

# One statement: the ticket is touched (its search vector grows by the message, a customer's message
# counts as unread for the team and reopens a resolved or closed ticket) and the message inserted
# only when the ticket belongs to the organization, atomically, with no window where one exists
# without the other. `reopened` says whether this message reopened the ticket.
_APPEND = f"""
WITH ticket AS (
    UPDATE tickets t
    SET search_vector = t.search_vector || helpdesk_search_vector($5, 'C'),
        unread_count = t.unread_count + CASE WHEN $3 = 'customer' THEN 1 ELSE 0 END,
        status = CASE WHEN $3 = 'customer' AND t.status IN ('resolved', 'closed') THEN 'open' ELSE t.status END,
        resolved_at = CASE WHEN $3 = 'customer' AND t.status IN ('resolved', 'closed') THEN NULL ELSE t.resolved_at END,
        updated_at = now()
    FROM (SELECT status FROM tickets WHERE org_id = $1 AND id = $2) before
    WHERE t.org_id = $1 AND t.id = $2
    RETURNING t.org_id, t.id, $3 = 'customer' AND before.status IN ('resolved', 'closed') AS reopened
)
INSERT INTO messages (org_id, ticket_id, author, author_user_id, content)
SELECT org_id, id, $3, $4, $5 FROM ticket
RETURNING {MESSAGE_COLUMNS}, (SELECT reopened FROM ticket) AS reopened
"""


async def append_message(
    connection: asyncpg.Connection,
    org_id: UUID,
    ticket_id: UUID,
    *,
    author: MessageAuthor,
    author_user_id: UUID | None,
    content: str,
) -> asyncpg.Record | None:
    """The new message, or None when the organization has no such ticket."""
    return await connection.fetchrow(_APPEND, org_id, ticket_id, author, author_user_id, content)


async def list_messages(connection: asyncpg.Connection, org_id: UUID, ticket_id: UUID) -> list[asyncpg.Record]:
    """The ticket's messages, oldest first."""
    return await connection.fetch(
        f"""
        SELECT {MESSAGE_COLUMNS} FROM messages
        WHERE org_id = $1 AND ticket_id = $2
        ORDER BY created_at, id
        """,
        org_id,
        ticket_id,
    )
