// API keys: create with scopes (the secret is shown once, with a copy button), list, revoke.
import { trpc, type ApiKey } from "../api";
import { field, formatDate, formatDateTime, h, replace } from "../dom";
import { actionForm, errorBox, table } from "../ui";

const SCOPES = [
  ["ticket:read", "Read tickets, articles, members and usage"],
  ["ticket:write", "Create and change tickets"],
  ["ai:run", "Run AI features (metered)"],
  ["admin", "Manage members, keys and settings"],
] as const;

type Scope = (typeof SCOPES)[number][0];

export async function renderKeys(main: HTMLElement): Promise<void> {
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 100, placeholder: "e.g. CRM sync" });
  const boxes = SCOPES.map(([scope, meaning]) => ({
    scope,
    box: h("input", { type: "checkbox", name: "scopes", value: scope, checked: scope === "ticket:read" }),
    meaning,
  }));
  const status = h("div", { class: "status", "aria-live": "polite" });
  const secret = h("div", { class: "secret-box" });
  const list = h("div");

  async function reload(): Promise<void> {
    const keys = await trpc.apiKeys.list.query();
    const active = keys.filter((key) => key.revokedAt === null);
    const revoked = keys.filter((key) => key.revokedAt !== null);
    const row = (key: ApiKey, withRevoke: boolean) =>
      h(
        "tr",
        { "data-key-id": key.id },
        h("td", null, key.name),
        h("td", null, h("code", null, key.prefix + "…")),
        h("td", null, key.scopes.join(", ")),
        h("td", null, formatDate(key.createdAt)),
        h("td", null, formatDateTime(key.lastUsedAt)),
        withRevoke
          ? h("td", null, h("button", { type: "button", class: "danger", "aria-label": `Revoke`, title: `Revoke ${key.name}`, onclick: () => void revoke(key) }, "Revoke"))
          : h("td", null, `Revoked ${formatDate(key.revokedAt)}`),
      );
    const activeRows = active.map((key) => row(key, true));
    replace(
      list,
      activeRows.length ? table(["Name", "Prefix", "Scopes", "Created", "Last used", ""], activeRows, "Active keys") : h("p", null, "No active keys."),
      revoked.length
        ? h("details", null, h("summary", null, `Revoked keys (${revoked.length})`), table(["Name", "Prefix", "Scopes", "Created", "Last used", "Revoked"], revoked.map((key) => row(key, false))))
        : null,
    );
  }

  async function revoke(key: ApiKey): Promise<void> {
    try {
      await trpc.apiKeys.revoke.mutate({ id: key.id });
      await reload();
      replace(status, h("span", { role: "status" }, `Key "${key.name}" revoked; it no longer signs requests.`));
    } catch (error) {
      replace(status, errorBox(error));
    }
  }

  // The secret is shown once, here; only its hash is stored.
  async function createKey(): Promise<void> {
    replace(secret);
    const scopes: Scope[] = boxes.filter((item) => item.box.checked).map((item) => item.scope);
    const created = await trpc.apiKeys.create.mutate({ name: name.value, scopes });
    const value = h("input", { type: "text", readonly: true, value: created.key, class: "secret", "aria-label": "New key secret" });
    const copied = h("span", { "aria-live": "polite" });
    replace(
      secret,
      h("p", null, h("strong", null, `Key "${created.name}" created. `), "Copy the secret now: it is shown only once and cannot be shown again."),
      h(
        "div",
        { class: "row" },
        value,
        h("button", {
          type: "button",
          onclick: async () => {
            value.select();
            try {
              await navigator.clipboard.writeText(created.key);
              replace(copied, "Copied.");
            } catch {
              replace(copied, "Selected: press Ctrl+C to copy.");
            }
          },
        }, "Copy"),
        copied,
      ),
    );
    name.value = "";
    await reload();
  }

  const form = actionForm(
    { class: "key-form", submit: "Create key", status, run: createKey },
    h("h2", null, "New key"),
    field("Name", name),
    h("fieldset", null, h("legend", null, "Scopes"), boxes.map((item) => h("label", { class: "checkbox" }, item.box, ` ${item.scope} — ${item.meaning}`))),
  );
  main.append(h("h1", null, "API keys"), h("p", { class: "hint" }, "Keys let other servers call the API with Authorization: Bearer <key>. Only a hash is stored."), form, secret, list);
  await reload();
}
