// The real @trpc/client, typed with the generated `AppRouter`, against the real server.
//
//   node <compiled>/product.js <baseUrl> <admin API key> <read-only API key> <agent email> <agent password>
//
// tests/test_catalog.py type-checks this file with `tsc --strict`, compiles it, runs it against
// the live server, and checks every answer recorded here against the procedure's declared
// output type, so the generated types and the wire answers are held to each other. Values are
// printed tagged ({"$date": iso}, {"$undefined": true}) so the test sees what JS received.
import { TRPCClientError, createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import type { AppRouter, ErrorShape, RouterInputs, RouterOutputs } from 'helpdesk-ai-client';

// The little of Node's `process` used here (no @types/node needed for one script).
declare const process: {
  argv: string[];
  exit(code: number): never;
  stdout: { write(text: string, done: () => void): boolean };
};

const [base, adminKey, readKey, agentEmail, agentPassword] = process.argv.slice(2);
if (!base || !adminKey || !readKey || !agentEmail || !agentPassword) {
  console.error('usage: node product.js <baseUrl> <admin API key> <read-only API key> <agent email> <agent password>');
  process.exit(2);
}
const url = base.replace(/\/+$/, '') + '/api/trpc';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

const batched = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url, transformer: superjson, headers: () => bearer(adminKey) })],
});
const single = createTRPCClient<AppRouter>({
  links: [httpLink({ url, transformer: superjson, headers: () => bearer(adminKey) })],
});
const readOnly = createTRPCClient<AppRouter>({
  links: [httpLink({ url, transformer: superjson, headers: () => bearer(readKey) })],
});
const live = createTRPCClient<AppRouter>({
  links: [httpSubscriptionLink({ url, transformer: superjson, EventSource })],
});

type Tagged = unknown;
function tag(value: unknown): Tagged {
  if (value === undefined) return { $undefined: true };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(tag);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, tag(item)]));
  }
  return value;
}

interface Recorded {
  path: string;
  ok: boolean;
  value?: Tagged;
  error?: { code: string | null; httpStatus: number | null; message: string };
}
const calls: Record<string, Recorded> = {};
const checks: Record<string, boolean> = {};

async function record<T>(name: string, path: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    const value = await call();
    calls[name] = { path, ok: true, value: tag(value) };
    return value;
  } catch (error) {
    const shape = error instanceof TRPCClientError ? (error.shape as ErrorShape | undefined) : undefined;
    calls[name] = {
      path,
      ok: false,
      error: { code: shape?.data.code ?? null, httpStatus: shape?.data.httpStatus ?? null, message: String(error) },
    };
    return undefined;
  }
}

function check(name: string, condition: boolean): void {
  checks[name] = condition;
}

async function main(): Promise<void> {
  const status = await record('status', 'system.status', () => batched.system.status.query());
  check('status.time is a Date', status?.time instanceof Date);

  const newTicket: RouterInputs['tickets']['create'] = {
    subject: 'Refund for a double charge',
    description: {
      type: 'doc',
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'I was charged twice for March.' }] }],
    },
    priority: 'high',
    tags: ['billing'],
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    slaDueAt: new Date('2030-01-02T03:04:05.000Z'),
  };
  const created = await record('create', 'tickets.create', () => single.tickets.create.mutate(newTicket));
  check('created.slaDueAt is the Date sent', created?.slaDueAt?.toISOString() === '2030-01-02T03:04:05.000Z');
  check('created.descriptionText is plain text', created?.descriptionText === 'I was charged twice for March.');
  if (!created) throw new Error('tickets.create failed: ' + JSON.stringify(calls['create']));

  const [listed, fetched, message, unread, me] = await Promise.all([
    record('list', 'tickets.list', () => batched.tickets.list.query({ priority: 'high', limit: 5 })),
    record('get', 'tickets.get', () => batched.tickets.get.query({ id: created.id })),
    record('addMessage', 'tickets.addMessage', () =>
      batched.tickets.addMessage.mutate({ ticketId: created.id, content: 'Any news?', author: 'customer' }),
    ),
    record('unreadCount', 'tickets.unreadCount', () => batched.tickets.unreadCount.query()),
    record('me', 'auth.me', () => batched.auth.me.query()),
  ]);
  check('list finds the ticket', listed?.items.some((item) => item.id === created.id) === true);
  check('get has Date createdAt', fetched?.createdAt instanceof Date);
  check('message.createdAt is a Date', message?.createdAt instanceof Date);
  check('unread count is a number', typeof unread?.count === 'number');
  check('me.user is null for an API key', me?.user === null);
  check('me.usage.resetsAt is a Date', me?.usage.resetsAt instanceof Date);

  const update: RouterInputs['tickets']['update'] = { id: created.id, status: 'pending', slaDueAt: null };
  const updated = await record('update', 'tickets.update', () => single.tickets.update.mutate(update));
  check('update cleared slaDueAt', updated?.slaDueAt === null);

  const article = await record('articleCreate', 'articles.create', () =>
    single.articles.create.mutate({ title: 'Refunds', content: 'Refunds take five days.', published: true }),
  );
  await record('articles', 'articles.list', () => batched.articles.list.query());
  await record('users', 'users.list', () => batched.users.list.query());
  await record('keys', 'apiKeys.list', () => batched.apiKeys.list.query());
  await record('org', 'org.get', () => batched.org.get.query());
  const sentiment = await record('sentiment', 'ai.analyzeSentiment', () =>
    single.ai.analyzeSentiment.mutate({ text: 'Thank you, this is wonderful!' }),
  );
  const label: RouterOutputs['ai']['analyzeSentiment']['sentiment'] | undefined = sentiment?.sentiment;
  check('sentiment label is a known one', label === 'positive' || label === 'neutral' || label === 'negative');
  await record('run', 'ai.run', () => single.ai.run.mutate({ action: 'summarize', ticketId: created.id }));
  const usage = await record('usage', 'ai.getTokenUsage', () =>
    batched.ai.getTokenUsage.query({ startDate: new Date('2020-01-01T00:00:00Z'), groupBy: 'day' }),
  );
  check('usage has day buckets', (usage?.usage.length ?? 0) > 0 && usage?.usage.every((row) => row.kind === 'periodGroup') === true);
  check(
    'a bucket starts at a Date',
    usage?.usage.every((row) => row.kind !== 'periodGroup' || row.period instanceof Date) === true,
  );
  if (article) await record('articleDelete', 'articles.delete', () => single.articles.delete.mutate({ id: article.id }));

  // Auto-triage through the real client: a ticket created with autoTriage on comes back triaged
  // within 5 seconds, charged exactly one operation.
  await single.org.update.mutate({ aiSettings: { autoTriage: true } });
  const usedBefore = (await single.auth.me.query()).usage.used;
  const triaged = await single.tickets.create.mutate({
    subject: 'Outage: nobody can log in',
    description: 'Production is down for every customer since 9:00. Please help urgently!',
  });
  check('a new ticket is queued for triage', triaged.aiTriage?.status === 'pending');
  let triage: RouterOutputs['tickets']['get']['aiTriage'] = triaged.aiTriage;
  const triageDeadline = Date.now() + 5000;
  while ((triage === null || triage.status === 'pending') && Date.now() < triageDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    triage = (await single.tickets.get.query({ id: triaged.id })).aiTriage;
  }
  check('auto-triage applied within 5 s', triage?.status === 'applied');
  check('auto-triage records when it ran as a Date', triage?.at instanceof Date);
  check('auto-triage charged exactly one operation', (await single.auth.me.query()).usage.used - usedBefore === 1);
  await single.org.update.mutate({ aiSettings: { autoTriage: false } });

  // Feedback round-trips into the statistics, as a signed-in agent: Node keeps no cookie jar, so
  // the session cookie that auth.login sets is carried by hand, as a browser would.
  let sessionCookie = '';
  const agent = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url,
        transformer: superjson,
        headers: () => (sessionCookie ? { cookie: sessionCookie } : {}),
        fetch: async (input, init) => {
          const response = await fetch(input, init as RequestInit | undefined);
          const setCookie = response.headers.get('set-cookie');
          if (setCookie) sessionCookie = setCookie.split(';')[0] ?? '';
          return response;
        },
      }),
    ],
  });
  await agent.auth.login.mutate({ email: agentEmail, password: agentPassword });
  const improved = await agent.ai.improveText.mutate({ text: 'we refund u tomorrow' });
  const statsBefore = await agent.ai.getFeedbackStats.query({ groupBy: 'operation' });
  const verdict = await agent.ai.feedback.mutate({ suggestionId: improved.suggestionId, verdict: 'accepted' });
  check('feedback names its operation', verdict.operation === 'improveText' && verdict.verdict === 'accepted');
  const statsAfter = await agent.ai.getFeedbackStats.query({ groupBy: 'operation' });
  const improveRow = statsAfter.groups.find((group) => group.operation === 'improveText');
  check('feedback reaches the statistics', statsAfter.totals.accepted === statsBefore.totals.accepted + 1);
  check('feedback is counted under its operation', (improveRow?.accepted ?? 0) >= 1 && improveRow?.acceptanceRate !== null);

  // Errors: typed shapes with the declared codes.
  await record('notFound', 'tickets.get', () =>
    single.tickets.get.query({ id: '00000000-0000-4000-8000-000000000000' }),
  );
  await record('forbidden', 'tickets.create', () =>
    readOnly.tickets.create.mutate({ subject: 'Not allowed', description: 'read-only key' }),
  );
  // A value the types refuse, sent anyway (as a JavaScript caller could): the server refuses it too.
  const wrong = { subject: '', description: 'empty subject' } as RouterInputs['tickets']['create'];
  await record('badRequest', 'tickets.create', () => single.tickets.create.mutate(wrong));

  const beats: Tagged[] = [];
  let streamError: string | null = null;
  await new Promise<void>((resolve) => {
    const subscription = live.system.heartbeat.subscribe(
      { count: 2, intervalMs: 1000 },
      {
        onData: (beat) => {
          beats.push(tag(beat));
          check('heartbeat.at is a Date', beat.at instanceof Date);
        },
        onError: (error) => {
          streamError = `${error.data?.code ?? ''} ${error.message}`;
          resolve();
        },
        onComplete: () => resolve(),
      },
    );
    setTimeout(() => {
      subscription.unsubscribe();
      resolve();
    }, 10_000);
  });
  calls['heartbeat'] = streamError
    ? { path: 'system.heartbeat', ok: false, error: { code: null, httpStatus: null, message: streamError } }
    : { path: 'system.heartbeat', ok: beats.length === 2, value: beats };

  await record('delete', 'tickets.delete', () => single.tickets.delete.mutate({ id: created.id }));
}

main()
  .catch((error: unknown) => {
    calls['crashed'] = { path: '', ok: false, error: { code: null, httpStatus: null, message: String(error) } };
  })
  .finally(() => {
    process.stdout.write(JSON.stringify({ calls, checks }) + '\n', () => process.exit(0));
  });
