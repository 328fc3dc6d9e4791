"""Tickets: numbering, reads with their customer, filtered and searched lists, changes, unread counts.

A ticket row is always read together with its customer (`customer_*` columns, NULL when it has
none); `description` comes back as JSON text, exactly as it was sent.

Search: `search_vector` holds the subject (weight A), the description's plain text (B), every
message (C) and the customer's name and e-mail (D). It is written here and in `messages`, never by
a trigger, because its parts live in three tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# A very broad search would otherwise count tens of thousands of rows for every page (20-40 ms on
# 100k tickets); counting stops one past the cap and the answer says the total is a lower bound.
TOTAL_CAP = 1000

TICKET_COLUMNS = """
    t.id, t.number, t.subject, t.description, t.description_text, t.status, t.priority, t.tags,
    t.assignee_id, t.ai_summary, t.ai_resolved, t.escalation_reason, t.sla_due_at, t.unread_count,
    t.created_at, t.updated_at, t.ai_triage::text AS ai_triage,
    c.id AS customer_id, c.name AS customer_name, c.email AS customer_email, c.traits AS customer_traits
"""
_CUSTOMER_JOIN = "LEFT JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id"


def search_vector_sql(subject: str, description_text: str, messages_text: str, customer_text: str) -> str:
    """The SQL expression of a ticket's whole search vector from four SQL text expressions (column
    names or parameters); the bulk loaders build the same vector as the application."""
    return (
        f"helpdesk_search_vector({subject}, 'A') || helpdesk_search_vector({description_text}, 'B')"
        f" || helpdesk_search_vector({messages_text}, 'C') || helpdesk_search_vector({customer_text}, 'D')"
    )


# The number comes from the organization's counter, incremented in the caller's transaction: the
# row lock serialises concurrent creations in one organization, and a rollback gives the number back.
_CREATE = f"""
WITH numbered AS (
    UPDATE organizations SET last_ticket_number = last_ticket_number + 1
    WHERE id = $1
    RETURNING last_ticket_number
), inserted AS (
    INSERT INTO tickets (org_id, number, subject, description, description_text, status, priority, tags,
                         customer_id, sla_due_at, resolved_at, search_vector, manual_fields)
    SELECT $1, numbered.last_ticket_number, $2, $3::jsonb, $4, $5, $6, $7, $8, $9,
           CASE WHEN $5 IN ('resolved', 'closed') THEN now() END,
           {search_vector_sql("$2", "$4", "''", "$10")}, $11
    FROM numbered
    RETURNING *
)
SELECT {TICKET_COLUMNS}
FROM inserted t
LEFT JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id
"""


async def create_ticket(
    connection: asyncpg.Connection,
    org_id: UUID,
    *,
    subject: str,
    description_json: str,
    description_text: str,
    status: str,
    priority: str,
    tags: list[str],
    customer_id: UUID | None,
    customer_search_text: str,
    sla_due_at: datetime | None,
    manual_fields: list[str],
) -> asyncpg.Record:
    """Insert a ticket with the organization's next number. Run it inside a transaction together
    with whatever else the creation writes, so that a failure leaves neither row nor number."""
    row = await connection.fetchrow(
        _CREATE,
        org_id,
        subject,
        description_json,
        description_text,
        status,
        priority,
        tags,
        customer_id,
        sla_due_at,
        customer_search_text,
        manual_fields,
    )
    if row is None:
        raise LookupError(f"organization {org_id} does not exist")
    return row


# Reading a ticket marks it read for the whole team. The update only writes when there is something
# to clear, so the common case (already read) is a plain read. The SELECT sees the row as it was
# before the update (one snapshot per statement), hence the literal 0.
_GET_MARKING_READ = f"""
WITH marked AS (
    UPDATE tickets SET unread_count = 0
    WHERE org_id = $1 AND id = $2 AND unread_count > 0
)
SELECT {TICKET_COLUMNS.replace("t.unread_count", "0 AS unread_count")}
FROM tickets t {_CUSTOMER_JOIN}
WHERE t.org_id = $1 AND t.id = $2
"""


async def get_ticket_marking_read(
    connection: asyncpg.Connection, org_id: UUID, ticket_id: UUID
) -> asyncpg.Record | None:
    return await connection.fetchrow(_GET_MARKING_READ, org_id, ticket_id)


@dataclass(frozen=True, slots=True)
class TicketFilters:
    status: str | None = None
    priority: str | None = None
    tag: str | None = None
    assignee_id: UUID | None = None
    search: str | None = None  # websearch syntax, see helpdesk_search_query in schema.sql
    triage: str | None = None  # an aiTriage status, or "none" for never triaged


@dataclass(frozen=True, slots=True)
class TicketPage:
    rows: list[asyncpg.Record]
    total: int
    total_exact: bool


class _Query:
    """A list statement's WHERE clause and its parameters, numbered as they are bound."""

    def __init__(self, org_id: UUID) -> None:
        self.params: list[Any] = [org_id]
        self.conditions = ["t.org_id = $1"]

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    @property
    def where(self) -> str:
        return " AND ".join(self.conditions)


def _filtered(org_id: UUID, filters: TicketFilters) -> _Query:
    """Every filter but the search."""
    query = _Query(org_id)
    if filters.status is not None:
        query.conditions.append(f"t.status = {query.bind(filters.status)}")
    if filters.priority is not None:
        query.conditions.append(f"t.priority = {query.bind(filters.priority)}")
    if filters.tag is not None:
        query.conditions.append(f"t.tags @> ARRAY[{query.bind(filters.tag)}::text]")
    if filters.assignee_id is not None:
        query.conditions.append(f"t.assignee_id = {query.bind(filters.assignee_id)}")
    if filters.triage == "none":
        query.conditions.append("t.ai_triage IS NULL")
    elif filters.triage is not None:
        query.conditions.append(f"t.ai_triage ->> 'status' = {query.bind(filters.triage)}")
    return query


# How many of the newest tickets the density probe reads, and the share of them a search must
# match to be read newest-first (see list_tickets). Measured on 100k tickets: reading a thousand
# matches newest-first beats collecting them from the GIN index from a density of about 15%
# (4-8 ms against 8-12 ms at 20-25%; 15 ms against 3 ms at 1%); the newest tickets, which have
# fewer messages yet, show a term somewhat less often than the older ones.
_PROBE_ROWS = 200
_DENSE_SHARE = 0.125
# The newest-first walk gives up after this many tickets per wanted match (the probe's density):
# a probe fooled by a burst of recent tickets costs a bounded walk, then the index answers.
_WALK_ROWS_PER_MATCH = 8


def _newest_first(columns: str, where: str, limit: str) -> str:
    return f"SELECT {columns} FROM tickets t WHERE {where} ORDER BY t.created_at DESC, t.id DESC LIMIT {limit}"


def _page_from(matching: str, when: str, limit: str, offset: str) -> str:
    """The statement's end: `counted` (one row) joined to the page's tickets, taken from the CTE
    `matching` (id, created_at) when the condition `when` holds."""
    return f"""
        SELECT counted.*, page.*
        FROM counted
        LEFT JOIN LATERAL (
            SELECT {TICKET_COLUMNS}
            FROM (SELECT id, created_at FROM {matching} WHERE {when}
                  ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}) AS m
            JOIN tickets t ON t.org_id = $1 AND t.id = m.id
            {_CUSTOMER_JOIN}
        ) AS page ON true
        ORDER BY page.created_at DESC, page.id DESC
    """


def _page_rows(records: list[asyncpg.Record]) -> list[asyncpg.Record]:
    return [record for record in records if record["id"] is not None]


async def list_tickets(
    connection: asyncpg.Connection, org_id: UUID, filters: TicketFilters, *, limit: int, offset: int
) -> TicketPage:
    """One page, newest first, and the number of matches counted up to a cap: at least TOTAL_CAP,
    and never less than the end of the requested page, so a deep page still reports "more".

    How to read a page depends on how many tickets match, which the planner cannot tell well
    from statistics: for a rare search term it sometimes walks the whole organization
    newest-first, testing every ticket (50-70 ms on 100k tickets instead of under 1 ms), and
    for a term in a third of the tickets it collects tens of thousands of index entries to count
    a thousand of them. So a search first reads the newest 200 tickets (the probe):

    - a term in at least an eighth of them is read newest-first: the walk meets the page and the
      capped count within a few thousand tickets (very common terms);
    - otherwise the GIN index collects the matches, stopping one past the cap; when that is all
      of them the same statement sorts them and returns the page (rare and mid-frequency terms);
      when there are more, the page is read newest-first, where matches are now known to be dense.
    """
    query = _filtered(org_id, filters)
    count_up_to = max(TOTAL_CAP, offset + limit)
    if filters.search is None:
        return await _collect_matches(connection, query, None, count_up_to, limit, offset)
    # The search text becomes a tsquery once, here, and the statements below receive the tsquery
    # itself: written as `helpdesk_search_query($n)` inside them, a cached generic plan would
    # parse and fold the text again for every row it tests (5-10x slower).
    probe = await connection.fetchrow(
        f"""
        SELECT q::text AS tsquery, recent.tickets, recent.matches
        FROM helpdesk_search_query(${len(query.params) + 1}) AS q,
        LATERAL (
            SELECT count(*) AS tickets, count(*) FILTER (WHERE r.search_vector @@ q) AS matches
            FROM ({_newest_first("t.search_vector", query.where, str(_PROBE_ROWS))}) AS r
        ) AS recent
        """,
        *query.params,
        filters.search,
    )
    assert probe is not None
    tsquery: str = probe["tsquery"]
    if not tsquery:  # nothing searchable in it (punctuation only): nothing matches
        return TicketPage(rows=[], total=0, total_exact=True)
    if probe["tickets"] and probe["matches"] >= _DENSE_SHARE * probe["tickets"]:
        page = await _walk_newest_first(connection, query, tsquery, count_up_to, limit, offset)
        if page is not None:
            return page
    return await _collect_matches(connection, query, tsquery, count_up_to, limit, offset)


async def _walk_newest_first(
    connection: asyncpg.Connection, query: _Query, tsquery: str, count_up_to: int, limit: int, offset: int
) -> TicketPage | None:
    """The newest matches, found by testing the tickets newest-first, at most until one past the
    cap; the page is among them. None when the walk gave up (after _WALK_ROWS_PER_MATCH tickets
    per match) without reaching the cap nor the organization's oldest ticket: a term dense among
    the newest tickets only, which the index then serves better."""
    first = len(query.params) + 1
    search, window, cap, limit_p, offset_p = (f"${first + index}" for index in range(5))
    records = await connection.fetch(
        f"""
        WITH walked AS MATERIALIZED (
            SELECT w.id, w.created_at
            FROM ({_newest_first("t.id, t.created_at, t.search_vector", query.where, window)}) AS w
            WHERE w.search_vector @@ {search}::tsquery
            ORDER BY w.created_at DESC, w.id DESC
            LIMIT {cap}
        ), counted AS (
            SELECT count(*) AS matches,
                   -- Below the cap the walk read the whole window: are there tickets past it?
                   CASE WHEN count(*) < {cap} THEN EXISTS (
                       SELECT 1 FROM tickets t WHERE {query.where}
                       ORDER BY t.created_at DESC, t.id DESC OFFSET {window} LIMIT 1
                   ) END AS beyond_window
            FROM walked
        )
        {_page_from("walked", "true", limit_p, offset_p)}
        """,
        *query.params,
        tsquery,
        _WALK_ROWS_PER_MATCH * (count_up_to + 1),
        count_up_to + 1,
        limit,
        offset,
    )
    matches = int(records[0]["matches"])
    if matches > count_up_to:
        return TicketPage(rows=_page_rows(records), total=count_up_to, total_exact=False)
    if records[0]["beyond_window"]:
        return None
    return TicketPage(rows=_page_rows(records), total=matches, total_exact=True)


async def _collect_matches(
    connection: asyncpg.Connection, query: _Query, tsquery: str | None, count_up_to: int, limit: int, offset: int
) -> TicketPage:
    """Matches collected through the indexes, one past the cap at most; the page sorted from them
    when that is all of them, else read newest-first (matches are then many)."""
    where, params = query.where, list(query.params)
    if tsquery is not None:
        params.append(tsquery)
        where += f" AND t.search_vector @@ ${len(params)}::tsquery"
    first = len(params) + 1
    cap, limit_p, offset_p = f"${first}", f"${first + 1}", f"${first + 2}"
    records = await connection.fetch(
        f"""
        WITH matching AS MATERIALIZED (SELECT t.id, t.created_at FROM tickets t WHERE {where} LIMIT {cap}),
        counted AS (SELECT count(*) AS matches FROM matching)
        {_page_from("matching", f"counted.matches < {cap}", limit_p, offset_p)}
        """,
        *params,
        count_up_to + 1,
        limit,
        offset,
    )
    matches = int(records[0]["matches"])
    if matches <= count_up_to:
        return TicketPage(rows=_page_rows(records), total=matches, total_exact=True)
    rows = await connection.fetch(
        f"""
        SELECT {TICKET_COLUMNS}
        FROM ({_newest_first("t.*", where, f"${first}")} OFFSET ${first + 1}) AS t
        {_CUSTOMER_JOIN}
        ORDER BY t.created_at DESC, t.id DESC
        """,
        *params,
        limit,
        offset,
    )
    return TicketPage(rows=rows, total=count_up_to, total_exact=False)


# Columns a caller may change directly, and how each is bound.
UPDATABLE_COLUMNS: Mapping[str, str] = {
    "subject": "{}",
    "description": "{}::jsonb",
    "description_text": "{}",
    "status": "{}",
    "priority": "{}",
    "tags": "{}",
    "assignee_id": "{}",
    "ai_summary": "{}",
    "ai_resolved": "{}",
    "escalation_reason": "{}",
    "sla_due_at": "{}",
}

_MESSAGES_TEXT = (
    "(SELECT string_agg(m.content, ' ' ORDER BY m.created_at) FROM messages m"
    " WHERE m.org_id = t.org_id AND m.ticket_id = t.id)"
)
_CUSTOMER_TEXT = (
    "(SELECT concat_ws(' ', cu.name, cu.email) FROM customers cu WHERE cu.org_id = t.org_id AND cu.id = t.customer_id)"
)


# Columns that, once a person sets them, auto-triage leaves alone (their names in manual_fields).
_MANUAL_FIELD_OF_COLUMN: Mapping[str, str] = {"priority": "priority", "tags": "tags", "assignee_id": "assignee"}


async def update_ticket(
    connection: asyncpg.Connection, org_id: UUID, ticket_id: UUID, changes: Mapping[str, Any]
) -> asyncpg.Record | None:
    """Apply `changes` (column -> new value, keys from UPDATABLE_COLUMNS; `description` as JSON
    text) and answer the updated ticket, or None when the organization has no such ticket. A
    person's priority, tags or assignee are marked manual, so auto-triage never overwrites them."""
    unknown = set(changes) - set(UPDATABLE_COLUMNS)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if ("description" in changes) != ("description_text" in changes):
        raise ValueError("description and description_text change together")
    params: list[Any] = [org_id, ticket_id]
    placeholder: dict[str, str] = {}
    assignments = ["updated_at = now()"]
    for column, value in changes.items():
        params.append(value)
        placeholder[column] = f"${len(params)}"
        assignments.append(f"{column} = {UPDATABLE_COLUMNS[column].format(placeholder[column])}")
    manual = sorted({_MANUAL_FIELD_OF_COLUMN[column] for column in changes if column in _MANUAL_FIELD_OF_COLUMN})
    if manual:
        params.append(manual)
        assignments.append(
            f"manual_fields = ARRAY(SELECT DISTINCT unnest(t.manual_fields || ${len(params)}::text[]) ORDER BY 1)"
        )
    if "status" in changes:
        # resolved_at records when the ticket was resolved; reopening clears it.
        assignments.append(
            f"resolved_at = CASE WHEN {placeholder['status']} IN ('resolved', 'closed')"
            " THEN coalesce(t.resolved_at, now()) END"
        )
    if "subject" in changes or "description_text" in changes:
        # SET expressions see the row as it was, so the new subject and text come from parameters.
        vector = search_vector_sql(
            placeholder.get("subject", "t.subject"),
            placeholder.get("description_text", "t.description_text"),
            _MESSAGES_TEXT,
            _CUSTOMER_TEXT,
        )
        assignments.append(f"search_vector = {vector}")
    sql = f"""
    WITH updated AS (
        UPDATE tickets t SET {", ".join(assignments)}
        WHERE t.org_id = $1 AND t.id = $2
        RETURNING t.*
    )
    SELECT {TICKET_COLUMNS} FROM updated t {_CUSTOMER_JOIN}
    """
    return await connection.fetchrow(sql, *params)


async def delete_ticket(connection: asyncpg.Connection, org_id: UUID, ticket_id: UUID) -> bool:
    deleted = await connection.fetchval(
        "DELETE FROM tickets WHERE org_id = $1 AND id = $2 RETURNING id", org_id, ticket_id
    )
    return deleted is not None


async def unread_total(connection: asyncpg.Connection, org_id: UUID) -> int:
    """Unread messages over the tickets still being worked on (not resolved or closed). The
    condition is the partial index tickets_unread_idx's, so only unread tickets are visited."""
    total = await connection.fetchval(
        """
        SELECT coalesce(sum(unread_count), 0) FROM tickets
        WHERE org_id = $1 AND unread_count > 0 AND status NOT IN ('resolved', 'closed')
        """,
        org_id,
    )
    return int(total)


async def assignable_role(connection: asyncpg.Connection, org_id: UUID, user_id: UUID) -> str | None:
    """The role of an active member of the organization, or None when there is no such member."""
    role: str | None = await connection.fetchval(
        "SELECT role FROM users WHERE org_id = $1 AND id = $2 AND active", org_id, user_id
    )
    return role
