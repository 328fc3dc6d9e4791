// Settings: the organization's AI settings (org.get / org.update).
import { trpc, type Organization } from "../api";
import { field, h, replace } from "../dom";
import { actionForm, table } from "../ui";

const OPERATIONS = ["summarize", "sentiment", "priority", "tags", "replies", "classify", "improve", "rank", "analyze"] as const;
type Operation = (typeof OPERATIONS)[number];
const TRIAGE_FIELDS = ["priority", "tags", "assignee"] as const;
const TONES = ["friendly", "formal", "empathetic", "concise", "professional"];

/** "name: description" per line; the server validates names (lower-case, digits, underscores). */
export function parseTaxonomy(text: string): { name: string; description: string }[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(":");
      return at < 0 ? { name: line, description: "" } : { name: line.slice(0, at).trim(), description: line.slice(at + 1).trim() };
    });
}

export async function renderSettings(main: HTMLElement): Promise<void> {
  const org = await trpc.org.get.query();
  const models = org.allowedModels;
  const ai = org.aiSettings;
  const model = h(
    "select",
    { name: "model" },
    h("option", { value: "", selected: ai.model === null }, "Server default"),
    models.map((name) => h("option", { value: name, selected: name === ai.model }, name)),
  );
  const fallbacks = models.map((name) => ({ name, box: h("input", { type: "checkbox", value: name, checked: ai.fallbackModels.includes(name) }) }));
  const prompts = OPERATIONS.map((operation) => ({
    operation,
    area: h("textarea", { rows: 2, name: `prompt-${operation}`, placeholder: "Built-in prompt" }, ai.systemPrompts[operation] ?? ""),
  }));
  const taxonomy = h(
    "textarea",
    { rows: 6, name: "taxonomy", placeholder: "Empty: the default five cancellation intents" },
    ai.intentTaxonomy.map((intent) => (intent.description ? `${intent.name}: ${intent.description}` : intent.name)).join("\n"),
  );
  const tone = h("input", { type: "text", name: "replyTone", value: ai.replyTone, list: "tones", maxlength: 40 });
  const autoTriage = h("input", { type: "checkbox", name: "autoTriage", checked: ai.autoTriage });
  const redact = h("input", { type: "checkbox", name: "redactPii", checked: ai.redactPii });
  const applyBoxes = TRIAGE_FIELDS.map((name) => ({
    name,
    box: h("input", { type: "checkbox", name: `autoTriageApply-${name}`, value: name, checked: ai.autoTriageApply.includes(name) }),
  }));
  const threshold = h("input", {
    type: "number",
    name: "autoTriageAssigneeMinConfidence",
    min: 0,
    max: 1,
    step: 0.05,
    value: ai.autoTriageAssigneeMinConfidence,
  });
  const keepText = h("input", { type: "checkbox", name: "keepFeedbackText", checked: ai.keepFeedbackText });
  const status = h("div", { class: "status", "aria-live": "polite" });
  // Empty prompt boxes send nothing: the built-in prompt stays.
  async function saveSettings(): Promise<void> {
    const systemPrompts: Partial<Record<Operation, string>> = {};
    for (const { operation, area } of prompts) if (area.value.trim()) systemPrompts[operation] = area.value;
    const saved: Organization = await trpc.org.update.mutate({
      aiSettings: {
        model: model.value || null,
        fallbackModels: fallbacks.filter((item) => item.box.checked).map((item) => item.name),
        systemPrompts,
        intentTaxonomy: parseTaxonomy(taxonomy.value),
        replyTone: tone.value.trim(),
        autoTriage: autoTriage.checked,
        autoTriageApply: applyBoxes.filter((item) => item.box.checked).map((item) => item.name),
        autoTriageAssigneeMinConfidence: Number(threshold.value),
        keepFeedbackText: keepText.checked,
        redactPii: redact.checked,
      },
    });
    replace(status, h("p", { class: "notice", role: "status" }, `Saved at ${saved.updatedAt.toISOString().slice(11, 19)} UTC.`));
  }

  const form = actionForm(
    { class: "settings", submit: "Save settings", status, run: saveSettings },
    h("h2", null, "Models"),
    field("Model", model, "From the models this server can run; the default is the server's engine."),
    h("fieldset", null, h("legend", null, "Fallback models (tried in order when the model fails)"), fallbacks.map((item) => h("label", { class: "checkbox" }, item.box, ` ${item.name}`))),
    h("h2", null, "Replies and triage"),
    h("datalist", { id: "tones" }, TONES.map((name) => h("option", { value: name }))),
    field("Reply tone", tone),
    h("div", { class: "field checkbox" }, h("label", null, autoTriage, " Auto-triage new tickets (one AI operation per ticket)")),
    h(
      "fieldset",
      null,
      h("legend", null, "What auto-triage applies (the rest it only suggests; a person's explicit choice is never overwritten)"),
      applyBoxes.map((item) => h("label", { class: "checkbox" }, item.box, ` Apply ${item.name}`)),
    ),
    field("Assignee confidence threshold", threshold, "0 to 1: auto-triage assigns the suggested agent only at this confidence or above."),
    h("div", { class: "field checkbox" }, h("label", null, keepText, " Keep the text people send with feedback on AI suggestions (it may hold customer data)")),
    h("div", { class: "field checkbox" }, h("label", null, redact, " Redact personal data before it reaches a hosted model")),
    h("h2", null, "Intent taxonomy"),
    field("Intents", taxonomy, "One per line: name: description (names in lower case with underscores)"),
    h("h2", null, "System prompts per operation"),
    h("p", { class: "hint" }, "Empty: the built-in prompt."),
    table(["Operation", "System prompt"], prompts.map(({ operation, area }) => {
      area.setAttribute("aria-label", `System prompt for ${operation}`);
      return h("tr", null, h("th", { scope: "row" }, operation), h("td", null, area));
    })),
  );
  main.append(h("h1", null, "Settings"), h("p", { class: "hint" }, `${org.name} · ${org.plan} plan`), form);
}
