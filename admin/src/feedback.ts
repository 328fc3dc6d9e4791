// Feedback on an AI answer: Accept, Edit (the person corrects the text and sends what they kept)
// or Reject, through ai.feedback. A later verdict by the same person replaces the earlier one.
import { trpc, type FeedbackRates } from "./api";
import { h, replace } from "./dom";
import { canWrite } from "./session";
import { errorBox } from "./ui";

type Verdict = "accepted" | "edited" | "rejected";

/** The controls under one answer. `text` is what Edit starts from (a draft, a summary). */
export function feedbackControls(suggestionId: string, subject: string, text: string): HTMLElement {
  const status = h("div", { class: "status", "aria-live": "polite" });
  const editor = h("div", { class: "feedback-editor" });
  const disabled = !canWrite();

  async function send(verdict: Verdict, finalText?: string): Promise<void> {
    try {
      const saved = await trpc.ai.feedback.mutate({ suggestionId, verdict, ...(finalText !== undefined ? { finalText } : {}) });
      const kept = saved.finalTextKept ? " (your text was kept)" : "";
      replace(status, h("span", { class: "cost" }, `Feedback saved: ${saved.verdict}${kept}`));
      replace(editor);
    } catch (error) {
      replace(status, errorBox(error));
    }
  }

  function openEditor(): void {
    const area = h("textarea", { rows: 6, maxlength: 100_000, "aria-label": `Edited ${subject}` });
    area.value = text;
    replace(
      editor,
      area,
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => void send("edited", area.value) }, "Send edited"),
        h("button", { type: "button", onclick: () => replace(editor) }, "Cancel"),
      ),
    );
    area.focus();
  }

  return h(
    "div",
    { class: "feedback", role: "group", "aria-label": `Feedback on ${subject}` },
    h("button", { type: "button", disabled, onclick: () => void send("accepted") }, "Accept"),
    h("button", { type: "button", disabled, onclick: openEditor }, "Edit"),
    h("button", { type: "button", disabled, onclick: () => void send("rejected") }, "Reject"),
    editor,
    status,
  );
}

export function rate(value: number | null): string {
  return value === null ? "—" : `${Math.round(value * 100)}%`;
}

/** "75% accepted of 4 verdicts", or a note that nobody has judged yet. */
export function acceptanceLine(rates: FeedbackRates | undefined): string {
  if (!rates || rates.verdicts === 0) return "no feedback yet";
  return `${rate(rates.acceptanceRate)} accepted, ${rate(rates.editRate)} edited, ${rate(rates.rejectionRate)} rejected of ${rates.verdicts} verdicts`;
}
