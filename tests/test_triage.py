"""Auto-triage: tickets.create (and a customer reopening a ticket) with `autoTriage` on.

Over HTTP against the live server: on, off, the quota exhausted, a person's explicit priority kept,
and a queued job that no request of the serving process made (as after a restart). In-process,
against a database no server polls: an engine that fails (nothing applied, nothing charged, then
recorded as failed), and a worker stopped mid-job that hands its job back, triaged once after.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from app.ai.litellm_engine import LitellmEngine
from app.ai.local.engine import LocalEngine
from app.assist import triage
from app.config import load_settings
from app.context import Services
from app.database import create_pool
from tests.support.databases import fresh_database
from tests.support.factories import create_org, create_user, login, member_client
from tests.support.servers import LiveServer
from tests.support.trpc import TRPCClient

URGENT = "Production is down for every customer since 9:00, nobody can log in. Please help urgently!"


async def enable_triage(db: asyncpg.Pool, org_id: UUID, **settings: Any) -> None:
    await db.execute(
        "UPDATE organizations SET ai_settings = ai_settings || $2::jsonb WHERE id = $1",
        org_id,
        __import__("json").dumps({"autoTriage": True, **settings}),
    )


async def wait_for_triage(client: TRPCClient, ticket_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """The ticket once its triage settled; the issue's promise is within 5 seconds."""
    deadline = time.monotonic() + timeout
    while True:
        ticket = await asyncio.to_thread(client.query, "tickets.get", {"id": ticket_id})
        if ticket["aiTriage"] is not None and ticket["aiTriage"]["status"] != "pending":
            return ticket
        if time.monotonic() > deadline:
            raise AssertionError(f"ticket {ticket_id} was not triaged within {timeout} s: {ticket['aiTriage']}")
        await asyncio.sleep(0.1)


async def operations_counted(db: asyncpg.Pool, org_id: UUID) -> int:
    return int(await db.fetchval("SELECT coalesce(sum(operations), 0) FROM ai_usage_periods WHERE org_id = $1", org_id))


async def ledger_operations(db: asyncpg.Pool, org_id: UUID) -> list[str]:
    rows = await db.fetch("SELECT operation FROM token_usage WHERE org_id = $1", org_id)
    return [row["operation"] for row in rows]


# ---- over HTTP ------------------------------------------------------------------------------------


async def test_a_new_ticket_is_triaged_in_the_background_and_charged_once(
    db: asyncpg.Pool, live_server: LiveServer
) -> None:
    org, _, client = await member_client(db, live_server)
    await enable_triage(db, org.id)
    created = await asyncio.to_thread(
        client.mutation, "tickets.create", {"subject": "Outage: nobody can log in", "description": URGENT}
    )
    # Creation answers at once, before the AI ran.
    assert created["aiTriage"]["status"] == "pending"
    assert created["priority"] == "normal"

    ticket = await wait_for_triage(client, created["id"])
    record = ticket["aiTriage"]
    assert record["status"] == "applied"
    assert record["model"] and 0 <= record["confidence"] <= 1
    assert record["suggested"]["priority"] in ("high", "urgent")
    assert record["suggested"]["sentiment"] == "negative"
    assert set(record["applied"]) == {"priority", "tags"}
    assert ticket["priority"] == record["suggested"]["priority"]
    assert ticket["tags"] and set(record["suggested"]["tags"]) <= set(ticket["tags"])
    assert ticket["assigneeId"] is None  # the default settings only suggest an assignee
    assert await operations_counted(db, org.id) == 1
    # Under its own name in the ledger (beside the background embedding of the new ticket's text).
    assert set(await ledger_operations(db, org.id)) - {"embed"} == {"triage"}
    assert await db.fetchval("SELECT count(*) FROM triage_jobs WHERE org_id = $1", org.id) == 0

    # Listing filters on it.
    listed = await asyncio.to_thread(client.query, "tickets.list", {"aiTriage": "applied"})
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert (await asyncio.to_thread(client.query, "tickets.list", {"aiTriage": "none"}))["items"] == []


async def test_a_confident_assignee_is_applied_when_the_organization_allows_it(
    db: asyncpg.Pool, live_server: LiveServer
) -> None:
    org, _, client = await member_client(db, live_server)
    expert = await create_user(db, org.id, role="agent", expertise=("login", "outage"))
    await enable_triage(db, org.id, autoTriageApply=["priority", "tags", "assignee"], autoTriageAssigneeMinConfidence=0.0)
    created = await asyncio.to_thread(
        client.mutation, "tickets.create", {"subject": "Outage: nobody can log in", "description": URGENT}
    )
    ticket = await wait_for_triage(client, created["id"])
    record = ticket["aiTriage"]
    assert record["suggested"]["assignee"]["agentId"] == str(expert.id)
    assert "assignee" in record["applied"] and ticket["assigneeId"] == str(expert.id)
    assert await operations_counted(db, org.id) == 1  # analysis and assignee: one operation


async def test_with_triage_off_nothing_is_queued_or_charged(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server)
    created = await asyncio.to_thread(
        client.mutation, "tickets.create", {"subject": "Outage", "description": URGENT}
    )
    assert created["aiTriage"] is None
    await asyncio.sleep(triage.POLL_SECONDS * 1.5)
    ticket = await asyncio.to_thread(client.query, "tickets.get", {"id": created["id"]})
    assert ticket["aiTriage"] is None and ticket["priority"] == "normal" and ticket["tags"] == []
    assert await db.fetchval("SELECT count(*) FROM triage_jobs WHERE org_id = $1", org.id) == 0
    assert await operations_counted(db, org.id) == 0


async def test_a_persons_explicit_priority_and_tags_are_kept(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server)
    await enable_triage(db, org.id)
    created = await asyncio.to_thread(
        client.mutation,
        "tickets.create",
        {"subject": "Outage: nobody can log in", "description": URGENT, "priority": "low", "tags": ["login"]},
    )
    ticket = await wait_for_triage(client, created["id"])
    record = ticket["aiTriage"]
    assert record["status"] == "applied" and record["applied"] == []
    assert record["suggested"]["priority"] != "low"  # suggested, not applied
    assert ticket["priority"] == "low" and ticket["tags"] == ["login"]
    assert await operations_counted(db, org.id) == 1  # the suggestion was still made and paid for


async def test_with_no_quota_left_triage_is_skipped_and_recorded(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server, plan="pro")
    await db.execute("UPDATE organizations SET ai_operations_limit = 0 WHERE id = $1", org.id)
    await enable_triage(db, org.id)
    created = await asyncio.to_thread(
        client.mutation, "tickets.create", {"subject": "Outage", "description": URGENT}
    )
    ticket = await wait_for_triage(client, created["id"])
    assert ticket["aiTriage"]["status"] == "skipped" and ticket["aiTriage"]["reason"] == "quota"
    assert ticket["aiTriage"]["applied"] == []
    assert ticket["priority"] == "normal" and ticket["tags"] == []
    assert await operations_counted(db, org.id) == 0
    assert "triage" not in await ledger_operations(db, org.id)


async def test_a_free_plan_is_skipped_for_its_plan(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server, plan="free")
    await enable_triage(db, org.id)
    created = await asyncio.to_thread(client.mutation, "tickets.create", {"subject": "Hi", "description": URGENT})
    ticket = await wait_for_triage(client, created["id"])
    assert (ticket["aiTriage"]["status"], ticket["aiTriage"]["reason"]) == ("skipped", "plan")
    assert await operations_counted(db, org.id) == 0


async def test_a_customer_reopening_a_resolved_ticket_triages_it_again(
    db: asyncpg.Pool, live_server: LiveServer
) -> None:
    org, _, client = await member_client(db, live_server)
    created = await asyncio.to_thread(
        client.mutation, "tickets.create", {"subject": "Invoice copy", "description": "Please send the invoice.", "status": "resolved"}
    )
    await enable_triage(db, org.id)
    await asyncio.to_thread(
        client.mutation, "tickets.addMessage", {"ticketId": created["id"], "author": "agent", "content": "Sent it."}
    )
    assert (await asyncio.to_thread(client.query, "tickets.get", {"id": created["id"]}))["status"] == "resolved"
    await asyncio.to_thread(
        client.mutation,
        "tickets.addMessage",
        {"ticketId": created["id"], "author": "customer", "content": "It is wrong and now I am charged twice! Urgent."},
    )
    ticket = await wait_for_triage(client, created["id"])
    assert ticket["status"] == "open"
    assert ticket["aiTriage"]["status"] == "applied"
    assert await operations_counted(db, org.id) == 1


async def test_a_job_queued_before_a_restart_is_triaged_by_the_next_server(
    db: asyncpg.Pool, live_server: LiveServer
) -> None:
    """The job row is all a restarted server has: one written by another process (here, straight
    into the database, as a server that stopped right after the commit left it) is found by
    polling, triaged and charged once."""
    org = await create_org(db)
    user = await create_user(db, org.id)
    client = await asyncio.to_thread(login, live_server, user)
    await enable_triage(db, org.id)
    created = await asyncio.to_thread(client.mutation, "tickets.create", {"subject": "Outage", "description": URGENT})
    await wait_for_triage(client, created["id"])
    ticket_id = await db.fetchval(
        """
        WITH numbered AS (
            UPDATE organizations SET last_ticket_number = last_ticket_number + 1 WHERE id = $1
            RETURNING last_ticket_number
        ), ticket AS (
            INSERT INTO tickets (org_id, number, subject, description, description_text, ai_triage)
            SELECT $1, last_ticket_number, 'Left behind', to_jsonb($2::text), $2,
                   '{"status": "pending", "at": "2026-01-01T00:00:00Z"}'
            FROM numbered RETURNING id
        )
        INSERT INTO triage_jobs (org_id, ticket_id, reason) SELECT $1, id, 'created' FROM ticket RETURNING ticket_id
        """,
        org.id,
        URGENT,
    )
    ticket = await wait_for_triage(client, str(ticket_id), timeout=5.0 + triage.POLL_SECONDS)
    assert ticket["aiTriage"]["status"] == "applied"
    assert await operations_counted(db, org.id) == 2


# ---- in-process, on a database no server polls -----------------------------------------------------


@pytest.fixture(scope="module")
async def quiet_db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    url = await fresh_database(database_url, "triage")
    pool = await create_pool(url, 4)
    yield pool
    await pool.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def services_for(pool: asyncpg.Pool, tmp_path: Any, hosted: Any = None) -> Services:
    settings = load_settings({"DATABASE_URL": "postgresql://unused", "APP_ENV": "test", "DATA_DIR": str(tmp_path)})
    return Services(settings=settings, pool=pool, local_engine=LocalEngine(), hosted_engine=hosted)


async def queued_ticket(pool: asyncpg.Pool, **settings: Any) -> tuple[UUID, UUID]:
    org = await create_org(pool)
    await enable_triage(pool, org.id, **settings)
    async with pool.acquire() as connection, connection.transaction():
        ticket_id = await connection.fetchval(
            """
            WITH numbered AS (
                UPDATE organizations SET last_ticket_number = last_ticket_number + 1 WHERE id = $1
                RETURNING last_ticket_number
            )
            INSERT INTO tickets (org_id, number, subject, description, description_text)
            SELECT $1, last_ticket_number, 'Outage', to_jsonb($2::text), $2 FROM numbered RETURNING id
            """,
            org.id,
            URGENT,
        )
        assert await triage.enqueue_triage(connection, org.id, ticket_id, "created") is not None
    return org.id, ticket_id


async def ticket_state(pool: asyncpg.Pool, org_id: UUID, ticket_id: UUID) -> asyncpg.Record:
    return await pool.fetchrow(
        """
        SELECT t.priority, t.tags, t.ai_triage::jsonb ->> 'status' AS status, t.ai_triage::jsonb ->> 'reason' AS reason,
               (SELECT count(*) FROM triage_jobs j WHERE j.org_id = t.org_id AND j.ticket_id = t.id) AS jobs,
               (SELECT coalesce(sum(operations), 0) FROM ai_usage_periods u WHERE u.org_id = t.org_id) AS charged,
               (SELECT count(*) FROM token_usage l WHERE l.org_id = t.org_id) AS ledger_rows
        FROM tickets t WHERE t.org_id = $1 AND t.id = $2
        """,
        org_id,
        ticket_id,
    )


async def test_an_engine_failure_applies_and_charges_nothing_then_is_recorded(quiet_db: asyncpg.Pool, tmp_path: Any) -> None:
    hosted = LitellmEngine(
        default_model=None, fallback_models=(), embedding_model=None,
        timeout_s=2, num_retries=0, api_base=f"http://127.0.0.1:{closed_port()}/v1", api_key="test-key",
    )
    services = services_for(quiet_db, tmp_path, hosted)
    org_id, ticket_id = await queued_ticket(quiet_db, model="openai/gpt-unreachable")

    for attempt in range(1, triage.MAX_ATTEMPTS + 1):
        await quiet_db.execute("UPDATE triage_jobs SET not_before = now() WHERE org_id = $1", org_id)
        assert await triage.triage_one(services)
        state = await ticket_state(quiet_db, org_id, ticket_id)
        assert (state["priority"], list(state["tags"]), state["charged"], state["ledger_rows"]) == ("normal", [], 0, 0)
        if attempt < triage.MAX_ATTEMPTS:
            # Still queued, for a later retry.
            assert state["jobs"] == 1 and state["status"] == "pending"
    assert (state["status"], state["reason"], state["jobs"]) == ("failed", "engine", 0)


async def test_a_worker_stopped_mid_job_hands_it_back_and_it_is_charged_once(quiet_db: asyncpg.Pool, tmp_path: Any) -> None:
    services = services_for(quiet_db, tmp_path)
    org_id, ticket_id = await queued_ticket(quiet_db)
    local = services.local_engine
    assert local is not None
    started = asyncio.Event()
    release = asyncio.Event()
    real_analyze = local.analyze

    async def slow_analyze(*args: Any) -> Any:
        # The real analysis, held until the test lets it finish: a shutdown lands mid-job.
        started.set()
        await release.wait()
        return await real_analyze(*args)

    setattr(local, "analyze", slow_analyze)
    worker = triage.TriageWorker(services)
    worker.start()
    await asyncio.wait_for(started.wait(), 10)
    leased = await quiet_db.fetchrow("SELECT attempts, not_before > now() AS leased FROM triage_jobs WHERE org_id = $1", org_id)
    assert leased["leased"] and leased["attempts"] == 1
    await worker.stop()
    state = await ticket_state(quiet_db, org_id, ticket_id)
    assert (state["jobs"], state["status"], state["charged"]) == (1, "pending", 0)
    job = await quiet_db.fetchrow("SELECT attempts, not_before <= now() AS due FROM triage_jobs WHERE org_id = $1", org_id)
    assert job["due"] and job["attempts"] == 0  # handed back: due now, and the attempt not counted

    release.set()
    local.analyze = real_analyze  # type: ignore[method-assign]
    assert await triage.triage_one(services)
    assert not await triage.triage_one(services)  # nothing else due: no second run
    state = await ticket_state(quiet_db, org_id, ticket_id)
    assert (state["status"], state["jobs"], state["charged"]) == ("applied", 0, 1)
    assert state["priority"] in ("high", "urgent")
