// Shared pieces: error and notice boxes, the upgrade note, the cost note of AI actions.
import { describe, problem } from "./api";
import { h, replace, type Child } from "./dom";
import { aiFeatures, refreshMe, session, usageLine } from "./session";

export function errorBox(error: unknown): HTMLElement {
  const p = problem(error);
  if (p.upgrade) return upgradeNote(p.message.includes("full") ? "full" : "basic");
  return h("p", { class: "error", role: "alert" }, describe(error));
}

export function notice(text: string): HTMLElement {
  return h("p", { class: "notice", role: "status" }, text);
}

/** Where a plan lacks a feature: what it would give and which plan has it. */
export function upgradeNote(feature: "basic" | "full"): HTMLElement {
  const plan = session.me?.organization.plan ?? aiFeatures();
  const needed = feature === "full" ? "the business plan (full AI assist)" : "the pro plan or higher (AI features)";
  return h(
    "div",
    { class: "upgrade", role: "note" },
    h("strong", null, "Upgrade to use this. "),
    `Your organization is on the ${plan} plan; this needs ${needed}. An administrator can ask for a plan change.`,
  );
}

export function readOnlyNote(): HTMLElement {
  return h("p", { class: "notice", role: "note" }, "You have read-only access (viewer role).");
}

/**
 * Runs one metered AI call: shows that it costs one operation, then refreshes the period's usage
 * (header and this note) so the person sees what it cost against the quota.
 */
export async function metered<T>(status: HTMLElement, call: () => Promise<T>, operations = 1): Promise<T | null> {
  const cost = operations === 1 ? "1 AI operation" : `${operations} AI operations`;
  replace(status, h("span", { class: "busy" }, `Working… (${cost})`));
  try {
    const result = await call();
    const me = await refreshMe();
    replace(status, h("span", { class: "cost" }, `Used ${cost} — now ${usageLine(me)}`));
    return result;
  } catch (error) {
    replace(status, errorBox(error));
    await refreshMe().catch(() => undefined);
    return null;
  }
}

export function table(headers: string[], rows: HTMLElement[], caption?: string): HTMLTableElement {
  return h(
    "table",
    null,
    caption ? h("caption", null, caption) : null,
    h("thead", null, h("tr", null, headers.map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", null, rows),
  );
}

/** A form's look and what it does when submitted: its submit button's label, where its outcome shows, the work. */
export interface FormAction {
  class?: string;
  submit: string;
  status: HTMLElement;
  run: () => Promise<void>;
}

/**
 * A form of `fields`, then its submit button and status. A submit runs the action with the
 * dashboard's usual care: the button is disabled while it runs (no double submission), the status
 * is cleared first and shows the refusal if it fails (a tRPC error names the field), and the
 * button comes back either way.
 */
export function actionForm(action: FormAction, ...fields: Child[]): HTMLFormElement {
  const submit = h("button", { type: "submit" }, action.submit);
  const onsubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    submit.disabled = true;
    replace(action.status);
    try {
      await action.run();
    } catch (error) {
      replace(action.status, errorBox(error));
    } finally {
      submit.disabled = false;
    }
  };
  return h("form", { class: action.class, onsubmit }, fields, submit, action.status);
}
