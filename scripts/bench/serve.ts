/**
 * The real server for scripts/bench/run.ts, in its own process so the load generator never shares its event loop.
 * Production configuration: the default logger (info level, one JSON line per request; the bench sends stdout to
 * /dev/null), the default Yoga options. Only with BENCH_COUNT_SQL=1 does it pass `onQuery` (Prisma's query events
 * cost time, so the load phases run without it) and report the statements over IPC.
 *
 * IPC: → { kind: 'ready', url } ; ← { kind: 'sql-reset' } / { kind: 'sql' } → { kind: 'sql', statements } ;
 *      ← { kind: 'rss', collect? } → { kind: 'rss', rss, heap } (after three full collections with `collect`) ; ← { kind: 'profile-start' } / { kind: 'profile-stop', file }
 *      (V8 CPU profile of one phase) ; ← { kind: 'stop' } (exits).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createLogger } from '../../src/http/logger.ts';
import { startServer } from '../../src/server.ts';

const countSql = process.env.BENCH_COUNT_SQL === '1';
let statements: string[] = [];

const server = await startServer({
  database: { kind: 'postgres', url: process.env.DATABASE_URL!, poolSize: Number(process.env.BENCH_POOL_SIZE ?? 10) },
  port: 0,
  host: '127.0.0.1',
  logger: createLogger(process.env.LOG_LEVEL ?? 'info'),
  sweepIntervalMs: 0,
  // BENCH_FAST_JSON=0: every request through Yoga's fetch layer (the before of the fast path's before/after).
  fastJsonPath: process.env.BENCH_FAST_JSON !== '0',
  // Counting: no relay poll, so the statements counted are those of the operations (and of the relay they wake).
  ...(countSql ? { onQuery: (sql: string) => void statements.push(sql), live: { relayPollMs: 3_600_000 } } : {}),
  identity: {
    demoAccounts: true,
    trustProxy: true,
    smsLimits: { mobileIntervalSeconds: 0, perMobile: { max: 100_000, windowSeconds: 3600 }, perAddress: { max: 100_000, windowSeconds: 3600 } },
  },
});

let profiler: Session | undefined;
process.on('message', async (message: { kind: string; file?: string; collect?: boolean }) => {
  // The V8 CPU profiler (what --cpu-prof uses), started and stopped around one load phase.
  if (message.kind === 'profile-start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    process.send!({ kind: 'profile-start' });
  }
  if (message.kind === 'profile-stop' && profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(message.file!, JSON.stringify(profile));
    profiler.disconnect();
    process.send!({ kind: 'profile-stop' });
  }
  if (message.kind === 'sql-reset') {
    statements = [];
    process.send!({ kind: 'sql-reset' });
  }
  if (message.kind === 'sql') process.send!({ kind: 'sql', statements });
  if (message.kind === 'rss') {
    // Between load rounds the RSS is read as it is: a forced collection there made the next round about 15 % slower
    // (issue 9). After the last phase (`collect`), three full collections first, for the figure that compares runs.
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let n = 0; n < (message.collect ? 3 : 0); n += 1) {
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const memory = process.memoryUsage();
    process.send!({ kind: 'rss', rss: memory.rss, heap: memory.heapUsed });
  }
  if (message.kind === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send!({ kind: 'ready', url: server.url });
