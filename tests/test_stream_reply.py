"""ai.streamReply: a reply draft over server-sent events, metered and written to the ledger once.

Over real HTTP against the live server (local engine), and against a second server whose AI goes
to the fake OpenAI server (litellm streaming for real): the deltas, the final event, the
operation count, the ledger rows, the plan gate, tenancy, a provider failure before the first
chunk, and a client that leaves mid-stream.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from uuid import UUID

import asyncpg

from app.ai.redaction import StreamRestorer
from tests.support.factories import member_client, new_ticket
from tests.support.fake_openai import http_error, stream_answer
from tests.support.hosted import HostedApp
from tests.support.servers import LiveServer
from tests.support.trpc import TRPCClient

Event = tuple[str | None, Any]  # (event name, decoded data); None names a value event


def stream_events(client: TRPCClient, input: dict[str, Any], *, stop_after_deltas: int | None = None) -> list[Event]:
    """Read ai.streamReply's events; with `stop_after_deltas`, disconnect after that many deltas."""
    params = {"input": json.dumps(TRPCClient._envelope(input))}
    events: list[Event] = []
    deltas = 0
    with client.http.stream(
        "GET", "/api/trpc/ai.streamReply", params=params, headers={"accept": "text/event-stream"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name: str | None = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                text = line[len("data: ") :]
                data = json.loads(text) if text and name != "connected" else text
                if isinstance(data, dict) and "json" in data:
                    data = data["json"]
                if name != "ping":
                    events.append((name, data))
                if name is None and isinstance(data, dict) and data.get("type") == "delta":
                    deltas += 1
                    if stop_after_deltas is not None and deltas >= stop_after_deltas:
                        return events  # leaving the block closes the connection
                if name in ("return", "serialized-error"):
                    return events
            elif not line:
                name = None
    return events


def values(events: list[Event]) -> list[dict[str, Any]]:
    return [data for name, data in events if name is None]


def error_of(events: list[Event]) -> dict[str, Any]:
    errors = [data for name, data in events if name == "serialized-error"]
    assert len(errors) == 1, events
    return errors[0]


async def operations_counted(db: asyncpg.Pool, org_id: UUID) -> int:
    return int(await db.fetchval("SELECT coalesce(sum(operations), 0) FROM ai_usage_periods WHERE org_id = $1", org_id))


async def reply_rows(db: asyncpg.Pool, org_id: UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT model, prompt_tokens, completion_tokens FROM token_usage WHERE org_id = $1 AND operation = 'replies'",
        org_id,
    )


async def suggestions(db: asyncpg.Pool, org_id: UUID) -> list[asyncpg.Record]:
    return await db.fetch("SELECT id, operation, model, ticket_id FROM ai_suggestions WHERE org_id = $1", org_id)


async def eventually(check: Any, timeout: float = 10.0) -> None:
    """The server settles a left stream after the client is gone: wait for it to land."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(0.05)


# ---- the local engine -----------------------------------------------------------------------------


async def test_a_streamed_reply_arrives_in_pieces_and_is_charged_once(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server, plan="business", role="agent")
    ticket = new_ticket(client, "Cannot export invoices", "The export button does nothing since Monday. Please help.")
    before = await operations_counted(db, org.id)

    events = await asyncio.to_thread(stream_events, client, {"ticketId": ticket["id"], "tone": "formal"})

    assert events[0] == ("connected", "{}") and events[-1][0] == "return"
    items = values(events)
    deltas, final = items[:-1], items[-1]
    assert len(deltas) >= 3 and all(item["type"] == "delta" and item["delta"] for item in deltas)
    assert final["type"] == "done" and final["done"] is True
    assert final["text"] == "".join(item["delta"] for item in deltas)
    assert final["usage"]["model"] == "local/use-m-v3"
    assert final["usage"]["totalTokens"] == final["usage"]["promptTokens"] + final["usage"]["completionTokens"] > 0
    assert await operations_counted(db, org.id) == before + 1
    rows = await reply_rows(db, org.id)
    assert [(row["prompt_tokens"], row["completion_tokens"]) for row in rows] == [
        (final["usage"]["promptTokens"], final["usage"]["completionTokens"])
    ]
    [suggestion] = [row for row in await suggestions(db, org.id) if row["operation"] == "streamReply"]
    assert str(suggestion["id"]) == final["suggestionId"] and str(suggestion["ticket_id"]) == ticket["id"]


async def test_the_plan_gate_and_tenancy_charge_nothing(db: asyncpg.Pool, live_server: LiveServer) -> None:
    pro_org, _, pro_client = await member_client(db, live_server, plan="pro", role="agent")
    pro_ticket = new_ticket(pro_client, "Refund", "Please refund my last invoice.")
    events = await asyncio.to_thread(stream_events, pro_client, {"ticketId": pro_ticket["id"]})
    assert error_of(events)["data"]["code"] == "FORBIDDEN" and values(events) == []
    assert await operations_counted(db, pro_org.id) == 0

    org, _, client = await member_client(db, live_server, plan="business", role="agent")
    events = await asyncio.to_thread(stream_events, client, {"ticketId": pro_ticket["id"]})
    assert error_of(events)["data"]["code"] == "NOT_FOUND" and values(events) == []
    assert await operations_counted(db, org.id) == 0
    assert await reply_rows(db, org.id) == [] and await reply_rows(db, pro_org.id) == []


async def test_a_tone_longer_than_40_characters_is_refused(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server, plan="business", role="agent")
    ticket = new_ticket(client, "Login", "I cannot log in.")
    events = await asyncio.to_thread(stream_events, client, {"ticketId": ticket["id"], "tone": "x" * 41})
    error = error_of(events)
    assert error["data"]["code"] == "BAD_REQUEST" and "tone" in error["message"]
    assert await operations_counted(db, org.id) == 0


# ---- a hosted model through litellm ---------------------------------------------------------------


async def test_a_hosted_model_streams_its_chunks_with_pii_restored(db: asyncpg.Pool, hosted: HostedApp) -> None:
    org, client, ticket = await hosted.agent_with_ticket(db, "Invoice copy", "Please send the invoice to jane.doe@example.com today.")
    # The model answers with the placeholder it was given; the client must see the address.
    hosted.fake.queue_chat(stream_answer("Hello, we have sent the invoice to [EMAIL_1] just now."))

    events = await asyncio.to_thread(stream_events, client, {"ticketId": ticket["id"], "tone": "formal"})

    items = values(events)
    deltas, final = items[:-1], items[-1]
    assert len(deltas) >= 5
    assert final["text"] == "".join(item["delta"] for item in deltas)
    assert final["text"] == "Hello, we have sent the invoice to jane.doe@example.com just now."
    [request] = hosted.fake.chat_requests
    assert request["stream"] is True and request["stream_options"] == {"include_usage": True}
    assert "jane.doe@example.com" not in json.dumps(request["messages"])
    assert '\\"formal\\"' in json.dumps(request["messages"][1]["content"])
    assert hosted.fake.stream_endings == ["completed"]
    rows = await reply_rows(db, org.id)
    assert [(row["model"], row["prompt_tokens"], row["completion_tokens"]) for row in rows] == [
        ("openai/gpt-test", final["usage"]["promptTokens"], final["usage"]["completionTokens"])
    ]
    assert final["usage"]["completionTokens"] == 10  # the fake provider's own count (words), from its usage chunk
    assert await operations_counted(db, org.id) == 1


async def test_a_provider_failure_before_the_first_chunk_charges_nothing(db: asyncpg.Pool, hosted: HostedApp) -> None:
    org, client, ticket = await hosted.agent_with_ticket(db, "Login", "I cannot log in.")
    for failure in (http_error(500), stream_answer("never sent", fail_after=0)):
        hosted.fake.queue_chat(failure)
        events = await asyncio.to_thread(stream_events, client, {"ticketId": ticket["id"]})
        error = error_of(events)
        assert error["data"]["code"] == "INTERNAL_SERVER_ERROR" and "not charged" in error["message"]
        assert values(events) == []
    assert await operations_counted(db, org.id) == 0
    assert await reply_rows(db, org.id) == [] and await suggestions(db, org.id) == []


async def test_a_client_that_leaves_mid_stream_closes_the_provider_stream(db: asyncpg.Pool, hosted: HostedApp) -> None:
    org, client, ticket = await hosted.agent_with_ticket(db, "Slow export", "The export takes forever.")
    words = " ".join(f"word{n}" for n in range(200))
    hosted.fake.queue_chat(stream_answer(words, delay=0.05))

    events = await asyncio.to_thread(stream_events, client, {"ticketId": ticket["id"]}, stop_after_deltas=3)
    assert len(values(events)) == 3

    async def provider_saw_the_close() -> bool:
        return hosted.fake.stream_endings == ["closed"]

    await eventually(provider_saw_the_close)

    async def ledger_written() -> bool:
        return len(await reply_rows(db, org.id)) == 1

    await eventually(ledger_written)
    await asyncio.sleep(0.5)  # nothing else arrives later
    [row] = await reply_rows(db, org.id)
    # What was consumed: the prompt, and the completion tokens of the text received (far fewer
    # than the 200 words the provider would have sent).
    assert row["prompt_tokens"] > 0 and 3 <= row["completion_tokens"] < 150
    assert await operations_counted(db, org.id) == 1
    assert [row for row in await suggestions(db, org.id) if row["operation"] == "streamReply"] == []


def test_placeholders_split_across_chunks_are_restored_whole() -> None:
    restorer = StreamRestorer({"[EMAIL_1]": "jane@example.com", "[PHONE_12]": "+1 555 0100"})
    pieces = ["Write to [E", "MAIL", "_1", "] or call [PHONE_1", "2]. See [x] and [", "IP"]
    shown = [restorer.feed(piece) for piece in pieces]
    assert shown[1:3] == ["", ""]  # held back while the placeholder is open
    assert "".join(shown) + restorer.flush() == "Write to jane@example.com or call +1 555 0100. See [x] and [IP"
