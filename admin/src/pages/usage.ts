// Usage: the period's AI operations against the plan's limit (the same figure as auth.me), tokens
// per day over the last 30 days (uPlot), and the ledger by operation and by model with cost.
import uPlot from "uplot";
import { trpc, type FeedbackStats, type UsageReport } from "../api";
import { rate } from "../feedback";
import { formatCost, formatDate, formatNumber, h } from "../dom";
import { refreshMe } from "../session";
import { table } from "../ui";

const DAY_MS = 86_400_000;

type Group = Exclude<UsageReport["usage"][number], { kind: "record" }>;

function groups(report: UsageReport): Group[] {
  return report.usage.filter((row): row is Group => row.kind !== "record");
}

/** What a group is about: its operation, model or day (a Date at the bucket's start, or an ISO
 * day string from servers that send one `group` key). */
function groupKey(row: Group): string {
  const fields = row as unknown as Record<string, unknown>;
  for (const name of ["period", "group", "operation", "model"]) {
    const value = fields[name];
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (typeof value === "string") return value;
  }
  return "—";
}

/** The last 30 UTC days, oldest first, with zero where nothing was used. */
export function tokensPerDay(report: UsageReport, today: Date): { days: number[]; tokens: number[] } {
  const byDay = new Map(groups(report).map((row) => [groupKey(row).slice(0, 10), row.totalTokens]));
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const days: number[] = [];
  const tokens: number[] = [];
  for (let back = 29; back >= 0; back -= 1) {
    const day = end - back * DAY_MS;
    days.push(day / 1000);
    tokens.push(byDay.get(new Date(day).toISOString().slice(0, 10)) ?? 0);
  }
  return { days, tokens };
}

function chart(container: HTMLElement, days: number[], tokens: number[]): void {
  const width = Math.max(320, Math.min(900, container.clientWidth || 800));
  new uPlot(
    {
      title: "Tokens per day (last 30 days, UTC)",
      width,
      height: 260,
      scales: { x: { time: true } },
      axes: [{}, { label: "tokens", size: 70 }],
      series: [{}, { label: "Tokens", stroke: "#2453a6", fill: "rgba(36, 83, 166, 0.15)", width: 2, points: { show: true } }],
    },
    [days, tokens],
    container,
  );
}

/** A table of a label then right-aligned figures per row; a row says so when there is none. */
function figuresTable(headers: string[], caption: string, rows: string[][], empty: string): HTMLTableElement {
  const body = rows.map(([label, ...figures]) => h("tr", null, h("td", null, label), figures.map((figure) => h("td", { class: "num" }, figure))));
  if (body.length === 0) body.push(h("tr", null, h("td", { colspan: headers.length }, empty)));
  return table(headers, body, caption);
}

function groupTable(caption: string, key: string, report: UsageReport): HTMLTableElement {
  return figuresTable(
    [key, "Model calls", "Prompt tokens", "Completion tokens", "Total tokens", "Cost (USD)"],
    caption,
    groups(report).map((row) => [
      groupKey(row),
      formatNumber(row.operations),
      formatNumber(row.promptTokens),
      formatNumber(row.completionTokens),
      formatNumber(row.totalTokens),
      formatCost(row.costUsd),
    ]),
    "Nothing used in this range.",
  );
}

/** How people judged the AI's answers, per operation: the figure that says which ones help. */
function acceptanceTable(stats: FeedbackStats): HTMLTableElement {
  return figuresTable(
    ["Operation", "Suggestions", "Verdicts", "Accepted", "Edited", "Rejected"],
    "Feedback on AI suggestions, per operation (last 30 days)",
    stats.groups.map((group) => [
      group.operation ?? "—",
      formatNumber(group.suggestions),
      formatNumber(group.verdicts),
      rate(group.acceptanceRate),
      rate(group.editRate),
      rate(group.rejectionRate),
    ]),
    "No AI suggestion in this range.",
  );
}

export async function renderUsage(main: HTMLElement): Promise<void> {
  const today = new Date();
  const startDate = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - 29 * DAY_MS);
  // One batched request: the five reads travel together through httpBatchLink.
  const [me, perDay, perOperation, perModel, feedback] = await Promise.all([
    refreshMe(),
    trpc.ai.getTokenUsage.query({ startDate, groupBy: "day" }),
    trpc.ai.getTokenUsage.query({ startDate, groupBy: "operation" }),
    trpc.ai.getTokenUsage.query({ startDate, groupBy: "model" }),
    trpc.ai.getFeedbackStats.query({ startDate, groupBy: "operation" }),
  ]);
  const limit = me.usage.limit === null ? "Unlimited" : formatNumber(me.usage.limit);
  const chartBox = h("div", { class: "chart", role: "img", "aria-label": "Tokens per day over the last 30 days" });
  main.append(
    h("h1", null, "Usage"),
    h(
      "section",
      { class: "cards", "aria-label": "This period" },
      h("div", { class: "card" }, h("span", { class: "label" }, "AI operations used"), h("strong", { class: "big", "data-figure": "operations-used" }, String(me.usage.used))),
      h("div", { class: "card" }, h("span", { class: "label" }, "Limit this period"), h("strong", { class: "big", "data-figure": "operations-limit" }, limit)),
      h("div", { class: "card" }, h("span", { class: "label" }, "Resets on"), h("strong", { class: "big" }, formatDate(me.usage.resetsAt))),
      h("div", { class: "card" }, h("span", { class: "label" }, "Tokens (30 days)"), h("strong", { class: "big" }, formatNumber(perDay.totals.totalTokens))),
    ),
    h("p", { class: "hint" }, "One AI operation is one call of an AI procedure; a call may make several model calls, listed below."),
    chartBox,
    groupTable("By operation (last 30 days)", "Operation", perOperation),
    groupTable("By model (last 30 days)", "Model", perModel),
    acceptanceTable(feedback),
    h("p", { class: "hint" }, "Rates are shares of the verdicts (Accept, Edit, Reject in a ticket's AI panel); a suggestion nobody judged counts only under Suggestions."),
  );
  const series = tokensPerDay(perDay, today);
  chart(chartBox, series.days, series.tokens);
}
