#!/usr/bin/env node
// Interop scenarios: drive a tRPC-over-HTTP server with the REAL @trpc/client.
//
//   node tests/interop/scenarios.mjs <baseUrl> <v11|v10> [--only name1,name2] [--plain-url URL]
//
// <baseUrl> is the server origin (e.g. http://127.0.0.1:8000); the tRPC endpoint is
// <baseUrl>/api/trpc. The `plain.*` scenarios use clients WITHOUT a transformer against the
// same server, or against --plain-url when given (the Node reference server needs a second
// instance started with `--transformer none`). Prints ONE JSON object on stdout:
//   {"client": "v11", "clientVersion": "11.25.2", "url": ..., "results": {<scenario>: <result>}}
// Each <result> is whatever the scenario recorded (settled calls, timings, ...), or
// {"crashed": <error>} if the scenario itself threw. Values are passed through tag(), so
// Dates, undefined, bigint, Map, Set... stay distinguishable in JSON, and errors through
// describeError() (name, message, data.code, data.httpStatus, response status...).
// tests/test_interop.py asserts on this output. Exit code 0 even when scenarios fail;
// non-zero only on usage errors.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import superjson from 'superjson';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const args = process.argv.slice(2);
const options = {};
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) options[args[i].slice(2)] = args[++i];
  else positional.push(args[i]);
}
const only = options.only ? new Set(options.only.split(',')) : null;
const [base, clientVersion = 'v11'] = positional;
if (!base || !['v10', 'v11'].includes(clientVersion)) {
  console.error('usage: node scenarios.mjs <baseUrl> <v11|v10> [--only a,b] [--plain-url URL]');
  process.exit(2);
}
const endpoint = (origin) => origin.replace(/\/+$/, '') + '/api/trpc';
const url = endpoint(base);
const plainUrl = endpoint(options['plain-url'] ?? base);

const pkgVersion = (dir) =>
  JSON.parse(readFileSync(path.join(HERE, dir, 'node_modules/@trpc/client/package.json'), 'utf8')).version;

// ---------------------------------------------------------------------------------------
// Value / error description
// ---------------------------------------------------------------------------------------

/** JSON-safe, type-preserving description of a value returned by the client. */
function tag(v) {
  if (v === undefined) return { $undefined: true };
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $number: 'NaN' };
    if (v === Infinity) return { $number: 'Infinity' };
    if (v === -Infinity) return { $number: '-Infinity' };
    if (Object.is(v, -0)) return { $number: '-0' };
    return v;
  }
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Date) return { $date: Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString() };
  if (v instanceof RegExp) return { $regexp: String(v) };
  if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [tag(k), tag(x)]) };
  if (v instanceof Set) return { $set: [...v.values()].map(tag) };
  if (v instanceof Error) return { $error: v.message };
  if (Array.isArray(v)) return v.map(tag);
  if (typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v)) out[k] = tag(v[k]);
    return out;
  }
  return { $unknown: String(v) };
}

function describeError(e) {
  if (!e || typeof e !== 'object') return { name: typeof e, message: String(e) };
  const data = e.data ?? null;
  return {
    name: e.name ?? e.constructor?.name,
    constructor: e.constructor?.name,
    message: e.message,
    code: data?.code ?? null,
    httpStatus: data?.httpStatus ?? null,
    path: data?.path ?? null,
    dataKeys: data && typeof data === 'object' ? Object.keys(data).sort() : null,
    hasStack: !!(data && typeof data === 'object' && 'stack' in data),
    shapeCode: e.shape?.code ?? null,
    status: e.meta?.response?.status ?? null,
    causeName: e.cause?.name ?? null,
    causeMessage: e.cause?.message ?? null,
  };
}

/** Settle a promise into {ok, value} / {ok:false, error}, with the time it settled. */
async function settle(promise, t0 = performance.now()) {
  try {
    const value = await promise;
    return { ok: true, value: tag(value), ms: Math.round(performance.now() - t0) };
  } catch (e) {
    return { ok: false, error: describeError(e), ms: Math.round(performance.now() - t0) };
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls made together (`calls` makes them; each [name, promise]), settled, with the order in which
 * they finished: { order: [name, ...], calls: { name: settled } }.
 */
async function settleInOrder(calls) {
  const t0 = performance.now();
  const order = [];
  const named = calls();
  const settled = await Promise.all(
    named.map(([name, p]) =>
      settle(p, t0).then((r) => {
        order.push(name);
        return r;
      }),
    ),
  );
  return { order, calls: Object.fromEntries(named.map(([name], i) => [name, settled[i]])) };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`scenario timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

// Subscribes and records what arrives (`record` turns each value into an event) until the stream
// ends with an error or completes, `until` holds for a value (then it unsubscribes at once, before
// anything else can arrive), or `ms` pass (then a 'timeout' event); then unsubscribes.
async function recordSubscription(procedure, input, { ms, what, record, until = () => false, started = false }) {
  const events = [];
  let subscription;
  const done = new Promise((resolve) => {
    subscription = procedure.subscribe(input, {
      ...(started ? { onStarted: () => events.push({ type: 'started' }) } : {}),
      onData: (d) => {
        events.push(record(d));
        if (until(d)) {
          subscription.unsubscribe();
          resolve();
        }
      },
      onError: (e) => {
        events.push({ type: 'error', error: describeError(e) });
        resolve();
      },
      onComplete: () => {
        events.push({ type: 'complete' });
        resolve();
      },
    });
  });
  await withTimeout(done, ms, what).catch((e) => events.push({ type: 'timeout', message: e.message }));
  subscription?.unsubscribe?.();
  return events;
}

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

const WHEN = new Date('2025-01-02T03:04:05.678Z');
const datesInput = () => ({
  title: 'dates',
  when: WHEN,
  nested: {
    at: new Date(0),
    maybe: undefined,
    deeper: { list: [new Date('1999-12-31T23:59:59.999Z'), undefined, 3, 'x'] },
  },
  list: [WHEN, { d: new Date(86_400_000) }, null],
  'dotted.key': new Date(1000),
  missing: undefined,
  unicode: 'héllo ✓ + & = ? % #',
});
// Non-JSON numbers superjson carries as annotated strings. (bigint, -0, Map, Set and RegExp
// are not round-tripped by helpdesk-ai's superjson subset: no procedure takes them.)
const numbersInput = () => ({ nan: NaN, inf: Infinity, ninf: -Infinity, n: 1.5, big: 9007199254740991, list: [NaN, 0] });

// ---------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------

async function loadClients() {
  if (clientVersion === 'v11') {
    const c = await import('@trpc/client');
    const { EventSource } = await import('eventsource');
    const mk = (link) => c.createTRPCClient({ links: [link] });
    return {
      version: pkgVersion('.'),
      links: {
        http: mk(c.httpLink({ url, transformer: superjson })),
        batch: mk(c.httpBatchLink({ url, transformer: superjson })),
        stream: mk(c.httpBatchStreamLink({ url, transformer: superjson })),
      },
      plain: {
        http: mk(c.httpLink({ url: plainUrl })),
        batch: mk(c.httpBatchLink({ url: plainUrl })),
        stream: mk(c.httpBatchStreamLink({ url: plainUrl })),
      },
      extra: {
        sub: mk(c.httpSubscriptionLink({ url, transformer: superjson, EventSource })),
        override: mk(c.httpLink({ url, transformer: superjson, methodOverride: 'POST' })),
        streamAccept: mk(c.httpBatchStreamLink({ url, transformer: superjson, streamHeader: 'accept' })),
        batchMax5: mk(c.httpBatchLink({ url, transformer: superjson, maxItems: 5 })),
      },
    };
  }
  const c = await import('./v10/client.mjs');
  const mk = (link, transformer) =>
    c.createTRPCProxyClient(transformer ? { links: [link], transformer } : { links: [link] });
  return {
    version: pkgVersion('v10'),
    links: {
      http: mk(c.httpLink({ url }), superjson),
      batch: mk(c.httpBatchLink({ url }), superjson),
    },
    plain: {
      http: mk(c.httpLink({ url: plainUrl })),
      batch: mk(c.httpBatchLink({ url: plainUrl })),
    },
    extra: {},
  };
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

function scenarios(clients) {
  const s = {};
  for (const [link, client] of Object.entries(clients.links)) {
    const L = (name) => `${link}.${name}`;
    s[L('dates')] = async () => settle(client.wire.echo.query(datesInput()));
    s[L('rootDate')] = async () => settle(client.wire.echo.query(new Date('2020-02-29T12:00:00.000Z')));
    s[L('noInput')] = async () => settle(client.wire.echo.query());
    s[L('numbers')] = async () => settle(client.wire.echo.query(numbersInput()));
    s[L('add')] = async () => settle(client.wire.add.mutate({ a: 2, b: 3 }));
    s[L('status')] = async () => settle(client.system.status.query());
    s[L('notFound')] = async () => settle(client.wire.notFound.query());
    s[L('badRequest')] = async () => settle(client.wire.add.mutate({ a: 'x', b: 1 }));
    s[L('boom')] = async () => settle(client.wire.boom.mutate());
    s[L('unknownPath')] = async () => settle(client.wire.nope.query({ x: 1 }));
    // A mutation called as a query: the client sends GET → METHOD_NOT_SUPPORTED.
    s[L('mutationAsQuery')] = async () => settle(client.wire.add.query({ a: 1, b: 2 }));
    // Concurrent calls made in one tick: the batch links put them in one request.
    s[L('mixedQueries')] = async () => {
      const t0 = performance.now();
      const calls = [
        client.wire.echo.query({ i: 0, d: WHEN }),
        client.wire.notFound.query(),
        client.wire.echo.query('x'),
        client.wire.echo.query(),
        client.system.status.query(),
      ];
      return { calls: await Promise.all(calls.map((p) => settle(p, t0))) };
    };
    s[L('mixedMutations')] = async () => {
      const t0 = performance.now();
      const calls = [
        client.wire.add.mutate({ a: 1, b: 1 }),
        client.wire.add.mutate({ a: 'nope', b: 1 }),
        client.wire.add.mutate({ a: 2, b: 2 }),
        client.wire.boom.mutate(),
      ];
      return { calls: await Promise.all(calls.map((p) => settle(p, t0))) };
    };
    s[L('manyQueries')] = async () => {
      const n = 20;
      const calls = Array.from({ length: n }, (_, i) => client.wire.echo.query({ i, at: new Date(i * 1000) }));
      return { calls: await Promise.all(calls.map((p) => settle(p))) };
    };
    // Two 400 ms calls together should take ~400 ms, not 800: the server runs them concurrently.
    s[L('concurrentSlow')] = async () => {
      const t0 = performance.now();
      const calls = [
        client.wire.slow.query({ ms: 400, value: 'a' }),
        client.wire.slow.query({ ms: 400, value: 'b' }),
      ];
      const settled = await Promise.all(calls.map((p) => settle(p, t0)));
      return { calls: settled, totalMs: Math.round(performance.now() - t0) };
    };
    // Resolution order of a slow, a fast and a failing call made together.
    s[L('order')] = async () =>
      settleInOrder(() => [
        ['slow', client.wire.slow.query({ ms: 800, value: { done: new Date(5) } })],
        ['fast', client.wire.echo.query({ fast: true })],
        ['notFound', client.wire.notFound.query()],
      ]);
    // Aborting a call rejects it on the client (well before the server would answer).
    s[L('abort')] = async () => {
      const ac = new AbortController();
      const t0 = performance.now();
      const p = settle(client.wire.slow.query({ ms: 3000, value: 'late' }, { signal: ac.signal }), t0);
      setTimeout(() => ac.abort(), 150);
      const aborted = await p;
      // The server must keep serving after the client went away.
      const after = await settle(client.wire.echo.query({ after: 'abort' }));
      return { aborted, after };
    };
  }

  for (const [link, client] of Object.entries(clients.plain)) {
    const L = (name) => `plain.${link}.${name}`;
    s[L('echo')] = async () => settle(client.wire.echo.query({ hello: 'w', list: [1, 'two', null, { x: true }] }));
    s[L('noInput')] = async () => settle(client.wire.echo.query());
    s[L('add')] = async () => settle(client.wire.add.mutate({ a: 20, b: 22 }));
    s[L('notFound')] = async () => settle(client.wire.notFound.query());
    s[L('badRequest')] = async () => settle(client.wire.add.mutate({ a: 1, b: 'y' }));
    s[L('mixedQueries')] = async () => {
      const calls = [client.wire.echo.query({ k: 'v' }), client.wire.notFound.query(), client.wire.echo.query()];
      return { calls: await Promise.all(calls.map((p) => settle(p))) };
    };
  }

  const { sub, override, streamAccept, batchMax5 } = clients.extra;
  if (sub) {
    s['sub.ticks'] = async () => {
      const t0 = performance.now();
      const events = await recordSubscription(sub.wire.ticks, { count: 3, intervalMs: 50 }, {
        ms: 8000,
        what: 'sub.ticks',
        started: true,
        record: (d) => ({ type: 'data', value: tag(d), atIsDate: d?.at instanceof Date }),
      });
      return { events, ms: Math.round(performance.now() - t0) };
    };
    // Invalid input: the error arrives in-stream (serialized-error) and ends the subscription.
    s['sub.badInput'] = async () => {
      const events = await recordSubscription(sub.wire.ticks, { count: 'three', intervalMs: 10 }, {
        ms: 5000,
        what: 'sub.badInput',
        record: (d) => ({ type: 'data', value: tag(d) }),
      });
      return { events };
    };
    // Unsubscribing early stops the stream; the server keeps serving afterwards.
    s['sub.unsubscribe'] = async () => {
      const events = await recordSubscription(sub.wire.ticks, { count: 1000, intervalMs: 20 }, {
        ms: 5000,
        what: 'sub.unsubscribe',
        record: (d) => ({ type: 'data', n: d?.n }),
        until: (d) => d?.n === 2,
      });
      await sleep(100);
      const after = await settle(clients.links.http.wire.echo.query('still up'));
      return { events, after };
    };
  }
  // ai.streamReply as a signed-in caller: `--stream-reply '{"apiKey": ..., "ticketId": ...}'`
  // (tests/test_interop.py creates both). The key goes in the EventSource's own fetch.
  if (options['stream-reply'] && clientVersion === 'v11') {
    s['sub.streamReply'] = async () => {
      const { apiKey, ticketId } = JSON.parse(options['stream-reply']);
      const c = await import('@trpc/client');
      const { EventSource } = await import('eventsource');
      const authorized = (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers ?? {}), authorization: `Bearer ${apiKey}` } });
      const assist = c.createTRPCClient({
        links: [c.httpSubscriptionLink({ url, transformer: superjson, EventSource, eventSourceOptions: { fetch: authorized } })],
      });
      const events = await recordSubscription(assist.ai.streamReply, { ticketId, tone: 'formal' }, {
        ms: 20000,
        what: 'sub.streamReply',
        record: (d) => ({ type: 'data', value: tag(d) }),
      });
      return { events };
    };
  }
  if (override) {
    // methodOverride:'POST' sends the query as POST; a server without allowMethodOverride
    // (the default) answers 405 METHOD_NOT_SUPPORTED.
    s['override.query'] = async () => settle(override.wire.echo.query({ via: 'POST' }));
  }
  if (streamAccept) {
    s['streamAccept.order'] = async () =>
      settleInOrder(() => [
        ['slow', streamAccept.wire.slow.query({ ms: 600, value: 'slow' })],
        ['fast', streamAccept.wire.echo.query({ at: WHEN })],
      ]);
  }
  if (batchMax5) {
    // 12 calls split by the client into batches of at most 5: results still map to calls.
    s['batchMax5.split'] = async () => {
      const calls = Array.from({ length: 12 }, (_, i) => batchMax5.wire.echo.query({ i }));
      return { calls: await Promise.all(calls.map((p) => settle(p))) };
    };
  }
  // Over the server's default MAX_BATCH_SIZE (50): a request-level error that the batch
  // client hands to every call of the batch.
  s['batch.tooMany'] = async () => {
    const client = clients.links.batch;
    const calls = Array.from({ length: 60 }, (_, i) => client.wire.echo.query(i));
    const settled = await Promise.all(calls.map((p) => settle(p)));
    return { calls: settled };
  };
  return s;
}

// ---------------------------------------------------------------------------------------

async function main() {
  const clients = await loadClients();
  const all = scenarios(clients);
  const results = {};
  for (const [name, fn] of Object.entries(all)) {
    if (only && !only.has(name)) continue;
    try {
      results[name] = await withTimeout(fn(), 20_000, name);
    } catch (e) {
      results[name] = { crashed: describeError(e) };
    }
  }
  const output = JSON.stringify({ client: clientVersion, clientVersion: clients.version, url, results }) + '\n';
  // Exit only once stdout is flushed (writes to a pipe are asynchronous; exiting earlier
  // truncates the output), and do exit: keep-alive sockets / EventSources would hold the process.
  process.stdout.write(output, () => process.exit(0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
