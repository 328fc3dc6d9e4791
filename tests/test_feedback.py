"""ai.feedback and ai.getFeedbackStats: verdicts on the AI's suggestions, counted per operation,
model and day, one verdict per person, private text kept only when allowed, and never across
organizations."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from tests.support.factories import create_api_key, create_user, login, member_client
from tests.support.servers import LiveServer
from tests.support.trpc import TRPCClient, TRPCClientError


def error_code(call: Any) -> str:
    with pytest.raises(TRPCClientError) as caught:
        call()
    return caught.value.code


async def suggestion(client: TRPCClient, path: str, value: dict[str, Any]) -> str:
    answer = await asyncio.to_thread(client.mutation, path, value)
    return str(UUID(answer["suggestionId"]))


async def feedback(client: TRPCClient, suggestion_id: str, verdict: str, **extra: Any) -> dict[str, Any]:
    return await asyncio.to_thread(
        client.mutation, "ai.feedback", {"suggestionId": suggestion_id, "verdict": verdict, **extra}
    )


async def stats(client: TRPCClient, **value: Any) -> dict[str, Any]:
    return await asyncio.to_thread(client.query, "ai.getFeedbackStats", value)


async def test_verdicts_round_trip_into_the_statistics(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, agent, client = await member_client(db, live_server)
    colleague = await create_user(db, org.id, role="agent")
    colleague_client = await asyncio.to_thread(login, live_server, colleague)

    ticket = await asyncio.to_thread(
        client.mutation, "tickets.create", {"subject": "Refund", "description": "I was charged twice, please refund."}
    )
    summary = await suggestion(client, "ai.summarizeTicket", {"ticketId": ticket["id"]})
    tags = await suggestion(client, "ai.suggestTags", {"subject": "Refund", "description": "Charged twice."})
    improved = await suggestion(client, "ai.improveText", {"text": "we refund u"})

    stored = await feedback(client, summary, "accepted")
    assert (stored["suggestionId"], stored["verdict"], stored["operation"]) == (summary, "accepted", "summarizeTicket")
    assert stored["model"] and stored["finalTextKept"] is False
    await feedback(client, tags, "rejected")
    await feedback(client, improved, "edited", finalText="We have refunded you.")
    # A later verdict of the same person replaces the earlier one; a colleague's counts apart.
    await feedback(client, tags, "accepted")
    await feedback(colleague_client, tags, "rejected")

    totals = (await stats(client))["totals"]
    assert totals == {
        "suggestions": 3, "verdicts": 4, "accepted": 2, "edited": 1, "rejected": 1,
        "acceptanceRate": 0.5, "editRate": 0.25, "rejectionRate": 0.25,
    }  # fmt: skip

    by_operation = {group["operation"]: group for group in (await stats(client, groupBy="operation"))["groups"]}
    assert set(by_operation) == {"summarizeTicket", "suggestTags", "improveText"}
    assert (by_operation["suggestTags"]["accepted"], by_operation["suggestTags"]["rejected"]) == (1, 1)
    assert by_operation["summarizeTicket"]["acceptanceRate"] == 1.0
    assert all(set(group) >= {"operation", "verdicts"} and "model" not in group for group in by_operation.values())

    by_model = (await stats(client, groupBy="model"))["groups"]
    assert sum(group["verdicts"] for group in by_model) == 4 and all(group["model"] for group in by_model)

    by_day = (await stats(client, groupBy="day"))["groups"]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert [group["period"] for group in by_day] == [today]  # a Date, through superjson
    assert (await stats(client, endDate="2000-01-01"))["totals"]["suggestions"] == 0

    rows = await db.fetch("SELECT verdict, final_text FROM ai_feedback WHERE org_id = $1", org.id)
    assert len(rows) == 4 and all(row["final_text"] is None for row in rows)  # text not kept by default


async def test_final_text_is_kept_only_when_the_organization_allows_it(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server)
    await db.execute(
        "UPDATE organizations SET ai_settings = ai_settings || $2::jsonb WHERE id = $1",
        org.id,
        json.dumps({"keepFeedbackText": True}),
    )
    improved = await suggestion(client, "ai.improveText", {"text": "we refund u"})
    stored = await feedback(client, improved, "edited", finalText="We have refunded you.")
    assert stored["finalTextKept"] is True
    kept = await db.fetchval("SELECT final_text FROM ai_feedback WHERE org_id = $1", org.id)
    assert kept == "We have refunded you."


async def test_feedback_never_crosses_organizations(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org_a, _, client_a = await member_client(db, live_server)
    org_b, _, client_b = await member_client(db, live_server)
    theirs = await suggestion(client_a, "ai.improveText", {"text": "hello"})
    await feedback(client_a, theirs, "accepted")

    # Another organization's suggestion answers exactly like one that does not exist.
    assert error_code(lambda: client_b.mutation("ai.feedback", {"suggestionId": theirs, "verdict": "rejected"})) == "NOT_FOUND"
    assert error_code(
        lambda: client_b.mutation("ai.feedback", {"suggestionId": str(uuid4()), "verdict": "rejected"})
    ) == "NOT_FOUND"
    assert (await stats(client_b))["totals"]["suggestions"] == 0
    assert (await stats(client_a))["totals"]["verdicts"] == 1
    assert await db.fetchval("SELECT count(*) FROM ai_feedback WHERE org_id = $1", org_b.id) == 0
    assert await db.fetchval("SELECT verdict FROM ai_feedback WHERE org_id = $1", org_a.id) == "accepted"


async def test_who_may_give_feedback(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, agent = await member_client(db, live_server)
    given = await suggestion(agent, "ai.improveText", {"text": "hello"})
    viewer = await asyncio.to_thread(login, live_server, await create_user(db, org.id, role="viewer"))
    assert error_code(lambda: viewer.mutation("ai.feedback", {"suggestionId": given, "verdict": "accepted"})) == "FORBIDDEN"
    assert (await stats(viewer))["totals"]["suggestions"] == 1  # viewers read the statistics
    key = await create_api_key(db, org.id, ("ai:run",))
    keyed = TRPCClient(live_server.url, headers={"authorization": f"Bearer {key}"})
    # A verdict is a person's: a key has nobody to record it under.
    assert error_code(lambda: keyed.mutation("ai.feedback", {"suggestionId": given, "verdict": "accepted"})) == "FORBIDDEN"
    assert error_code(lambda: agent.mutation("ai.feedback", {"suggestionId": given, "verdict": "maybe"})) == "BAD_REQUEST"
    assert await db.fetchval("SELECT count(*) FROM ai_feedback WHERE org_id = $1", org.id) == 0
