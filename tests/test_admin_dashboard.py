"""The admin dashboard at /admin, in a real browser: Debian's chromium driven by Playwright.

The server runs on its own database seeded with the demo organizations by the seeding code
`make run` uses (Acme: business, Hooli: pro, Initech: free), so the browser sees what a person
sees after `make run`. Every page is visited through the accessible names a person (and the
acceptance test) uses; any console error, uncaught exception or 5xx answer fails the test.
Screenshots of every page go to $TEST_OUTPUT_DIR/admin-screenshots (default .test-output/).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import playwright.sync_api as playwright_api
import pytest

from app.demo.seed import seed_if_empty
from tests.support.databases import fresh_database
from tests.support.servers import ROOT, LiveServer, start_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "admin-ui-password"
SCREENSHOTS = Path(os.environ.get("TEST_OUTPUT_DIR", ROOT / ".test-output")) / "admin-screenshots"

# Neither Playwright nor chromium is skipped when missing: `make test` installs both (pyproject's
# test extra, and apt's chromium when /usr/bin/chromium is absent); an unchecked dashboard must not pass.


@pytest.fixture(scope="module", autouse=True)
def _chromium_installed() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")


# ---- the server and the browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_server(database_url: str) -> Iterator[LiveServer]:
    # In threads of their own: pytest-asyncio may have the session's event loop running here.
    # The demo seed (the code `make run` uses) runs while the server starts; the tests begin when
    # both are done. A database of its own: the demo logins are fixed e-mail addresses, unique
    # across organizations, so they cannot share the suite's database.
    with ThreadPoolExecutor(1) as thread:
        url = thread.submit(asyncio.run, fresh_database(database_url, "admin_ui")).result()
        seeded = thread.submit(asyncio.run, seed_if_empty(url, PASSWORD))
        server = start_app(url)
        assert seeded.result(), "the demo organizations were not seeded"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Watched:
    """A page whose console errors, uncaught exceptions and 5xx answers are collected."""

    def __init__(self, browser: object, server: LiveServer) -> None:
        self.server = server
        self.context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
        self.context.grant_permissions(["clipboard-read", "clipboard-write"])
        self.page = self.context.new_page()
        self.problems: list[str] = []
        # Chromium logs every non-2xx fetch as a console error; a test that provokes a refusal on
        # purpose names its status here, once per refusal.
        self.expected_refusals: list[int] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))
        self.page.on("response", self._response)
        self.page.on("request", self._request)

    def sign_in(self, email: str, at: str | None = None) -> playwright_api.Page:
        """The page, signed in as `email` through the sign-in form, on the `at` page if named."""
        page = self.page
        page.goto("/admin")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("navigation").get_by_role("link", name="Usage").wait_for()
        if at is not None:
            self.open(at)
        return page

    def open(self, link: str) -> None:
        self.page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
        self.page.get_by_role("heading", level=1, name=link).wait_for()
        self.assert_nav_names_unique()

    def assert_nav_names_unique(self) -> None:
        """No other link's name contains a navigation link's name (Playwright matches names as
        case-insensitive substrings): `get_by_role("link", name="Settings")` finds one link on
        every page, whatever the tickets' subjects say."""
        for name in nav_links(self.page):
            assert self.page.get_by_role("link", name=name).count() == 1, name

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def me(self) -> dict:
        answer = self.context.request.get(f"{self.server.url}/api/trpc/auth.me")
        assert answer.status == 200
        data = answer.json()["result"]["data"]  # no transformer asked for: plain JSON
        return data.get("json", data)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} {response.url}")

    def _request(self, request: Any) -> None:
        # Offline: every request goes to this server (or stays in the page: data:, blob:).
        if not request.url.startswith((self.server.url + "/", "data:", "blob:")):
            self.problems.append(f"foreign request {request.url}")

    def refused(self, status: int, act: Callable[[], object], alert: str) -> None:
        """`act` is refused by the server with `status`, and the page says so in an alert with `alert`."""
        self.expected_refusals.append(status)  # its console line is then no problem (see close)
        act()
        self.page.get_by_role("alert").filter(has_text=alert).wait_for()

    def close(self) -> None:
        self.context.close()
        problems = list(self.problems)
        for status in self.expected_refusals:
            refusal = next((p for p in problems if p.startswith("console: Failed to load resource") and f"status of {status} " in p), None)
            assert refusal is not None, f"expected a {status} refusal: {problems}"
            problems.remove(refusal)
        assert problems == []


@pytest.fixture
def watched(browser: object, demo_server: LiveServer) -> Iterator[Watched]:
    session = Watched(browser, demo_server)
    yield session
    session.close()


def nav_links(page: object) -> list[str]:
    return page.get_by_role("navigation").get_by_role("link").all_inner_texts()  # type: ignore[attr-defined]


# ---- the bundle and the headers --------------------------------------------------------------------


def _require_build_tools() -> None:
    if not (ROOT / "admin" / "node_modules" / ".bin" / "esbuild").exists():
        pytest.fail("admin/node_modules is missing: `make test` installs it (or run `cd admin && npm ci`)")


def test_committed_bundle_equals_a_fresh_build(tmp_path: Path) -> None:
    _require_build_tools()
    built = subprocess.run(["node", "build.mjs", str(tmp_path)], cwd=ROOT / "admin", capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    committed = ROOT / "app" / "static" / "admin"
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert fresh == sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    for relative in fresh:
        assert (tmp_path / relative).read_bytes() == (committed / relative).read_bytes(), f"{relative} is stale: run `make admin`"


def test_dashboard_type_checks_strictly_against_the_generated_router() -> None:
    _require_build_tools()
    # tsconfig.json is strict; helpdesk-ai-client is clients/typescript, so a procedure whose
    # generated types change under the dashboard fails here, not in a browser.
    checked = subprocess.run(
        ["node", "node_modules/typescript/bin/tsc", "--noEmit", "--strict", "-p", "."], cwd=ROOT / "admin", capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_admin_is_served_with_a_strict_policy_and_client_routes_fall_back(demo_server: LiveServer) -> None:
    with httpx.Client(base_url=demo_server.url) as client:
        index = client.get("/admin/signin")
        policy = index.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        # No inline script or style in the page itself, and every asset is local.
        assert not re.search(r"<script(?![^>]*\bsrc=)", index.text) and "<style" not in index.text and "http" not in index.text
        # Client routes: index.html when signed in; without a session, the sign-in route.
        assert client.get("/admin/usage", follow_redirects=False).headers["location"] == "/admin/signin"
        client.cookies.set("hd_session", "anything")
        route = client.get("/admin/tickets/some-ticket")
        assert route.status_code == 200 and route.text == index.text
        assert client.get("/admin/assets/app.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/admin/assets/missing.js").status_code == 404
        assert client.get("/admin/../pyproject.toml").status_code == 404
        assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/"


# ---- an admin of a business organization --------------------------------------------------------


def test_admin_signs_in_and_sees_usage_matching_auth_me(watched: Watched) -> None:
    page = watched.page
    page.goto("/admin")
    watched.shot("sign-in")
    watched.sign_in("admin@acme.test")
    assert nav_links(page) == ["Usage", "Playground", "Tickets", "API keys", "Members", "Settings"]
    # Signed in by an HttpOnly cookie that the page's script cannot see (nor does it try).
    assert page.evaluate("document.cookie") == ""
    assert [cookie["httpOnly"] for cookie in watched.context.cookies()] == [True]
    assert "document.cookie" not in (ROOT / "app" / "static" / "admin" / "assets" / "app.js").read_text()
    watched.open("Usage")
    page.locator(".u-wrap canvas").first.wait_for()  # uPlot drew the chart
    used = watched.me()["usage"]["used"]
    assert page.locator("[data-figure=operations-used]").inner_text() == str(used)
    assert page.locator("[data-figure=operations-limit]").inner_text() == "Unlimited"
    assert page.get_by_role("table").filter(has_text="By operation").is_visible()
    watched.shot("usage")


def test_playground_runs_compares_and_exports(watched: Watched) -> None:
    page = watched.sign_in("admin@acme.test")
    before = watched.me()["usage"]["used"]
    watched.open("Playground")
    page.get_by_label("Tag").fill("billing")
    page.get_by_label("Limit").fill("4")
    page.get_by_role("button", name="Run").click()
    rows = page.locator(".results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 4
    assert page.get_by_role("columnheader", name="Intent").is_visible()
    assert watched.me()["usage"]["used"] == before + 1
    assert page.locator(".usage-badge").inner_text() == f"{before + 1} AI operations this period (unlimited)"

    # Compare the default prompt with one that forces a single intent: they must disagree somewhere.
    page.get_by_label("Compare with a second model or prompt").check()
    page.get_by_label("System prompt B").fill("Answer with the intent other for every ticket.")
    page.get_by_role("button", name="Run").click()
    page.get_by_role("columnheader", name="B: Intent").wait_for()
    assert page.locator(".results tbody tr").count() == 4
    assert watched.me()["usage"]["used"] == before + 3
    watched.shot("playground-compare")

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert table[0][:3] == ["ticket_id", "subject", "a_intent"] and len(table) == 5
    marked = page.locator(".results tbody tr.disagree").count()
    assert marked == sum(row[-1] == "yes" for row in table[1:])


def test_api_key_is_shown_once_and_revoked(watched: Watched) -> None:
    page = watched.sign_in("admin@acme.test", at="API keys")
    name = f"browser key {uuid4().hex[:6]}"
    page.get_by_label("Name").fill(name)
    page.get_by_label("ai:run").check()
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("New key secret").input_value()
    assert len(secret) > 20
    row = page.get_by_role("row").filter(has_text=name)
    assert "ticket:read, ai:run" in row.inner_text()
    # The key works (a server-to-server call with it), and its secret is nowhere once we leave.
    assert httpx.get(f"{watched.server.url}/api/trpc/auth.me", headers={"authorization": f"Bearer {secret}"}).status_code == 200
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied.").wait_for()
    watched.shot("api-keys")
    watched.open("Members")
    watched.open("API keys")
    page.get_by_role("row").filter(has_text=name).wait_for()
    assert secret not in page.content()

    page.get_by_role("row").filter(has_text=name).get_by_role("button", name="Revoke").click()
    page.get_by_text(f'Key "{name}" revoked').wait_for()
    playwright_api.expect(page.get_by_role("row").filter(has_text=name).get_by_role("button", name="Revoke")).to_have_count(0)
    assert httpx.get(f"{watched.server.url}/api/trpc/auth.me", headers={"authorization": f"Bearer {secret}"}).status_code == 401


def test_members_role_change_and_the_last_admin(watched: Watched) -> None:
    page = watched.sign_in("admin@acme.test", at="Members")
    watched.shot("members")
    page.get_by_label("Role of Vera Viewer").select_option("agent")
    page.get_by_text("Vera Viewer is now agent.").wait_for()
    page.get_by_label("Role of Vera Viewer").select_option("viewer")
    page.get_by_text("Vera Viewer is now viewer.").wait_for()
    # Ada is Acme's only admin: the server refuses, the page explains and keeps her an admin.
    watched.refused(412, lambda: page.get_by_label("Role of Ada Admin").select_option("agent"), "must keep at least one active admin")
    playwright_api.expect(page.get_by_label("Role of Ada Admin")).to_have_value("admin")
    # A wrong field is named: an e-mail address already in use.
    page.get_by_label("Email").fill("agent@acme.test")
    page.get_by_label("Full name").fill("Duplicate")
    watched.refused(409, page.get_by_role("button", name="Add member").click, "email: already in use")


def test_settings_save_and_name_the_wrong_field(watched: Watched) -> None:
    page = watched.sign_in("admin@globex.test", at="Settings")
    page.get_by_label("Reply tone").fill("formal")
    page.get_by_label("Auto-triage new tickets (one AI operation per ticket)").check()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Saved at").wait_for()
    watched.shot("settings")
    page.reload()
    page.get_by_role("heading", name="Settings").wait_for()
    assert page.get_by_label("Reply tone").input_value() == "formal"
    assert page.get_by_label("Auto-triage new tickets (one AI operation per ticket)").is_checked()
    page.get_by_label("Intents").fill("Not A Name: bad")
    watched.refused(400, page.get_by_role("button", name="Save settings").click, "aiSettings.intentTaxonomy")


def test_tickets_search_view_and_ai_actions_refresh_usage(watched: Watched) -> None:
    page = watched.sign_in("admin@acme.test", at="Tickets")
    page.get_by_text("unread messages in open tickets").wait_for()
    watched.shot("tickets")
    page.get_by_label("Status").select_option("open")
    page.get_by_label("Search").fill("refund")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        """() => {
            const rows = [...document.querySelectorAll("main tbody tr")];
            return rows.length > 0 && rows.every((row) => row.cells[2].textContent === "open");
        }"""
    )
    page.locator("tbody tr a").first.click()
    page.get_by_role("heading", name="AI assist").wait_for()
    watched.assert_nav_names_unique()
    before = watched.me()["usage"]["used"]
    actions = ("Summarize", "Analyze", "Draft replies", "Similar tickets", "Suggest articles", "Suggest assignee")
    for action in actions:
        page.get_by_role("button", name=f"{action} (1 operation)").click()
        page.locator(".ai-action").filter(has=page.get_by_role("button", name=f"{action} (1 operation)")).locator(".cost").wait_for()
    before += len(actions)
    assert page.get_by_role("alert").count() == 0
    watched.assert_nav_names_unique()
    assert watched.me()["usage"]["used"] == before
    assert page.locator(".usage-badge").inner_text() == f"{before} AI operations this period (unlimited)"
    assert page.locator("ol.drafts li").count() >= 2
    # A reply draft streamed over server-sent events: it grows in pieces, then the final event's
    # whole text stays, with feedback controls, and one more operation is counted.
    page.get_by_role("button", name="Stream a reply draft (1 operation)").click()
    streamed = page.get_by_label("Streamed draft", exact=True)
    page.get_by_role("group", name="Feedback on streamed draft").wait_for()
    assert int(streamed.get_attribute("data-chunks") or 0) >= 2
    assert len(streamed.inner_text().split()) >= 5
    before += 1
    assert watched.me()["usage"]["used"] == before
    page.get_by_role("group", name="Feedback on streamed draft").get_by_role("button", name="Accept").click()
    page.get_by_text("Feedback saved: accepted").wait_for()
    watched.shot("ticket")
    # The usage page now lists what those actions cost, and still agrees with auth.me.
    watched.open("Usage")
    page.locator(".u-wrap canvas").first.wait_for()
    assert page.locator("[data-figure=operations-used]").inner_text() == str(watched.me()["usage"]["used"])
    by_operation = page.get_by_role("table").filter(has_text="By operation")
    assert by_operation.get_by_role("row").filter(has_text="summarize").count() == 1
    watched.shot("usage-after-ai")


# ---- other roles and plans --------------------------------------------------------------------------


def test_agent_sees_no_admin_pages(watched: Watched) -> None:
    page = watched.sign_in("agent@acme.test")
    assert nav_links(page) == ["Usage", "Playground", "Tickets"]
    page.goto("/admin/members")  # a typed URL lands on Usage, not on a refused page
    page.get_by_role("heading", name="Usage").wait_for()
    watched.open("Playground")
    assert page.get_by_role("button", name="Run").is_disabled()
    watched.open("Tickets")
    page.locator("tbody tr a").first.click()
    assert page.get_by_role("button", name="Summarize (1 operation)").is_enabled()


def test_viewer_reads_only(watched: Watched) -> None:
    page = watched.sign_in("viewer@acme.test")
    assert nav_links(page) == ["Usage", "Playground", "Tickets"]
    watched.open("Tickets")
    page.locator("tbody tr a").first.click()
    page.get_by_text("read-only access").wait_for()
    assert page.get_by_role("button", name="Summarize (1 operation)").is_disabled()
    watched.shot("viewer-ticket")


def test_pro_plan_shows_upgrade_notes_for_full_assist(watched: Watched) -> None:
    page = watched.sign_in("admin@hooli.test", at="Usage")
    assert page.locator("[data-figure=operations-limit]").inner_text() == "500"
    watched.open("Playground")
    page.get_by_role("note").filter(has_text="business plan").wait_for()
    watched.shot("pro-playground")
    watched.open("Tickets")
    page.locator("tbody tr a").first.click()
    panel = page.get_by_role("complementary", name="AI assist")
    assert panel.get_by_role("button", name="Summarize (1 operation)").is_enabled()
    # Analyze, drafts, similar tickets, articles, assignee and the streamed draft need full assist.
    assert panel.get_by_role("note").filter(has_text="business plan").count() == 6
    panel.get_by_role("button", name="Summarize (1 operation)").click()
    panel.get_by_text("Used 1 AI operation").wait_for()
    assert page.locator(".usage-badge").inner_text() == "1 of 500 AI operations this period"


def test_free_plan_shows_an_upgrade_note_instead_of_errors(watched: Watched) -> None:
    page = watched.sign_in("admin@initech.test", at="Tickets")
    page.locator("tbody tr a").first.click()
    page.get_by_role("complementary", name="AI assist").get_by_role("note").filter(has_text="pro plan").wait_for()
    assert page.get_by_role("alert").count() == 0
    watched.shot("free-ticket")


# ---- the assist loop: auto-triage, feedback, the settings that steer them ---------------------------


def _create_ticket(watched: Watched, subject: str, description: str) -> dict:
    """A ticket as an integration would create it, on the signed-in person's session (the
    dashboard itself does not create tickets)."""
    answer = watched.context.request.post(
        f"{watched.server.url}/api/trpc/tickets.create",
        data={"subject": subject, "description": description},
        headers={"content-type": "application/json", "origin": watched.server.url},
    )
    assert answer.status == 200, answer.text()
    data = answer.json()["result"]["data"]
    return data.get("json", data)


def test_auto_triage_settings_saved_and_what_triage_did_shown_on_the_ticket(watched: Watched) -> None:
    page = watched.sign_in("admin@globex.test", at="Settings")
    # The pickers offer the deployment's allow-list from org.get, and nothing else.
    options = page.get_by_label("Model", exact=True).locator("option").all_inner_texts()
    assert options[0] == "Server default" and len(options) >= 2
    page.get_by_label("Auto-triage new tickets (one AI operation per ticket)").check()
    page.get_by_label("Apply priority").check()
    page.get_by_label("Apply tags").uncheck()
    page.get_by_label("Apply assignee").check()
    page.get_by_label("Assignee confidence threshold").fill("0.55")
    page.get_by_label("Keep the text people send with feedback").check()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Saved at").wait_for()
    page.reload()
    page.get_by_role("heading", name="Settings").wait_for()
    assert page.get_by_label("Auto-triage new tickets (one AI operation per ticket)").is_checked()
    assert page.get_by_label("Apply priority").is_checked()
    assert not page.get_by_label("Apply tags").is_checked()
    assert page.get_by_label("Apply assignee").is_checked()
    assert float(page.get_by_label("Assignee confidence threshold").input_value()) == 0.55
    assert page.get_by_label("Keep the text people send with feedback").is_checked()
    watched.shot("settings-triage")

    ticket = _create_ticket(
        watched,
        "Site down: checkout fails with an error for every customer",
        "Since this morning nobody can pay; every checkout shows error 500. Urgent, we are losing orders.",
    )
    # Triage runs in the background and lands within seconds.
    for _ in range(60):
        answer = watched.context.request.get(
            f"{watched.server.url}/api/trpc/tickets.get", params={"input": json.dumps({"id": ticket["id"]})}
        )
        assert answer.status == 200
        data = answer.json()["result"]["data"]
        triaged = data.get("json", data)["aiTriage"]
        if triaged and triaged["status"] != "pending":
            break
        page.wait_for_timeout(250)
    assert triaged and triaged["status"] == "applied", triaged
    watched.open("Tickets")
    page.get_by_label("Auto-triage").select_option("applied")
    page.get_by_role("button", name="Apply").click()
    row = page.get_by_role("row").filter(has_text=f"#{ticket['number']}")
    playwright_api.expect(row).to_have_count(1)
    assert "applied" in row.inner_text()
    # Every other ticket in this list was triaged too; "none" lists the untriaged ones instead.
    page.get_by_label("Auto-triage").select_option("none")
    page.get_by_role("button", name="Apply").click()
    playwright_api.expect(row).to_have_count(0)

    page.goto(f"/admin/tickets/{ticket['id']}")
    triage = page.get_by_role("region", name="Auto-triage")
    triage.wait_for()
    assert triage.locator("[data-triage=status]").inner_text() == "applied"
    applied = triage.locator("[data-triage=applied]").inner_text()
    assert "priority" in applied and "tags" not in applied  # tags were only suggested, as configured
    text = triage.inner_text()
    assert "suggested only" in text and "Model" in text and "Confidence" in text and "%" in text
    watched.shot("ticket-triage")


def test_feedback_from_the_ai_panel_shows_in_the_usage_acceptance_table(watched: Watched) -> None:
    page = watched.sign_in("admin@hooli.test", at="Usage")  # pro: summaries; its own feedback counts
    acceptance = page.get_by_role("table").filter(has_text="Feedback on AI suggestions")
    acceptance.wait_for()
    before = acceptance.get_by_role("row").filter(has_text="summarizeTicket")
    verdicts_before = int(before.locator("td").nth(2).inner_text()) if before.count() else 0

    watched.open("Tickets")
    page.locator("tbody tr a").first.click()
    panel = page.get_by_role("complementary", name="AI assist")
    panel.get_by_role("button", name="Summarize (1 operation)").click()
    feedback = panel.get_by_role("group", name="Feedback on summarize")
    feedback.get_by_role("button", name="Edit").click()
    edited = feedback.get_by_label("Edited summarize")
    assert edited.input_value()  # starts from the AI's summary
    edited.fill("Customer asks for a refund; confirm the order number first.")
    feedback.get_by_role("button", name="Send edited").click()
    feedback.get_by_text("Feedback saved: edited").wait_for()
    # A second summary, accepted: two suggestions, two verdicts.
    panel.get_by_role("button", name="Summarize (1 operation)").click()
    playwright_api.expect(feedback.get_by_text("Feedback saved: edited")).to_have_count(0)  # the new answer's controls
    feedback.get_by_role("button", name="Accept").wait_for()
    feedback.get_by_role("button", name="Accept").click()
    feedback.get_by_text("Feedback saved: accepted").wait_for()
    watched.shot("ticket-feedback")

    watched.open("Usage")
    row = page.get_by_role("table").filter(has_text="Feedback on AI suggestions").get_by_role("row").filter(has_text="summarizeTicket")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "summarizeTicket"
    assert int(cells[2]) == verdicts_before + 2
    if verdicts_before == 0:
        assert cells[3:] == ["50%", "50%", "0%"]
    watched.shot("usage-acceptance")


def test_playground_comparison_shows_each_sides_acceptance(watched: Watched) -> None:
    page = watched.sign_in("admin@acme.test", at="Playground")
    page.get_by_label("Tag").fill("billing")
    page.get_by_label("Limit").fill("2")
    page.get_by_label("Compare with a second model or prompt").check()
    page.get_by_label("System prompt B").fill("Answer with the intent other for every ticket.")
    page.get_by_role("button", name="Run").click()
    sides = page.get_by_role("list", name="Acceptance from feedback").get_by_role("listitem")
    sides.first.wait_for()
    assert sides.count() == 2
    assert all(("accepted" in text or "no feedback yet" in text) for text in sides.all_inner_texts())
