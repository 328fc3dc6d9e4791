// The prompt playground (seed 003): classify the organization's tickets carrying a tag with a
// chosen model and system prompt; optionally a second prompt or model side by side, rows where
// the two disagree marked; export as CSV.
import { trpc, type PromptTest } from "../api";
import { append, field, h, replace, uid } from "../dom";
import { allowedModels } from "../models";
import { hasFeature, isAdmin } from "../session";
import { metered, notice, table, upgradeNote } from "../ui";

type Result = PromptTest["results"][number];

interface Variant {
  label: string;
  model: HTMLSelectElement;
  prompt: HTMLTextAreaElement;
}

interface Row {
  subject: string;
  a: Result;
  /** undefined: no comparison; null: B did not return this ticket. */
  b?: Result | null;
}

function modelSelect(models: string[]): HTMLSelectElement {
  return h(
    "select",
    null,
    h("option", { value: "" }, "Organization default"),
    models.map((model) => h("option", { value: model }, model)),
  );
}

function variant(label: string, models: string[]): Variant {
  return { label, model: modelSelect(models), prompt: h("textarea", { rows: 3, placeholder: "Leave empty for the organization's classify prompt" }) };
}

function intentOf(result: Result): string {
  return result?.classification?.intent ?? "";
}

export function disagree(row: Row): boolean {
  return row.b !== undefined && (row.b === null || intentOf(row.a) !== intentOf(row.b));
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function toCsv(rows: Row[], compared: boolean): string {
  const side = (prefix: string) => [`${prefix}intent`, `${prefix}confidence`, `${prefix}language`, `${prefix}reasoning`, `${prefix}error`];
  const header = ["ticket_id", "subject", ...side(compared ? "a_" : ""), ...(compared ? [...side("b_"), "disagree"] : [])];
  const cells = (result: Result | null) => [
    result?.classification?.intent ?? "",
    result?.classification ? result.classification.confidence.toFixed(2) : "",
    result?.classification?.detectedLanguage ?? "",
    result?.classification?.reasoning ?? "",
    result?.error ?? "",
  ];
  const lines = rows.map((row) => [row.a.ticketId, row.subject, ...cells(row.a), ...(compared ? [...cells(row.b ?? null), disagree(row) ? "yes" : "no"] : [])]);
  return [header, ...lines].map((line) => line.map((cell) => csvCell(String(cell))).join(",")).join("\r\n") + "\r\n";
}

function resultCells(result: Result | null): HTMLElement[] {
  const c = result?.classification;
  return [
    h("td", null, c?.intent ?? "—"),
    h("td", { class: "num" }, c ? c.confidence.toFixed(2) : "—"),
    h("td", null, c?.detectedLanguage ?? "—"),
    h("td", { class: "reasoning" }, c?.reasoning ?? ""),
    h("td", { class: result?.error ? "error-cell" : "" }, result?.error ?? ""),
  ];
}

function resultsTable(rows: Row[], compared: boolean, models: [string, string | null]): HTMLTableElement {
  const side = ["Intent", "Confidence", "Language", "Reasoning", "Error"];
  const headers = compared
    ? ["Subject", ...side.map((name) => `A: ${name}`), ...side.map((name) => `B: ${name}`), "Agree"]
    : ["Subject", ...side];
  const body = rows.map((row) => {
    const differs = disagree(row);
    return h(
      "tr",
      { class: differs ? "disagree" : null, "data-disagree": compared ? String(differs) : null },
      h("td", null, row.subject),
      resultCells(row.a),
      compared ? resultCells(row.b ?? null) : null,
      compared ? h("td", null, differs ? h("strong", null, "Disagree") : "Agree") : null,
    );
  });
  const caption = compared ? `A: ${models[0]} — B: ${models[1]}` : `Model: ${models[0]}`;
  return table(headers, body, caption);
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const anchor = h("a", { href: url, download: name });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function knownTags(): Promise<string[]> {
  const page = await trpc.tickets.list.query({ limit: 100 });
  return [...new Set(page.items.flatMap((ticket) => ticket.tags))].sort();
}

export async function renderPlayground(main: HTMLElement): Promise<void> {
  main.append(h("h1", null, "Playground"), h("p", { class: "hint" }, "Classify this organization's tickets that carry a tag, with a chosen model and system prompt. Each run is one AI operation; a comparison is two."));
  if (!hasFeature("full")) {
    main.append(upgradeNote("full"));
    return;
  }
  const [models, tags] = await Promise.all([allowedModels(), knownTags()]);
  const listId = uid("tags");
  const tag = h("input", { type: "text", name: "tag", list: listId, maxlength: 64, placeholder: "e.g. billing (empty: any ticket)" });
  const limit = h("input", { type: "number", name: "limit", min: 1, max: 50, value: 10 });
  const a = variant("A", models);
  const b = variant("B", models);
  const compare = h("input", { type: "checkbox", name: "compare" });
  const second = h("fieldset", { class: "variant", hidden: true }, h("legend", null, "B: second model or prompt"), field("Model B", b.model), field("System prompt B", b.prompt));
  compare.addEventListener("change", () => {
    second.hidden = !compare.checked;
  });
  const status = h("div", { class: "status", "aria-live": "polite" });
  const output = h("div", { class: "results" });
  const run = h("button", { type: "submit" }, "Run");
  const admin = isAdmin();
  if (!admin) run.disabled = true;

  const form = h(
    "form",
    {
      class: "playground",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const input = (v: Variant) => ({
          ...(tag.value.trim() ? { tag: tag.value.trim() } : {}),
          limit: Number(limit.value),
          ...(v.model.value ? { model: v.model.value } : {}),
          ...(v.prompt.value.trim() ? { systemPrompt: v.prompt.value } : {}),
        });
        run.disabled = true;
        replace(output);
        const outcome = await metered(
          status,
          () => Promise.all([trpc.ai.testPrompts.mutate(input(a)), compare.checked ? trpc.ai.testPrompts.mutate(input(b)) : Promise.resolve(null)]),
          compare.checked ? 2 : 1,
        );
        run.disabled = false;
        if (!outcome) return;
        const [first, other] = outcome;
        const byId = new Map((other?.results ?? []).map((result) => [result.ticketId, result]));
        const rows: Row[] = first.results.map((result) =>
          other ? { subject: result.subject, a: result, b: byId.get(result.ticketId) ?? null } : { subject: result.subject, a: result },
        );
        const compared = other !== null;
        if (rows.length === 0) {
          replace(output, notice(`No ticket carries the tag "${tag.value.trim()}".`));
          return;
        }
        const differing = rows.filter(disagree).length;
        replace(
          output,
          h(
            "div",
            { class: "toolbar" },
            h("span", null, `${rows.length} tickets` + (compared ? `, ${differing} where A and B disagree` : "")),
            h("button", { type: "button", onclick: () => download(`playground-${tag.value.trim() || "all"}.csv`, toCsv(rows, compared)) }, "Export CSV"),
          ),
          resultsTable(rows, compared, [first.model, other?.model ?? null]),
        );
      },
    },
    h("datalist", { id: listId }, tags.map((name) => h("option", { value: name }))),
    h("div", { class: "row" }, field("Tag", tag), field("Limit", limit, "1 to 50 tickets")),
    h("fieldset", { class: "variant" }, h("legend", null, "A"), field("Model", a.model), field("System prompt", a.prompt)),
    h("div", { class: "field checkbox" }, h("label", null, compare, " Compare with a second model or prompt")),
    second,
    run,
  );
  append(main, [admin ? null : notice("Only administrators can run the playground."), form, status, output]);
  if (!admin) {
    for (const control of form.querySelectorAll("input, select, textarea, button")) (control as HTMLInputElement).disabled = true;
  }
}
