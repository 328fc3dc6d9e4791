// The one tRPC client: the official @trpc/client with the generated AppRouter, superjson,
// httpBatchLink for queries and mutations and httpSubscriptionLink (server-sent events) for
// subscriptions such as ai.streamReply. Same origin, so the browser sends the HttpOnly session cookie by itself and an
// Origin header on every POST (the server's CSRF rule); the app never touches document.cookie.
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import type { AppRouter, RouterOutputs } from "helpdesk-ai-client";
import superjson from "superjson";

export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      // EventSource on the same origin sends the session cookie by itself, as fetch does.
      true: httpSubscriptionLink({ url: "/api/trpc", transformer: superjson }),
      false: httpBatchLink({ url: "/api/trpc", transformer: superjson }),
    }),
  ],
});

export type Me = RouterOutputs["auth"]["me"];
export type Member = RouterOutputs["users"]["list"][number];
export type Ticket = RouterOutputs["tickets"]["list"]["items"][number];
export type TicketWithMessages = RouterOutputs["tickets"]["get"];
export type ApiKey = RouterOutputs["apiKeys"]["list"][number];
export type Organization = RouterOutputs["org"]["get"];
export type PromptTest = RouterOutputs["ai"]["testPrompts"];
export type UsageReport = RouterOutputs["ai"]["getTokenUsage"];
export type FeedbackStats = RouterOutputs["ai"]["getFeedbackStats"];
export type FeedbackRates = FeedbackStats["totals"];
export type TriageRecord = NonNullable<TicketWithMessages["aiTriage"]>;

/** What a failed call means, in words, with the input field that was wrong when there is one. */
export interface Problem {
  code: string;
  message: string;
  field: string | null;
  /** The plan lacks the feature: show an upgrade note, not an error. */
  upgrade: boolean;
}

const CODE_WORDS: Record<string, string> = {
  BAD_REQUEST: "The server did not accept this input",
  UNAUTHORIZED: "You are signed out",
  FORBIDDEN: "Not allowed",
  NOT_FOUND: "Not found",
  CONFLICT: "Already exists",
  PRECONDITION_FAILED: "Refused",
  TOO_MANY_REQUESTS: "Limit reached",
  PAYLOAD_TOO_LARGE: "Too large",
  INTERNAL_SERVER_ERROR: "The server failed",
  SERVICE_UNAVAILABLE: "The service is unavailable",
};

export function problem(error: unknown): Problem {
  if (!(error instanceof TRPCClientError)) {
    return { code: "CLIENT", message: error instanceof Error ? error.message : String(error), field: null, upgrade: false };
  }
  const data = (error.data ?? {}) as Record<string, unknown>;
  const code = typeof data["code"] === "string" ? data["code"] : "INTERNAL_SERVER_ERROR";
  let message = error.message;
  let field = typeof data["field"] === "string" ? data["field"] : null;
  // Validation errors name the field as a JSON path: "... - at `$.limit`".
  const path = /at `\$\.?([^`]*)`/.exec(message);
  if (!field && path && path[1]) field = path[1];
  message = message.replace(/^Invalid input: /, "").replace(/ - at `[^`]*`$/, "");
  if (field && message.startsWith(`${field}: `)) message = message.slice(field.length + 2);
  if (code === "TOO_MANY_REQUESTS" && typeof data["resetsAt"] === "string") {
    message += ` (resets ${data["resetsAt"].slice(0, 10)})`;
  }
  return { code, message, field, upgrade: code === "FORBIDDEN" && typeof data["feature"] === "string" };
}

/** One line for a person: "Refused — role: the organization's last admin cannot be demoted". */
export function describe(error: unknown): string {
  const p = problem(error);
  const words = CODE_WORDS[p.code] ?? "Something went wrong";
  return p.field ? `${words} — ${p.field}: ${p.message}` : `${words}: ${p.message}`;
}
