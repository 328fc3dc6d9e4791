// The shell: sign-in, the navigation, and client-side routes under /admin (the server answers
// index.html for each of them).
import { problem, trpc } from "./api";
import { h, replace } from "./dom";
import { renderKeys } from "./pages/keys";
import { renderMembers } from "./pages/members";
import { renderPlayground } from "./pages/playground";
import { renderSettings } from "./pages/settings";
import { renderSignIn } from "./pages/signin";
import { renderTicket, renderTickets } from "./pages/tickets";
import { renderUsage } from "./pages/usage";
import { BASE, currentPath, link, navigate, setRenderer } from "./router";
import { isAdmin, onUsage, refreshMe, session, usageLine } from "./session";
import { errorBox } from "./ui";


interface Page {
  path: string;
  title: string;
  adminOnly: boolean;
  render: (main: HTMLElement, rest: string) => Promise<void>;
}

const PAGES: Page[] = [
  { path: "usage", title: "Usage", adminOnly: false, render: renderUsage },
  { path: "playground", title: "Playground", adminOnly: false, render: renderPlayground },
  { path: "tickets", title: "Tickets", adminOnly: false, render: (main, rest) => (rest ? renderTicket(main, rest) : renderTickets(main)) },
  { path: "keys", title: "API keys", adminOnly: true, render: renderKeys },
  { path: "members", title: "Members", adminOnly: true, render: renderMembers },
  { path: "settings", title: "Settings", adminOnly: true, render: renderSettings },
];

const root = document.getElementById("app") as HTMLElement;

async function signOut(): Promise<void> {
  await trpc.auth.logout.mutate();
  session.me = null;
  navigate("signin", true);
}

function shell(active: string): HTMLElement {
  const me = session.me!;
  const usage = h("span", { class: "usage-badge", "aria-live": "polite" }, usageLine(me));
  onUsage((fresh) => replace(usage, usageLine(fresh)));
  const visible = PAGES.filter((page) => !page.adminOnly || isAdmin());
  const main = h("main", { id: "main" });
  const view = h(
    "div",
    { class: "layout" },
    h(
      "header",
      { class: "top" },
      h("span", { class: "brand" }, "helpdesk-ai"),
      h("span", { class: "org" }, `${me.organization.name} · ${me.plan.name} plan`),
      usage,
      h("span", { class: "who" }, `${me.user?.name ?? "API key"} (${me.user?.role ?? "key"})`),
      h("button", { type: "button", class: "link-button", onclick: () => void signOut() }, "Sign out"),
    ),
    h(
      "nav",
      { "aria-label": "Main" },
      h("ul", null, visible.map((page) => h("li", null, link(page.path, page.title, page.path === active ? { "aria-current": "page" } : {})))),
    ),
    main,
  );
  return view;
}

async function route(): Promise<void> {
  const path = currentPath();
  // The server sends a browser without a session cookie to /admin/signin: no auth.me call there.
  if (!session.me && path !== "signin") {
    try {
      await refreshMe();
    } catch (error) {
      if (problem(error).code !== "UNAUTHORIZED") {
        replace(root, errorBox(error));
        return;
      }
    }
  }
  if (!session.me) {
    if (path !== "signin") history.replaceState(null, "", `${BASE}/signin`);
    document.title = "Sign in · helpdesk-ai admin";
    renderSignIn(root, async () => {
      await refreshMe();
      navigate("usage", true);
    });
    return;
  }
  const [head = "", ...rest] = path.split("/");
  const page = PAGES.find((candidate) => candidate.path === head && (!candidate.adminOnly || isAdmin()));
  if (!page) {
    navigate("usage", true);
    return;
  }
  document.title = `${page.title} · helpdesk-ai admin`;
  replace(root, shell(page.path));
  const main = root.querySelector("main") as HTMLElement;
  try {
    await page.render(main, rest.join("/"));
  } catch (error) {
    if (problem(error).code === "UNAUTHORIZED") {
      session.me = null;
      navigate("signin", true);
      return;
    }
    main.append(errorBox(error));
  }
}

setRenderer(route);
window.addEventListener("popstate", () => void route());
void route();
