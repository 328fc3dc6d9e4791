"""Where a request comes from: CORS and Vary, exact origins, Fetch Metadata, Referer, proxies,
and the SameSite setting of the session cookie (app/trpc/origin.py, app/config.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app import superjson
from app.auth.sessions import SESSION_COOKIE, session_cookie
from app.config import ConfigError, load_settings
from app.trpc.origin import inspect_request
from tests.support.factories import create_org, create_user, member_client
from tests.support.servers import LiveServer, start_app

FRONT_END = "https://front.example.test"
PUBLIC_HOST = "help.example.test"
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def proxied_server(database_url: str) -> Iterator[LiveServer]:
    """Behind a (pretend) proxy on 127.0.0.1, serving https://help.example.test, with a front end
    on another site that uses the session cookie (SameSite=None)."""
    server = start_app(
        database_url,
        TRUSTED_PROXIES="127.0.0.1",
        ALLOWED_ORIGINS=f"{FRONT_END}/",  # written with a slash; normalised at start-up
        SESSION_COOKIE_SAMESITE="none",
    )
    yield server
    server.stop()


def envelope(value: Any) -> dict[str, Any]:
    return superjson.encode(value)


def post(server: LiveServer, path: str, value: Any, headers: list[tuple[str, str]] | dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/trpc/{path}", json=envelope(value), headers=headers, timeout=30)


def get(server: LiveServer, path: str, value: Any, headers: list[tuple[str, str]] | dict[str, str]) -> httpx.Response:
    params = {"input": json.dumps(envelope(value))}
    return httpx.get(f"{server.url}/api/trpc/{path}", params=params, headers=headers, timeout=30)


def code(response: httpx.Response) -> str:
    return superjson.decode(response.json()["error"])["data"]["code"]


def vary_names(response: httpx.Response) -> set[str]:
    return {name.strip().lower() for value in response.headers.get_list("vary") for name in value.split(",")}


def session_cookie_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    morsel = response.headers["set-cookie"]
    name, _, rest = morsel.partition("=")
    assert name == SESSION_COOKIE
    return rest.split(";", 1)[0]


def behind_proxy(**extra: str) -> dict[str, str]:
    # What nginx with the README's configuration sends: Host rewritten to the upstream's name.
    return {"x-forwarded-host": PUBLIC_HOST, "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.20", **extra}


# ---- item 9: Vary ---------------------------------------------------------------------------------


async def test_every_answer_varies_with_origin_and_keeps_its_other_vary_names(db, proxied_server):
    org, user, client = await member_client(db, proxied_server)
    answers = [
        get(proxied_server, "system.status", None, {"origin": FRONT_END}),
        get(proxied_server, "system.status", None, {}),
        get(proxied_server, "no.such", None, {"origin": FRONT_END}),
        post(proxied_server, "auth.me", None, {"origin": FRONT_END}),  # 405
        httpx.options(
            f"{proxied_server.url}/api/trpc/auth.me",
            headers={"origin": FRONT_END, "access-control-request-method": "GET"},
        ),
        httpx.options(f"{proxied_server.url}/api/trpc/auth.me", headers={"origin": EVIL}),
    ]
    for response in answers:
        assert "origin" in vary_names(response), (response.status_code, response.headers)
    assert answers[0].headers["access-control-allow-origin"] == FRONT_END
    assert {"trpc-accept", "accept"} <= vary_names(answers[0])
    assert "access-control-allow-origin" not in answers[1].headers
    assert "access-control-allow-origin" not in answers[5].headers


# ---- item 11: exact origins, duplicates, Referer, Fetch Metadata ------------------------------------


async def test_origins_are_compared_exactly(db, proxied_server):
    allowed = get(proxied_server, "system.status", None, {"origin": FRONT_END})
    assert allowed.headers["access-control-allow-origin"] == FRONT_END
    for near_miss in (FRONT_END + "/", FRONT_END.upper(), FRONT_END + ":443", "http://front.example.test"):
        response = get(proxied_server, "system.status", None, {"origin": near_miss})
        assert "access-control-allow-origin" not in response.headers, near_miss

    org = await create_org(db)
    user = await create_user(db, org.id)
    credentials = {"email": user.email, "password": user.password}
    refused = post(proxied_server, "auth.login", credentials, {"origin": FRONT_END + "/"})
    assert (refused.status_code, code(refused)) == (403, "FORBIDDEN")
    assert post(proxied_server, "auth.login", credentials, {"origin": FRONT_END}).status_code == 200


async def test_duplicate_origin_headers_are_refused(db, live_server):
    org, user, client = await member_client(db, live_server, role="admin")
    cookie = client.http.cookies[SESSION_COOKIE]
    own = live_server.url
    for origins in ((own, EVIL), (EVIL, own), (own, own)):
        headers = [("cookie", f"{SESSION_COOKIE}={cookie}"), ("origin", origins[0]), ("origin", origins[1])]
        response = post(live_server, "users.update", {"id": str(user.id), "name": "Renamed"}, headers)
        assert (response.status_code, code(response)) == (403, "FORBIDDEN")
        login = post(live_server, "auth.login", {"email": user.email, "password": user.password}, headers[1:])
        assert (login.status_code, code(login)) == (403, "FORBIDDEN")
    assert await db.fetchval("SELECT name FROM users WHERE id = $1", user.id) == user.name


async def test_a_foreign_referer_counts_when_there_is_no_origin(db, live_server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    credentials = {"email": user.email, "password": user.password}
    refused = post(live_server, "auth.login", credentials, {"referer": f"{EVIL}/phish?next=1"})
    assert (refused.status_code, code(refused)) == (403, "FORBIDDEN")
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE org_id = $1", org.id) == 0
    assert post(live_server, "auth.login", credentials, {"referer": f"{live_server.url}/inbox"}).status_code == 200


async def test_a_cross_site_get_with_the_cookie_is_refused_and_marks_nothing_read(db, live_server):
    org, user, client = await member_client(db, live_server)
    ticket = client.mutation("tickets.create", {"subject": "Unread", "description": "Hello"})
    await db.execute("UPDATE tickets SET unread_count = 3 WHERE org_id = $1 AND id = $2", org.id, ticket["id"])
    cookie = {"cookie": f"{SESSION_COOKIE}={client.http.cookies[SESSION_COOKIE]}"}

    # A top-level navigation from another site: no Origin, SameSite=Lax still sends the cookie.
    for fetch_site in ("cross-site", "same-site"):
        navigation = {**cookie, "sec-fetch-site": fetch_site, "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
        response = get(live_server, "tickets.get", {"id": ticket["id"]}, navigation)
        assert (response.status_code, code(response)) == (403, "FORBIDDEN")
    # A cross-origin fetch with a foreign Origin, even without Fetch Metadata.
    response = get(live_server, "tickets.get", {"id": ticket["id"]}, {**cookie, "origin": EVIL})
    assert response.status_code == 403
    assert await db.fetchval("SELECT unread_count FROM tickets WHERE id = $1", ticket["id"]) == 3

    # The same query from this site, or typed into the address bar, goes through.
    for fetch_site in ("same-origin", "none"):
        response = get(live_server, "tickets.get", {"id": ticket["id"]}, {**cookie, "sec-fetch-site": fetch_site})
        assert response.status_code == 200
    assert await db.fetchval("SELECT unread_count FROM tickets WHERE id = $1", ticket["id"]) == 0


async def test_an_allowed_front_end_on_another_site_uses_the_cookie(db, proxied_server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    from_front_end = {"origin": FRONT_END, "sec-fetch-site": "cross-site"}
    answer = post(proxied_server, "auth.login", {"email": user.email, "password": user.password}, from_front_end)
    set_cookie = answer.headers["set-cookie"].lower()
    assert "samesite=none" in set_cookie and "secure" in set_cookie
    assert answer.headers["access-control-allow-origin"] == FRONT_END
    cookie = {"cookie": f"{SESSION_COOKIE}={session_cookie_of(answer)}"}
    me = get(proxied_server, "auth.me", None, {**cookie, **from_front_end})
    assert me.status_code == 200
    # Another site using that same cookie is refused.
    foreign = get(proxied_server, "auth.me", None, {**cookie, "origin": EVIL, "sec-fetch-site": "cross-site"})
    assert foreign.status_code == 403


# ---- item 10: proxies ------------------------------------------------------------------------------


async def test_a_same_origin_login_works_behind_a_proxy_that_rewrites_host(db, proxied_server, live_server):
    org = await create_org(db)
    user = await create_user(db, org.id)
    credentials = {"email": user.email, "password": user.password}
    same_origin = {"origin": f"https://{PUBLIC_HOST}", "sec-fetch-site": "same-origin"}
    # httpx sends `Host: 127.0.0.1:<port>`, as nginx's default `proxy_set_header Host $proxy_host`.
    answer = post(proxied_server, "auth.login", credentials, behind_proxy(**same_origin))
    cookie = {"cookie": f"{SESSION_COOKIE}={session_cookie_of(answer)}"}
    created = post(
        proxied_server, "tickets.create", {"subject": "Via proxy", "description": "x"}, {**behind_proxy(**same_origin), **cookie}
    )
    assert created.status_code == 200, created.text
    assert (
        await db.fetchval("SELECT client_address FROM sessions WHERE org_id = $1", org.id) == "198.51.100.20"
    )  # the address the proxy vouched for

    # Without a trusted proxy the forwarded headers are nobody's word: the same request is refused.
    refused = post(live_server, "auth.login", credentials, behind_proxy(**same_origin))
    assert (refused.status_code, code(refused)) == (403, "FORBIDDEN")
    # And a claimed scheme matters: http:// is not the https:// site the proxy serves.
    wrong_scheme = post(
        proxied_server, "auth.login", credentials, behind_proxy(origin=f"http://{PUBLIC_HOST}")
    )
    assert wrong_scheme.status_code == 403


def scope(headers: list[tuple[str, str]], peer: str = "127.0.0.1", scheme: str = "http") -> dict[str, Any]:
    raw = [(name.encode(), value.encode()) for name, value in headers]
    return {"headers": raw, "client": (peer, 50000), "scheme": scheme}


def settings(**env: str) -> Any:
    return load_settings({"APP_ENV": "test", "SECRET_KEY": "x", **env})


def test_forwarded_headers_are_believed_only_from_trusted_proxies():
    trusting = settings(TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1")
    headers = [
        ("host", "10.0.0.5:8000"),
        ("origin", "https://help.example.test"),
        ("x-forwarded-host", "help.example.test"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.0.0.3"),
    ]
    source = inspect_request(scope(headers, peer="10.0.0.4"), trusting)
    # Right to left past the trusted hops; 203.0.113.9 was written by the client and is not believed.
    assert (source.client_address, source.origin_trusted) == ("198.51.100.7", True)

    untrusted_peer = inspect_request(scope(headers, peer="192.0.2.1"), trusting)
    assert (untrusted_peer.client_address, untrusted_peer.origin_trusted) == ("192.0.2.1", False)

    nobody = inspect_request(scope(headers, peer="127.0.0.1"), settings())
    assert (nobody.client_address, nobody.origin_trusted) == ("127.0.0.1", False)

    garbage = [("host", "h"), ("x-forwarded-for", "not-an-address")]
    assert inspect_request(scope(garbage, peer="10.0.0.4"), trusting).client_address == "10.0.0.4"


def test_a_request_naming_no_site_is_trusted_and_comes_from_its_peer():
    # A script or another server: no Origin, Referer, Fetch Metadata or forwarding headers.
    for configured in (settings(), settings(TRUSTED_PROXIES="10.0.0.0/8"), settings(ALLOWED_ORIGINS=FRONT_END)):
        for headers in ([("host", "app.test")], []):
            source = inspect_request(scope(headers, peer="10.0.0.4"), configured)
            assert (source.client_address, source.origin_trusted, source.cors) == ("10.0.0.4", True, {"vary": "origin"})
    # The same peer naming a foreign site is judged by it.
    assert not inspect_request(scope([("host", "app.test"), ("origin", EVIL)], peer="10.0.0.4"), settings()).origin_trusted


def test_the_own_origin_ignores_default_ports_and_needs_the_scheme():
    plain = settings()
    assert inspect_request(scope([("host", "app.test:80"), ("origin", "http://app.test")]), plain).origin_trusted
    assert inspect_request(scope([("host", "app.test"), ("origin", "http://app.test")]), plain).origin_trusted
    assert not inspect_request(scope([("host", "app.test"), ("origin", "https://app.test")]), plain).origin_trusted
    assert not inspect_request(scope([("host", "app.test"), ("origin", "http://app.test/")]), plain).origin_trusted
    opaque = [("host", "app.test"), ("origin", "null")]
    assert not inspect_request(scope(opaque), plain).origin_trusted
    assert inspect_request(scope([*opaque, ("sec-fetch-site", "same-origin")]), plain).origin_trusted


async def test_uvicorn_no_longer_believes_forwarded_for_from_localhost(db, live_server):
    """Without TRUSTED_PROXIES, X-Forwarded-For is not the throttle's client address."""
    org = await create_org(db)
    user = await create_user(db, org.id)
    headers = {"x-forwarded-for": "192.0.2.77", "origin": live_server.url}
    answer = await asyncio.to_thread(
        post, live_server, "auth.login", {"email": user.email, "password": user.password}, headers
    )
    assert answer.status_code == 200
    assert await db.fetchval("SELECT client_address FROM sessions WHERE org_id = $1", org.id) == "127.0.0.1"


# ---- item 13: SameSite -------------------------------------------------------------------------------


def test_allowed_origins_are_normalised_and_checked_at_start_up():
    loaded = settings(ALLOWED_ORIGINS="https://App.Example.test/, http://a.test:80, https://b.test:8443")
    assert loaded.allowed_origins == ("https://app.example.test", "http://a.test", "https://b.test:8443")
    for bad in ("app.example.test", "https://a.test/path", "ftp://a.test", "https://a.test?x=1"):
        with pytest.raises(ConfigError, match="ALLOWED_ORIGINS"):
            settings(ALLOWED_ORIGINS=bad)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        settings(TRUSTED_PROXIES="proxy.internal")


def test_samesite_none_needs_https_outside_development():
    production = {"APP_ENV": "production", "SECRET_KEY": "s" * 40, "DATA_DIR": "/nonexistent"}
    for origins in ("", "http://front.example.test", "https://a.example.test, http://b.example.test"):
        with pytest.raises(ConfigError, match="SESSION_COOKIE_SAMESITE"):
            load_settings({**production, "SESSION_COOKIE_SAMESITE": "none", "ALLOWED_ORIGINS": origins})
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SAMESITE"):
        load_settings({**production, "SESSION_COOKIE_SAMESITE": "sometimes"})
    ok = load_settings({**production, "SESSION_COOKIE_SAMESITE": "none", "ALLOWED_ORIGINS": FRONT_END})
    cookie = session_cookie(ok, "v")
    assert (cookie.same_site, cookie.secure) == ("none", True)
    # In development (http://localhost, which browsers count as secure) it is allowed, still Secure.
    development = load_settings({"APP_ENV": "development", "SECRET_KEY": "x", "SESSION_COOKIE_SAMESITE": "none"})
    assert session_cookie(development, "v").secure is True
    strict = load_settings({**production, "SESSION_COOKIE_SAMESITE": "strict"})
    assert session_cookie(strict, "v").same_site == "strict"
