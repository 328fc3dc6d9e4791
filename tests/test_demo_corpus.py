"""app.demo.corpus: the demo organizations' tickets, conversations, articles and agents."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import pytest

from app.demo.corpus import seed_corpus
from app.demo.profiles import PROFILES
from app.demo.text import LANGUAGES, TRANSLATED_SLOTS, fill
from app.demo.topics import TOPICS
from tests.support.factories import User, create_org, create_user, login
from tests.support.trpc import TRPCClient, TRPCClientError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "corpus-agent-password"


async def seeded_organizations(db: asyncpg.Pool) -> dict[str, UUID]:
    organizations = {slug: (await create_org(db, name=slug.title())).id for slug in PROFILES}
    async with db.acquire() as connection, connection.transaction():
        await seed_corpus(connection, organizations, now=NOW, agent_password=PASSWORD)
    return organizations


@pytest.fixture(scope="module")
async def organizations(db: asyncpg.Pool) -> dict[str, UUID]:
    return await seeded_organizations(db)


async def test_acme_has_hundreds_of_tickets_over_every_topic_and_language(db, organizations):
    acme = organizations["acme-support"]
    tickets = await db.fetch(
        """
        SELECT t.number, t.tags, t.status, t.priority, c.traits->>'language' AS language,
               (SELECT count(*) FROM messages m WHERE m.org_id = t.org_id AND m.ticket_id = t.id) AS messages
        FROM tickets t JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id
        WHERE t.org_id = $1
        """,
        acme,
    )
    assert len(tickets) >= 300
    assert sorted(row["number"] for row in tickets) == list(range(1, len(tickets) + 1))
    assert await db.fetchval("SELECT last_ticket_number FROM organizations WHERE id = $1", acme) == len(tickets)
    topics = Counter(row["tags"][0] for row in tickets)
    assert set(topics) == {topic.key for topic in TOPICS} and len(topics) >= 12
    assert {row["messages"] for row in tickets} == {1, 2, 3, 4, 5, 6}
    languages = Counter(row["language"] for row in tickets)
    assert set(languages) == {"en", "es", "fr", "de", "it", "pt"}
    assert sum(count for language, count in languages.items() if language != "en") >= 0.10 * len(tickets)
    assert set(Counter(row["status"] for row in tickets)) == {"open", "pending", "on_hold", "resolved", "closed"}
    assert set(Counter(row["priority"] for row in tickets)) == {"low", "normal", "high", "urgent"}
    # Near-duplicates: the same problem reported several times.
    repeated = await db.fetchval(
        "SELECT count(*) FROM (SELECT subject FROM tickets WHERE org_id = $1 GROUP BY subject HAVING count(*) > 2) s", acme
    )
    assert repeated >= 10
    assert await db.fetchval("SELECT count(DISTINCT customer_id) FROM tickets WHERE org_id = $1", acme) >= 60


async def test_resolved_tickets_are_assigned_to_agents_who_know_the_topic(db, organizations):
    acme = organizations["acme-support"]
    agents = await db.fetch("SELECT id, role, expertise, password_hash FROM users WHERE org_id = $1", acme)
    assert len(agents) == 8 and {agent["role"] for agent in agents} == {"agent"}
    assert all(agent["expertise"] and agent["password_hash"] for agent in agents)
    expertise = {agent["id"]: set(agent["expertise"]) for agent in agents}
    resolved = await db.fetch(
        "SELECT tags, assignee_id FROM tickets WHERE org_id = $1 AND status IN ('resolved', 'closed')", acme
    )
    assert len(resolved) > 100
    assert all(row["assignee_id"] in expertise and row["tags"][0] in expertise[row["assignee_id"]] for row in resolved)
    # Every agent resolved something, so assignment suggestions have history to learn from.
    assert {row["assignee_id"] for row in resolved} == set(expertise)
    # Agent replies are signed by the ticket's assignee.
    unsigned = await db.fetchval(
        """
        SELECT count(*) FROM messages m JOIN tickets t ON t.org_id = m.org_id AND t.id = m.ticket_id
        WHERE m.org_id = $1 AND m.author = 'agent' AND m.author_user_id IS DISTINCT FROM t.assignee_id
        """,
        acme,
    )
    assert unsigned == 0


async def test_unread_counts_match_the_customers_waiting_for_an_answer(db, organizations):
    rows = await db.fetch(
        """
        SELECT t.status, t.unread_count,
               array_agg(m.author ORDER BY m.created_at) AS authors
        FROM tickets t JOIN messages m ON m.org_id = t.org_id AND m.ticket_id = t.id
        WHERE t.org_id = $1 GROUP BY t.id, t.status, t.unread_count
        """,
        organizations["acme-support"],
    )
    for row in rows:
        trailing = len(row["authors"]) - len("".join("c" if a == "customer" else "a" for a in row["authors"]).rstrip("c"))
        expected = 0 if row["status"] in ("resolved", "closed") else trailing
        assert row["unread_count"] == expected
    assert sum(row["unread_count"] for row in rows) > 0


async def test_articles_fit_the_topics_and_some_are_drafts(db, organizations):
    articles = await db.fetch("SELECT title, published, tags FROM articles WHERE org_id = $1", organizations["acme-support"])
    assert len(articles) == 40
    assert 0 < sum(not row["published"] for row in articles) < 40
    assert {row["tags"][0] for row in articles if row["tags"]} == {topic.key for topic in TOPICS}
    assert not any("{" in row["title"] for row in articles)  # slots filled
    for slug in ("globex", "hooli"):
        count = await db.fetchval("SELECT count(*) FROM tickets WHERE org_id = $1", organizations[slug])
        assert 30 <= count <= 50
        assert await db.fetchval("SELECT count(*) FROM articles WHERE org_id = $1", organizations[slug]) == 8


async def test_the_search_vector_covers_subject_description_messages_and_customer(db, organizations):
    acme = organizations["acme-support"]
    stale = await db.fetchval(
        """
        SELECT count(*) FROM tickets t
        WHERE t.org_id = $1 AND t.search_vector IS DISTINCT FROM (
            helpdesk_search_vector(t.subject, 'A') || helpdesk_search_vector(t.description_text, 'B')
            || helpdesk_search_vector((SELECT string_agg(m.content, ' ' ORDER BY m.created_at) FROM messages m
                                       WHERE m.org_id = t.org_id AND m.ticket_id = t.id), 'C')
            || helpdesk_search_vector((SELECT c.name || ' ' || c.email FROM customers c
                                       WHERE c.org_id = t.org_id AND c.id = t.customer_id), 'D'))
        """,
        acme,
    )
    assert stale == 0
    assert await db.fetchval(
        "SELECT count(*) FROM tickets WHERE org_id = $1 AND search_vector @@ helpdesk_search_query('reembolso')", acme
    ) > 0


async def test_the_same_seed_gives_the_same_corpus_and_a_second_run_adds_nothing(db, organizations):
    again = await seeded_organizations(db)

    async def content(org_id: UUID) -> list[tuple[object, ...]]:
        rows = await db.fetch(
            """
            SELECT t.number, t.subject, t.description_text, t.status, t.priority, t.tags, t.unread_count, t.created_at,
                   (SELECT array_agg(m.content ORDER BY m.created_at) FROM messages m
                    WHERE m.org_id = t.org_id AND m.ticket_id = t.id) AS thread
            FROM tickets t WHERE t.org_id = $1 ORDER BY t.number
            """,
            org_id,
        )
        return [tuple(row) for row in rows]

    assert await content(again["acme-support"]) == await content(organizations["acme-support"])
    before = await db.fetchval("SELECT count(*) FROM tickets WHERE org_id = $1", again["globex"])
    async with db.acquire() as connection:
        await seed_corpus(connection, again, now=NOW, agent_password=PASSWORD)
    assert await db.fetchval("SELECT count(*) FROM tickets WHERE org_id = $1", again["globex"]) == before
    assert await db.fetchval("SELECT count(*) FROM users WHERE org_id = $1", again["globex"]) == 3


async def test_the_seed_accepts_the_short_acme_slug(db):
    org = await create_org(db, name="Acme")
    async with db.acquire() as connection:
        await seed_corpus(connection, {"acme-support": org.id}, now=NOW, agent_password=PASSWORD)
    assert await db.fetchval("SELECT count(*) FROM tickets WHERE org_id = $1", org.id) == PROFILES["acme-support"].tickets


async def test_agents_sign_in_and_read_the_corpus_over_the_api(db, live_server, organizations):
    acme = organizations["acme-support"]
    row = await db.fetchrow("SELECT id, email, name FROM users WHERE org_id = $1 ORDER BY email LIMIT 1", acme)
    agent = User(id=row["id"], org_id=acme, email=row["email"], password=PASSWORD, role="agent", name=row["name"])
    client: TRPCClient = await asyncio.to_thread(login, live_server, agent)
    listed = client.query("tickets.list", {"search": "refund"})
    assert listed["total"] > 5 and all(item["customer"] is not None for item in listed["items"])
    ticket = client.query("tickets.get", {"id": listed["items"][0]["id"]})
    assert 1 <= len(ticket["messages"]) <= 6
    assert client.query("articles.list", {"published": False})["total"] == 6
    # Another organization's member sees its own corpus and none of Acme's.
    outsider = await asyncio.to_thread(login, live_server, await create_user(db, organizations["globex"]))
    assert outsider.query("tickets.list")["total"] == PROFILES["globex"].tickets
    with pytest.raises(TRPCClientError) as caught:
        outsider.query("tickets.get", {"id": ticket["id"]})
    assert caught.value.code == "NOT_FOUND"


# English words that must not appear in a ticket written in another language: weekdays, months
# and the words of the English slot values (features, error messages) a template may pull in.
ENGLISH_MARKERS = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April June July "
    "August September October November December the with something went wrong expired unexpected dark "
    "bulk editing scheduled reports custom roles billing handshake timeout".split()
)


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", text)) & ENGLISH_MARKERS


async def test_tickets_in_other_languages_have_no_english_fragments(db, organizations):
    """Every non-English ticket's subject, description and messages: no English weekday, month
    or slot phrase (issue: "Desde el Tuesday" in a Spanish ticket)."""
    rows = await db.fetch(
        """
        SELECT c.traits->>'language' AS language, t.subject || ' ' || t.description_text
               || ' ' || coalesce(string_agg(m.content, ' '), '') AS text
        FROM tickets t
        JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id
        LEFT JOIN messages m ON m.org_id = t.org_id AND m.ticket_id = t.id
        WHERE t.org_id = ANY($1::uuid[]) AND c.traits->>'language' <> 'en'
        GROUP BY t.org_id, t.id, c.traits
        """,
        list(organizations.values()),
    )
    assert len(rows) >= 30
    mixed = [(row["language"], sorted(english_words(row["text"])), row["text"][:120]) for row in rows if english_words(row["text"])]
    assert mixed == []
    # The English tickets do use these words, so the check above can fail.
    english = await db.fetch(
        "SELECT t.subject || ' ' || t.description_text AS text FROM tickets t "
        "JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id WHERE t.org_id = $1 AND c.traits->>'language' = 'en'",
        organizations["acme-support"],
    )
    assert any(english_words(row["text"]) & {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"} for row in english)


def test_slot_values_are_written_in_the_tickets_language() -> None:
    slots = {"weekday": "Tuesday", "feature": "dark mode", "error": "ERR_CONNECTION_RESET", "city": "Munich"}
    assert fill("Desde el {weekday} falla con '{error}'", slots, "es") == "Desde el martes falla con 'ERR_CONNECTION_RESET'"
    assert fill("Es wäre hilfreich, {feature} in {city}", slots, "de") == "Es wäre hilfreich, einen Dunkelmodus in München"
    assert fill("Since {weekday}: {feature}", slots, "en") == "Since Tuesday: dark mode"
    # Every translation row names all five other languages.
    assert all(len(row) == len(LANGUAGES) - 1 for row in TRANSLATED_SLOTS.values())
