"""Login throttling per (account, client address), the account ceiling, and session rotation on a
password change (app/auth/throttle.py, procedures/auth.py), against a real server behind a
trusted proxy so that each test can speak from the addresses it needs."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from app import superjson
from app.auth.sessions import SESSION_COOKIE
from tests.support.factories import create_org, create_user, member_client
from tests.support.servers import LiveServer, start_app

FREE = 2  # LOGIN_MAX_FAILURES: failures per (account, address) before the delays start
CEILING = 6  # LOGIN_MAX_FAILURES_PER_ACCOUNT

_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


def fresh_address() -> str:
    return next(_addresses)


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    server = start_app(
        database_url,
        TRUSTED_PROXIES="127.0.0.1",
        LOGIN_MAX_FAILURES=str(FREE),
        LOGIN_MAX_FAILURES_PER_ADDRESS="50",
        LOGIN_MAX_FAILURES_PER_ACCOUNT=str(CEILING),
        LOGIN_FAILURE_WINDOW_SECONDS="600",
    )
    yield server
    server.stop()


def attempt(server: LiveServer, email: str, password: str, address: str) -> tuple[int, dict[str, Any], httpx.Response]:
    """One sign-in from `address` (as the trusted proxy reports it): status, error data or {}."""
    response = httpx.post(
        f"{server.url}/api/trpc/auth.login",
        json=superjson.encode({"email": email, "password": password}),
        headers={"x-forwarded-for": address},
        timeout=30,
    )
    if response.status_code == 200:
        return 200, {}, response
    shape = superjson.decode(response.json()["error"])
    return response.status_code, {"message": shape["message"], **shape["data"]}, response


async def attempts(server: LiveServer, email: str, password: str, address: str, count: int) -> list[tuple[int, Any]]:
    results = []
    for _ in range(count):
        status, data, _ = await asyncio.to_thread(attempt, server, email, password, address)
        results.append((status, data.get("code")))
    return results


async def age_pair(db: asyncpg.Pool, email: str, address: str, seconds: float) -> None:
    """Pretend the pair's failures happened `seconds` earlier."""
    await db.execute(
        "UPDATE login_failures SET failed_at = failed_at - make_interval(secs => $2) WHERE key = $1",
        f"pair:{email.lower()}|{address}",
        seconds,
    )


async def test_an_attack_from_elsewhere_does_not_lock_the_owner_out(db, server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    attacker, owner = fresh_address(), fresh_address()
    results = await attempts(server, user.email, "guess-password", attacker, FREE + 3)
    assert results == [(401, "UNAUTHORIZED")] * FREE + [(429, "TOO_MANY_REQUESTS")] * 3
    # The right password from the attacker's address is refused too: the delay is the address's.
    status, data, _ = await asyncio.to_thread(attempt, server, user.email, user.password, attacker)
    assert status == 429
    # The owner, from their own address, signs in at once.
    status, _, response = await asyncio.to_thread(attempt, server, user.email, user.password, owner)
    assert status == 200 and SESSION_COOKIE in response.headers["set-cookie"]


async def test_the_delays_grow_with_each_failure(db, server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    address = fresh_address()
    await attempts(server, user.email, "guess-password", address, FREE)
    waits = []
    for _ in range(3):
        status, data, response = await asyncio.to_thread(attempt, server, user.email, "guess-password", address)
        assert status == 429 and response.headers["retry-after"] == str(data["retryAfterSeconds"])
        # Seconds since the latest failure (measured after the answer: at least as long as when
        # the server answered), so the delay the server applied is pinned down from both sides.
        elapsed = await db.fetchval(
            "SELECT extract(epoch FROM now() - max(failed_at))::float FROM login_failures WHERE key = $1",
            f"pair:{user.email.lower()}|{address}",
        )
        waits.append((data["retryAfterSeconds"], elapsed))
        await age_pair(db, user.email, address, data["retryAfterSeconds"] + 1)  # wait it out
        assert (await attempts(server, user.email, "guess-password", address, 1)) == [(401, "UNAUTHORIZED")]
    # 5, 10 and 20 seconds after the latest failure.
    for (wait, elapsed), expected in zip(waits, (5, 10, 20), strict=True):
        assert expected - elapsed - 1 <= wait <= expected, waits
    # After the wait, the right password works and forgives the pair.
    status, data, _ = await asyncio.to_thread(attempt, server, user.email, user.password, address)
    assert status == 429 and 30 <= data["retryAfterSeconds"] <= 40
    await age_pair(db, user.email, address, 40)
    assert (await asyncio.to_thread(attempt, server, user.email, user.password, address))[0] == 200
    assert await db.fetchval("SELECT count(*) FROM login_failures WHERE key LIKE $1", f"pair:{user.email}|%") == 0


async def test_the_account_ceiling_spares_the_address_the_owner_signs_in_from(db, server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    home = fresh_address()
    assert (await asyncio.to_thread(attempt, server, user.email, user.password, home))[0] == 200
    unknown = f"nobody-{uuid4().hex}@example.test"

    async def distributed_attack(email: str) -> list[tuple[int, Any]]:
        results = []
        for _ in range(CEILING // FREE):  # many addresses, each staying under its own delay
            results += await attempts(server, email, "guess-password", fresh_address(), FREE)
        # One more address: the account's ceiling is reached, whatever the password.
        results += await attempts(server, email, user.password, fresh_address(), 1)
        return results

    known_results = await distributed_attack(user.email)
    unknown_results = await distributed_attack(unknown)
    assert known_results == [(401, "UNAUTHORIZED")] * CEILING + [(429, "TOO_MANY_REQUESTS")]
    assert unknown_results == known_results  # an unknown e-mail answers exactly alike

    # The owner, from where they signed in before, still gets in.
    status, _, _ = await asyncio.to_thread(attempt, server, user.email, user.password, home)
    assert status == 200


async def test_known_and_unknown_emails_answer_alike_under_throttling(db, server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    address = fresh_address()
    unknown = f"nobody-{uuid4().hex}@example.test"
    seen = []
    for email in (user.email, unknown):
        answers = []
        for _ in range(FREE + 1):
            status, data, _ = await asyncio.to_thread(attempt, server, email, "guess-password", address)
            # The wait in a refusal's message depends on how fast this machine is; the words do not.
            answers.append((status, re.sub(r"\d+", "N", data["message"]), data["code"]))
        seen.append(answers)
    assert seen[0] == seen[1]
    assert seen[0][0] == (401, "Invalid e-mail or password", "UNAUTHORIZED")


# ---- auth.changePassword rotates the session -------------------------------------------------------


async def test_changing_the_password_rotates_this_session(db, live_server):
    org, user, client = await member_client(db, live_server)
    old_cookie = client.http.cookies[SESSION_COOKIE]
    old_session = await db.fetchval("SELECT id FROM sessions WHERE org_id = $1 AND revoked_at IS NULL", org.id)

    assert client.mutation(
        "auth.changePassword", {"currentPassword": user.password, "newPassword": "a-brand-new-password"}
    ) == {"success": True}
    assert SESSION_COOKIE in client.response.headers["set-cookie"]
    new_cookie = client.http.cookies[SESSION_COOKIE]
    assert new_cookie != old_cookie
    assert client.query("auth.me")["user"]["id"] == str(user.id)  # this browser stays signed in

    sessions = await db.fetch("SELECT id, revoked_at IS NULL AS live FROM sessions WHERE org_id = $1", org.id)
    assert {row["id"]: row["live"] for row in sessions}[old_session] is False
    assert sum(row["live"] for row in sessions) == 1
    stale = httpx.get(f"{live_server.url}/api/trpc/auth.me", headers={"cookie": f"{SESSION_COOKIE}={old_cookie}"})
    assert stale.status_code == 401


def test_the_delay_doubles_past_the_free_failures_up_to_the_window():
    from app.auth.throttle import delay_seconds

    assert [delay_seconds(failures, 3, 600) for failures in range(9)] == [0, 0, 0, 5, 10, 20, 40, 80, 160]
    assert delay_seconds(12, 3, 600) == 600
    assert delay_seconds(10_000, 3, 600) == 600
