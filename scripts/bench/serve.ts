/**
 * The real server for scripts/bench/run.ts, in its own process so the load generator never shares its event loop.
 * Production configuration: the default logger (info level, one JSON line per request; the bench sends stdout to
 * /dev/null), the default Yoga options. Only with BENCH_COUNT_SQL=1 does it pass `onQuery` (Prisma's query events
 * cost time, so the load phases run without it) and report the statements over IPC.
 *
 * IPC: → { kind: 'ready', url } ; ← { kind: 'sql-reset' } / { kind: 'sql' } → { kind: 'sql', statements } ;
 *      ← { kind: 'rss', collect? } → { kind: 'rss', rss, heap } (after three full collections with `collect`) ; ← { kind: 'profile-start' } / { kind: 'profile-stop', file }
 *      (V8 CPU profile of one phase) ; ← { kind: 'heap-start' } / { kind: 'heap-stop', file } (sampling heap profile of
 *      what outlived a scavenge) ; ← { kind: 'gc-start' } / { kind: 'gc-stop' } → { byKind, delay, handled } (BENCH_GC=1:
 *      GC pauses, event-loop delay, request times from the access log) ; ← { kind: 'stop' } (exits).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { createLogger } from '../../src/http/logger.ts';
import { startServer } from '../../src/server.ts';
import { poolSizeFrom } from '../../src/db/target.ts';
import { percentile } from './stats.ts';

const countSql = process.env.BENCH_COUNT_SQL === '1';
let statements: string[] = [];

const server = await startServer({
  database: { kind: 'postgres', url: process.env.DATABASE_URL!, poolSize: poolSizeFrom(process.env.DATABASE_POOL_SIZE) },
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
let heapProfiler: Session | undefined;
/** An inspector session of this process, after posting `steps` (method and parameters) in order. */
async function inspect(...steps: Array<[method: string, params?: object]>): Promise<Session> {
  const session = new Session();
  session.connect();
  for (const [method, params] of steps) await (session.post as (method: string, params?: object) => Promise<unknown>)(method, params);
  return session;
}
/** Posts `stop`, writes the profile it answers to `file` and ends the session. */
async function writeProfile(session: Session, stop: string, file: string): Promise<void> {
  const { profile } = (await (session.post as (method: string) => Promise<{ profile: unknown }>)(stop));
  await writeFile(file, JSON.stringify(profile));
  session.disconnect();
}
// BENCH_GC=1 (scripts/bench/run.ts): the collector's pauses and the event loop's delay during each phase.
const GC_KINDS: Record<number, string> = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak-callbacks', 16: 'minor-mark' };
let pauses: Array<{ kind: string; ms: number }> = [];
let loopDelay: IntervalHistogram | undefined;
// …and how long the server took over each request, from its access log line (`ms`: from the handler to the close).
let served: number[] | undefined;
if (process.env.BENCH_GC === '1') {
  const write = process.stdout.write.bind(process.stdout) as (chunk: string) => boolean;
  process.stdout.write = ((chunk: string) => {
    if (served) for (const line of chunk.split('\n')) if (line.includes('"msg":"request"')) served.push(Number(/"ms":([\d.]+)/.exec(line)?.[1]));
    return write(chunk);
  }) as typeof process.stdout.write;
}
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses.push({ kind: GC_KINDS[(entry as PerformanceEntry & { detail?: { kind: number } }).detail?.kind ?? 0] ?? 'other', ms: entry.duration });
});
process.on('message', async (message: { kind: string; file?: string; collect?: boolean }) => {
  // The V8 CPU profiler (what --cpu-prof uses), started and stopped around one load phase.
  if (message.kind === 'profile-start') {
    profiler = await inspect(['Profiler.enable'], ['Profiler.start']);
    process.send!({ kind: 'profile-start' });
  }
  if (message.kind === 'profile-stop' && profiler) {
    await writeProfile(profiler, 'Profiler.stop', message.file!);
    process.send!({ kind: 'profile-stop' });
  }
  // The sampling heap profiler, counting what outlived a scavenge (collected by a major GC, or still alive): the
  // objects promoted to the old generation (BENCH_HEAP_PROF); with BENCH_HEAP_PROF_ALL=1 every allocation.
  if (message.kind === 'heap-start') {
    heapProfiler = await inspect(['HeapProfiler.enable'], [
      'HeapProfiler.startSampling',
      { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.BENCH_HEAP_PROF_ALL === '1' },
    ]);
    process.send!({ kind: 'heap-start' });
  }
  if (message.kind === 'heap-stop' && heapProfiler) {
    // The young generation's garbage is not collected yet: a scavenge first, so the profile holds what was promoted.
    (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
    await writeProfile(heapProfiler, 'HeapProfiler.stopSampling', message.file!);
    process.send!({ kind: 'heap-stop' });
  }
  if (message.kind === 'gc-start') {
    pauses = [];
    served = [];
    observer.observe({ entryTypes: ['gc'] });
    loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    process.send!({ kind: 'gc-start' });
  }
  if (message.kind === 'gc-stop') {
    observer.disconnect();
    loopDelay?.disable();
    const byKind: Record<string, { count: number; totalMs: number; maxMs: number; over10ms: number }> = {};
    for (const { kind, ms } of pauses) {
      const entry = (byKind[kind] ??= { count: 0, totalMs: 0, maxMs: 0, over10ms: 0 });
      entry.count += 1;
      entry.totalMs += ms;
      entry.maxMs = Math.max(entry.maxMs, ms);
      entry.over10ms += ms > 10 ? 1 : 0;
    }
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    const delay = loopDelay && { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), p999: ms(loopDelay.percentile(99.9)), max: ms(loopDelay.max) };
    const sorted = (served ?? []).sort((a, b) => a - b);
    const at = (p: number) => Math.round(percentile(sorted, p));
    const handled = { requests: sorted.length, p50: at(50), p99: at(99), p999: at(99.9), max: Math.round(sorted.at(-1) ?? NaN) };
    served = undefined;
    process.send!({ kind: 'gc-stop', byKind, delay, handled });
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
