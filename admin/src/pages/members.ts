// Members: list, create, change role, deactivate. The server refuses to demote or deactivate the
// last active admin; the page says why and puts the control back.
import { problem, trpc, type Member } from "../api";
import { field, formatDate, h, replace } from "../dom";
import { refreshMe, session } from "../session";
import { actionForm, errorBox, table } from "../ui";

const ROLES = ["admin", "agent", "viewer"] as const;
type Role = (typeof ROLES)[number];

const LAST_ADMIN =
  "The organization must keep at least one active admin, so the server refused this. Make another member an admin first, then change this one.";

function explain(error: unknown): HTMLElement {
  return problem(error).code === "PRECONDITION_FAILED"
    ? h("p", { class: "error", role: "alert" }, LAST_ADMIN + ` (${problem(error).field ?? "role"}: ${problem(error).message})`)
    : errorBox(error);
}

export async function renderMembers(main: HTMLElement): Promise<void> {
  const status = h("div", { class: "status", "aria-live": "polite" });
  const list = h("div");

  async function update(member: Member, change: { role?: Role; active?: boolean }): Promise<void> {
    replace(status);
    try {
      const updated = await trpc.users.update.mutate({ id: member.id, ...change });
      const what = change.role ? `is now ${updated.role}` : updated.active ? "is active again" : "is deactivated and signed out";
      replace(status, h("p", { class: "notice", role: "status" }, `${updated.name} ${what}.`));
      if (member.id === session.me?.user?.id) await refreshMe();
    } catch (error) {
      replace(status, explain(error));
    }
    await reload();
  }

  async function reload(): Promise<void> {
    const members = await trpc.users.list.query({ includeInactive: true });
    const rows = members.map((member) => {
      const role = h(
        "select",
        { "aria-label": `Role of ${member.name}`, disabled: !member.active },
        ROLES.map((name) => h("option", { value: name, selected: name === member.role }, name)),
      );
      role.addEventListener("change", () => void update(member, { role: role.value as Role }));
      return h(
        "tr",
        { class: member.active ? null : "inactive" },
        h("td", null, member.name, member.id === session.me?.user?.id ? h("small", null, " (you)") : null),
        h("td", null, member.email),
        h("td", null, role),
        h("td", null, member.expertise.join(", ") || "—"),
        h("td", null, member.active ? "Active" : "Deactivated"),
        h("td", null, formatDate(member.createdAt)),
        h(
          "td",
          null,
          h("button", { type: "button", class: member.active ? "danger" : "", "aria-label": `${member.active ? "Deactivate" : "Reactivate"} ${member.name}`, onclick: () => void update(member, { active: !member.active }) }, member.active ? "Deactivate" : "Reactivate"),
        ),
      );
    });
    replace(list, table(["Name", "Email", "Role", "Expertise", "Status", "Joined", ""], rows, `${members.length} members`));
  }

  const email = h("input", { type: "email", name: "email", required: true });
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 200 });
  const role = h("select", { name: "role" }, ROLES.map((value) => h("option", { value, selected: value === "agent" }, value)));
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password" });
  const expertise = h("input", { type: "text", name: "expertise", placeholder: "billing, shipping" });
  const createStatus = h("div", { class: "status", "aria-live": "polite" });
  // Without a password the member exists but cannot sign in until one is set.
  async function addMember(): Promise<void> {
    const created = await trpc.users.create.mutate({
      email: email.value,
      name: name.value,
      role: role.value as Role,
      ...(password.value ? { password: password.value } : {}),
      expertise: expertise.value.split(",").map((tag) => tag.trim()).filter(Boolean),
    });
    replace(createStatus, h("p", { class: "notice", role: "status" }, `${created.name} added as ${created.role}.`));
    for (const input of [email, name, password, expertise]) input.value = "";
    await reload();
  }

  const form = actionForm(
    { submit: "Add member", status: createStatus, run: addMember },
    h("h2", null, "Add a member"),
    h("div", { class: "row" }, field("Email", email), field("Full name", name), field("Role", role)),
    h("div", { class: "row" }, field("Password", password, "Optional: without one the member cannot sign in until it is set"), field("Expertise", expertise, "Comma-separated tags, used to suggest assignees")),
  );
  main.append(h("h1", null, "Members"), status, list, form);
  await reload();
}
