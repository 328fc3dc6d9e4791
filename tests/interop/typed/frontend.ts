// A front end as a team would write it against `helpdesk-ai-client`, type-checked with
// `tsc --strict` by tests/test_catalog.py (never run). It calls every procedure, and every
// `@ts-expect-error` line below must BE an error: tsc fails on an unused one, so the generated
// types cannot silently become `any` or accept a wrong input.
import {
  TRPCClientError,
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
} from '@trpc/client';
import superjson from 'superjson';
import type {
  AppRouter,
  ErrorShape,
  RouterInputs,
  RouterOutputs,
  TipTapDocument,
} from 'helpdesk-ai-client';

const url = '/api/trpc';
const client = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url, transformer: superjson }),
      false: httpBatchLink({ url, transformer: superjson }),
    }),
  ],
});

type Ticket = RouterOutputs['tickets']['get'];
type TicketFilters = RouterInputs['tickets']['list'];

const description: TipTapDocument = {
  type: 'doc',
  content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Hello', marks: [{ type: 'bold' }] }] }],
};

export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const shape = error.shape as ErrorShape | undefined;
    return `${shape?.data.code ?? 'UNKNOWN'} ${shape?.data.httpStatus ?? 0}: ${error.message}`;
  }
  return String(error);
}

export async function everyProcedure(ticketId: string, articleId: string, userId: string): Promise<void> {
  // system
  const status = await client.system.status.query();
  const now: Date = status.time;
  const database: 'ok' | 'unavailable' = status.database;
  const beats = client.system.heartbeat.subscribe(
    { count: 3, intervalMs: 1000 },
    { onData: (beat) => console.log(beat.n, beat.at.toISOString()) },
  );
  beats.unsubscribe();

  // auth
  const signedIn = await client.auth.login.mutate({ email: 'agent@example.com', password: 'secret-password' });
  const role: 'viewer' | 'agent' | 'admin' = signedIn.user.role;
  const me = await client.auth.me.query();
  const limit: number | null = me.usage.limit;
  const resets: Date = me.usage.resetsAt;
  const userName: string | undefined = me.user?.name;
  await client.auth.changePassword.mutate({ currentPassword: 'secret-password', newPassword: 'another-password' });
  const loggedOut: true = (await client.auth.logout.mutate()).success;

  // tickets
  const filters: TicketFilters = { status: 'open', priority: 'urgent', search: 'refund', limit: 50 };
  const page = await client.tickets.list.query(filters);
  const everything = await client.tickets.list.query();
  const exact: boolean = page.totalExact && everything.total >= 0;
  const ticket: Ticket = await client.tickets.get.query({ id: ticketId });
  const firstAuthor: 'customer' | 'agent' | undefined = ticket.messages[0]?.author;
  const created = await client.tickets.create.mutate({
    subject: 'Refund',
    description,
    priority: 'high',
    tags: ['billing'],
    customer: { name: 'Ada', email: 'ada@example.com', traits: { vip: true } },
    slaDueAt: new Date(Date.now() + 3_600_000),
  });
  const plain = await client.tickets.create.mutate({ subject: 'Plain', description: 'Just text' });
  const text: string = plain.descriptionText;
  const updated = await client.tickets.update.mutate({ id: created.id, assigneeId: null, status: 'resolved' });
  const due: Date | null = updated.slaDueAt;
  const message = await client.tickets.addMessage.mutate({ ticketId, content: 'On it', author: 'agent' });
  const sent: Date = message.createdAt;
  const unread: number = (await client.tickets.unreadCount.query()).count;
  await client.tickets.delete.mutate({ id: created.id });

  // articles
  const articles = await client.articles.list.query({ published: true });
  const article = await client.articles.get.query({ id: articleId });
  await client.articles.create.mutate({ title: 'Refunds', content: 'How refunds work', tags: ['billing'] });
  await client.articles.update.mutate({ id: article.id, published: false });
  await client.articles.delete.mutate({ id: articleId });

  // users, keys, organization
  const members = await client.users.list.query({ role: 'agent' });
  const expertise: string[] | undefined = members[0]?.expertise;
  await client.users.create.mutate({ email: 'new@example.com', name: 'New Agent', role: 'agent' });
  await client.users.update.mutate({ id: userId, role: 'viewer' });
  const key = await client.apiKeys.create.mutate({ name: 'CRM', scopes: ['ticket:read', 'ai:run'] });
  const secret: string = key.key;
  const keys = await client.apiKeys.list.query();
  const lastUsed: Date | null | undefined = keys[0]?.lastUsedAt;
  await client.apiKeys.revoke.mutate({ id: key.id });
  const org = await client.org.get.query();
  const autoTriage: boolean = org.aiSettings.autoTriage;
  await client.org.update.mutate({ aiSettings: { replyTone: 'formal', model: null } });

  // ai
  const summary: string = (await client.ai.summarizeTicket.mutate({ ticketId })).summary;
  const sentiment = await client.ai.analyzeSentiment.mutate({ text: 'This is broken again!' });
  const label: 'positive' | 'neutral' | 'negative' = sentiment.sentiment;
  const priority = await client.ai.predictPriority.mutate({ subject: 'Down', description: 'Nothing works' });
  const tags = await client.ai.suggestTags.mutate({ subject: 'Invoice', description });
  const improved = await client.ai.improveText.mutate({ text: 'pls wait', tone: 'formal' });
  const intent = await client.ai.classifyTicket.mutate({ subject: 'Cancel my plan', systemPrompt: 'Be strict.' });
  const embedding = await client.ai.generateTicketEmbedding.mutate({ ticketId });
  const replies = await client.ai.generateReplySuggestions.mutate({ ticketId });
  const assignee = await client.ai.suggestAssignee.mutate({ subject: 'VPN', description: 'Cannot connect', ticketId });
  const agentId: string | undefined = assignee.suggestion?.agentId;
  const suggestions = await client.ai.suggestArticles.mutate({ ticketId });
  const analysis = await client.ai.analyzeTicket.mutate({ ticketId });
  const similar = await client.ai.findSimilarTickets.mutate({ ticketId, limit: 3 });
  const usage = await client.ai.getTokenUsage.query({ startDate: new Date('2026-01-01'), endDate: '2026-01-31', groupBy: 'day' });
  for (const row of usage.usage) {
    switch (row.kind) {
      case 'periodGroup':
        console.log(row.period.toISOString(), row.totalTokens);
        break;
      case 'operationGroup':
        console.log(row.operation, row.operations);
        break;
      case 'modelGroup':
        console.log(row.model, row.costUsd);
        break;
      case 'record':
        console.log(row.createdAt.toISOString(), row.operation);
    }
  }
  const allUsage = await client.ai.getTokenUsage.query();
  const run = await client.ai.run.mutate({ action: 'summarize', ticketId });
  const runAction: 'auto-tag' | 'suggest-reply' | 'summarize' | 'improve' = run.action;
  const tested = await client.ai.testPrompts.mutate({ tag: 'cancellation', limit: 5 });
  const testedAt: Date = tested.testedAt;
  const verdict = await client.ai.feedback.mutate({ suggestionId: summaryId(run), verdict: 'edited', finalText: 'Thanks!' });
  const verdictAt: Date = verdict.updatedAt;
  const stats = await client.ai.getFeedbackStats.query({ startDate: new Date('2026-01-01'), groupBy: 'model' });
  const acceptance: number | null = stats.totals.acceptanceRate;
  console.log(verdictAt, acceptance);

  console.log(now, database, role, limit, resets, userName, loggedOut, exact, firstAuthor, text, due, sent, unread,
    articles.total, expertise, secret, lastUsed, autoTriage, summary, label, priority.confidence, tags.tags,
    improved.text, intent.intent, embedding.embeddingDimensions, replies.suggestions, suggestions.suggestions,
    analysis.summary, similar.similarTickets, allUsage.totals.totalTokens, runAction, testedAt, agentId);
}

function summaryId(run: RouterOutputs['ai']['run']): string {
  return 'suggestionId' in run.result ? String(run.result.suggestionId) : '';
}

export async function wrongCalls(ticketId: string): Promise<void> {
  // @ts-expect-error: an unknown status
  await client.tickets.list.query({ status: 'archived' });
  // @ts-expect-error: limit is a number
  await client.tickets.list.query({ limit: '10' });
  // @ts-expect-error: a required field is missing (description)
  await client.tickets.create.mutate({ subject: 'No description' });
  // @ts-expect-error: an unknown field
  await client.tickets.update.mutate({ id: ticketId, colour: 'red' });
  // @ts-expect-error: tickets.get needs its input
  await client.tickets.get.query();
  // @ts-expect-error: a mutation has no .query
  await client.tickets.create.query({ subject: 'x', description: 'y' });
  // @ts-expect-error: a query has no .mutate
  await client.tickets.list.mutate({});
  // @ts-expect-error: a subscription has no .query
  await client.system.heartbeat.query({ count: 1 });
  // @ts-expect-error: an unknown procedure
  await client.tickets.archive.mutate({ id: ticketId });
  // @ts-expect-error: an unknown router
  await client.billing.invoices.query();
  // @ts-expect-error: an unknown ai.run action
  await client.ai.run.mutate({ action: 'translate', text: 'hola' });
  // @ts-expect-error: groupBy takes day/week/month/operation/model
  await client.ai.getTokenUsage.query({ groupBy: 'year' });
  // @ts-expect-error: a verdict is accepted, edited or rejected
  await client.ai.feedback.mutate({ suggestionId: ticketId, verdict: 'maybe' });
  // @ts-expect-error: a message author is customer or agent
  await client.tickets.addMessage.mutate({ ticketId, content: 'x', author: 'bot' });
  // @ts-expect-error: a role is viewer, agent or admin
  await client.users.create.mutate({ email: 'a@b.co', name: 'A', role: 'owner' });
  // @ts-expect-error: an API key scope is one of four
  await client.apiKeys.create.mutate({ name: 'k', scopes: ['everything'] });
  // @ts-expect-error: slaDueAt is a Date (superjson), not a number
  await client.tickets.create.mutate({ subject: 'x', description: 'y', slaDueAt: 1700000000 });
  const ticket = await client.tickets.get.query({ id: ticketId });
  // @ts-expect-error: createdAt arrives as a Date, not a string
  const created: string = ticket.createdAt;
  // @ts-expect-error: assigneeId may be null
  const assignee: string = ticket.assigneeId;
  const me = await client.auth.me.query();
  // @ts-expect-error: the user is null for an API key
  const name: string = me.user.name;
  // @ts-expect-error: status is a union of literals, not any string
  const status: 'open' = ticket.status;
  console.log(created, assignee, name, status);
}
