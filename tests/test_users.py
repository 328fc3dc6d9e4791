"""users.*: listing members, and what only an admin may do to them."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from tests.support.factories import (
    client_with_cookie,
    create_api_key,
    create_org,
    create_user,
    login,
    member_client,
    session_value,
    streamed_mutation,
)
from tests.support.trpc import TRPCClient, TRPCClientError, error_of


def fresh_email() -> str:
    return f"member-{uuid4().hex}@example.test"


async def snapshot_users(db, org_id) -> list[tuple]:
    rows = await db.fetch(
        "SELECT id, email, name, role, password_hash, expertise, active FROM users WHERE org_id = $1 ORDER BY id",
        org_id,
    )
    return [tuple(row.values()) for row in rows]


# ---- users.list ----------------------------------------------------------------------------------


async def test_a_viewer_lists_the_organizations_members_with_their_expertise(db, live_server):
    org, viewer, client = await member_client(db, live_server, role="viewer")
    agent = await create_user(db, org.id, role="agent", expertise=("billing", "refunds"))
    gone = await create_user(db, org.id, role="agent")
    await db.execute("UPDATE users SET active = false WHERE org_id = $1 AND id = $2", org.id, gone.id)
    stranger_org = await create_org(db)
    await create_user(db, stranger_org.id)

    members = client.query("users.list")
    assert {member["id"] for member in members} == {str(viewer.id), str(agent.id)}
    by_id = {member["id"]: member for member in members}
    assert by_id[str(agent.id)]["expertise"] == ["billing", "refunds"]
    assert set(by_id[str(agent.id)]) == {"id", "email", "name", "role", "expertise", "active", "createdAt"}

    agents = client.query("users.list", {"role": "agent"})
    assert [member["id"] for member in agents] == [str(agent.id)]
    everyone = client.query("users.list", {"includeInactive": True})
    assert str(gone.id) in {member["id"] for member in everyone}

    assert error_of(client.query, "users.list", {"role": "owner"}).code == "BAD_REQUEST"


async def test_an_api_key_needs_the_read_scope_to_list_members(db, live_server):
    org = await create_org(db)
    await create_user(db, org.id)
    readable = TRPCClient(live_server.url, headers={"authorization": f"Bearer {await create_api_key(db, org.id, ('ticket:read',))}"})
    assert len(readable.query("users.list")) == 1
    write_only = TRPCClient(
        live_server.url, headers={"authorization": f"Bearer {await create_api_key(db, org.id, ('ticket:write',))}"}
    )
    error = error_of(write_only.query, "users.list")
    assert error.code == "FORBIDDEN" and "ticket:read" in error.message


# ---- users.create ----------------------------------------------------------------------------------


async def test_an_admin_creates_a_member_who_can_then_sign_in(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    email = fresh_email()
    created = client.mutation(
        "users.create",
        {"email": email.upper(), "name": " Nia New ", "role": "agent", "password": "welcome-aboard", "expertise": ["Billing", "billing", "VPN"]},
    )
    assert created["email"] == email
    assert created["name"] == "Nia New"
    assert created["role"] == "agent"
    assert created["expertise"] == ["billing", "vpn"]
    assert created["active"] is True
    newcomer = TRPCClient(live_server.url)
    signed_in = newcomer.mutation("auth.login", {"email": email, "password": "welcome-aboard"})
    assert signed_in["organization"]["id"] == str(org.id)


async def test_a_member_created_without_a_password_cannot_sign_in(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    email = fresh_email()
    client.mutation("users.create", {"email": email, "name": "No Password", "role": "viewer"})
    error = error_of(TRPCClient(live_server.url).mutation, "auth.login", {"email": email, "password": "anything-at-all"})
    assert error.code == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"name": ""}, "name"),
        ({"role": "owner"}, "role"),
        ({"password": "short"}, "password"),
        ({"expertise": "billing"}, "expertise"),
    ],
)
async def test_create_rejects_bad_input_naming_the_field(db, live_server, change, field):
    org, admin, client = await member_client(db, live_server, role="admin")
    before = await snapshot_users(db, org.id)
    member = {"email": fresh_email(), "name": "Valid Name", "role": "agent", "password": "long-enough", **change}
    error = error_of(client.mutation, "users.create", member)
    assert error.code == "BAD_REQUEST"
    assert f"$.{field}" in error.message
    assert await snapshot_users(db, org.id) == before


async def test_an_e_mail_address_belongs_to_one_account_only(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    other_org = await create_org(db)
    taken = await create_user(db, other_org.id)
    before = await snapshot_users(db, org.id)
    error = error_of(client.mutation, "users.create", {"email": taken.email.upper(), "name": "Dup", "role": "agent"})
    assert error.code == "CONFLICT" and "email" in error.message
    assert await snapshot_users(db, org.id) == before


@pytest.mark.parametrize("role", ["viewer", "agent"])
async def test_only_an_admin_manages_members(db, live_server, role):
    org, member, client = await member_client(db, live_server, role=role)
    before = await snapshot_users(db, org.id)
    created = error_of(client.mutation, "users.create", {"email": fresh_email(), "name": "X", "role": "admin"})
    promoted = error_of(client.mutation, "users.update", {"id": str(member.id), "role": "admin"})
    assert created.code == promoted.code == "FORBIDDEN"
    assert await snapshot_users(db, org.id) == before


async def test_an_admin_scoped_key_manages_members_and_a_ticket_key_does_not(db, live_server):
    org = await create_org(db)
    await create_user(db, org.id, role="admin")
    admin_key = TRPCClient(live_server.url, headers={"authorization": f"Bearer {await create_api_key(db, org.id, ('admin',))}"})
    created = admin_key.mutation("users.create", {"email": fresh_email(), "name": "By Key", "role": "viewer"})
    assert created["role"] == "viewer"
    ticket_key = TRPCClient(
        live_server.url,
        headers={"authorization": f"Bearer {await create_api_key(db, org.id, ('ticket:read', 'ticket:write', 'ai:run'))}"},
    )
    assert error_of(ticket_key.mutation, "users.create", {"email": fresh_email(), "name": "X", "role": "viewer"}).code == "FORBIDDEN"


# ---- users.update ----------------------------------------------------------------------------------


async def test_an_admin_changes_role_name_and_expertise(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    agent = await create_user(db, org.id, role="agent")
    updated = client.mutation(
        "users.update", {"id": str(agent.id), "role": "viewer", "name": "Renamed", "expertise": ["Returns"]}
    )
    assert (updated["role"], updated["name"], updated["expertise"], updated["email"]) == (
        "viewer",
        "Renamed",
        ["returns"],
        agent.email,
    )
    # The new role holds from the member's very next request.
    agent_client = await asyncio.to_thread(login, live_server, agent)
    assert error_of(agent_client.mutation, "users.update", {"id": str(agent.id), "role": "admin"}).code == "FORBIDDEN"


async def test_the_last_admin_cannot_be_demoted_or_deactivated(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    before = await snapshot_users(db, org.id)
    demoted = error_of(client.mutation, "users.update", {"id": str(admin.id), "role": "agent"})
    assert demoted.code == "PRECONDITION_FAILED" and demoted.message.startswith("role:")
    deactivated = error_of(client.mutation, "users.update", {"id": str(admin.id), "active": False})
    assert deactivated.code == "PRECONDITION_FAILED" and deactivated.message.startswith("active:")
    assert await snapshot_users(db, org.id) == before

    # With a second admin, the first may step down.
    second = await create_user(db, org.id, role="admin")
    assert client.mutation("users.update", {"id": str(admin.id), "role": "agent"})["role"] == "agent"
    second_client = await asyncio.to_thread(login, live_server, second)
    assert error_of(second_client.mutation, "users.update", {"id": str(second.id), "role": "viewer"}).code == (
        "PRECONDITION_FAILED"
    )


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(db, live_server):
    org = await create_org(db)
    first, second = await create_user(db, org.id, role="admin"), await create_user(db, org.id, role="admin")
    first_client, second_client = await asyncio.gather(
        asyncio.to_thread(login, live_server, first), asyncio.to_thread(login, live_server, second)
    )

    def demote(client: TRPCClient, target) -> str:
        try:
            client.mutation("users.update", {"id": str(target.id), "role": "agent"})
            return "ok"
        except TRPCClientError as error:
            return error.code

    outcomes = await asyncio.gather(
        asyncio.to_thread(demote, first_client, second), asyncio.to_thread(demote, second_client, first)
    )
    admins = await db.fetchval("SELECT count(*) FROM users WHERE org_id = $1 AND role = 'admin' AND active", org.id)
    assert admins >= 1
    assert "ok" in outcomes


async def test_deactivating_a_member_signs_them_out_at_once(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    agent = await create_user(db, org.id)
    agent_client = await asyncio.to_thread(login, live_server, agent)
    assert client.mutation("users.update", {"id": str(agent.id), "active": False})["active"] is False
    assert error_of(agent_client.query, "auth.me").code == "UNAUTHORIZED"
    assert error_of(login, live_server, agent).code == "UNAUTHORIZED"


async def test_a_password_set_by_an_admin_revokes_the_members_sessions(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    agent = await create_user(db, org.id)
    agent_client = await asyncio.to_thread(login, live_server, agent)
    client.mutation("users.update", {"id": str(agent.id), "password": "set-by-the-admin"})
    assert error_of(agent_client.query, "auth.me").code == "UNAUTHORIZED"
    assert error_of(login, live_server, agent).code == "UNAUTHORIZED"
    TRPCClient(live_server.url).mutation("auth.login", {"email": agent.email, "password": "set-by-the-admin"})
    # The admin's own session is untouched.
    assert client.query("auth.me")["user"]["id"] == str(admin.id)


async def test_an_admin_setting_their_own_password_goes_on_here_under_a_new_session(db, live_server):
    org = await create_org(db)
    admin = await create_user(db, org.id, role="admin")
    here, elsewhere = await asyncio.gather(
        asyncio.to_thread(login, live_server, admin), asyncio.to_thread(login, live_server, admin)
    )
    before = session_value(here)
    here.mutation("users.update", {"id": str(admin.id), "password": "my-own-new-password"})
    assert here.query("auth.me")["user"]["id"] == str(admin.id)
    assert error_of(elsewhere.query, "auth.me").code == "UNAUTHORIZED"
    # As with auth.changePassword, whoever copied this browser's old cookie is signed out too.
    assert session_value(here) != before
    assert error_of(client_with_cookie(live_server, before).query, "auth.me").code == "UNAUTHORIZED"
    live = await db.fetchval(
        "SELECT count(*) FROM sessions WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL", org.id, admin.id
    )
    assert live == 1


async def test_an_own_password_update_refused_for_a_taken_email_changes_nothing(db, live_server):
    org = await create_org(db)
    admin = await create_user(db, org.id, role="admin")
    other = await create_user(db, org.id)
    here = await asyncio.to_thread(login, live_server, admin)
    before = session_value(here)
    stored = await db.fetchval("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2", org.id, admin.id)
    # The e-mail is taken: the whole update fails, and neither the password nor the session changes.
    error = error_of(here.mutation, "users.update", {"id": str(admin.id), "email": other.email, "password": "never-applied"})
    assert error.code == "CONFLICT"
    assert session_value(here) == before
    assert here.query("auth.me")["user"]["id"] == str(admin.id)
    assert await db.fetchval("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2", org.id, admin.id) == stored


async def test_setting_ones_own_password_on_a_streamed_answer_is_refused_and_changes_nothing(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    stored = await db.fetchval("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2", org.id, admin.id)
    # httpBatchStreamLink's request: the answer's headers leave before the call ends, so the
    # browser could not be given its new session; its old one would be revoked all the same.
    body = streamed_mutation(
        live_server, "users.update", {"id": str(admin.id), "password": "never-applied"}, session_value(client)
    )
    assert "BAD_REQUEST" in body, body
    assert "Setting one's own password sets the session cookie" in body, body
    assert await db.fetchval("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2", org.id, admin.id) == stored
    assert client.query("auth.me")["user"]["id"] == str(admin.id)
    # Another member's password needs no cookie for this browser: streamed, it is set.
    agent = await create_user(db, org.id)
    body = streamed_mutation(
        live_server, "users.update", {"id": str(agent.id), "password": "set-while-streaming"}, session_value(client)
    )
    assert "error" not in body, body
    TRPCClient(live_server.url).mutation("auth.login", {"email": agent.email, "password": "set-while-streaming"})


async def test_update_of_an_unknown_member_is_not_found(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    error = error_of(client.mutation, "users.update", {"id": str(uuid4()), "name": "Ghost"})
    assert (error.code, error.message) == ("NOT_FOUND", "User not found")


async def test_update_rejects_bad_input_and_changes_nothing(db, live_server):
    org, admin, client = await member_client(db, live_server, role="admin")
    agent = await create_user(db, org.id)
    before = await snapshot_users(db, org.id)
    for change, field in (({"email": "nope"}, "email"), ({"role": "boss"}, "role"), ({"active": "no"}, "active")):
        error = error_of(client.mutation, "users.update", {"id": str(agent.id), **change})
        assert error.code == "BAD_REQUEST" and f"$.{field}" in error.message
    taken = await create_user(db, org.id)
    before = await snapshot_users(db, org.id)
    assert error_of(client.mutation, "users.update", {"id": str(agent.id), "email": taken.email}).code == "CONFLICT"
    assert await snapshot_users(db, org.id) == before
