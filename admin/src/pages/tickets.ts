// Tickets: the list with search, filters and unread counts; one ticket with its messages and the
// AI panel. Every AI action says it costs one operation and refreshes the usage figure.
import { trpc, type Ticket, type TicketWithMessages, type TriageRecord } from "../api";
import { feedbackControls } from "../feedback";
import { field, formatDateTime, h, replace } from "../dom";
import { link } from "../router";
import { canWrite, hasFeature } from "../session";
import { errorBox, metered, notice, readOnlyNote, table, upgradeNote } from "../ui";

const STATUSES = ["open", "pending", "on_hold", "resolved", "closed"] as const;
const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
const TRIAGE_STATES = ["pending", "applied", "skipped", "failed", "none"] as const;
const PAGE_SIZE = 25;

type Status = (typeof STATUSES)[number];
type Priority = (typeof PRIORITIES)[number];
type TriageState = (typeof TRIAGE_STATES)[number];

function choice(name: string, values: readonly string[]): HTMLSelectElement {
  return h("select", { name }, h("option", { value: "" }, "Any"), values.map((value) => h("option", { value }, value.replace("_", " "))));
}

export async function renderTickets(main: HTMLElement): Promise<void> {
  const search = h("input", { type: "search", name: "search", maxlength: 500, placeholder: "Words in subject, text or customer" });
  const status = choice("status", STATUSES);
  const priority = choice("priority", PRIORITIES);
  const tag = h("input", { type: "text", name: "tag", maxlength: 64 });
  const triage = choice("aiTriage", TRIAGE_STATES);
  const members = await trpc.users.list.query({});
  const names = new Map(members.map((member) => [member.id, member.name]));
  const assignee = h(
    "select",
    { name: "assignee" },
    h("option", { value: "" }, "Anyone"),
    members.filter((member) => member.role !== "viewer").map((member) => h("option", { value: member.id }, member.name)),
  );
  const unread = h("span", { class: "unread-total" });
  const list = h("div");
  let offset = 0;

  async function reload(): Promise<void> {
    const [page, count] = await Promise.all([
      trpc.tickets.list.query({
        limit: PAGE_SIZE,
        offset,
        ...(search.value.trim() ? { search: search.value.trim() } : {}),
        ...(status.value ? { status: status.value as Status } : {}),
        ...(priority.value ? { priority: priority.value as Priority } : {}),
        ...(tag.value.trim() ? { tag: tag.value.trim().toLowerCase() } : {}),
        ...(assignee.value ? { assigneeId: assignee.value } : {}),
        ...(triage.value ? { aiTriage: triage.value as TriageState } : {}),
      }),
      trpc.tickets.unreadCount.query(),
    ]);
    replace(unread, `${count.count} unread messages in open tickets`);
    const rows = page.items.map((ticket: Ticket) =>
      h(
        "tr",
        { class: ticket.unreadCount > 0 ? "unread" : null },
        // The number is the link: a subject can hold any words, and the links' names must not
        // collide with the navigation's ("Settings", "Usage"...), which people and tests rely on.
        h("td", { class: "num" }, link(`tickets/${ticket.id}`, `#${ticket.number}`)),
        h("td", null, ticket.subject),
        h("td", null, ticket.status.replace("_", " ")),
        h("td", null, ticket.priority),
        h("td", null, ticket.aiTriage?.status ?? "—"),
        h("td", null, ticket.tags.join(", ")),
        h("td", null, ticket.customer?.name ?? ticket.customer?.email ?? "—"),
        h("td", null, names.get(ticket.assigneeId ?? "") ?? "—"),
        h("td", { class: "num" }, ticket.unreadCount > 0 ? h("span", { class: "badge", title: "Unread messages" }, String(ticket.unreadCount)) : "0"),
        h("td", null, formatDateTime(ticket.updatedAt)),
      ),
    );
    const last = Math.min(offset + PAGE_SIZE, page.total);
    replace(
      list,
      page.items.length
        ? table(["#", "Subject", "Status", "Priority", "Auto-triage", "Tags", "Customer", "Assignee", "Unread", "Updated"], rows, `${offset + 1}–${last} of ${page.total}${page.totalExact ? "" : "+"} tickets`)
        : notice("No ticket matches."),
      h(
        "div",
        { class: "pager" },
        h("button", { type: "button", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE_SIZE); void reload(); } }, "Previous"),
        h("button", { type: "button", disabled: last >= page.total, onclick: () => { offset += PAGE_SIZE; void reload(); } }, "Next"),
      ),
    );
  }

  const filters = h(
    "form",
    {
      class: "filters row",
      role: "search",
      onsubmit: (event: Event) => {
        event.preventDefault();
        offset = 0;
        reload().catch((error: unknown) => replace(list, errorBox(error)));
      },
    },
    field("Search", search),
    field("Status", status),
    field("Priority", priority),
    field("Tag filter", tag),
    field("Assignee", assignee),
    field("Auto-triage", triage, "none: never triaged"),
    h("button", { type: "submit" }, "Apply"),
  );
  main.append(h("h1", null, "Tickets"), unread, filters, list);
  await reload();
}

/** What an action shows, and the suggestion a person can accept, edit or reject. */
type Answer = { output: HTMLElement; suggestionId: string; text: string };

type Action = {
  label: string;
  feature: "basic" | "full";
  run: (ticket: TicketWithMessages) => Promise<Answer>;
};

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

const ACTIONS: Action[] = [
  {
    label: "Summarize",
    feature: "basic",
    run: async (ticket) => {
      const { summary, suggestionId } = await trpc.ai.summarizeTicket.mutate({ ticketId: ticket.id });
      return { output: h("p", null, summary), suggestionId, text: summary };
    },
  },
  {
    label: "Analyze",
    feature: "full",
    run: async (ticket) => {
      const analysis = await trpc.ai.analyzeTicket.mutate({ ticketId: ticket.id });
      const output = h(
        "dl",
        null,
        h("dt", null, "Summary"), h("dd", null, analysis.summary),
        h("dt", null, "Priority"), h("dd", null, `${analysis.priority.priority} (${percent(analysis.priority.confidence)}) — ${analysis.priority.reasoning}`),
        h("dt", null, "Sentiment"), h("dd", null, `${analysis.sentiment.sentiment} (score ${analysis.sentiment.score.toFixed(2)}, urgency ${analysis.sentiment.urgency})`),
        h("dt", null, "Tags"), h("dd", null, analysis.tags.join(", ") || "—"),
      );
      return { output, suggestionId: analysis.suggestionId, text: analysis.summary };
    },
  },
  {
    label: "Draft replies",
    feature: "full",
    run: async (ticket) => {
      const { suggestions, suggestionId } = await trpc.ai.generateReplySuggestions.mutate({ ticketId: ticket.id });
      const output = h("ol", { class: "drafts" }, suggestions.map((draft) => h("li", null, h("strong", null, `${draft.tone} · ${draft.length}`), h("p", null, draft.text))));
      // Edit starts from the first draft: the one in the organization's preferred tone.
      return { output, suggestionId, text: suggestions[0]?.text ?? "" };
    },
  },
  {
    label: "Similar tickets",
    feature: "full",
    run: async (ticket) => {
      const { similarTickets, suggestionId } = await trpc.ai.findSimilarTickets.mutate({ ticketId: ticket.id, limit: 5 });
      if (!similarTickets.length) return { output: h("p", null, "No similar tickets."), suggestionId, text: "" };
      const output = h(
        "ul",
        null,
        similarTickets.map((match) =>
          h("li", null, match.ticket.subject, ` — ${percent(match.similarity)} similar, ${match.ticket.status} `, link(`tickets/${match.ticket.id}`, "open")),
        ),
      );
      return { output, suggestionId, text: similarTickets.map((match) => match.ticket.subject).join("\n") };
    },
  },
  {
    label: "Suggest articles",
    feature: "full",
    run: async (ticket) => {
      const { suggestions, suggestionId } = await trpc.ai.suggestArticles.mutate({ ticketId: ticket.id });
      if (!suggestions.length) return { output: h("p", null, "No published article fits."), suggestionId, text: "" };
      const output = h("ul", null, suggestions.map((item) => h("li", null, h("strong", null, item.article.title), ` — ${percent(item.relevance)}: ${item.reasoning}`)));
      return { output, suggestionId, text: suggestions.map((item) => item.article.title).join("\n") };
    },
  },
  {
    label: "Suggest assignee",
    feature: "full",
    run: async (ticket) => {
      const { suggestion, suggestionId } = await trpc.ai.suggestAssignee.mutate({ ticketId: ticket.id, subject: ticket.subject, description: ticket.descriptionText || ticket.subject });
      const output = suggestion
        ? h("p", null, h("strong", null, suggestion.agentName), ` (${percent(suggestion.confidence)}): ${suggestion.reasoning}`)
        : h("p", null, "No agent fits this ticket.");
      return { output, suggestionId, text: suggestion?.agentName ?? "" };
    },
  },
];

/**
 * One reply draft streamed as the model writes it (ai.streamReply over server-sent events): the
 * text grows in place, and the final event brings the whole draft and its suggestion id, which
 * gets the same Accept / Edit / Reject controls as every other answer.
 */
function streamedDraft(ticket: TicketWithMessages): HTMLElement {
  const section = h("section", { class: "ai-action" });
  if (!hasFeature("full")) {
    section.append(h("h3", null, "Stream a reply draft"), upgradeNote("full"));
    return section;
  }
  const cost = h("div", { class: "status", "aria-live": "polite" });
  const draft = h("p", { class: "streamed-draft", "aria-label": "Streamed draft", "aria-busy": "false" });
  const after = h("div");
  const button = h("button", { type: "button", disabled: !canWrite() }, "Stream a reply draft (1 operation)");
  button.addEventListener("click", async () => {
    button.disabled = true;
    replace(draft);
    replace(after);
    draft.setAttribute("aria-busy", "true");
    let chunks = 0;
    const done = await metered(cost, () =>
      new Promise<{ text: string; suggestionId: string }>((resolve, reject) => {
        const subscription = trpc.ai.streamReply.subscribe(
          { ticketId: ticket.id },
          {
            onData: (event) => {
              // The person left the ticket: stop the model rather than stream into nothing.
              if (!draft.isConnected) {
                subscription.unsubscribe();
                reject(new Error("The ticket view was closed"));
              } else if (event.type === "delta") {
                chunks += 1;
                draft.append(event.delta);
                draft.setAttribute("data-chunks", String(chunks));
              } else {
                subscription.unsubscribe();
                resolve({ text: event.text, suggestionId: event.suggestionId });
              }
            },
            onError: (error) => {
              subscription.unsubscribe();
              reject(error);
            },
          },
        );
      }),
    );
    draft.setAttribute("aria-busy", "false");
    if (done) {
      replace(draft, done.text); // the server's whole text: the deltas joined
      replace(after, feedbackControls(done.suggestionId, "streamed draft", done.text));
    }
    button.disabled = false;
  });
  section.append(button, cost, draft, after);
  return section;
}

function aiPanel(ticket: TicketWithMessages): HTMLElement {
  const panel = h("aside", { class: "ai-panel", "aria-label": "AI assist" }, h("h2", null, "AI assist"), h("p", { class: "hint" }, "Each action costs 1 AI operation from this period's quota."));
  if (!hasFeature("basic")) {
    panel.append(upgradeNote("basic"));
    return panel;
  }
  if (!canWrite()) panel.append(readOnlyNote());
  for (const action of ACTIONS) {
    const section = h("section", { class: "ai-action" });
    const result = h("div", { class: "ai-result" });
    const cost = h("div", { class: "status", "aria-live": "polite" });
    if (!hasFeature(action.feature)) {
      section.append(h("h3", null, action.label), upgradeNote(action.feature));
    } else {
      const button = h("button", { type: "button", disabled: !canWrite() }, `${action.label} (1 operation)`);
      button.addEventListener("click", async () => {
        button.disabled = true;
        const answer = await metered(cost, () => action.run(ticket));
        if (answer) replace(result, answer.output, feedbackControls(answer.suggestionId, action.label.toLowerCase(), answer.text));
        button.disabled = false;
      });
      section.append(button, cost, result);
    }
    panel.append(section);
  }
  panel.append(streamedDraft(ticket));
  return panel;
}

function triageFacts(record: TriageRecord, names: Map<string, string>): HTMLElement {
  const suggested = record.suggested;
  const applied = new Set(record.applied);
  const mark = (name: "priority" | "tags" | "assignee"): string => (applied.has(name) ? "applied" : "suggested only");
  const facts: HTMLElement[] = [
    h("dt", null, "Status"), h("dd", { "data-triage": "status" }, record.reason ? `${record.status} (${record.reason})` : record.status),
    h("dt", null, "When"), h("dd", null, formatDateTime(record.at)),
    h("dt", null, "Applied"), h("dd", { "data-triage": "applied" }, record.applied.join(", ") || "nothing"),
  ];
  if (suggested) {
    facts.push(
      h("dt", null, "Priority"), h("dd", null, `${suggested.priority} — ${mark("priority")}`),
      h("dt", null, "Tags"), h("dd", null, `${suggested.tags.join(", ") || "none"} — ${mark("tags")}`),
      h("dt", null, "Sentiment"), h("dd", null, `${suggested.sentiment} — suggested only`),
      h("dt", null, "Assignee"),
      h("dd", null, suggested.assignee
        ? `${names.get(suggested.assignee.agentId) ?? suggested.assignee.agentName} (${percent(suggested.assignee.confidence)}) — ${mark("assignee")}`
        : "no agent fits"),
    );
  }
  facts.push(
    h("dt", null, "Confidence"), h("dd", null, record.confidence === null ? "—" : percent(record.confidence)),
    h("dt", null, "Model"), h("dd", null, record.model ?? "—"),
  );
  return h("section", { class: "triage", "aria-label": "Auto-triage" }, h("h2", null, "Auto-triage"), h("dl", null, facts));
}

export async function renderTicket(main: HTMLElement, id: string): Promise<void> {
  const [ticket, members] = await Promise.all([trpc.tickets.get.query({ id }), trpc.users.list.query({})]);
  const names = new Map(members.map((member) => [member.id, member.name]));
  const messages = ticket.messages.map((message) =>
    h("li", { class: `message ${message.author}` }, h("div", { class: "meta" }, `${message.author} · ${formatDateTime(message.createdAt)}`), h("p", null, message.content)),
  );
  main.append(
    h("p", null, link("tickets", "← Back to the list")),
    h(
      "div",
      { class: "ticket-view" },
      h(
        "article",
        null,
        h("h1", null, `#${ticket.number} ${ticket.subject}`),
        h(
          "p",
          { class: "meta" },
          `${ticket.status.replace("_", " ")} · ${ticket.priority} · ${ticket.tags.join(", ") || "no tags"} · ${ticket.customer?.name ?? "unknown customer"}`,
        ),
        ticket.aiTriage ? triageFacts(ticket.aiTriage, names) : null,
        ticket.aiSummary ? h("p", { class: "summary" }, h("strong", null, "AI summary: "), ticket.aiSummary) : null,
        h("section", null, h("h2", null, "Description"), h("p", { class: "description" }, ticket.descriptionText)),
        h("section", null, h("h2", null, `Messages (${ticket.messages.length})`), h("ol", { class: "messages" }, messages)),
      ),
      aiPanel(ticket),
    ),
  );
}
