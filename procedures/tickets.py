"""tickets.*: the helpdesk's tickets and their conversations.

Viewers read (key scope ticket:read); agents and admins write (ticket:write). A ticket of another
organization answers NOT_FOUND exactly like an id that does not exist.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from app.assist.embedding_refresh import schedule_ticket_embedding
from app.assist.triage import TriageRecord, TriageStatus, enqueue_triage, read_triage_record, wake_triage
from app.context import Context
from app.errors import not_found
from app.helpdesk import customers, messages, tickets
from app.helpdesk.validation import (
    ensure_input_storable,
    invalid,
    normalized_tag,
    normalized_tags,
    optional_text,
    required_text,
    sent_fields,
)
from app.registry import procedure
from app.rows import struct_from_row
from app.helpdesk.tiptap import Description
from app.helpdesk.tiptap import description_text as checked_description_text
from procedures.common import Success, delete_in_org

log = logging.getLogger("app.tickets")

TicketStatus = Literal["open", "pending", "on_hold", "resolved", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]
MessageAuthor = Literal["customer", "agent"]

Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=50)]
Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
EscalationReason = Annotated[str, msgspec.Meta(max_length=2000)]

MAX_TRAITS_BYTES = 16_384


# ---- output ----------------------------------------------------------------------------------


class Customer(msgspec.Struct, frozen=True, rename="camel"):
    id: UUID
    name: str | None
    email: str | None
    traits: dict[str, Any]


class Ticket(msgspec.Struct, frozen=True, rename="camel"):
    id: UUID
    number: int
    subject: str
    description: Description
    description_text: str
    status: TicketStatus
    priority: TicketPriority
    tags: list[str]
    assignee_id: UUID | None
    customer: Customer | None
    ai_summary: str | None
    ai_resolved: bool
    escalation_reason: str | None
    sla_due_at: datetime | None
    unread_count: int
    created_at: datetime
    updated_at: datetime
    # What auto-triage did, when the organization has it on; null for a ticket never triaged.
    ai_triage: TriageRecord | None


class Message(msgspec.Struct, frozen=True, rename="camel"):
    id: UUID
    ticket_id: UUID
    author: MessageAuthor
    author_user_id: UUID | None
    content: str
    created_at: datetime


class TicketWithMessages(Ticket, frozen=True, rename="camel"):
    messages: list[Message]


class TicketList(msgspec.Struct, frozen=True, rename="camel"):
    items: list[Ticket]
    total: int
    total_exact: bool


class UnreadCount(msgspec.Struct, frozen=True):
    count: int


# ---- input -----------------------------------------------------------------------------------


class ListTicketsInput(msgspec.Struct, frozen=True, rename="camel"):
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 25
    offset: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 0
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    tag: Tag | None = None
    assignee_id: UUID | None = None
    search: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    # Tickets whose auto-triage is in this state; "none": never triaged.
    ai_triage: TriageStatus | Literal["none"] | None = None


class TicketIdInput(msgspec.Struct, frozen=True):
    id: UUID


class CustomerInput(msgspec.Struct, frozen=True):
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    traits: dict[str, Any] | None = None


class CreateTicketInput(msgspec.Struct, frozen=True, rename="camel"):
    subject: Subject
    description: Description
    status: TicketStatus = "open"
    # Left out: "normal", which auto-triage may then change. Given: kept, even by auto-triage.
    priority: TicketPriority | msgspec.UnsetType = msgspec.UNSET
    # Given (non-empty): kept as they are by auto-triage, which otherwise adds its own.
    tags: Tags = []
    customer: CustomerInput | None = None
    sla_due_at: datetime | None = None


class UpdateTicketInput(msgspec.Struct, frozen=True, rename="camel"):
    """Only the fields present change; `null` clears a clearable field (assignee, escalation
    reason, SLA)."""

    id: UUID
    subject: Subject | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    status: TicketStatus | msgspec.UnsetType = msgspec.UNSET
    priority: TicketPriority | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET
    assignee_id: UUID | None | msgspec.UnsetType = msgspec.UNSET
    ai_resolved: bool | msgspec.UnsetType = msgspec.UNSET
    escalation_reason: EscalationReason | None | msgspec.UnsetType = msgspec.UNSET
    sla_due_at: datetime | None | msgspec.UnsetType = msgspec.UNSET


class AddMessageInput(msgspec.Struct, frozen=True, rename="camel"):
    ticket_id: UUID
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=50_000)]
    author: MessageAuthor


# ---- rows to output --------------------------------------------------------------------------


def _customer_from_row(row: asyncpg.Record) -> Customer | None:
    if row["customer_id"] is None:
        return None
    return Customer(
        id=row["customer_id"],
        name=row["customer_name"],
        email=row["customer_email"],
        traits=msgspec.json.decode(row["customer_traits"]),
    )


def _decoded_ticket_fields(row: asyncpg.Record) -> dict[str, Any]:
    """The Ticket fields that are more than their column; `struct_from_row` reads the rest."""
    return dict(
        description=msgspec.json.decode(row["description"]),
        customer=_customer_from_row(row),
        ai_triage=read_triage_record(row["ai_triage"]),
    )


def ticket_from_row(row: asyncpg.Record) -> Ticket:
    return struct_from_row(row, Ticket, **_decoded_ticket_fields(row))


def message_from_row(row: asyncpg.Record) -> Message:
    return struct_from_row(row, Message)


# ---- input helpers ---------------------------------------------------------------------------


def _as_utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC (superjson Dates always carry one)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _schedule_embedding(ctx: Context, org_id: UUID, ticket_id: UUID) -> None:
    """Ask for the ticket's embedding to be recomputed in the background."""
    try:
        schedule_ticket_embedding(ctx, org_id, ticket_id)
    except Exception:
        # The ticket is already saved: failing the request now would make the client retry and
        # create it twice. A missing embedding is recomputed on demand by ai.findSimilarTickets.
        log.exception("could not schedule the embedding of ticket %s", ticket_id)


# ---- procedures ------------------------------------------------------------------------------


@procedure("tickets.list", "query", scope="ticket:read")
async def list_tickets(ctx: Context, input: ListTicketsInput) -> TicketList:
    caller = ctx.require_caller()
    ensure_input_storable(input)
    search = input.search.strip() if input.search is not None else None
    filters = tickets.TicketFilters(
        status=input.status,
        priority=input.priority,
        tag=normalized_tag(input.tag, "tag") if input.tag is not None else None,
        assignee_id=input.assignee_id,
        search=search or None,
        triage=input.ai_triage,
    )
    async with ctx.pool.acquire() as connection:
        page = await tickets.list_tickets(connection, caller.org_id, filters, limit=input.limit, offset=input.offset)
    return TicketList(items=[ticket_from_row(row) for row in page.rows], total=page.total, total_exact=page.total_exact)


@procedure("tickets.get", "query", scope="ticket:read")
async def get_ticket(ctx: Context, input: TicketIdInput) -> TicketWithMessages:
    caller = ctx.require_caller()
    async with ctx.pool.acquire() as connection:
        row = await tickets.get_ticket_marking_read(connection, caller.org_id, input.id)
        if row is None:
            raise not_found("Ticket")
        message_rows = await messages.list_messages(connection, caller.org_id, input.id)
    thread = [message_from_row(message) for message in message_rows]
    return struct_from_row(row, TicketWithMessages, **_decoded_ticket_fields(row), messages=thread)


@procedure("tickets.create", "mutation", role="agent", scope="ticket:write")
async def create_ticket(ctx: Context, input: CreateTicketInput) -> Ticket:
    caller = ctx.require_caller()
    ensure_input_storable(input)
    subject = required_text(input.subject, "subject")
    description_text = checked_description_text(input.description)
    tags = normalized_tags(input.tags)
    customer_input = input.customer
    if customer_input is not None and customer_input.traits is not None:
        if len(msgspec.json.encode(customer_input.traits)) > MAX_TRAITS_BYTES:
            raise invalid("customer.traits", f"Expected at most {MAX_TRAITS_BYTES} bytes of JSON")
    async with ctx.pool.acquire() as connection, connection.transaction():
        customer_id: UUID | None = None
        customer_search_text = ""
        if customer_input is not None and any(
            value is not None for value in (customer_input.name, customer_input.email, customer_input.traits)
        ):
            customer = await customers.upsert_customer(
                connection,
                caller.org_id,
                name=optional_text(customer_input.name),
                email=optional_text(customer_input.email),
                traits=customer_input.traits or {},
            )
            customer_id = customer["id"]
            customer_search_text = " ".join(part for part in (customer["name"], customer["email"]) if part)
        row = await tickets.create_ticket(
            connection,
            caller.org_id,
            subject=subject,
            description_json=msgspec.json.encode(input.description).decode(),
            description_text=description_text,
            status=input.status,
            priority="normal" if input.priority is msgspec.UNSET else input.priority,
            tags=tags,
            customer_id=customer_id,
            customer_search_text=customer_search_text,
            sla_due_at=_as_utc(input.sla_due_at),
            manual_fields=[
                *(["priority"] if input.priority is not msgspec.UNSET else []),
                *(["tags"] if tags else []),
            ],
        )
        pending_triage = await enqueue_triage(connection, caller.org_id, row["id"], "created")
    ticket = msgspec.structs.replace(ticket_from_row(row), ai_triage=pending_triage)
    _schedule_embedding(ctx, caller.org_id, ticket.id)
    if pending_triage is not None:
        wake_triage(ctx.services)
    return ticket


@procedure("tickets.update", "mutation", role="agent", scope="ticket:write")
async def update_ticket(ctx: Context, input: UpdateTicketInput) -> Ticket:
    caller = ctx.require_caller()
    ensure_input_storable(input)
    changes = sent_fields(
        input, "subject", "description", "status", "priority", "tags", "assignee_id", "ai_resolved",
        "escalation_reason", "sla_due_at",
    )  # fmt: skip
    # In this order, so the first field at fault is the one reported.
    if "subject" in changes:
        changes["subject"] = required_text(changes["subject"], "subject")
    if "description" in changes:
        description = changes["description"]
        changes["description"] = msgspec.json.encode(description).decode()
        changes["description_text"] = checked_description_text(description)
    if "tags" in changes:
        changes["tags"] = normalized_tags(changes["tags"])
    if "escalation_reason" in changes:
        changes["escalation_reason"] = optional_text(changes["escalation_reason"])
    if "sla_due_at" in changes:
        changes["sla_due_at"] = _as_utc(changes["sla_due_at"])
    async with ctx.pool.acquire() as connection, connection.transaction():
        if changes.get("assignee_id") is not None:
            role = await tickets.assignable_role(connection, caller.org_id, changes["assignee_id"])
            if role is None:
                raise not_found("Assignee")
            if role == "viewer":
                raise invalid("assigneeId", "Expected an agent or admin; viewers cannot be assigned tickets")
        try:
            row = await tickets.update_ticket(connection, caller.org_id, input.id, changes)
        except asyncpg.ForeignKeyViolationError:
            # The assignee was removed between the check and the update.
            raise not_found("Assignee") from None
    if row is None:
        raise not_found("Ticket")
    if "subject" in changes or "description" in changes:
        _schedule_embedding(ctx, caller.org_id, input.id)
    return ticket_from_row(row)


@procedure("tickets.delete", "mutation", role="agent", scope="ticket:write")
async def delete_ticket(ctx: Context, input: TicketIdInput) -> Success:
    return await delete_in_org(ctx, tickets.delete_ticket, input.id, "Ticket")


@procedure("tickets.addMessage", "mutation", role="agent", scope="ticket:write")
async def add_message(ctx: Context, input: AddMessageInput) -> Message:
    caller = ctx.require_caller()
    ensure_input_storable(input)
    content = required_text(input.content, "content")
    async with ctx.pool.acquire() as connection, connection.transaction():
        row = await messages.append_message(
            connection,
            caller.org_id,
            input.ticket_id,
            author=input.author,
            # An agent's message records who wrote it; a customer's message relayed by an agent
            # (or an integration's key) is the customer's.
            author_user_id=caller.user_id if input.author == "agent" else None,
            content=content,
        )
        # A customer who writes again on a resolved ticket reopened it: triage it afresh.
        pending_triage = None
        if row is not None and row["reopened"]:
            pending_triage = await enqueue_triage(connection, caller.org_id, input.ticket_id, "reopened")
    if row is None:
        raise not_found("Ticket")
    if pending_triage is not None:
        wake_triage(ctx.services)
    return message_from_row(row)


@procedure("tickets.unreadCount", "query", scope="ticket:read")
async def unread_count(ctx: Context) -> UnreadCount:
    caller = ctx.require_caller()
    async with ctx.pool.acquire() as connection:
        return UnreadCount(count=await tickets.unread_total(connection, caller.org_id))

