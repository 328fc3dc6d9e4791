"""The demo organizations' helpdesk data: customers, tickets with their conversations, articles, agents.

    await seed_corpus(connection, {"acme-support": acme_id, "globex": globex_id, ...})

Acme gets 360 tickets over twelve topics and the last four months, in six languages (a fifth
not in English), with outage bursts and re-sent tickets as near-duplicates, 40 articles
(six unpublished) and eight agents whose expertise matches the tickets they resolved. Globex and
Hooli get about 40 tickets and 8 articles, Initech a handful. Everything comes from a fixed seed and
from the organization's id (row ids are uuid5 of it), so two runs over the same organizations write
the same rows; nothing is fetched from the network.

An organization that already has tickets is left alone, so seeding twice does not duplicate data.
The benchmarks' bulk loader writes through `write_corpus` too.
"""

from __future__ import annotations

import logging
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any
from uuid import UUID, uuid5

import asyncpg
import msgspec

from app.auth.passwords import hash_password
from app.config import Settings
from app.helpdesk.tickets import search_vector_sql
from app.helpdesk.tiptap import plain_text
from app.demo.articles import ARTICLES, ArticleDraft
from app.demo.topics import (
    COMPANIES,
    COUNTRIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    FOREIGN_LINES,
    LAST_NAMES,
    MOOD_WEIGHTS,
    MOODS,
    TOPIC_BY_KEY,
    TOPICS,
)
from app.demo.profiles import HISTORY_DAYS, PROFILES, Agent, Profile
from app.demo.text import Topic, fill, slot_values

log = logging.getLogger("app.demo.corpus")

CORPUS_SEED = 20_251_123
PRIORITIES = ("low", "normal", "high", "urgent")
LANGUAGE_NAMES = {"es": "spanish", "fr": "french", "de": "german", "it": "italian", "pt": "portuguese"}
# Share of tickets written in each language.
LANGUAGE_WEIGHTS = {"en": 84, "es": 4, "fr": 3, "de": 4, "it": 2, "pt": 3}
TOPIC_WEIGHTS = {
    "billing": 12, "refunds": 8, "login": 12, "two-factor": 6, "api": 9, "mobile": 8, "shipping": 12,
    "outage": 6, "data-export": 5, "cancellation": 7, "feature-request": 7, "bug": 10,
}  # fmt: skip


# ---- the rows to write -----------------------------------------------------------------------


@dataclass
class CustomerRow:
    id: UUID
    name: str
    email: str
    language: str
    traits: dict[str, Any]
    created_at: datetime


@dataclass
class MessageRow:
    id: UUID
    author: str
    author_user_id: UUID | None
    content: str
    created_at: datetime


@dataclass
class TicketRow:
    id: UUID
    number: int
    subject: str
    description: str | dict[str, Any]
    status: str
    priority: str
    tags: list[str]
    assignee_id: UUID | None
    customer: CustomerRow | None
    sla_due_at: datetime | None
    unread_count: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    messages: list[MessageRow] = field(default_factory=list)


@dataclass
class Corpus:
    customers: list[CustomerRow]
    tickets: list[TicketRow]
    articles: list[ArticleDraft]


@dataclass(frozen=True)
class Member:
    id: UUID
    expertise: tuple[str, ...]


# ---- generation (pure) ------------------------------------------------------------------------


def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if char.isascii() and (char.isalnum() or char in ".-"))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_customers(rng: random.Random, org_id: UUID, count: int, now: datetime) -> list[CustomerRow]:
    customers: list[CustomerRow] = []
    emails: set[str] = set()
    while len(customers) < count:
        language = _weighted(rng, LANGUAGE_WEIGHTS)
        first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
        email = f"{ascii_fold(first).lower()}.{ascii_fold(last).lower()}@{rng.choice(EMAIL_DOMAINS)}"
        if email in emails:
            email = email.replace("@", f"{len(customers)}@")
        emails.add(email)
        traits: dict[str, Any] = {
            "plan": rng.choice(("Starter", "Pro", "Business", "Enterprise")),
            "country": rng.choice(COUNTRIES[language]),
            "language": language,
        }
        if rng.random() < 0.5:
            traits["company"] = rng.choice(COMPANIES)
        customers.append(
            CustomerRow(
                id=uuid5(org_id, f"customer:{len(customers)}"),
                name=f"{first} {last}",
                email=email,
                language=language,
                traits=traits,
                created_at=now - timedelta(days=HISTORY_DAYS + rng.randint(1, 700)),
            )
        )
    return customers


def _description(rng: random.Random, opening: str, body: str, closing: str) -> str | dict[str, Any]:
    """As a front end would send it: a TipTap document (most of the time) or plain text."""
    paragraphs = [part for part in (opening, body, closing) if part]
    if rng.random() < 0.35:
        return "\n\n".join(paragraphs)
    return {
        "type": "doc",
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": part}]} for part in paragraphs],
    }


def _status(rng: random.Random, age: timedelta) -> str:
    if age > timedelta(days=14):
        weights = {"resolved": 64, "closed": 26, "open": 5, "pending": 3, "on_hold": 2}
    else:
        weights = {"open": 45, "pending": 20, "on_hold": 7, "resolved": 23, "closed": 5}
    return _weighted(rng, weights)


def _priority(rng: random.Random, topic: Topic, mood: str) -> str:
    index = rng.choices(range(4), weights=topic.priority_weights)[0]
    if mood in ("angry", "urgent"):
        index = min(3, index + 1)
    return PRIORITIES[index]


def _experts(members: Sequence[Member], topic: Topic, language: str) -> list[Member]:
    """The members who know the topic, those who also speak the ticket's language first."""
    knows_topic = [member for member in members if topic.expertise in member.expertise]
    speaks = [member for member in knows_topic if LANGUAGE_NAMES.get(language) in member.expertise]
    return speaks or knows_topic or list(members)


@dataclass(frozen=True)
class _Issue:
    """What a ticket is about: enough to write a near-duplicate of it."""

    topic: Topic
    language: str
    template_index: int
    slots: dict[str, str]


def _issue_text(issue: _Issue) -> tuple[str, str]:
    templates = issue.topic.english if issue.language == "en" else issue.topic.translated[issue.language]
    template = templates[issue.template_index % len(templates)]
    return fill(template.subject, issue.slots, issue.language), fill(template.description, issue.slots, issue.language)


def _conversation(
    rng: random.Random,
    org_id: UUID,
    ticket_key: str,
    issue: _Issue,
    status: str,
    created_at: datetime,
    agent: Member | None,
    now: datetime,
) -> list[MessageRow]:
    """1-6 messages alternating agent and customer; a resolved ticket ends with the agent's
    resolution, an open one often with a customer waiting for an answer. A ticket nobody has
    picked up yet only has the customer's own follow-ups."""
    topic, slots = issue.topic, issue.slots
    lines = FOREIGN_LINES.get(issue.language)
    follow_ups = lines["follow_ups"] if lines else topic.follow_ups
    replies = lines["replies"] if lines else topic.replies
    resolutions = lines["resolutions"] if lines else topic.resolutions
    count = rng.choices((1, 2, 3, 4, 5, 6), weights=(22, 26, 20, 14, 10, 8))[0]
    finished = status in ("resolved", "closed")
    authors = ["agent" if index % 2 == 0 else "customer" for index in range(count)]
    if agent is None:
        authors = ["customer"] * min(count, 2)
    elif (finished or status == "pending") and authors[-1] == "customer":
        # Resolved: the agent had the last word. Pending: the team answered and waits.
        authors = authors + ["agent"] if len(authors) < 6 else authors[:-1]
    elif status == "open" and authors[-1] == "agent" and len(authors) < 6 and rng.random() < 0.6:
        authors.append("customer")  # the customer wrote back and waits for the team
    messages: list[MessageRow] = []
    moment = created_at
    for index, author in enumerate(authors):
        moment = min(now - timedelta(minutes=len(authors) - index), moment + timedelta(minutes=rng.randint(12, 2 * 24 * 60)))
        if author == "agent":
            last = index == len(authors) - 1
            content = fill(rng.choice(resolutions if (finished and last) else replies), slots, issue.language)
            author_id = agent.id if agent is not None else None
        else:
            content = fill(rng.choice(follow_ups), slots, issue.language)
            author_id = None
        messages.append(MessageRow(uuid5(org_id, f"{ticket_key}:message:{index}"), author, author_id, content, moment))
    return messages


def build_corpus(
    profile: Profile, name: str, org_id: UUID, members: Sequence[Member], now: datetime, *, seed: int = CORPUS_SEED
) -> Corpus:
    """The organization's customers, tickets (numbered 1.. in creation order) and articles. The
    text depends on `seed` and `name` only; row ids on `org_id` too."""
    rng = random.Random(f"{seed}:{name}")
    history_days = profile.history_days
    customers = make_customers(rng, org_id, max(8, int(profile.tickets * 0.45)), now)
    # Tickets follow LANGUAGE_WEIGHTS; within a language a few customers write much more than others.
    by_language: dict[str, list[CustomerRow]] = {}
    for customer in customers:
        by_language.setdefault(customer.language, []).append(customer)
    activity = {customer.id: min(6.0, rng.paretovariate(2.0)) for customer in customers}
    cumulative = {language: list(accumulate(activity[member.id] for member in group)) for language, group in by_language.items()}
    languages = {language: weight for language, weight in LANGUAGE_WEIGHTS.items() if language in by_language}
    topics = [topic for topic in TOPICS if topic.key in TOPIC_WEIGHTS]
    topic_weights = [TOPIC_WEIGHTS[topic.key] for topic in topics]
    # Outages come in bursts: many customers report the same incident within a couple of hours.
    incidents = sorted(now - timedelta(days=rng.uniform(1, history_days - 1)) for _ in range(max(3, history_days // 40)))
    incident_issues: dict[datetime, _Issue] = {}

    drafts: list[tuple[datetime, CustomerRow, _Issue, str]] = []
    history: list[tuple[CustomerRow, _Issue]] = []
    for _ in range(profile.tickets):
        language = _weighted(rng, languages)
        customer = rng.choices(by_language[language], cum_weights=cumulative[language])[0]
        mood = _weighted(rng, MOOD_WEIGHTS)
        if history and rng.random() < 0.07:
            # A near-duplicate: the same problem sent again by the same customer, or by a colleague
            # writing in the same language, with different greetings around it.
            customer, issue = rng.choice(history[-40:])
            if rng.random() < 0.5:
                customer = rng.choice(by_language[customer.language])
            created_at = now - timedelta(days=rng.uniform(0, history_days))
        else:
            topic = rng.choices(topics, weights=topic_weights)[0]
            if topic.key == "outage" and rng.random() < 0.7:
                incident = rng.choice(incidents)
                created_at = incident + timedelta(minutes=rng.uniform(0, 150))
                issue = incident_issues.setdefault(
                    incident,
                    _Issue(topic, "en", rng.randrange(len(topic.english)),
                           slot_values(rng, rng.choice(profile.products), profile.company, profile.slot_choices)),  # fmt: skip
                )
                language = customer.language if customer.language in topic.translated else "en"
                issue = _Issue(topic, language, issue.template_index, issue.slots)
            else:
                language = customer.language
                templates = topic.english if language == "en" else topic.translated[language]
                issue = _Issue(topic, language, rng.randrange(len(templates)),
                               slot_values(rng, rng.choice(profile.products), profile.company, profile.slot_choices))  # fmt: skip
                created_at = now - timedelta(days=rng.uniform(0, history_days))
        history.append((customer, issue))
        drafts.append((min(created_at, now - timedelta(minutes=30)), customer, issue, mood))

    drafts.sort(key=lambda draft: draft[0])
    tickets: list[TicketRow] = []
    for number, (created_at, customer, issue, mood) in enumerate(drafts, start=1):
        ticket_key = f"ticket:{number}"
        subject, body = _issue_text(issue)
        opening, closing = "", ""
        if issue.language == "en":
            openings, closings = MOODS[mood]
            opening, closing = rng.choice(openings), rng.choice(closings)
        status = _status(rng, now - created_at)
        priority = _priority(rng, issue.topic, mood)
        experts = _experts(members, issue.topic, issue.language)
        finished = status in ("resolved", "closed")
        agent = rng.choice(experts) if experts and (finished or rng.random() < 0.6) else None
        messages = _conversation(rng, org_id, ticket_key, issue, status, created_at, agent, now)
        trailing_customer = 0
        for message in reversed(messages):
            if message.author != "customer":
                break
            trailing_customer += 1
        tags = [issue.topic.tags[0], *(tag for tag in issue.topic.tags[1:] if rng.random() < 0.5)]
        if customer.traits.get("plan") == "Enterprise":
            tags.append("vip")
        sla_hours = {"urgent": 4, "high": 24}.get(priority)
        last_activity = messages[-1].created_at if messages else created_at
        tickets.append(
            TicketRow(
                id=uuid5(org_id, ticket_key),
                number=number,
                subject=subject,
                description=_description(rng, opening, body, closing),
                status=status,
                priority=priority,
                tags=tags,
                assignee_id=agent.id if agent is not None else None,
                customer=customer,
                sla_due_at=created_at + timedelta(hours=sla_hours) if sla_hours else None,
                unread_count=0 if finished else trailing_customer,
                created_at=created_at,
                updated_at=last_activity,
                resolved_at=last_activity if finished else None,
                messages=messages,
            )
        )
    used = {ticket.customer.id for ticket in tickets if ticket.customer is not None}
    return Corpus(
        customers=[customer for customer in customers if customer.id in used],
        tickets=tickets,
        articles=pick_articles(profile.articles),
    )


def pick_articles(count: int) -> list[ArticleDraft]:
    """All articles, or for a smaller knowledge base one per topic in catalog order (drafts included)."""
    if count >= len(ARTICLES):
        return list(ARTICLES)
    chosen: list[ArticleDraft] = []
    seen_topics: set[str] = set()
    for article in ARTICLES:
        if article.topic not in seen_topics:
            seen_topics.add(article.topic)
            chosen.append(article)
    return chosen[:count]


# ---- writing ----------------------------------------------------------------------------------

_TICKET_STAGING_COLUMNS = (
    "id", "number", "subject", "description", "description_text", "status", "priority", "tags", "assignee_id",
    "customer_id", "sla_due_at", "unread_count", "created_at", "updated_at", "resolved_at", "messages_text",
    "customer_text",
)  # fmt: skip


async def write_corpus(
    connection: asyncpg.Connection,
    org_id: UUID,
    customers: Sequence[CustomerRow],
    tickets: Sequence[TicketRow],
    *,
    product: str = "",
    company: str = "",
    articles: Sequence[ArticleDraft] = (),
) -> None:
    """Bulk-write customers, tickets (with the search vector the application would build),
    messages and articles with COPY, and move the organization's ticket counter past them."""
    async with connection.transaction():
        await connection.copy_records_to_table(
            "customers",
            columns=("org_id", "id", "name", "email", "traits", "created_at"),
            records=(
                (org_id, c.id, c.name, c.email, msgspec.json.encode(c.traits).decode(), c.created_at) for c in customers
            ),
        )
        # Tickets go through a staging table so that PostgreSQL builds each search vector with
        # the very functions the application uses (helpdesk_search_vector).
        await connection.execute(
            """
            CREATE TEMPORARY TABLE corpus_ticket_staging (
                id uuid, number bigint, subject text, description jsonb, description_text text, status text,
                priority text, tags text[], assignee_id uuid, customer_id uuid, sla_due_at timestamptz,
                unread_count integer, created_at timestamptz, updated_at timestamptz, resolved_at timestamptz,
                messages_text text, customer_text text
            ) ON COMMIT DROP
            """
        )
        await connection.copy_records_to_table(
            "corpus_ticket_staging",
            columns=_TICKET_STAGING_COLUMNS,
            records=(
                (
                    t.id, t.number, t.subject, msgspec.json.encode(t.description).decode(),
                    plain_text(t.description).strip(), t.status, t.priority, t.tags, t.assignee_id,
                    t.customer.id if t.customer else None, t.sla_due_at, t.unread_count, t.created_at, t.updated_at,
                    t.resolved_at, " ".join(m.content for m in t.messages),
                    f"{t.customer.name} {t.customer.email}" if t.customer else "",
                )  # fmt: skip
                for t in tickets
            ),
        )
        vector = search_vector_sql("subject", "description_text", "messages_text", "customer_text")
        await connection.execute(
            f"""
            INSERT INTO tickets (org_id, id, number, subject, description, description_text, status, priority, tags,
                                 assignee_id, customer_id, sla_due_at, unread_count, created_at, updated_at,
                                 resolved_at, search_vector)
            SELECT $1, id, number, subject, description, description_text, status, priority, tags, assignee_id,
                   customer_id, sla_due_at, unread_count, created_at, updated_at, resolved_at, {vector}
            FROM corpus_ticket_staging
            """,
            org_id,
        )
        await connection.execute("DROP TABLE corpus_ticket_staging")
        await connection.copy_records_to_table(
            "messages",
            columns=("org_id", "id", "ticket_id", "author", "author_user_id", "content", "created_at"),
            records=(
                (org_id, m.id, t.id, m.author, m.author_user_id, m.content, m.created_at)
                for t in tickets
                for m in t.messages
            ),
        )
        if articles:
            await connection.copy_records_to_table(
                "articles",
                columns=("org_id", "id", "title", "content", "published", "tags", "created_at", "updated_at"),
                records=[
                    (
                        org_id, uuid5(org_id, f"article:{index}"), fill(a.title, {"product": product, "company": company}),
                        fill(a.content, {"product": product, "company": company}), a.published,
                        [a.topic] if a.topic in TOPIC_BY_KEY else [], created, created,
                    )  # fmt: skip
                    for index, a in enumerate(articles)
                    for created in [datetime(2025, 1, 6, tzinfo=UTC) + timedelta(days=index * 3)]
                ],
            )
        if tickets:
            await connection.execute(
                "UPDATE organizations SET last_ticket_number = greatest(last_ticket_number, $2) WHERE id = $1",
                org_id,
                max(ticket.number for ticket in tickets),
            )


async def _agent_password_hash(password: str | None) -> str:
    """The hash of the demo password (by default the configured one) the agents sign in with."""
    if password is None:
        password = Settings().demo_password
    return await hash_password(password)


async def ensure_agents(
    connection: asyncpg.Connection, org_id: UUID, agents: Sequence[Agent], password_hash: str | None
) -> list[Member]:
    """The profile's agents as members of the organization (created when missing), e-mail
    addresses at `<org slug>.test` (e-mail addresses are unique across organizations)."""
    slug = await connection.fetchval("SELECT slug FROM organizations WHERE id = $1", org_id)
    if slug is None:
        raise LookupError(f"organization {org_id} does not exist")
    rows = []
    for agent in agents:
        first, *rest = agent.name.split(" ")
        email = f"{ascii_fold(first).lower()}.{ascii_fold(''.join(rest)).lower()}@{slug}.test"
        rows.append((org_id, uuid5(org_id, f"agent:{email}"), email, agent.name, password_hash, list(agent.expertise)))
    await connection.executemany(
        """
        INSERT INTO users (org_id, id, email, name, role, password_hash, expertise)
        VALUES ($1, $2, $3, $4, 'agent', $5, $6)
        ON CONFLICT DO NOTHING
        """,
        rows,
    )
    found = await connection.fetch(
        "SELECT id, expertise FROM users WHERE org_id = $1 AND lower(email) = ANY($2::text[]) ORDER BY email",
        org_id,
        [row[2] for row in rows],
    )
    return [Member(row["id"], tuple(row["expertise"])) for row in found]


async def seed_corpus(
    connection: asyncpg.Connection,
    organizations: dict[str, UUID],
    *,
    now: datetime | None = None,
    agent_password: str | None = None,
) -> None:
    """Seed every demo organization named in `organizations` (slug -> id) that has no tickets yet.
    `now` anchors the four months of history (default: the current hour); `agent_password`
    defaults to the configured demo password."""
    anchor = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    password_hash: str | None = None
    hashed = False
    for slug, org_id in organizations.items():
        profile = PROFILES.get(slug)
        if profile is None:
            continue
        if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM tickets WHERE org_id = $1)", org_id):
            log.info("organization %s already has tickets; its corpus is not seeded again", slug)
            continue
        if not hashed:
            password_hash, hashed = await _agent_password_hash(agent_password), True
        members = await ensure_agents(connection, org_id, profile.agents, password_hash)
        corpus = build_corpus(profile, slug, org_id, members, anchor)
        await write_corpus(
            connection,
            org_id,
            corpus.customers,
            corpus.tickets,
            product=profile.products[0],
            company=profile.company,
            articles=corpus.articles,
        )
