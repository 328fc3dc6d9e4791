// Reference server: the official tRPC v11 Node server (standalone adapter, superjson),
// exposing the same procedures as helpdesk-ai's `system.status` and the test module
// `tests.support.wire_procedures`. Used by scripts/bench/wire.py as the baseline, and
// handy to check tests/interop/scenarios.mjs against the real thing:
//
//   node scripts/bench/reference/server.mjs --port 4100 [--host 127.0.0.1]
//        [--transformer superjson|none] [--max-batch-size 50]
//   node tests/interop/scenarios.mjs http://127.0.0.1:4100 v11
//
// `--transformer none` serves plain JSON (for the scenarios' `plain.*` clients);
// `--max-batch-size` mirrors helpdesk-ai's MAX_BATCH_SIZE (default 50; 0 = unlimited).
// Prints "listening on http://HOST:PORT" once ready. GET /healthz answers 200.
import http from 'node:http';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const transformerName = arg('transformer', 'superjson');
if (!['superjson', 'none'].includes(transformerName)) throw new Error('--transformer superjson|none');
const t = initTRPC.create(
  transformerName === 'superjson' ? { transformer: superjson, isDev: false } : { isDev: false },
);
const maxBatchSize = Number(arg('max-batch-size', '50'));

function bad(message) {
  throw new TRPCError({ code: 'BAD_REQUEST', message });
}

// Hand-written validators (no zod), with messages naming the field path like the
// Python server's (`... at $.a`).
function parseAdd(input) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    bad('Expected `object`, got `' + typeof input + '`');
  }
  for (const k of ['a', 'b']) {
    if (!(k in input)) bad(`Object missing required field \`${k}\``);
    if (typeof input[k] !== 'number') bad(`Expected \`number\`, got \`${typeof input[k]}\` - at \`$.${k}\``);
  }
  return input;
}

function parseInt_(input, key) {
  const v = input?.[key];
  if (!Number.isInteger(v)) bad(`Expected \`int\` - at \`$.${key}\``);
  return v;
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

const router = t.router({
  system: t.router({
    status: t.procedure.query(() => ({
      version: '0.1.0',
      time: new Date(),
      database: 'ok',
      ai: { engine: 'local', model: 'none' },
      debug: false,
    })),
  }),
  wire: t.router({
    echo: t.procedure.input((x) => x).query(({ input }) => input),
    add: t.procedure.input(parseAdd).mutation(({ input }) => ({ sum: input.a + input.b })),
    slow: t.procedure
      .input((x) => {
        parseInt_(x, 'ms');
        return x;
      })
      .query(async ({ input, signal }) => {
        await sleep(input.ms, signal);
        return input.value;
      }),
    notFound: t.procedure.query(() => {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'Ticket not found' });
    }),
    boom: t.procedure.mutation(() => {
      throw new Error('boom: unexpected failure');
    }),
    ticks: t.procedure
      .input((x) => {
        parseInt_(x, 'count');
        parseInt_(x, 'intervalMs');
        return x;
      })
      .subscription(async function* ({ input, signal }) {
        for (let n = 1; n <= input.count; n++) {
          await sleep(input.intervalMs, signal);
          if (signal?.aborted) return;
          yield { n, at: new Date() };
        }
      }),
  }),
});

const trpcHandler = createHTTPHandler({
  router,
  basePath: '/api/trpc/',
  ...(maxBatchSize > 0 ? { maxBatchSize } : {}),
});

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  if (req.url.startsWith('/api/trpc/')) {
    trpcHandler(req, res);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
});

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '4100'));
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  console.log(`listening on http://${host}:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
