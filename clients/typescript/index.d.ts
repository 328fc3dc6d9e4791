// helpdesk-ai-client: the helpdesk-ai API as a tRPC v11 router type.
// Generated from the server's procedure registry by `make types`. Do not edit by hand.
//
//   import { createTRPCClient, httpBatchLink } from '@trpc/client';
//   import superjson from 'superjson';
//   import type { AppRouter } from 'helpdesk-ai-client';
//
//   const client = createTRPCClient<AppRouter>({
//     links: [httpBatchLink({ url: '/api/trpc', transformer: superjson })],
//   });
import type {
  TRPCBuiltRouter,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCSubscriptionProcedure,
  TRPC_ERROR_CODE_KEY,
  TRPC_ERROR_CODE_NUMBER,
  inferRouterInputs,
  inferRouterOutputs,
} from '@trpc/server';

/** A mark on a TipTap text node (bold, link, ...). */
export interface TipTapMark {
  type: string;
  attrs?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * A TipTap (ProseMirror) document or node, as `editor.getJSON()` gives it: the same shape as
 * TipTap's `JSONContent`. The server keeps it as sent and derives its plain text.
 */
export interface TipTapDocument {
  type?: string;
  attrs?: Record<string, unknown>;
  content?: TipTapDocument[];
  marks?: TipTapMark[];
  text?: string;
  [key: string]: unknown;
}

/**
 * `error.data` of a failed call. Beside tRPC's code and HTTP status, some errors carry details:
 * `issue` (what was wrong with the input, with its field path), `field`, `plan` and `feature`
 * (a plan without the feature), `limit`, `used` and `resetsAt` (the AI quota),
 * `retryAfterSeconds` (a rate limit).
 */
export interface ErrorData {
  code: TRPC_ERROR_CODE_KEY;
  httpStatus: number;
  path?: string;
  /** Only in debug mode. */
  stack?: string;
  issue?: string;
  field?: string;
  plan?: string;
  feature?: string;
  limit?: number | null;
  used?: number;
  /** ISO time. */
  resetsAt?: string;
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

/** The error shape of every procedure. */
export interface ErrorShape {
  code: TRPC_ERROR_CODE_NUMBER;
  message: string;
  data: ErrorData;
}

export interface AddMessageInput {
  /** (a UUID) */
  ticketId: string;
  /** (1 to 50000 characters) */
  content: string;
  author: "customer" | "agent";
}

/**
 * What an organization chose; what it leaves empty the environment decides. Stored as-is in
 * organizations.ai_settings and read by the AI procedures.
 */
export interface AiSettings {
  /** (1 to 200 characters) */
  model: string | null;
  /** (at most 5 items; each 1 to 200 characters) */
  fallbackModels: string[];
  /** (1 to 200 characters) */
  embeddingModel: string | null;
  systemPrompts: Record<string, string>;
  /**
   * Empty: the default taxonomy (five cancellation intents).
   * (at most 100 items)
   */
  intentTaxonomy: Intent[];
  autoTriage: boolean;
  /** What auto-triage writes to a new ticket; the rest it only suggests (see the ticket's aiTriage). */
  autoTriageApply: Array<"priority" | "tags" | "assignee">;
  /**
   * The least confidence at which auto-triage assigns the suggested agent.
   * (0.0 ≤ value ≤ 1.0)
   */
  autoTriageAssigneeMinConfidence: number;
  /** Keep the final text people send with feedback on a suggestion (it may hold customer data). */
  keepFeedbackText: boolean;
  redactPii: boolean;
  /** (1 to 40 characters) */
  replyTone: string;
  language: "en" | "es" | "fr" | "de" | "it" | "pt" | null;
}

/** A partial change: absent fields keep their value, null resets a model to the default. */
export interface AiSettingsChange {
  /** (1 to 200 characters) */
  model?: string | null | undefined;
  /** (at most 5 items; each 1 to 200 characters) */
  fallbackModels?: string[] | undefined;
  /** (1 to 200 characters) */
  embeddingModel?: string | null | undefined;
  systemPrompts?: Record<string, string> | undefined;
  /** (at most 100 items) */
  intentTaxonomy?: IntentInput[] | undefined;
  autoTriage?: boolean | undefined;
  /** (at most 3 items) */
  autoTriageApply?: Array<"priority" | "tags" | "assignee"> | undefined;
  /** (0.0 ≤ value ≤ 1.0) */
  autoTriageAssigneeMinConfidence?: number | undefined;
  keepFeedbackText?: boolean | undefined;
  redactPii?: boolean | undefined;
  /** (1 to 40 characters) */
  replyTone?: string | undefined;
  language?: "en" | "es" | "fr" | "de" | "it" | "pt" | null | undefined;
}

export interface AiTicketIdInput {
  /** (a UUID) */
  ticketId: string;
}

export interface AnalysisOutput {
  summary: string;
  priority: Priority;
  tags: string[];
  sentiment: Sentiment;
  /** (a UUID) */
  suggestionId: string;
}

export interface ApiKey {
  /** (a UUID) */
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface Article {
  /** (a UUID) */
  id: string;
  title: string;
  content: string;
  published: boolean;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ArticleIdInput {
  /** (a UUID) */
  id: string;
}

export interface ArticleInfo {
  /** (a UUID) */
  id: string;
  title: string;
  content: string;
}

export interface ArticleList {
  items: Article[];
  total: number;
}

export interface ArticleSuggestion {
  /** (a UUID) */
  articleId: string;
  relevance: number;
  reasoning: string;
  article: ArticleInfo;
}

export interface ArticleSuggestions {
  suggestions: ArticleSuggestion[];
  /** (a UUID) */
  suggestionId: string;
}

export interface AssigneeOutput {
  suggestion: AssigneeSuggestion | null;
  /** (a UUID) */
  suggestionId: string;
}

/** The agent suggested for a ticket, how sure the suggestion is (0..1), and why. */
export interface AssigneeSuggestion {
  /** (a UUID) */
  agentId: string;
  agentName: string;
  confidence: number;
  reasoning: string;
}

export interface AutoTagResult {
  /** what the AI suggested (and what was applied) */
  tags: string[];
  /** the ticket's tags afterwards */
  ticketTags: string[];
  /** (a UUID) */
  suggestionId: string;
}

export interface ChangePasswordInput {
  /** (1 to 1024 characters) */
  currentPassword: string;
  /** (8 to 1024 characters) */
  newPassword: string;
}

export interface Classification {
  intent: string;
  /** (0.0 ≤ value ≤ 1.0) */
  confidence: number;
  reasoning: string;
  detectedLanguage: "en" | "es" | "fr" | "de" | "it" | "pt" | null;
}

export interface ClassificationOutput {
  intent: string;
  /** (0.0 ≤ value ≤ 1.0) */
  confidence: number;
  reasoning: string;
  detectedLanguage: "en" | "es" | "fr" | "de" | "it" | "pt" | null;
  /** (a UUID) */
  suggestionId: string;
}

export interface ClassifyInput {
  /** (1 to 500 characters) */
  subject: string;
  /**
   * Plain text, at most 100,000 characters
   * A TipTap document of at most 100,000 characters of text
   * (default "")
   */
  description?: string | TipTapDocument | undefined;
  /** One of the server's AI_ALLOWED_MODELS */
  model?: string | null | undefined;
  /** (1 to 20000 characters) */
  systemPrompt?: string | null | undefined;
}

export interface CreateArticleInput {
  /** (1 to 300 characters) */
  title: string;
  /** (at most 200000 characters) */
  content: string;
  /** (default false) */
  published?: boolean | undefined;
  /** (at most 50 items; each 1 to 64 characters; default []) */
  tags?: string[] | undefined;
}

export interface CreateKeyInput {
  /** (1 to 100 characters) */
  name: string;
  /** (1 to 4 items) */
  scopes: Array<"ticket:read" | "ticket:write" | "ai:run" | "admin">;
}

export interface CreateTicketInput {
  /** (1 to 500 characters) */
  subject: string;
  /**
   * Plain text, at most 100,000 characters
   * A TipTap document of at most 100,000 characters of text
   */
  description: string | TipTapDocument;
  /** (default "open") */
  status?: "open" | "pending" | "on_hold" | "resolved" | "closed" | undefined;
  /** Left out: "normal", which auto-triage may then change. Given: kept, even by auto-triage. */
  priority?: "low" | "normal" | "high" | "urgent" | undefined;
  /**
   * Given (non-empty): kept as they are by auto-triage, which otherwise adds its own.
   * (at most 50 items; each 1 to 64 characters; default [])
   */
  tags?: string[] | undefined;
  customer?: CustomerInput | null | undefined;
  slaDueAt?: Date | null | undefined;
}

export interface CreateUserInput {
  /** (3 to 320 characters; matches /^[^@\s]+@[^@\s]+\.[^@\s]+$/) */
  email: string;
  /** (1 to 200 characters) */
  name: string;
  role: "viewer" | "agent" | "admin";
  /**
   * Without a password the member cannot sign in until an admin sets one.
   * (8 to 1024 characters)
   */
  password?: string | null | undefined;
  /** (at most 50 items; each 1 to 64 characters; default []) */
  expertise?: string[] | undefined;
}

export interface CreatedKey {
  /** (a UUID) */
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  /** the only time the whole key is ever shown */
  key: string;
}

export interface Customer {
  /** (a UUID) */
  id: string;
  name: string | null;
  email: string | null;
  traits: Record<string, unknown>;
}

export interface CustomerInput {
  /** (at most 200 characters) */
  name?: string | null | undefined;
  /** (at most 320 characters; matches /^[^@\s]+@[^@\s]+\.[^@\s]+$/) */
  email?: string | null | undefined;
  traits?: Record<string, unknown> | null | undefined;
}

export interface EmbeddingOutput {
  success: boolean;
  tokenCount: number;
  embeddingDimensions: number;
}

export interface EngineInfo {
  engine: string;
  model: string;
}

/** The rates of one operation, model or day; only the key of the grouping is present. */
export interface FeedbackGroup {
  suggestions: number;
  verdicts: number;
  accepted: number;
  edited: number;
  rejected: number;
  acceptanceRate: number | null;
  editRate: number | null;
  rejectionRate: number | null;
  operation?: string | null;
  model?: string | null;
  /** the start of the day (UTC) */
  period?: Date | null;
}

export interface FeedbackInput {
  /**
   * The suggestionId of the AI answer this verdict is about.
   * (a UUID)
   */
  suggestionId: string;
  verdict: "accepted" | "edited" | "rejected";
  /**
   * What the person finally sent or saved, for "edited" above all. Kept only when the organization's keepFeedbackText setting is on.
   * (at most 100000 characters)
   */
  finalText?: string | null | undefined;
}

export interface FeedbackRates {
  /** suggestions made in the range */
  suggestions: number;
  /** verdicts given on them */
  verdicts: number;
  accepted: number;
  edited: number;
  rejected: number;
  /** accepted / verdicts; null with no verdict */
  acceptanceRate: number | null;
  editRate: number | null;
  rejectionRate: number | null;
}

export interface FeedbackStats {
  totals: FeedbackRates;
  /** empty without groupBy */
  groups: FeedbackGroup[];
}

export interface FeedbackStatsInput {
  /** A Date, or an ISO date or date-time; a date alone as endDate includes that whole day. */
  startDate?: Date | string | null | undefined;
  /** A Date, or an ISO date or date-time; a date alone as endDate includes that whole day. */
  endDate?: Date | string | null | undefined;
  groupBy?: "operation" | "model" | "day" | null | undefined;
}

export interface FindSimilarInput {
  /** (a UUID) */
  ticketId: string;
  /** (1 ≤ value ≤ 50; default 5) */
  limit?: number | undefined;
}

export interface Heartbeat {
  n: number;
  at: Date;
  database: "ok" | "unavailable";
}

export interface HeartbeatInput {
  /** (1 ≤ value ≤ 3600; default 60) */
  count?: number | undefined;
  /** (1000 ≤ value ≤ 60000; default 1000) */
  intervalMs?: number | undefined;
}

export interface ImproveTextInput {
  /** (1 to 50000 characters) */
  text: string;
  /** (1 to 40 characters) */
  tone?: string | null | undefined;
}

export interface Intent {
  /** (1 to 64 characters; matches /^[a-z][a-z0-9_]*$/) */
  name: string;
  /** (at most 1000 characters) */
  description: string;
}

export interface IntentInput {
  /** (1 to 64 characters; matches /^[a-z][a-z0-9_]*$/) */
  name: string;
  /** (at most 1000 characters; default "") */
  description?: string | undefined;
}

export interface KeyIdInput {
  /** (a UUID) */
  id: string;
}

export interface ListArticlesInput {
  /** (1 ≤ value ≤ 100; default 25) */
  limit?: number | undefined;
  /** (0 ≤ value ≤ 100000; default 0) */
  offset?: number | undefined;
  published?: boolean | null | undefined;
  /** (at most 500 characters) */
  search?: string | null | undefined;
}

export interface ListTicketsInput {
  /** (1 ≤ value ≤ 100; default 25) */
  limit?: number | undefined;
  /** (0 ≤ value ≤ 100000; default 0) */
  offset?: number | undefined;
  status?: "open" | "pending" | "on_hold" | "resolved" | "closed" | null | undefined;
  priority?: "low" | "normal" | "high" | "urgent" | null | undefined;
  /** (1 to 64 characters) */
  tag?: string | null | undefined;
  /** (a UUID) */
  assigneeId?: string | null | undefined;
  /** (at most 500 characters) */
  search?: string | null | undefined;
  /** Tickets whose auto-triage is in this state; "none": never triaged. */
  aiTriage?: "pending" | "applied" | "skipped" | "failed" | "none" | null | undefined;
}

export interface ListUsersInput {
  role?: "viewer" | "agent" | "admin" | null | undefined;
  /** (default false) */
  includeInactive?: boolean | undefined;
}

export interface LoginInput {
  /** (1 to 320 characters) */
  email: string;
  /** (1 to 1024 characters) */
  password: string;
}

export interface Me {
  /** null when an API key calls */
  user: Member | null;
  organization: OrganizationSummary;
  plan: Plan;
  usage: UsageSummary;
}

export interface Member {
  /** (a UUID) */
  id: string;
  email: string;
  name: string;
  role: "viewer" | "agent" | "admin";
  expertise: string[];
  active: boolean;
  createdAt: Date;
}

export interface Message {
  /** (a UUID) */
  id: string;
  /** (a UUID) */
  ticketId: string;
  author: "customer" | "agent";
  /** (a UUID) */
  authorUserId: string | null;
  content: string;
  createdAt: Date;
}

export interface ModelGroup {
  /** Which shape this is. */
  kind: "modelGroup";
  operations: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
  model: string;
}

export interface OperationGroup {
  /** Which shape this is. */
  kind: "operationGroup";
  operations: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
  operation: string;
}

export interface Organization {
  /** (a UUID) */
  id: string;
  name: string;
  slug: string;
  plan: string;
  /** null: the plan's */
  aiOperationsLimit: number | null;
  billingAnchor: Date;
  aiSettings: AiSettings;
  createdAt: Date;
  updatedAt: Date;
  /** The deployment's allow-list (AI_ALLOWED_MODELS, or the configured models): the only names aiSettings and the playground accept, so a picker offers exactly these. */
  allowedModels: string[];
}

export interface OrganizationSummary {
  /** (a UUID) */
  id: string;
  name: string;
  slug: string;
  plan: string;
}

export interface PeriodGroup {
  /** Which shape this is. */
  kind: "periodGroup";
  operations: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
  /** The bucket's start, a Date (through superjson): UTC midnight of the day, of the week's Monday (ISO weeks) or of the month's first day. */
  period: Date;
}

export interface Plan {
  name: string;
  aiFeatures: "none" | "basic" | "full";
  /** null: unlimited */
  aiOperationsPerPeriod: number | null;
}

export interface Priority {
  priority: "low" | "normal" | "high" | "urgent";
  /** (0.0 ≤ value ≤ 1.0) */
  confidence: number;
  reasoning: string;
}

export interface PriorityOutput {
  priority: "low" | "normal" | "high" | "urgent";
  /** (0.0 ≤ value ≤ 1.0) */
  confidence: number;
  reasoning: string;
  /** (a UUID) */
  suggestionId: string;
}

export interface PromptTestOutput {
  results: PromptTestResult[];
  total: number;
  model: string;
  testedAt: Date;
}

export interface PromptTestResult {
  /** (a UUID) */
  ticketId: string;
  subject: string;
  tags: string[];
  status: string;
  classification: Classification | null;
  error: string | null;
}

/** A piece of the draft, as the model produced it. */
export interface ReplyChunk {
  /** Which shape this is. */
  type: "delta";
  delta: string;
}

export interface ReplyDraft {
  text: string;
  tone: string;
  length: "concise" | "detailed";
}

/** The last event: the whole draft (the deltas joined), its usage and its suggestion id. */
export interface ReplyFinished {
  /** Which shape this is. */
  type: "done";
  /** always true: this is the last event */
  done: true;
  text: string;
  usage: StreamedUsage;
  /** (a UUID) */
  suggestionId: string;
}

export interface ReplySuggestions {
  suggestions: ReplyDraft[];
  /** (a UUID) */
  suggestionId: string;
}

export interface RunInput {
  action: "auto-tag" | "suggest-reply" | "summarize" | "improve";
  /** (a UUID) */
  ticketId?: string | null | undefined;
  /** (1 to 50000 characters) */
  text?: string | null | undefined;
}

export interface RunOutput {
  object: "ai_result";
  action: "auto-tag" | "suggest-reply" | "summarize" | "improve";
  /** One shape per action; `action` says which. */
  result: AutoTagResult | SuggestReplyResult | SummaryOutput | TextOutput;
}

export interface Sentiment {
  sentiment: "positive" | "neutral" | "negative";
  /** (-1.0 ≤ value ≤ 1.0) */
  score: number;
  emotions: string[];
  urgency: "low" | "medium" | "high";
}

export interface SentimentOutput {
  sentiment: "positive" | "neutral" | "negative";
  /** (-1.0 ≤ value ≤ 1.0) */
  score: number;
  emotions: string[];
  urgency: "low" | "medium" | "high";
  /** (a UUID) */
  suggestionId: string;
}

export interface SignedIn {
  user: Member;
  organization: OrganizationSummary;
}

export interface SimilarTicketInfo {
  /** (a UUID) */
  id: string;
  subject: string;
  status: string;
  priority: string;
}

export interface SimilarTicketMatch {
  /** (a UUID) */
  ticketId: string;
  similarity: number;
  reasoning: string;
  ticket: SimilarTicketInfo;
}

export interface SimilarTickets {
  similarTickets: SimilarTicketMatch[];
  /** (a UUID) */
  suggestionId: string;
}

export interface Status {
  version: string;
  time: Date;
  database: "ok" | "unavailable";
  ai: EngineInfo;
  debug: boolean;
}

export interface StoredFeedback {
  /** (a UUID) */
  suggestionId: string;
  verdict: "accepted" | "edited" | "rejected";
  operation: string;
  model: string;
  /** Whether `finalText` was kept (the organization's keepFeedbackText setting). */
  finalTextKept: boolean;
  updatedAt: Date;
}

export interface StreamReplyInput {
  /** (a UUID) */
  ticketId: string;
  /** (1 to 40 characters) */
  tone?: string | null | undefined;
}

export interface StreamedUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  model: string;
}

/** A mutation that has nothing else to say: `{"success": true}`. */
export interface Success {
  success: true;
}

export interface SuggestAssigneeInput {
  /** (1 to 500 characters) */
  subject: string;
  /**
   * Plain text, at most 100,000 characters
   * A TipTap document of at most 100,000 characters of text
   */
  description: string | TipTapDocument;
  /** (a UUID) */
  ticketId?: string | null | undefined;
}

export interface SuggestReplyResult {
  /** the first draft, in the organization's preferred tone */
  suggestion: string;
  suggestions: ReplyDraft[];
  /** (a UUID) */
  suggestionId: string;
}

export interface SummaryOutput {
  summary: string;
  /** (a UUID) */
  suggestionId: string;
}

export interface TagsOutput {
  tags: string[];
  /** (a UUID) */
  suggestionId: string;
}

export interface TestPromptsInput {
  /** (1 to 64 characters) */
  tag?: string | null | undefined;
  /** (1 ≤ value ≤ 50; default 10) */
  limit?: number | undefined;
  /** One of the server's AI_ALLOWED_MODELS */
  model?: string | null | undefined;
  /** (1 to 20000 characters) */
  systemPrompt?: string | null | undefined;
}

export interface TextInput {
  /** (1 to 50000 characters) */
  text: string;
}

export interface TextOutput {
  text: string;
  /** (a UUID) */
  suggestionId: string;
}

export interface Ticket {
  /** (a UUID) */
  id: string;
  number: number;
  subject: string;
  /**
   * Plain text, at most 100,000 characters
   * A TipTap document of at most 100,000 characters of text
   */
  description: string | TipTapDocument;
  descriptionText: string;
  status: "open" | "pending" | "on_hold" | "resolved" | "closed";
  priority: "low" | "normal" | "high" | "urgent";
  tags: string[];
  /** (a UUID) */
  assigneeId: string | null;
  customer: Customer | null;
  aiSummary: string | null;
  aiResolved: boolean;
  escalationReason: string | null;
  slaDueAt: Date | null;
  unreadCount: number;
  createdAt: Date;
  updatedAt: Date;
  /** What auto-triage did, when the organization has it on; null for a ticket never triaged. */
  aiTriage: TriageRecord | null;
}

export interface TicketContentInput {
  /** (1 to 500 characters) */
  subject: string;
  /**
   * Plain text, at most 100,000 characters
   * A TipTap document of at most 100,000 characters of text
   */
  description: string | TipTapDocument;
}

export interface TicketList {
  items: Ticket[];
  total: number;
  totalExact: boolean;
}

export interface TicketWithMessages {
  /** (a UUID) */
  id: string;
  number: number;
  subject: string;
  /**
   * Plain text, at most 100,000 characters
   * A TipTap document of at most 100,000 characters of text
   */
  description: string | TipTapDocument;
  descriptionText: string;
  status: "open" | "pending" | "on_hold" | "resolved" | "closed";
  priority: "low" | "normal" | "high" | "urgent";
  tags: string[];
  /** (a UUID) */
  assigneeId: string | null;
  customer: Customer | null;
  aiSummary: string | null;
  aiResolved: boolean;
  escalationReason: string | null;
  slaDueAt: Date | null;
  unreadCount: number;
  createdAt: Date;
  updatedAt: Date;
  aiTriage: TriageRecord | null;
  messages: Message[];
}

export interface TicketsTicketIdInput {
  /** (a UUID) */
  id: string;
}

export interface TokenUsageInput {
  /** A Date, or an ISO date (its whole UTC day) or date-time (UTC when it has no offset). */
  startDate?: Date | string | null | undefined;
  /** A Date, or an ISO date (its whole UTC day) or date-time (UTC when it has no offset). */
  endDate?: Date | string | null | undefined;
  groupBy?: "day" | "week" | "month" | "operation" | "model" | null | undefined;
}

export interface TokenUsageReport {
  /** all records, or all groups (with groupBy) */
  usage: Array<UsageRecord | OperationGroup | ModelGroup | PeriodGroup>;
  totals: UsageTotals;
}

/** The agent auto-triage picked for a ticket, and how sure the pick is (0..1). */
export interface TriageAssignee {
  /** (a UUID) */
  agentId: string;
  agentName: string;
  confidence: number;
}

/** What auto-triage did to a ticket (the ticket's `aiTriage`). */
export interface TriageRecord {
  status: "pending" | "applied" | "skipped" | "failed";
  at: Date;
  /** The fields triage wrote to the ticket; the rest of `suggested` was only suggested. */
  applied: Array<"priority" | "tags" | "assignee">;
  suggested: TriageSuggestion | null;
  /** The AI's confidence in the priority it suggested (0..1). */
  confidence: number | null;
  model: string | null;
  /** Why triage was skipped or failed: quota, plan or engine. */
  reason: "quota" | "plan" | "engine" | null;
}

export interface TriageSuggestion {
  priority: "low" | "normal" | "high" | "urgent";
  tags: string[];
  sentiment: "positive" | "neutral" | "negative";
  assignee: TriageAssignee | null;
}

export interface UnreadCount {
  count: number;
}

export interface UpdateArticleInput {
  /** (a UUID) */
  id: string;
  /** (1 to 300 characters) */
  title?: string | undefined;
  /** (at most 200000 characters) */
  content?: string | undefined;
  published?: boolean | undefined;
  /** (at most 50 items; each 1 to 64 characters) */
  tags?: string[] | undefined;
}

export interface UpdateOrgInput {
  /** (1 to 200 characters) */
  name?: string | undefined;
  aiSettings?: AiSettingsChange | undefined;
}

/**
 * Only the fields present change; `null` clears a clearable field (assignee, escalation
 * reason, SLA).
 */
export interface UpdateTicketInput {
  /** (a UUID) */
  id: string;
  /** (1 to 500 characters) */
  subject?: string | undefined;
  /**
   * Plain text, at most 100,000 characters
   * A TipTap document of at most 100,000 characters of text
   */
  description?: string | TipTapDocument | undefined;
  status?: "open" | "pending" | "on_hold" | "resolved" | "closed" | undefined;
  priority?: "low" | "normal" | "high" | "urgent" | undefined;
  /** (at most 50 items; each 1 to 64 characters) */
  tags?: string[] | undefined;
  /** (a UUID) */
  assigneeId?: string | null | undefined;
  aiResolved?: boolean | undefined;
  /** (at most 2000 characters) */
  escalationReason?: string | null | undefined;
  slaDueAt?: Date | null | undefined;
}

export interface UpdateUserInput {
  /** (a UUID) */
  id: string;
  /** (3 to 320 characters; matches /^[^@\s]+@[^@\s]+\.[^@\s]+$/) */
  email?: string | undefined;
  /** (1 to 200 characters) */
  name?: string | undefined;
  role?: "viewer" | "agent" | "admin" | undefined;
  /** (8 to 1024 characters) */
  password?: string | undefined;
  /** (at most 50 items; each 1 to 64 characters) */
  expertise?: string[] | undefined;
  active?: boolean | undefined;
}

/** One ledger row: one model or embedding call. */
export interface UsageRecord {
  /** Which shape this is. */
  kind: "record";
  /** (a UUID) */
  id: string;
  operation: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
  /** (a UUID) */
  userId: string | null;
  createdAt: Date;
}

/** The current billing period's quota, as `auth.me` shows it. */
export interface UsageSummary {
  used: number;
  /** null: unlimited */
  limit: number | null;
  resetsAt: Date;
}

export interface UsageTotals {
  totalTokens: number;
  totalPromptTokens: number;
  totalCompletionTokens: number;
  totalCostUsd: number | null;
}

/** The helpdesk-ai router: pass it to `createTRPCClient<AppRouter>`. */
export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: ErrorShape; transformer: true },
  {
    ai: {
      /**
       * The sentiment of a text: label, score from -1 to 1, emotions and urgency. Positive is a
       * score of at least 0.3, negative at most -0.3.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic; metered: one AI operation.
       *
       * See docs/api.md#aianalyzesentiment
       */
      analyzeSentiment: TRPCMutationProcedure<{ input: TextInput; output: SentimentOutput; meta: object }>;
      /**
       * Summary, priority, tags and sentiment as ONE engine call (one AI operation); stores the
       * summary and merges the suggested tags into the ticket.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature full; metered: one AI operation.
       *
       * See docs/api.md#aianalyzeticket
       */
      analyzeTicket: TRPCMutationProcedure<{ input: AiTicketIdInput; output: AnalysisOutput; meta: object }>;
      /**
       * Classify a ticket's intent within the organization's taxonomy, with confidence, reasoning
       * and the detected language; a model and system prompt may be tried instead of the
       * organization's.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic; metered: one AI operation.
       *
       * See docs/api.md#aiclassifyticket
       */
      classifyTicket: TRPCMutationProcedure<{ input: ClassifyInput; output: ClassificationOutput; meta: object }>;
      /**
       * Say what you did with a suggestion: accepted, edited or rejected. Your later verdict on the
       * same suggestion replaces the earlier one.
       *
       * mutation; role agent or above, API-key scope ai:run.
       *
       * See docs/api.md#aifeedback
       */
      feedback: TRPCMutationProcedure<{ input: FeedbackInput; output: StoredFeedback; meta: object }>;
      /**
       * The organization's tickets nearest to a ticket by embedding (pgvector), embedding the ticket
       * first if needed.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature full; metered: one AI operation.
       *
       * See docs/api.md#aifindsimilartickets
       */
      findSimilarTickets: TRPCMutationProcedure<{ input: FindSimilarInput; output: SimilarTickets; meta: object }>;
      /**
       * Draft replies to a ticket in at least two different tones.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature full; metered: one AI operation.
       *
       * See docs/api.md#aigeneratereplysuggestions
       */
      generateReplySuggestions: TRPCMutationProcedure<{ input: AiTicketIdInput; output: ReplySuggestions; meta: object }>;
      /**
       * Compute and store a ticket's embedding (pgvector) for similarity search.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic; metered: one AI operation.
       *
       * See docs/api.md#aigenerateticketembedding
       */
      generateTicketEmbedding: TRPCMutationProcedure<{ input: AiTicketIdInput; output: EmbeddingOutput; meta: object }>;
      /**
       * Acceptance, edit and rejection rates of the AI's suggestions, with their counts.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#aigetfeedbackstats
       */
      getFeedbackStats: TRPCQueryProcedure<{ input: FeedbackStatsInput | undefined; output: FeedbackStats; meta: object }>;
      /**
       * The organization's token-usage records (at most 1,000, newest first), or one row per day,
       * week, month, operation or model with `groupBy`, and totals. Not metered.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#aigettokenusage
       */
      getTokenUsage: TRPCQueryProcedure<{ input: TokenUsageInput | undefined; output: TokenUsageReport; meta: object }>;
      /**
       * Rewrite a text (a reply draft) more clearly, optionally in a tone.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic; metered: one AI operation.
       *
       * See docs/api.md#aiimprovetext
       */
      improveText: TRPCMutationProcedure<{ input: ImproveTextInput; output: TextOutput; meta: object }>;
      /**
       * Predict a ticket's priority from its subject and description, with confidence and reasoning.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic; metered: one AI operation.
       *
       * See docs/api.md#aipredictpriority
       */
      predictPriority: TRPCMutationProcedure<{ input: TicketContentInput; output: PriorityOutput; meta: object }>;
      /**
       * One AI action by name: `auto-tag` applies suggested tags, `suggest-reply` drafts replies
       * (full plan), `summarize` and `improve` as their procedures.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic (more by input); metered: one AI operation.
       *
       * See docs/api.md#airun
       */
      run: TRPCMutationProcedure<{ input: RunInput; output: RunOutput; meta: object }>;
      /**
       * One reply draft for the ticket, streamed over server-sent events as the model writes it:
       * `{type: "delta", delta}` events, then exactly one `{type: "done", done: true, text, usage,
       * suggestionId}` whose `text` is the deltas joined. `tone` (at most 40 characters) defaults to
       * the organization's reply tone. One AI operation, like `ai.generateReplySuggestions`:
       * reserved when the stream starts, not charged if the model fails before its first piece (the
       * stream then ends with an INTERNAL_SERVER_ERROR event). A client that disconnects stops the
       * model; the tokens consumed until then are recorded.
       *
       * subscription; role agent or above, API-key scope ai:run; plan feature full; metered: one AI operation.
       *
       * See docs/api.md#aistreamreply
       */
      streamReply: TRPCSubscriptionProcedure<{ input: StreamReplyInput; output: AsyncIterable<ReplyChunk | ReplyFinished, void, any>; meta: object }>;
      /**
       * Published knowledge-base articles relevant to a ticket; an empty list when nothing fits.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature full; metered: one AI operation.
       *
       * See docs/api.md#aisuggestarticles
       */
      suggestArticles: TRPCMutationProcedure<{ input: AiTicketIdInput; output: ArticleSuggestions; meta: object }>;
      /**
       * Suggest the agent or admin best placed to handle a ticket, from expertise tags and resolved
       * tickets; null when nobody fits.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature full; metered: one AI operation.
       *
       * See docs/api.md#aisuggestassignee
       */
      suggestAssignee: TRPCMutationProcedure<{ input: SuggestAssigneeInput; output: AssigneeOutput; meta: object }>;
      /**
       * Suggest lowercase, deduplicated tags for a ticket's content, preferring the organization's
       * existing tags.
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic; metered: one AI operation.
       *
       * See docs/api.md#aisuggesttags
       */
      suggestTags: TRPCMutationProcedure<{ input: TicketContentInput; output: TagsOutput; meta: object }>;
      /**
       * Summarize a ticket from its subject, description and five most recent messages, and store
       * the summary on the ticket (`aiSummary`).
       *
       * mutation; role agent or above, API-key scope ai:run; plan feature basic; metered: one AI operation.
       *
       * See docs/api.md#aisummarizeticket
       */
      summarizeTicket: TRPCMutationProcedure<{ input: AiTicketIdInput; output: SummaryOutput; meta: object }>;
      /**
       * Classify the organization's own tickets carrying `tag` with a candidate model and prompt.
       * One AI operation for the whole batch; a ticket whose classification fails reports its error.
       *
       * mutation; role admin or above, API-key scope ai:run; plan feature full; metered: one AI operation.
       *
       * See docs/api.md#aitestprompts
       */
      testPrompts: TRPCMutationProcedure<{ input: TestPromptsInput | undefined; output: PromptTestOutput; meta: object }>;
    };
    apiKeys: {
      /**
       * Create an API key with scopes. The secret is in this answer only; the server keeps a hash.
       *
       * mutation; role admin or above, API-key scope admin.
       *
       * See docs/api.md#apikeyscreate
       */
      create: TRPCMutationProcedure<{ input: CreateKeyInput; output: CreatedKey; meta: object }>;
      /**
       * The organization's API keys: prefix, scopes, creation and last use. Never the secrets.
       *
       * query; role admin or above, API-key scope admin.
       *
       * See docs/api.md#apikeyslist
       */
      list: TRPCQueryProcedure<{ input: void; output: ApiKey[]; meta: object }>;
      /**
       * Revoke an API key; calls with it answer UNAUTHORIZED from then on.
       *
       * mutation; role admin or above, API-key scope admin.
       *
       * See docs/api.md#apikeysrevoke
       */
      revoke: TRPCMutationProcedure<{ input: KeyIdInput; output: Success; meta: object }>;
    };
    articles: {
      /**
       * Create a knowledge-base article.
       *
       * mutation; role agent or above, API-key scope ticket:write.
       *
       * See docs/api.md#articlescreate
       */
      create: TRPCMutationProcedure<{ input: CreateArticleInput; output: Article; meta: object }>;
      /**
       * Delete a knowledge-base article.
       *
       * mutation; role agent or above, API-key scope ticket:write.
       *
       * See docs/api.md#articlesdelete
       */
      delete: TRPCMutationProcedure<{ input: ArticleIdInput; output: Success; meta: object }>;
      /**
       * One knowledge-base article.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#articlesget
       */
      get: TRPCQueryProcedure<{ input: ArticleIdInput; output: Article; meta: object }>;
      /**
       * The knowledge base's articles, newest first; filters by published state and text search.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#articleslist
       */
      list: TRPCQueryProcedure<{ input: ListArticlesInput | undefined; output: ArticleList; meta: object }>;
      /**
       * Change the fields present in the input of a knowledge-base article.
       *
       * mutation; role agent or above, API-key scope ticket:write.
       *
       * See docs/api.md#articlesupdate
       */
      update: TRPCMutationProcedure<{ input: UpdateArticleInput; output: Article; meta: object }>;
    };
    auth: {
      /**
       * Change one's own password. Other sessions of the member are revoked.
       *
       * mutation; role viewer or above.
       *
       * See docs/api.md#authchangepassword
       */
      changePassword: TRPCMutationProcedure<{ input: ChangePasswordInput; output: Success; meta: object }>;
      /**
       * Sign in with email and password. Sets the signed, HttpOnly session cookie and answers the
       * member and their organization. Repeated failures are throttled.
       *
       * mutation; public (no session or key).
       *
       * See docs/api.md#authlogin
       */
      login: TRPCMutationProcedure<{ input: LoginInput; output: SignedIn; meta: object }>;
      /**
       * Revoke the current session and clear its cookie. Answers success even without a session.
       *
       * mutation; public (no session or key).
       *
       * See docs/api.md#authlogout
       */
      logout: TRPCMutationProcedure<{ input: void; output: Success; meta: object }>;
      /**
       * The caller (null for an API key), their organization, its plan, and this billing period's AI
       * operations used, the limit (null: unlimited) and when the period resets.
       *
       * query; role viewer or above.
       *
       * See docs/api.md#authme
       */
      me: TRPCQueryProcedure<{ input: void; output: Me; meta: object }>;
    };
    org: {
      /**
       * The organization and its AI settings: model, fallback models, system prompts per operation,
       * intent taxonomy, reply tone, auto-triage.
       *
       * query; role admin or above, API-key scope admin.
       *
       * See docs/api.md#orgget
       */
      get: TRPCQueryProcedure<{ input: void; output: Organization; meta: object }>;
      /**
       * Change the organization's name or AI settings; only the settings present change.
       *
       * mutation; role admin or above, API-key scope admin.
       *
       * See docs/api.md#orgupdate
       */
      update: TRPCMutationProcedure<{ input: UpdateOrgInput | undefined; output: Organization; meta: object }>;
    };
    system: {
      /**
       * A live connection check for the front end's status indicator (server-sent events).
       *
       * subscription; public (no session or key).
       *
       * See docs/api.md#systemheartbeat
       */
      heartbeat: TRPCSubscriptionProcedure<{ input: HeartbeatInput | undefined; output: AsyncIterable<Heartbeat, void, any>; meta: object }>;
      /**
       * The server's version and time, whether the database answers, and the default AI engine and
       * model. Public: a front end calls it before signing in.
       *
       * query; public (no session or key).
       *
       * See docs/api.md#systemstatus
       */
      status: TRPCQueryProcedure<{ input: void; output: Status; meta: object }>;
    };
    tickets: {
      /**
       * Append a message to a ticket's conversation, without any AI processing. A customer message
       * raises the ticket's unread count.
       *
       * mutation; role agent or above, API-key scope ticket:write.
       *
       * See docs/api.md#ticketsaddmessage
       */
      addMessage: TRPCMutationProcedure<{ input: AddMessageInput; output: Message; meta: object }>;
      /**
       * Create a ticket. The description is plain text or a TipTap document, kept as sent;
       * `descriptionText` is its plain text. A customer is found by email or created.
       *
       * mutation; role agent or above, API-key scope ticket:write.
       *
       * See docs/api.md#ticketscreate
       */
      create: TRPCMutationProcedure<{ input: CreateTicketInput; output: Ticket; meta: object }>;
      /**
       * Delete a ticket and its messages.
       *
       * mutation; role agent or above, API-key scope ticket:write.
       *
       * See docs/api.md#ticketsdelete
       */
      delete: TRPCMutationProcedure<{ input: TicketsTicketIdInput; output: Success; meta: object }>;
      /**
       * One ticket with its customer and its messages, oldest first. Marks the ticket read for the
       * team.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#ticketsget
       */
      get: TRPCQueryProcedure<{ input: TicketsTicketIdInput; output: TicketWithMessages; meta: object }>;
      /**
       * The organization's tickets, newest first, with their customer; filters by status, priority,
       * tag, assignee and accent-insensitive full-text search. `total` may be capped on a very broad
       * search, and `totalExact` then says false.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#ticketslist
       */
      list: TRPCQueryProcedure<{ input: ListTicketsInput | undefined; output: TicketList; meta: object }>;
      /**
       * The sum of unread counts over the tickets that are not resolved or closed.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#ticketsunreadcount
       */
      unreadCount: TRPCQueryProcedure<{ input: void; output: UnreadCount; meta: object }>;
      /**
       * Change the fields present in the input; `null` clears a clearable field (assignee,
       * escalation reason, SLA). The assignee must be an agent or admin of the organization.
       *
       * mutation; role agent or above, API-key scope ticket:write.
       *
       * See docs/api.md#ticketsupdate
       */
      update: TRPCMutationProcedure<{ input: UpdateTicketInput; output: Ticket; meta: object }>;
    };
    users: {
      /**
       * Add a member to the organization (admins only).
       *
       * mutation; role admin or above, API-key scope admin.
       *
       * See docs/api.md#userscreate
       */
      create: TRPCMutationProcedure<{ input: CreateUserInput; output: Member; meta: object }>;
      /**
       * The organization's members with their expertise tags, optionally of one role.
       *
       * query; role viewer or above, API-key scope ticket:read.
       *
       * See docs/api.md#userslist
       */
      list: TRPCQueryProcedure<{ input: ListUsersInput | undefined; output: Member[]; meta: object }>;
      /**
       * Change a member's name, role, password, expertise or active state (admins only). The last
       * active admin cannot be demoted or deactivated. A new password or a deactivation signs the
       * member out everywhere; an admin who sets their own password goes on in this browser under a
       * new session.
       *
       * mutation; role admin or above, API-key scope admin.
       *
       * See docs/api.md#usersupdate
       */
      update: TRPCMutationProcedure<{ input: UpdateUserInput; output: Member; meta: object }>;
    };
  }
>;

/** Every procedure's input, as `inferRouterInputs<AppRouter>` gives it. */
export type RouterInputs = inferRouterInputs<AppRouter>;

/** Every procedure's output, as `inferRouterOutputs<AppRouter>` gives it. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
