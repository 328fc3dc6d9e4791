"""ai.*: every procedure's shape and side effects, over real HTTP, with the offline local engine.

Each test makes its own organization(s) and members, so tests never see each other's rows. Plan
gates, roles and tenancy are checked for every AI procedure; the side effects (summary, tags,
embeddings) and the token ledger are read back from the database. A hosted model that cannot be
reached is simulated by a second server whose AI_MODEL points at a closed local port.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from app.assist import embedding_refresh
from app.ai.local.engine import LocalEngine
from app.assist.queries import load_ticket_for_ai
from app.assist.settings import settings_from_json
from app.config import load_settings
from app.context import Caller, Context, RequestInfo, ResponseEffects, Services
from app.assist.embedding_refresh import schedule_ticket_embedding
from app.registry import REGISTRY, load_procedures, row_id_fields
from app.assist.articles import text_search_query
from tests.support.factories import Org, User, create_api_key, create_org, create_user, login, member_client, new_ticket
from tests.support.fake_openai import json_answer
from tests.support.hosted import HOSTED_MODELS, HostedApp
from tests.support.servers import ROOT, LiveServer, start_app
from tests.support.trpc import TRPCClient, TRPCClientError

LOCAL_MODEL = "local/use-m-v3"


# ---- helpers ------------------------------------------------------------------------------------


def doc(*paragraphs: str) -> dict[str, Any]:
    """A TipTap document, as the web app sends descriptions."""
    return {
        "type": "doc",
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]} for text in paragraphs],
    }


def new_article(client: TRPCClient, title: str, content: str, *, published: bool) -> dict[str, Any]:
    return client.mutation("articles.create", {"title": title, "content": content, "published": published})


def forbidden(call: Any) -> TRPCClientError:
    with pytest.raises(TRPCClientError) as caught:
        call()
    assert caught.value.code == "FORBIDDEN", caught.value
    return caught.value


def error_code(call: Any) -> str:
    with pytest.raises(TRPCClientError) as caught:
        call()
    return caught.value.code


async def ledger(db: asyncpg.Pool, org_id: UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT operation, model, prompt_tokens, completion_tokens, user_id, api_key_id FROM token_usage "
        "WHERE org_id = $1 ORDER BY created_at, operation",
        org_id,
    )


async def operations_counted(db: asyncpg.Pool, org_id: UUID) -> int:
    return int(await db.fetchval("SELECT coalesce(sum(operations), 0) FROM ai_usage_periods WHERE org_id = $1", org_id))


async def embedding_hash(db: asyncpg.Pool, org_id: UUID, ticket_id: str) -> str | None:
    return await db.fetchval(
        "SELECT content_hash FROM ticket_embeddings WHERE org_id = $1 AND ticket_id = $2 AND model = $3",
        org_id,
        UUID(ticket_id),
        LOCAL_MODEL,
    )


def text_hash(subject: str, description_text: str) -> str:
    return hashlib.sha256(f"{subject}\n\n{description_text}".encode()).hexdigest()


async def wait_for_embedding(db: asyncpg.Pool, org_id: UUID, ticket: dict[str, Any], timeout: float = 20.0) -> None:
    """The background refresh stores the vector of the ticket's current text; wait for it."""
    wanted = text_hash(ticket["subject"], ticket["descriptionText"])
    deadline = time.monotonic() + timeout
    while await embedding_hash(db, org_id, ticket["id"]) != wanted:
        if time.monotonic() > deadline:
            raise AssertionError(f"ticket {ticket['id']} was not embedded within {timeout} s")
        await asyncio.sleep(0.05)


async def insert_ticket_without_embedding(db: asyncpg.Pool, org_id: UUID, subject: str, text: str, tags: list[str] | None = None) -> str:
    """A ticket written straight to the database: no background refresh ever embeds it."""
    ticket_id = await db.fetchval(
        """
        WITH numbered AS (
            UPDATE organizations SET last_ticket_number = last_ticket_number + 1 WHERE id = $1
            RETURNING last_ticket_number
        )
        INSERT INTO tickets (org_id, number, subject, description, description_text, tags)
        SELECT $1, last_ticket_number, $2, to_jsonb($3::text), $3, $4 FROM numbered
        RETURNING id
        """,
        org_id,
        subject,
        text,
        tags or [],
    )
    return str(ticket_id)


@pytest.fixture
async def business(db: asyncpg.Pool, live_server: LiveServer) -> tuple[Org, User, TRPCClient]:
    return await member_client(db, live_server, plan="business", role="agent")


# ---- basic AI -----------------------------------------------------------------------------------


async def test_summarize_ticket_stores_the_summary_and_writes_the_ledger(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, user, client = business
    ticket = new_ticket(
        client,
        "Cannot log in after password reset",
        doc("I reset my password yesterday and now the login page says my credentials are invalid."),
    )
    client.mutation("tickets.addMessage", {"ticketId": ticket["id"], "content": "I tried clearing the cache.", "author": "customer"})
    before = await operations_counted(db, org.id)

    answer = client.mutation("ai.summarizeTicket", {"ticketId": ticket["id"]})

    assert set(answer) == {"summary", "suggestionId"} and answer["summary"].strip()
    stored = await db.fetchval("SELECT ai_summary FROM tickets WHERE org_id = $1 AND id = $2", org.id, UUID(ticket["id"]))
    assert stored == answer["summary"]
    assert await operations_counted(db, org.id) == before + 1
    rows = [row for row in await ledger(db, org.id) if row["operation"] == "summarize"]
    assert len(rows) == 1
    assert rows[0]["model"] == LOCAL_MODEL and rows[0]["user_id"] == user.id and rows[0]["prompt_tokens"] > 0


async def test_the_engine_sees_subject_description_and_the_five_newest_messages(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, _, client = business
    ticket = new_ticket(client, "Export fails", "The CSV export stops at 50%.")
    for n in range(7):
        client.mutation("tickets.addMessage", {"ticketId": ticket["id"], "content": f"message {n}", "author": "customer"})
    loaded = await load_ticket_for_ai(db, org.id, UUID(ticket["id"]), default_embedding_model=LOCAL_MODEL)
    assert loaded is not None
    text = loaded.text()
    assert (text.subject, text.description) == ("Export fails", "The CSV export stops at 50%.")
    assert [message.content for message in text.messages] == [f"message {n}" for n in range(2, 7)]
    other = await create_org(db)
    assert await load_ticket_for_ai(db, other.id, UUID(ticket["id"]), default_embedding_model=LOCAL_MODEL) is None


async def test_analyze_sentiment(db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]) -> None:
    org, _, client = business
    angry = client.mutation(
        "ai.analyzeSentiment", {"text": "I have been waiting for a response for 3 days now. This is unacceptable!"}
    )
    happy = client.mutation("ai.analyzeSentiment", {"text": "Thank you so much, that fixed it. Great support!"})
    for answer in (angry, happy):
        assert set(answer) == {"sentiment", "score", "emotions", "urgency", "suggestionId"}
        assert -1 <= answer["score"] <= 1 and answer["urgency"] in ("low", "medium", "high")
        expected = "positive" if answer["score"] >= 0.3 else "negative" if answer["score"] <= -0.3 else "neutral"
        assert answer["sentiment"] == expected
    assert angry["sentiment"] == "negative" and happy["sentiment"] == "positive"
    assert error_code(lambda: client.mutation("ai.analyzeSentiment", {"text": ""})) == "BAD_REQUEST"
    assert [row["operation"] for row in await ledger(db, org.id)] == ["sentiment", "sentiment"]


async def test_predict_priority_reads_tiptap_descriptions(business: tuple[Org, User, TRPCClient]) -> None:
    _, _, client = business
    answer = client.mutation(
        "ai.predictPriority",
        {
            "subject": "URGENT: Production server down",
            "description": doc("Our main production server is completely down. All customers are affected."),
        },
    )
    assert set(answer) == {"priority", "confidence", "reasoning", "suggestionId"}
    assert answer["priority"] in ("urgent", "high") and 0 <= answer["confidence"] <= 1 and answer["reasoning"]
    calm = client.mutation("ai.predictPriority", {"subject": "Dark mode?", "description": "Would be nice to have some day."})
    assert calm["priority"] in ("low", "normal")


async def test_suggest_tags_prefers_the_organizations_tags(db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]) -> None:
    org, _, client = business
    new_ticket(client, "Invoice is wrong", "We were charged twice this month.", tags=["Billing", "invoices"])
    answer = client.mutation(
        "ai.suggestTags", {"subject": "Double charge on my card", "description": "You billed my credit card twice for March."}
    )
    assert set(answer) == {"tags", "suggestionId"}
    tags = answer["tags"]
    assert tags and tags == [tag.lower() for tag in tags] and len(tags) == len(set(tags))
    assert "billing" in tags
    # (The ticket created above was embedded in the background: that is an "embed" row.)
    assert [row["operation"] for row in await ledger(db, org.id) if row["operation"] != "embed"] == ["tags"]


async def test_improve_text(business: tuple[Org, User, TRPCClient]) -> None:
    _, _, client = business
    answer = client.mutation("ai.improveText", {"text": "hi. we fixed ur issue, try again pls", "tone": "professional"})
    assert set(answer) == {"text", "suggestionId"} and answer["text"].strip()


async def test_classify_ticket_with_the_default_and_an_organizations_taxonomy(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, _, client = business
    cancel = client.mutation(
        "ai.classifyTicket", {"subject": "Cancel my subscription", "description": "I would like to cancel my subscription please."}
    )
    assert set(cancel) == {"intent", "confidence", "reasoning", "detectedLanguage", "suggestionId"}
    assert cancel["intent"] == "cancel_request" and cancel["detectedLanguage"] == "en"
    spanish = client.mutation("ai.classifyTicket", {"subject": "Cancelar suscripción", "description": "Quiero cancelar mi suscripción y que me devuelvan el dinero, o reclamo al banco."})
    assert spanish["detectedLanguage"] == "es" and spanish["intent"] == "cancel_escalate"
    unrelated = client.mutation("ai.classifyTicket", {"subject": "The mobile app crashes on start"})
    assert unrelated["intent"] == "not_cancel"

    await db.execute(
        "UPDATE organizations SET ai_settings = $2::jsonb WHERE id = $1",
        org.id,
        '{"intentTaxonomy": [{"name": "shipping", "description": "Where is my order, delivery and tracking"},'
        ' {"name": "returns", "description": "Sending a product back for a refund or exchange"}]}',
    )
    custom = client.mutation("ai.classifyTicket", {"subject": "Where is my parcel?", "description": "The tracking number shows nothing for a week."})
    assert custom["intent"] == "shipping"


async def test_a_model_outside_the_allow_list_is_refused_uncharged(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, client = await member_client(db, live_server, plan="business", role="admin")
    # The local engine's own name is no override at all.
    same = client.mutation("ai.classifyTicket", {"subject": "Cancel please", "model": LOCAL_MODEL, "systemPrompt": "Be strict."})
    assert same["intent"].startswith("cancel")
    before = await operations_counted(db, org.id)
    # This server names no hosted model, so only the local engine is allowed: anything else is
    # bad input naming the allowed models, and the operation is not charged.
    for procedure, model in (("ai.classifyTicket", "openai/gpt-4o"), ("ai.testPrompts", "ollama/probe")):
        input = {"subject": "Cancel please", "model": model} if procedure == "ai.classifyTicket" else {"model": model}
        with pytest.raises(TRPCClientError) as caught:
            client.mutation(procedure, input)
        assert caught.value.status == 400 and caught.value.code == "BAD_REQUEST"
        assert "$.model" in str(caught.value) and LOCAL_MODEL in str(caught.value)
    assert await operations_counted(db, org.id) == before


async def test_generate_ticket_embedding_stores_the_vector_with_its_model(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, _, client = business
    ticket = new_ticket(client, "Webhook signature mismatch", "Our webhook endpoint rejects every event: bad signature.")
    answer = client.mutation("ai.generateTicketEmbedding", {"ticketId": ticket["id"]})
    assert answer == {"success": True, "tokenCount": answer["tokenCount"], "embeddingDimensions": 512}
    assert answer["tokenCount"] > 0
    row = await db.fetchrow(
        "SELECT model, dimensions, content_hash, vector_dims(embedding) AS dims FROM ticket_embeddings "
        "WHERE org_id = $1 AND ticket_id = $2",
        org.id,
        UUID(ticket["id"]),
    )
    assert (row["model"], row["dimensions"], row["dims"]) == (LOCAL_MODEL, 512, 512)
    assert row["content_hash"] == text_hash(ticket["subject"], ticket["descriptionText"])
    assert "embed" in [row["operation"] for row in await ledger(db, org.id)]


# ---- full assist --------------------------------------------------------------------------------


async def test_reply_suggestions_have_two_tones_and_use_the_best_published_article(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, _, client = business
    new_article(client, "Resetting your password", "Open the login page, choose Forgot password and follow the e-mailed link. Links expire after one hour.", published=True)
    new_article(client, "Internal: password reset escalations", "Draft notes on password reset links and login problems.", published=False)
    ticket = new_ticket(client, "Password reset link does not work", "I asked to reset my password but the link in the e-mail says it expired.")
    answer = client.mutation("ai.generateReplySuggestions", {"ticketId": ticket["id"]})
    suggestions = answer["suggestions"]
    assert len({suggestion["tone"] for suggestion in suggestions}) >= 2
    for suggestion in suggestions:
        assert set(suggestion) == {"text", "tone", "length"} and suggestion["text"].strip()
        assert suggestion["length"] in ("concise", "detailed")
        assert "Internal" not in suggestion["text"]
    assert any("Resetting your password" in suggestion["text"] for suggestion in suggestions)
    assert {"replies", "embed"} <= {row["operation"] for row in await ledger(db, org.id)}


async def test_suggest_assignee_uses_expertise_and_resolved_history_of_active_agents_only(
    db: asyncpg.Pool, live_server: LiveServer
) -> None:
    org = await create_org(db, plan="business")
    billing = await create_user(db, org.id, role="agent", expertise=("billing", "refunds", "invoices"), name="Bea Billing")
    mobile = await create_user(db, org.id, role="admin", expertise=("mobile", "ios", "android"), name="Mo Mobile")
    viewer = await create_user(db, org.id, role="viewer", expertise=("billing", "refunds", "invoices", "charges"), name="Vi Viewer")
    retired = await create_user(db, org.id, role="agent", expertise=("billing", "refunds", "invoices", "charges"), name="Re Tired")
    await db.execute("UPDATE users SET active = false WHERE org_id = $1 AND id = $2", org.id, retired.id)
    outsider_org = await create_org(db, plan="business")
    await create_user(db, outsider_org.id, role="agent", expertise=("billing", "refunds", "invoices", "charges"))
    client = await asyncio.to_thread(login, live_server, mobile)

    answer = client.mutation(
        "ai.suggestAssignee",
        {"subject": "Refund for a double charge", "description": "I was billed twice on my invoice and want a refund."},
    )
    suggestion = answer["suggestion"]
    assert set(suggestion) == {"agentId", "agentName", "confidence", "reasoning"}
    assert suggestion["agentId"] == str(billing.id) and suggestion["agentName"] == "Bea Billing"
    assert 0 < suggestion["confidence"] <= 1 and suggestion["reasoning"]

    app_crash = client.mutation(
        "ai.suggestAssignee", {"subject": "iOS app crashes", "description": doc("The iPhone app closes right after launch on iOS 17.")}
    )
    assert app_crash["suggestion"]["agentId"] == str(mobile.id)
    suggested = {answer["suggestion"]["agentId"], app_crash["suggestion"]["agentId"]}
    assert not suggested & {str(viewer.id), str(retired.id)}


async def test_suggest_assignee_learns_from_resolved_tickets(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org = await create_org(db, plan="business")
    expert = await create_user(db, org.id, role="agent", name="Quiet Expert")  # no expertise tags at all
    await create_user(db, org.id, role="agent", name="Someone Else")
    client = await asyncio.to_thread(login, live_server, expert)
    for subject, text in (
        ("SSO login fails with SAML error", "Okta SAML assertion is rejected when users sign in."),
        ("SAML single sign-on broken", "Azure AD SSO returns an invalid SAML response."),
        ("Cannot sign in through SSO", "Our identity provider login loops back to the sign-in page."),
    ):
        ticket = new_ticket(client, subject, text)
        client.mutation("tickets.update", {"id": ticket["id"], "status": "resolved", "assigneeId": str(expert.id)})
        await wait_for_embedding(db, org.id, ticket)
    answer = client.mutation(
        "ai.suggestAssignee", {"subject": "SAML SSO sign-in error", "description": "Every user gets a SAML error from our IdP."}
    )
    assert answer["suggestion"] is not None and answer["suggestion"]["agentId"] == str(expert.id)
    assert "Resolved 3" in answer["suggestion"]["reasoning"]


async def test_suggest_assignee_answers_null_when_nobody_fits(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org = await create_org(db, plan="business")
    agent = await create_user(db, org.id, role="agent")  # no expertise, no history
    client = await asyncio.to_thread(login, live_server, agent)
    answer = client.mutation("ai.suggestAssignee", {"subject": "Printer on fire", "description": "Literally."})
    assert answer == {"suggestion": None, "suggestionId": answer["suggestionId"]}


async def test_suggest_articles_published_only_and_empty_when_nothing_fits(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, _, client = business
    password = new_article(client, "Troubleshooting password reset", "If the reset link expired, request a new one. Clear cookies if the login page loops.", published=True)
    new_article(client, "Password reset (draft)", "Unpublished notes about password reset links expiring.", published=False)
    new_article(client, "Office holiday hours", "Our office is closed on public holidays in December.", published=True)
    ticket = new_ticket(client, "Password reset link expired", "The reset link says it expired when I click it.")
    answer = client.mutation("ai.suggestArticles", {"ticketId": ticket["id"]})
    suggestions = answer["suggestions"]
    assert suggestions and suggestions[0]["articleId"] == password["id"]
    first = suggestions[0]
    assert set(first) == {"articleId", "relevance", "reasoning", "article"}
    assert first["article"] == {"id": password["id"], "title": password["title"], "content": password["content"]}
    assert 0 < first["relevance"] <= 1 and first["reasoning"]
    assert all(item["article"]["title"] != "Password reset (draft)" for item in suggestions)
    assert [item["relevance"] for item in suggestions] == sorted((item["relevance"] for item in suggestions), reverse=True)

    unrelated = new_ticket(client, "Webhook payload signature", "The HMAC of webhook deliveries does not verify with our secret.")
    assert client.mutation("ai.suggestArticles", {"ticketId": unrelated["id"]})["suggestions"] == []


async def test_analyze_ticket_is_one_operation_and_stores_summary_and_tags(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, _, client = business
    new_ticket(client, "Card charged twice", "Billing problem with my invoice.", tags=["billing"])
    ticket = new_ticket(
        client, "Charged twice for my subscription", "You billed my card twice this month, please refund one charge!", tags=["vip"]
    )
    before = await operations_counted(db, org.id)
    answer = client.mutation("ai.analyzeTicket", {"ticketId": ticket["id"]})
    assert set(answer) == {"summary", "priority", "tags", "sentiment", "suggestionId"}
    assert set(answer["priority"]) == {"priority", "confidence", "reasoning"}
    assert set(answer["sentiment"]) == {"sentiment", "score", "emotions", "urgency"}
    assert answer["summary"].strip() and answer["tags"]
    row = await db.fetchrow("SELECT ai_summary, tags FROM tickets WHERE org_id = $1 AND id = $2", org.id, UUID(ticket["id"]))
    assert row["ai_summary"] == answer["summary"]
    assert row["tags"][0] == "vip" and set(answer["tags"]) <= set(row["tags"])
    assert "billing" in answer["tags"]
    assert await operations_counted(db, org.id) == before + 1
    assert [r["operation"] for r in await ledger(db, org.id)].count("analyze") == 1


async def test_find_similar_tickets_searches_all_of_the_organizations_tickets(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient], live_server: LiveServer
) -> None:
    org, _, client = business
    passwords = [
        new_ticket(client, "Password reset email never arrives", "I requested a password reset but no email came."),
        new_ticket(client, "Reset link for password is broken", "Clicking the password reset link shows an error page."),
        new_ticket(client, "Forgot my password", "How can I reset my password? The reset email is missing."),
    ]
    billing = [
        new_ticket(client, "Charged twice", "My credit card was billed twice for the same invoice."),
        new_ticket(client, "Refund request", "Please refund the duplicate payment on my card."),
    ]
    for ticket in passwords + billing:
        await wait_for_embedding(db, org.id, ticket)
    # Another organization holds a ticket identical to the query: the nearest possible vector.
    other_org, _, other_client = await member_client(db, live_server, plan="business")
    twin = new_ticket(other_client, passwords[0]["subject"], passwords[0]["description"])
    await wait_for_embedding(db, other_org.id, twin)

    answer = client.mutation("ai.findSimilarTickets", {"ticketId": passwords[0]["id"], "limit": 3})
    matches = answer["similarTickets"]
    ids = [match["ticketId"] for match in matches]
    assert passwords[0]["id"] not in ids and twin["id"] not in ids
    # The billing tickets fall under the floor: no "match" is better than an unrelated one.
    assert set(ids) == {passwords[1]["id"], passwords[2]["id"]}
    for match in matches:
        assert set(match) == {"ticketId", "similarity", "reasoning", "ticket"}
        assert 0 <= match["similarity"] <= 1 and match["reasoning"]
        assert match["ticket"]["id"] == match["ticketId"] and set(match["ticket"]) == {"id", "subject", "status", "priority"}
    assert [m["similarity"] for m in matches] == sorted((m["similarity"] for m in matches), reverse=True)
    assert len(client.mutation("ai.findSimilarTickets", {"ticketId": passwords[0]["id"], "limit": 1})["similarTickets"]) == 1
    # The ledger shows the operation even though no model call was needed.
    assert "rank" in [row["operation"] for row in await ledger(db, org.id)]


async def test_find_similar_tickets_embeds_a_ticket_without_a_vector_first(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]
) -> None:
    org, _, client = business
    known = new_ticket(client, "Export to CSV fails", "The CSV export stops halfway with an error.")
    await wait_for_embedding(db, org.id, known)
    bare = await insert_ticket_without_embedding(db, org.id, "CSV export error", "Exporting tickets as CSV fails every time.")
    assert await embedding_hash(db, org.id, bare) is None

    answer = client.mutation("ai.findSimilarTickets", {"ticketId": bare})
    assert [match["ticketId"] for match in answer["similarTickets"]] == [known["id"]]
    assert await embedding_hash(db, org.id, bare) == text_hash("CSV export error", "Exporting tickets as CSV fails every time.")
    assert "embed" in [row["operation"] for row in await ledger(db, org.id)]


async def test_a_changed_ticket_is_re_embedded_in_the_background(db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]) -> None:
    org, _, client = business
    ticket = new_ticket(client, "Slow dashboard", "The dashboard takes a minute to load.")
    await wait_for_embedding(db, org.id, ticket)
    changed = client.mutation("tickets.update", {"id": ticket["id"], "subject": "Dashboard times out"})
    await wait_for_embedding(db, org.id, changed)


# ---- ai.run and the prompt playground -------------------------------------------------------------


async def test_ai_run_actions(db: asyncpg.Pool, business: tuple[Org, User, TRPCClient]) -> None:
    org, _, client = business
    new_ticket(client, "Invoice question", "Billing: my invoice total looks wrong.", tags=["billing"])
    ticket = new_ticket(client, "Billed twice", "I was billed twice on my invoice this month.", tags=["urgent-customer"])

    summary = client.mutation("ai.run", {"action": "summarize", "ticketId": ticket["id"]})
    assert summary["object"] == "ai_result" and summary["action"] == "summarize" and summary["result"]["summary"]
    assert await db.fetchval("SELECT ai_summary FROM tickets WHERE id = $1", UUID(ticket["id"])) == summary["result"]["summary"]

    tagged = client.mutation("ai.run", {"action": "auto-tag", "ticketId": ticket["id"]})
    assert tagged["action"] == "auto-tag" and "billing" in tagged["result"]["tags"]
    stored_tags = await db.fetchval("SELECT tags FROM tickets WHERE id = $1", UUID(ticket["id"]))
    assert stored_tags == tagged["result"]["ticketTags"] and stored_tags[0] == "urgent-customer"
    assert set(tagged["result"]["tags"]) <= set(stored_tags)

    reply = client.mutation("ai.run", {"action": "suggest-reply", "ticketId": ticket["id"]})
    assert reply["result"]["suggestion"] == reply["result"]["suggestions"][0]["text"]

    improved = client.mutation("ai.run", {"action": "improve", "text": "thx, fixed now"})
    assert improved == {
        "object": "ai_result",
        "action": "improve",
        "result": {"text": improved["result"]["text"], "suggestionId": improved["result"]["suggestionId"]},
    }
    assert error_code(lambda: client.mutation("ai.run", {"action": "improve"})) == "BAD_REQUEST"
    for_ticket = client.mutation("ai.run", {"action": "improve", "text": "thx, fixed now", "ticketId": ticket["id"]})
    assert for_ticket["result"]["text"]
    unknown = {"action": "improve", "text": "thx, fixed now", "ticketId": str(uuid4())}
    assert error_code(lambda: client.mutation("ai.run", unknown)) == "NOT_FOUND"
    assert error_code(lambda: client.mutation("ai.run", {"action": "summarize"})) == "BAD_REQUEST"
    assert error_code(lambda: client.mutation("ai.run", {"action": "translate", "text": "x"})) == "BAD_REQUEST"


async def test_test_prompts_classifies_the_organizations_tagged_tickets(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, admin, client = await member_client(db, live_server, plan="business", role="admin")
    cancel = new_ticket(client, "Cancel my plan", "Please cancel my subscription.", tags=["canc_queue"])
    refund = new_ticket(client, "Cancel and refund", "Cancel now and refund the last charge or I dispute it.", tags=["canc_queue"])
    new_ticket(client, "Login broken", "Cannot log in.", tags=["login"])
    other_org, _, other_client = await member_client(db, live_server, plan="business", role="admin")
    new_ticket(other_client, "Cancel elsewhere", "Please cancel.", tags=["canc_queue"])

    answer = client.mutation("ai.testPrompts", {"tag": "canc_queue", "systemPrompt": "Classify carefully."})
    assert set(answer) == {"results", "total", "model", "testedAt"}
    assert answer["total"] == 2 and answer["model"] == LOCAL_MODEL
    assert {result["ticketId"] for result in answer["results"]} == {cancel["id"], refund["id"]}
    by_id = {result["ticketId"]: result for result in answer["results"]}
    assert by_id[cancel["id"]]["classification"]["intent"] == "cancel_request"
    assert by_id[refund["id"]]["classification"]["intent"] == "cancel_escalate"
    for result in answer["results"]:
        assert result["error"] is None and "canc_queue" in result["tags"] and result["status"] == "open"
    agent = await create_user(db, org.id, role="agent")
    agent_client = await asyncio.to_thread(login, live_server, agent)
    forbidden(lambda: agent_client.mutation("ai.testPrompts", {"tag": "canc_queue"}))


# ---- usage ----------------------------------------------------------------------------------------


async def test_get_token_usage_for_viewers_on_any_plan_and_not_metered(
    db: asyncpg.Pool, business: tuple[Org, User, TRPCClient], live_server: LiveServer
) -> None:
    org, _, client = business
    client.mutation("ai.analyzeSentiment", {"text": "Great service"})
    client.mutation("ai.improveText", {"text": "thanks for waiting"})
    viewer = await create_user(db, org.id, role="viewer")
    viewer_client = await asyncio.to_thread(login, live_server, viewer)
    before = await operations_counted(db, org.id)
    report = viewer_client.query("ai.getTokenUsage")
    assert [record["operation"] for record in report["usage"]] == ["improve", "sentiment"]  # newest first
    assert report["totals"]["totalTokens"] == sum(record["totalTokens"] for record in report["usage"]) > 0
    grouped = viewer_client.query("ai.getTokenUsage", {"groupBy": "operation", "startDate": "2000-01-01"})
    assert {group["operation"] for group in grouped["usage"]} == {"improve", "sentiment"}
    assert {group["kind"] for group in grouped["usage"]} == {"operationGroup"}
    # Time buckets come back as Dates (superjson), at the start of the bucket.
    by_day = viewer_client.query("ai.getTokenUsage", {"groupBy": "day"})
    assert by_day["usage"] and all(set(group) >= {"period", "operations", "totalTokens"} for group in by_day["usage"])
    today = by_day["usage"][0]["period"]
    assert isinstance(today, datetime) and (today.hour, today.minute, today.second) == (0, 0, 0)
    assert viewer_client.query("ai.getTokenUsage", {"groupBy": "month"})["usage"][0]["period"].day == 1
    assert set(viewer_client.query("ai.getTokenUsage", {"groupBy": "model"})["usage"][0]) >= {"model", "kind"}
    assert viewer_client.query("ai.getTokenUsage", {"endDate": "2000-01-01"})["usage"] == []
    assert error_code(lambda: viewer_client.query("ai.getTokenUsage", {"startDate": "yesterday"})) == "BAD_REQUEST"
    assert await operations_counted(db, org.id) == before

    _, _, free_viewer = await member_client(db, live_server, plan="free", role="viewer")
    assert free_viewer.query("ai.getTokenUsage")["usage"] == []


# ---- plans, roles and tenancy -----------------------------------------------------------------------


def sample_inputs(ticket_id: str) -> dict[str, dict[str, Any]]:
    """A valid input for every metered ai.* procedure."""
    return {
        "ai.summarizeTicket": {"ticketId": ticket_id},
        "ai.analyzeSentiment": {"text": "I am upset"},
        "ai.predictPriority": {"subject": "Down", "description": "Site down"},
        "ai.suggestTags": {"subject": "Billing", "description": "Invoice wrong"},
        "ai.improveText": {"text": "thx"},
        "ai.classifyTicket": {"subject": "Cancel please"},
        "ai.generateTicketEmbedding": {"ticketId": ticket_id},
        "ai.generateReplySuggestions": {"ticketId": ticket_id},
        "ai.suggestAssignee": {"ticketId": ticket_id, "subject": "Billing", "description": "Invoice wrong"},
        "ai.suggestArticles": {"ticketId": ticket_id},
        "ai.analyzeTicket": {"ticketId": ticket_id},
        "ai.findSimilarTickets": {"ticketId": ticket_id},
        "ai.run": {"action": "summarize", "ticketId": ticket_id},
        "ai.testPrompts": {},
    }


def test_every_ai_procedure_is_declared_as_the_catalog_says() -> None:
    registry = load_procedures()
    ai = {path: proc for path, proc in registry.items() if path.startswith("ai.")}
    assert set(ai) == {*sample_inputs(str(uuid4())), "ai.getTokenUsage", "ai.feedback", "ai.getFeedbackStats", "ai.streamReply"}
    basic = {"ai.summarizeTicket", "ai.analyzeSentiment", "ai.predictPriority", "ai.suggestTags", "ai.improveText",
             "ai.classifyTicket", "ai.generateTicketEmbedding", "ai.run"}
    for path, proc in ai.items():
        if path in ("ai.getTokenUsage", "ai.getFeedbackStats"):
            assert (proc.kind, proc.metered, proc.feature, proc.role) == ("query", False, None, "viewer")
            continue
        if path == "ai.feedback":
            # A person's verdict on a suggestion: no model runs, nothing is metered.
            assert (proc.kind, proc.metered, proc.feature, proc.role) == ("mutation", False, None, "agent")
            continue
        if path == "ai.streamReply":
            # Metered like ai.generateReplySuggestions, as a subscription (tests/test_stream_reply.py).
            assert (proc.kind, proc.metered, proc.scope, proc.feature, proc.role, row_id_fields(proc)) == (
                "subscription", True, "ai:run", "full", "agent", ("ticketId",)
            )
            continue
        assert proc.kind == "mutation" and proc.metered and proc.scope == "ai:run"
        assert proc.feature == ("basic" if path in basic else "full"), path
        assert proc.role == ("admin" if path == "ai.testPrompts" else "agent"), path
        assert ("ticketId" in row_id_fields(proc)) == ("ticketId" in sample_inputs("x")[path]), path


@pytest.mark.parametrize("plan", ["free", "pro", "business"])
async def test_plan_gates(db: asyncpg.Pool, live_server: LiveServer, plan: str) -> None:
    org, _, client = await member_client(db, live_server, plan=plan, role="admin")
    ticket = new_ticket(client, "Billing question", "My invoice is wrong.")
    for path, value in sample_inputs(ticket["id"]).items():
        feature = REGISTRY[path].feature
        allowed = plan == "business" or (plan == "pro" and feature == "basic")
        if allowed:
            client.mutation(path, value)
        else:
            error = forbidden(lambda path=path, value=value: client.mutation(path, value))
            assert error.data["plan"] == plan
    if plan == "pro":
        # ai.run is a basic procedure, but its suggest-reply action is full assist.
        error = forbidden(lambda: client.mutation("ai.run", {"action": "suggest-reply", "ticketId": ticket["id"]}))
        assert error.data["feature"] == "full"
    assert await operations_counted(db, org.id) == {"free": 0, "pro": 8, "business": 14}[plan]


async def test_viewers_cannot_run_ai(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org, _, viewer = await member_client(db, live_server, plan="business", role="viewer")
    ticket_id = await insert_ticket_without_embedding(db, org.id, "Billing", "Invoice wrong")
    for path, value in sample_inputs(ticket_id).items():
        forbidden(lambda path=path, value=value: viewer.mutation(path, value))
    read_key = await create_api_key(db, org.id, ("ticket:read",))
    keyed = TRPCClient(live_server.url, headers={"authorization": f"Bearer {read_key}"})
    forbidden(lambda: keyed.mutation("ai.analyzeSentiment", {"text": "hi"}))
    ai_key = await create_api_key(db, org.id, ("ai:run",))
    ai_client = TRPCClient(live_server.url, headers={"authorization": f"Bearer {ai_key}"})
    assert ai_client.mutation("ai.analyzeSentiment", {"text": "hi"})["sentiment"] in ("positive", "neutral", "negative")
    key_rows = [row for row in await ledger(db, org.id) if row["api_key_id"] is not None]
    assert len(key_rows) == 1 and key_rows[0]["user_id"] is None


async def test_another_organizations_ticket_is_not_found_and_costs_nothing(db: asyncpg.Pool, live_server: LiveServer) -> None:
    org_a, _, client_a = await member_client(db, live_server, plan="business", role="admin")
    ticket = new_ticket(client_a, "Secret ticket", "Only organization A may see this.", tags=["a-only"])
    await wait_for_embedding(db, org_a.id, ticket)
    org_b, _, client_b = await member_client(db, live_server, plan="business", role="admin")
    random_id = str(uuid4())
    for path, value in sample_inputs(ticket["id"]).items():
        if "ticketId" not in value:
            continue
        foreign = error_code(lambda path=path, value=value: client_b.mutation(path, value))
        missing = error_code(lambda path=path, value=value: client_b.mutation(path, {**value, "ticketId": random_id}))
        assert foreign == missing == "NOT_FOUND", path
    assert await operations_counted(db, org_b.id) == 0 and await ledger(db, org_b.id) == []
    row = await db.fetchrow("SELECT ai_summary, tags FROM tickets WHERE id = $1", UUID(ticket["id"]))
    assert row["ai_summary"] is None and list(row["tags"]) == ["a-only"]
    # Org B's prompt playground never sees org A's tagged tickets.
    assert client_b.mutation("ai.testPrompts", {"tag": "a-only"})["results"] == []


# ---- a hosted model that fails --------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.fixture(scope="module")
def unreachable_model_server(database_url: str) -> Iterator[LiveServer]:
    server = start_app(
        database_url,
        AI_MODEL="openai/x",
        OPENAI_API_BASE=f"http://127.0.0.1:{_closed_port()}/v1",
        OPENAI_API_KEY="sk-test-not-a-real-key",
        AI_NUM_RETRIES="0",
        AI_TIMEOUT_SECONDS="5",
    )
    yield server
    server.stop()


async def test_a_failed_model_call_changes_nothing_and_is_not_charged(
    db: asyncpg.Pool, unreachable_model_server: LiveServer
) -> None:
    org, _, client = await member_client(db, unreachable_model_server, plan="pro", role="agent")
    ticket = new_ticket(client, "Cannot export", "Export fails.", tags=["export"])
    before = await operations_counted(db, org.id)
    for path, value in (
        ("ai.summarizeTicket", {"ticketId": ticket["id"]}),
        ("ai.run", {"action": "auto-tag", "ticketId": ticket["id"]}),
        ("ai.analyzeSentiment", {"text": "This is terrible"}),
    ):
        with pytest.raises(TRPCClientError) as caught:
            client.mutation(path, value)
        assert caught.value.code == "INTERNAL_SERVER_ERROR"
        assert "sk-test" not in caught.value.message and "127.0.0.1" not in caught.value.message
    assert await operations_counted(db, org.id) == before
    row = await db.fetchrow("SELECT ai_summary, tags FROM tickets WHERE id = $1", UUID(ticket["id"]))
    assert row["ai_summary"] is None and list(row["tags"]) == ["export"]
    assert [r for r in await ledger(db, org.id) if r["operation"] != "embed"] == []


# ---- embeddings kept current: the backfill script -------------------------------------------------


async def test_backfill_embeds_every_ticket_and_article_lacking_a_current_vector(
    db: asyncpg.Pool, database_url: str
) -> None:
    org = await create_org(db, plan="business")
    tickets = [await insert_ticket_without_embedding(db, org.id, f"Imported ticket {n}", f"Body of imported ticket {n}.") for n in range(7)]
    article = await db.fetchval(
        "INSERT INTO articles (org_id, title, content, published) VALUES ($1, 'Guide', 'How to do it.', false) RETURNING id", org.id
    )
    # One ticket already has a vector, but of an older text: it is stale and must be redone.
    await db.execute("UPDATE tickets SET subject = 'Imported ticket 0 (edited)' WHERE id = $1", UUID(tickets[0]))
    await db.execute(
        "INSERT INTO ticket_embeddings (org_id, ticket_id, model, dimensions, embedding, content_hash) "
        "VALUES ($1, $2, $3, 3, '[1,0,0]', 'stale')",
        org.id,
        UUID(tickets[0]),
        LOCAL_MODEL,
    )
    command = [sys.executable, "-m", "scripts.backfill_embeddings", "--org", org.slug, "--batch-size", "3"]
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test", "DATA_DIR": tempfile.mkdtemp(), "HF_HUB_OFFLINE": "1"}
    done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "tickets: 7 embedded of 7" in done.stdout and "articles: 1 embedded of 1" in done.stdout
    rows = await db.fetch(
        "SELECT t.subject, t.description_text, e.content_hash, e.dimensions FROM tickets t "
        "JOIN ticket_embeddings e ON e.org_id = t.org_id AND e.ticket_id = t.id AND e.model = $2 WHERE t.org_id = $1",
        org.id,
        LOCAL_MODEL,
    )
    assert len(rows) == 7
    assert all(row["content_hash"] == text_hash(row["subject"], row["description_text"]) and row["dimensions"] == 512 for row in rows)
    assert await db.fetchval("SELECT count(*) FROM article_embeddings WHERE org_id = $1 AND article_id = $2", org.id, article) == 1
    # Nothing is left: a second run embeds nothing.
    again = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "tickets: 0 embedded of 0" in again.stdout
    unknown = await asyncio.to_thread(
        subprocess.run, [*command[:4], "no-such-org"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert unknown.returncode == 2 and "no organization" in unknown.stderr


# ---- the organization's AI settings ---------------------------------------------------------------


def test_ai_settings_are_read_leniently_field_by_field() -> None:
    settings = settings_from_json(
        '{"model": " openai/gpt-4o ", "fallbackModels": ["a", "", "a", "b"], "embeddingModel": "",'
        ' "systemPrompts": {"classify": "Be strict.", "unknown_op": "x", "summarize": "  "},'
        ' "redactPii": "yes", "replyTone": "formal", "language": "de",'
        ' "intentTaxonomy": [{"name": "shipping", "description": "Orders"}, {"name": "shipping", "description": "dup"}]}'
    )
    engine = settings.engine
    assert engine.model == "openai/gpt-4o" and engine.fallback_models == ("a", "b") and engine.embedding_model is None
    assert engine.system_prompts == {"classify": "Be strict."}
    assert engine.redact_pii is True  # "yes" is not a boolean: the default stays
    assert (engine.reply_tone, engine.language) == ("formal", "de")
    assert [intent.name for intent in settings.intent_taxonomy] == ["shipping"]
    defaults = settings_from_json("{}")
    assert [intent.name for intent in defaults.intent_taxonomy] == [
        "cancel_request", "cancel_escalate", "cancel_info", "pause_active", "not_cancel"
    ]
    assert settings_from_json('{"intentTaxonomy": []}').intent_taxonomy == defaults.intent_taxonomy
    assert settings_from_json('{"intentTaxonomy": "nonsense"}').intent_taxonomy == defaults.intent_taxonomy
    assert settings_from_json("not json") == settings_from_json(None) == defaults


# ---- a hosted model -------------------------------------------------------------------------------


async def test_a_hosted_model_answers_and_its_token_counts_reach_the_ledger(db: asyncpg.Pool, hosted: HostedApp) -> None:
    org, client, ticket = await hosted.agent_with_ticket(db, "Login fails", "I cannot log in since the update.")
    hosted.fake.queue_chat(json_answer({"summary": "The customer cannot log in since the update."}))
    answer = client.mutation("ai.summarizeTicket", {"ticketId": ticket["id"]})
    assert answer["summary"] == "The customer cannot log in since the update."
    assert hosted.fake.chat_models == ["gpt-test"]  # litellm drops the provider prefix
    rows = [row for row in await ledger(db, org.id) if row["operation"] == "summarize"]
    assert len(rows) == 1 and rows[0]["model"] == "openai/gpt-test"
    assert rows[0]["prompt_tokens"] > 0 and rows[0]["completion_tokens"] > 0

    # The organization's own model wins over the deployment's; vectors stay with the local engine.
    await db.execute("UPDATE organizations SET ai_settings = '{\"model\": \"openai/gpt-org\"}' WHERE id = $1", org.id)
    client.mutation("ai.predictPriority", {"subject": "Down", "description": "Everything is down"})
    assert hosted.fake.chat_models[-1] == "gpt-org"
    client.mutation("ai.findSimilarTickets", {"ticketId": ticket["id"]})
    assert hosted.fake.embedding_requests == []
    assert {row["model"] for row in await ledger(db, org.id) if row["operation"] == "embed"} == {LOCAL_MODEL}

    # The prompt playground's overrides reach the model: its name and the classify system prompt.
    hosted.fake.queue_chat(json_answer({"intent": "cancel_request", "confidence": 0.9, "reasoning": "asks to cancel", "detectedLanguage": "en"}))
    answer = client.mutation(
        "ai.classifyTicket", {"subject": "Cancel my plan", "model": "openai/gpt-candidate", "systemPrompt": "You are a strict classifier."}
    )
    assert answer == {
        "intent": "cancel_request", "confidence": 0.9, "reasoning": "asks to cancel", "detectedLanguage": "en",
        "suggestionId": answer["suggestionId"],
    }  # fmt: skip
    request = hosted.fake.chat_requests[-1]
    assert request["model"] == "gpt-candidate"
    assert request["messages"][0] == {"role": "system", "content": "You are a strict classifier."}


async def test_a_model_outside_the_allow_list_opens_no_connection(db: asyncpg.Pool, hosted: HostedApp) -> None:
    org, _, client = await member_client(db, hosted.server, plan="business", role="admin")
    before = await operations_counted(db, org.id)
    requests_before = len(hosted.fake.chat_requests)
    for procedure, input in (
        ("ai.classifyTicket", {"subject": "Cancel my plan", "model": "openai/gpt-unlisted"}),
        ("ai.testPrompts", {"model": "openai/gpt-unlisted"}),
        ("ai.classifyTicket", {"subject": "Cancel my plan", "model": "ollama/probe"}),
    ):
        with pytest.raises(TRPCClientError) as caught:
            client.mutation(procedure, input)
        assert caught.value.status == 400 and caught.value.code == "BAD_REQUEST"
        for allowed in (*HOSTED_MODELS, LOCAL_MODEL):
            assert allowed in caught.value.message
    # The hosted endpoint (the fake OpenAI server every openai/* name goes to) saw nothing.
    assert len(hosted.fake.chat_requests) == requests_before
    assert await operations_counted(db, org.id) == before
    # A stored organization model the list no longer holds is ignored, never called.
    await db.execute("UPDATE organizations SET ai_settings = '{\"model\": \"openai/gpt-removed\"}' WHERE id = $1", org.id)
    hosted.fake.queue_chat(json_answer({"priority": "high", "confidence": 0.8, "reasoning": "outage"}))
    client.mutation("ai.predictPriority", {"subject": "Down", "description": "Everything is down"})
    assert hosted.fake.chat_models[-1] == "gpt-test"


async def test_the_article_text_query_is_always_valid_tsquery(db: asyncpg.Pool) -> None:
    for text in (
        "I don't get the e-mail; l'application ne marche pas (urgent!) & nothing | works",
        "Rückerstattung für die doppelte Abbuchung: 'refund' \"now\" :* <-> !not",
        "a b c",
        "",
    ):
        query = text_search_query(text)
        if query is None:
            assert not [word for word in text.split() if len(word) >= 4 and word.isalpha()]
            continue
        assert await db.fetchval("SELECT to_tsquery('simple', $1)::text <> ''", query)
    assert text_search_query("charged twice for invoices") == "charg:* | twice | invoic:*"


async def test_scheduled_refreshes_coalesce_and_embed_the_latest_text(db: asyncpg.Pool, tmp_path: Any) -> None:
    """schedule_ticket_embedding in-process: it returns at once, a second schedule while a refresh
    is pending becomes one more pass over the latest text, and the vector lands with its ledger
    rows. A free plan's edits schedule nothing."""
    org = await create_org(db, plan="business")
    user = await create_user(db, org.id)
    ticket_id = UUID(await insert_ticket_without_embedding(db, org.id, "Original subject", "Original body."))
    settings = load_settings({"DATABASE_URL": "postgresql://unused", "APP_ENV": "test", "DATA_DIR": str(tmp_path)})
    services = Services(settings=settings, pool=db, local_engine=LocalEngine())
    request = RequestInfo(
        method="POST", headers={}, cookies={}, client_address=None, origin_trusted=True, cookies_deliverable=True
    )

    def context(org_id: UUID, plan: str, features: str) -> Context:
        caller = Caller(org_id=org_id, user_id=user.id, role="agent", plan=plan, ai_features=features)  # type: ignore[arg-type]
        return Context(services=services, request=request, path="tickets.update", effects=ResponseEffects(), caller=caller)

    ctx = context(org.id, "business", "full")
    key = (org.id, ticket_id)
    # Hold every refresh slot, so the scheduled refresh waits while the ticket changes again.
    gate = embedding_refresh._gate()
    for _ in range(embedding_refresh.REFRESH_CONCURRENCY):
        await gate.acquire()
    schedule_ticket_embedding(ctx, org.id, ticket_id)
    first = embedding_refresh._running[key]
    await db.execute("UPDATE tickets SET subject = 'Edited subject' WHERE org_id = $1 AND id = $2", org.id, ticket_id)
    schedule_ticket_embedding(ctx, org.id, ticket_id)
    assert embedding_refresh._running[key] is first  # one more pass of the same task, not a second task
    for _ in range(embedding_refresh.REFRESH_CONCURRENCY):
        gate.release()
    await asyncio.gather(*list(embedding_refresh._running.values()))

    assert await embedding_hash(db, org.id, str(ticket_id)) == text_hash("Edited subject", "Original body.")
    rows = await ledger(db, org.id)
    assert rows and {(row["operation"], row["user_id"]) for row in rows} == {("embed", user.id)}

    free = await create_org(db, plan="free")
    free_ticket = UUID(await insert_ticket_without_embedding(db, free.id, "Free", "No AI here."))
    schedule_ticket_embedding(context(free.id, "free", "none"), free.id, free_ticket)
    assert not embedding_refresh._running
    # A caller of another organization than the ticket's schedules nothing either.
    schedule_ticket_embedding(ctx, free.id, free_ticket)
    assert not embedding_refresh._running
