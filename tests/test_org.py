"""org.*: the organization's name and AI settings; the plan changes only through the operator's script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from app.assist.settings import settings_from_json
from tests.support.factories import create_api_key, create_org, member_client
from tests.support.servers import ROOT, start_app
from tests.support.trpc import TRPCClient, TRPCClientError, error_of

DEFAULT_AI_SETTINGS: dict[str, Any] = {
    "model": None,
    "fallbackModels": [],
    "embeddingModel": None,
    "systemPrompts": {},
    "intentTaxonomy": [],
    "autoTriage": False,
    "autoTriageApply": ["priority", "tags"],
    "autoTriageAssigneeMinConfidence": 0.7,
    "keepFeedbackText": False,
    "redactPii": True,
    "replyTone": "friendly",
    "language": None,
}


async def stored_org(db, org_id) -> tuple:
    row = await db.fetchrow("SELECT name, plan, ai_settings, updated_at FROM organizations WHERE id = $1", org_id)
    return tuple(row.values())


async def test_an_admin_reads_the_organization(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin", plan="pro")
    found = client.query("org.get")
    assert (found["id"], found["name"], found["slug"], found["plan"]) == (str(org.id), org.name, org.slug, "pro")
    assert found["aiOperationsLimit"] is None
    assert found["aiSettings"] == DEFAULT_AI_SETTINGS
    assert set(found) == {
        "id", "name", "slug", "plan", "aiOperationsLimit", "billingAnchor", "aiSettings", "createdAt",
        "updatedAt", "allowedModels",
    }
    # Without AI_ALLOWED_MODELS the configured models are the list; the offline engine is one.
    assert found["allowedModels"] and all(isinstance(name, str) and name for name in found["allowedModels"])


@pytest.mark.parametrize("role", ["viewer", "agent"])
async def test_only_admins_read_or_change_the_organization(db, live_server, role):
    org, member, client = await member_client(db, live_server, role=role)
    before = await stored_org(db, org.id)
    assert error_of(client.query, "org.get").code == "FORBIDDEN"
    assert error_of(client.mutation, "org.update", {"name": "Taken over"}).code == "FORBIDDEN"
    assert await stored_org(db, org.id) == before


# A deployment that lets organizations pick two hosted models besides the local engine.
ALLOWED_MODELS = ("gpt-4o-mini", "claude-3-haiku", "local/use-m-v3")


@pytest.fixture(scope="module")
def models_server(database_url):
    server = start_app(database_url, AI_ALLOWED_MODELS=",".join(ALLOWED_MODELS))
    yield server
    server.stop()


async def test_update_changes_only_what_it_names(db, models_server):
    org, admin, client = await member_client(db, models_server, role="admin")
    first = client.mutation(
        "org.update",
        {
            "name": "  Renamed Support  ",
            "aiSettings": {
                "model": "gpt-4o-mini",
                "fallbackModels": ["claude-3-haiku"],
                "systemPrompts": {"summarize": "Summarize for a busy manager."},
                "intentTaxonomy": [{"name": "refund_request", "description": "wants money back"}],
                "autoTriage": True,
            },
        },
    )
    assert first["name"] == "Renamed Support"
    second = client.mutation("org.update", {"aiSettings": {"replyTone": "formal", "model": None}})
    assert second["name"] == "Renamed Support"
    assert second["aiSettings"] == {
        **DEFAULT_AI_SETTINGS,
        "fallbackModels": ["claude-3-haiku"],
        "systemPrompts": {"summarize": "Summarize for a busy manager."},
        "intentTaxonomy": [{"name": "refund_request", "description": "wants money back"}],
        "autoTriage": True,
        "replyTone": "formal",
    }
    found = client.query("org.get")
    assert found["aiSettings"] == second["aiSettings"]
    # The pickers offer the deployment's allow-list, in its order, and nothing else.
    assert found["allowedModels"] == second["allowedModels"] == list(ALLOWED_MODELS)

    # The AI procedures read what was stored, through app.assist.settings.
    stored = await db.fetchval("SELECT ai_settings FROM organizations WHERE id = $1", org.id)
    read = settings_from_json(stored)
    assert read.engine.model is None
    assert read.engine.fallback_models == ("claude-3-haiku",)
    assert read.engine.system_prompts == {"summarize": "Summarize for a busy manager."}
    assert read.engine.reply_tone == "formal"
    assert [intent.name for intent in read.intent_taxonomy] == ["refund_request"]
    assert read.auto_triage is True
    # Defaults are not written down, so they follow the product's defaults.
    assert "redactPii" not in json.loads(stored) and "intentTaxonomy" in json.loads(stored)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"model": "ollama/probe"}, "$.aiSettings.model"),
        ({"model": "gpt-4o-mini", "fallbackModels": ["claude-3-haiku", "openai/gpt-4o"]}, "$.aiSettings.fallbackModels[1]"),
        ({"embeddingModel": "openai/text-embedding-3-small"}, "$.aiSettings.embeddingModel"),
    ],
)
async def test_update_refuses_models_outside_the_allow_list(db, models_server, change, named):
    org, admin, client = await member_client(db, models_server, role="admin")
    before = await stored_org(db, org.id)
    error = error_of(client.mutation, "org.update", {"name": "Renamed", "aiSettings": change})
    assert error.code == "BAD_REQUEST"
    assert named in error.message
    # The refusal names what may be picked, so an admin can correct the choice.
    assert all(model in error.message for model in ALLOWED_MODELS)
    assert await stored_org(db, org.id) == before
    # Allowed names (and a blank, meaning "none") pass.
    client.mutation("org.update", {"aiSettings": {"model": " gpt-4o-mini ", "fallbackModels": ["local/use-m-v3"], "embeddingModel": None}})


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"plan": "business"}, "unknown field `plan`"),
        ({"name": ""}, "$.name"),
        ({"aiSettings": {"systemPrompts": {"hack": "x"}}}, "$.aiSettings.systemPrompts"),
        ({"aiSettings": {"systemPrompts": {"summarize": ""}}}, "$.aiSettings.systemPrompts"),
        ({"aiSettings": {"intentTaxonomy": [{"name": "Has Spaces"}]}}, "$.aiSettings.intentTaxonomy"),
        ({"aiSettings": {"fallbackModels": ["a", "b", "c", "d", "e", "f"]}}, "$.aiSettings.fallbackModels"),
        ({"aiSettings": {"autoTriage": "yes"}}, "$.aiSettings.autoTriage"),
        ({"aiSettings": {"language": "xx"}}, "$.aiSettings.language"),
        ({"aiSettings": {"temperature": 2}}, "unknown field `temperature` - at `$.aiSettings`"),
    ],
)
async def test_update_rejects_bad_input_naming_the_field_and_changes_nothing(db, live_server, change, named):
    org, admin, client = await member_client(db, live_server, role="admin")
    before = await stored_org(db, org.id)
    error = error_of(client.mutation, "org.update", change)
    assert error.code == "BAD_REQUEST"
    assert named in error.message
    assert await stored_org(db, org.id) == before


async def test_duplicate_intents_are_refused(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    before = await stored_org(db, org.id)
    intents = [{"name": "refund", "description": "a"}, {"name": "refund", "description": "b"}]
    error = error_of(client.mutation, "org.update", {"aiSettings": {"intentTaxonomy": intents}})
    assert error.code == "BAD_REQUEST" and "aiSettings.intentTaxonomy" in error.message
    assert await stored_org(db, org.id) == before


async def test_an_admin_key_manages_the_organization(db, live_server):
    org = await create_org(db)
    key = await create_api_key(db, org.id, ("admin",))
    client = TRPCClient(live_server.url, headers={"authorization": f"Bearer {key}"})
    assert client.mutation("org.update", {"aiSettings": {"redactPii": False}})["aiSettings"]["redactPii"] is False
    read_key = await create_api_key(db, org.id, ("ticket:read",))
    reader = TRPCClient(live_server.url, headers={"authorization": f"Bearer {read_key}"})
    assert error_of(reader.query, "org.get").code == "FORBIDDEN"


def run_set_plan(database_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test", "SECRET_KEY": "test-secret"}
    return subprocess.run(
        [sys.executable, "-m", "scripts.set_plan", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_plan_changes_through_the_operator_script_and_applies_at_once(db, live_server, database_url):
    org, admin, client = await member_client(db, live_server, role="admin", plan="free")
    assert client.query("auth.me")["plan"]["name"] == "free"

    result = run_set_plan(database_url, org.slug, "pro", "--limit", "1234")
    assert result.returncode == 0, result.stderr
    me = client.query("auth.me")
    assert (me["plan"]["name"], me["plan"]["aiFeatures"], me["usage"]["limit"]) == ("pro", "basic", 1234)

    result = run_set_plan(database_url, org.slug, "business", "--plan-limit")
    assert result.returncode == 0, result.stderr
    assert client.query("org.get")["plan"] == "business"
    assert client.query("auth.me")["usage"]["limit"] is None

    refused = run_set_plan(database_url, org.slug, "platinum")
    assert refused.returncode == 2 and "unknown plan" in refused.stderr
    assert run_set_plan(database_url, "no-such-org", "pro").returncode == 2
    assert client.query("org.get")["plan"] == "business"
