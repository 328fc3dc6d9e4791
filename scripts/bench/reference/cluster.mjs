// The reference server in Node's cluster mode: `--workers N` processes sharing one port (the
// primary accepts and hands connections out round-robin), for scripts/bench/wire.py --workers N.
// Every other argument goes to server.mjs unchanged:
//
//   node scripts/bench/reference/cluster.mjs --workers 2 --port 4100
import cluster from 'node:cluster';

const i = process.argv.indexOf('--workers');
const workers = i >= 0 ? Number(process.argv[i + 1]) : 2;

if (cluster.isPrimary) {
  for (let n = 0; n < workers; n++) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  await import('./server.mjs');
}
