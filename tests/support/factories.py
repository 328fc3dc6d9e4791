"""Test data: organizations, members, logged-in clients and API keys, each unique per call.

    org = await create_org(db, plan="pro")
    user = await create_user(db, org.id, role="admin")
    client = login(live_server, user)          # a TRPCClient holding the session cookie
    key = await create_api_key(db, org.id, ("ticket:read",))
    org, user, client = await member_client(db, live_server, role="viewer")
    ticket = new_ticket(client, "Login fails", "I cannot log in.")  # through tickets.create

Rows are written straight to the database (fast, no procedure needed); logging in goes through
`auth.login` over HTTP, so the cookie is exactly what a browser would hold.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from app.auth.api_keys import insert_key
from app.auth.passwords import hash_password
from app.auth.sessions import SESSION_COOKIE
from tests.support.servers import LiveServer
from tests.support.trpc import TRPCClient


# argon2 is slow on purpose (~0.2 s); most test users share a password, so hash each one once.
_password_hashes: dict[str, str] = {}


async def _password_hash(password: str) -> str:
    if password not in _password_hashes:
        _password_hashes[password] = await hash_password(password)
    return _password_hashes[password]


@dataclass(frozen=True)
class Org:
    id: UUID
    slug: str
    name: str
    plan: str


@dataclass(frozen=True)
class User:
    id: UUID
    org_id: UUID
    email: str
    password: str
    role: str
    name: str


async def create_org(db: asyncpg.Pool, *, plan: str = "business", name: str | None = None) -> Org:
    token = uuid4().hex[:12]
    slug = f"org-{token}"
    name = name if name is not None else f"Org {token}"
    org_id = await db.fetchval(
        "INSERT INTO organizations (name, slug, plan) VALUES ($1, $2, $3) RETURNING id", name, slug, plan
    )
    return Org(id=org_id, slug=slug, name=name, plan=plan)


async def create_user(
    db: asyncpg.Pool,
    org_id: UUID,
    *,
    role: str = "agent",
    email: str | None = None,
    password: str = "correct-horse-battery",
    expertise: tuple[str, ...] = (),
    name: str | None = None,
) -> User:
    token = uuid4().hex[:12]
    email = email if email is not None else f"{role}-{token}@example.test"
    name = name if name is not None else f"{role.title()} {token}"
    user_id = await db.fetchval(
        """
        INSERT INTO users (org_id, email, name, role, password_hash, expertise)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
        """,
        org_id,
        email,
        name,
        role,
        await _password_hash(password),
        list(expertise),
    )
    return User(id=user_id, org_id=org_id, email=email, password=password, role=role, name=name)


def login(live_server: LiveServer, user: User) -> TRPCClient:
    """A client holding `user`'s session cookie, obtained from auth.login over HTTP."""
    client = TRPCClient(live_server.url)
    client.mutation("auth.login", {"email": user.email, "password": user.password})
    return client


async def create_api_key(db: asyncpg.Pool, org_id: UUID, scopes: tuple[str, ...]) -> str:
    _, key = await insert_key(db, org_id, f"test key {uuid4().hex[:8]}", scopes, None)
    return key


def session_value(client: TRPCClient) -> str:
    """The session cookie a signed-in client holds."""
    value = client.http.cookies.get(SESSION_COOKIE)
    assert value, "the client holds no session cookie"
    return value


def client_with_cookie(server: LiveServer, value: str) -> TRPCClient:
    """A client that sends this session cookie value (e.g. one copied before it was revoked)."""
    return TRPCClient(server.url, headers={"cookie": f"{SESSION_COOKIE}={value}"})


def streamed_mutation(server: LiveServer, path: str, value: object, cookie: str | None = None) -> str:
    """One mutation in httpBatchStreamLink's request shape, with `cookie` as the session; the whole
    JSON-lines body. A streamed answer never sets a cookie."""
    headers = {"content-type": "application/json", "trpc-accept": "application/jsonl"}
    if cookie is not None:
        headers["cookie"] = f"{SESSION_COOKIE}={cookie}"
    response = httpx.post(f"{server.url}/api/trpc/{path}?batch=1", json={"0": value}, headers=headers, timeout=30)
    assert response.status_code == 200 and "set-cookie" not in response.headers, response.headers
    return response.text


async def member_client(
    db: asyncpg.Pool, live_server: LiveServer, *, plan: str = "business", role: str = "agent"
) -> tuple[Org, User, TRPCClient]:
    org = await create_org(db, plan=plan)
    user = await create_user(db, org.id, role=role)
    # The login is blocking HTTP; run it off the loop so a server sharing this loop is not starved.
    client = await asyncio.to_thread(login, live_server, user)
    return org, user, client


def new_ticket(client: TRPCClient, subject: str, description: Any, **fields: Any) -> dict[str, Any]:
    return client.mutation("tickets.create", {"subject": subject, "description": description, **fields})
