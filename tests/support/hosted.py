"""The live app with its AI on the fake OpenAI server (litellm over real HTTP): the `hosted`
fixture (tests/conftest.py), one per test module that asks for it.

    org, client, ticket = await hosted.agent_with_ticket(db, "Login", "I cannot log in.")
    hosted.fake.queue_chat(json_answer({...}))
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from tests.support.factories import Org, member_client, new_ticket
from tests.support.fake_openai import FakeOpenAI, shared_fake_openai, start_app_on_fake_provider
from tests.support.servers import LiveServer
from tests.support.trpc import TRPCClient


@dataclass(frozen=True)
class HostedApp:
    server: LiveServer
    fake: FakeOpenAI

    async def agent_with_ticket(
        self, db: asyncpg.Pool, subject: str, description: str
    ) -> tuple[Org, TRPCClient, dict[str, Any]]:
        """A business organization's agent, signed in, with one new ticket; the fake provider's script
        and request log start empty (the server and the fake outlive a single test)."""
        self.fake.reset()
        org, _, client = await member_client(db, self.server, plan="business", role="agent")
        return org, client, new_ticket(client, subject, description)


# The chat model is the first; an organization or a call may pick the others (the same fake serves
# every openai/* name), and the local engine.
HOSTED_MODELS = ("openai/gpt-test", "openai/gpt-org", "openai/gpt-candidate")


@contextlib.contextmanager
def hosted_app(database_url: str) -> Iterator[HostedApp]:
    from app.ai.local.engine import LOCAL_MODEL

    fake = shared_fake_openai()
    server = start_app_on_fake_provider(database_url, fake, AI_ALLOWED_MODELS=",".join((*HOSTED_MODELS, LOCAL_MODEL)))
    try:
        yield HostedApp(server, fake)
    finally:
        server.stop()
