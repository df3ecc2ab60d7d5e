/**
 * `npm run bench`: the API against a hand-written physical-limit reference, on PostgreSQL (issue 9).
 *
 * 1. Creates `bench_<random>` on DATABASE_URL's server, migrates it (src/db/database.ts), dropped at the end.
 * 2. Starts the real server once with `onQuery` to count SQL statements per operation, seeds through the API (one
 *    section and one order per tenant) and clones in SQL: thousands of orders for the bidders of xinjiang, hunan and
 *    hunan-changsha, and free sections for the creation run.
 * 3. Starts the real server (scripts/bench/serve.ts, production options, no onQuery) and the reference
 *    (scripts/bench/reference.ts: node:http + pg) as child processes, checks both answer the page with the same JSON,
 *    warms up (the page and the trivial query; before the creation rounds, creation for BENCH_CREATE_WARM seconds,
 *    5 by default, on each), then drives each with autocannon at CONNECTIONS connections for SECONDS seconds: `{ __typename }`,
 *    the bidder's order-list page (50 orders with section, institution, product and latest event; the real server's
 *    RSS after each round), then createOrder + submitOrder. Each in three rounds, each round the reference and then
 *    the real server, so the machine's drift weighs on both sides of a round's ratio; the row is the median round.
 *    After the page and after creation, a paced row: the same work offered evenly to both servers at BENCH_PACED_SHARE
 *    (0.5) of the real server's saturated rate (scripts/bench/load.ts pacedLoad), for the latency with headroom.
 * 4. Prints the table, writes scripts/bench/results/latest.json (the former one becomes previous.json, and the
 *    table compares against it) and rewrites the generated block of README's "Request throughput" subsection.
 *
 * Env: DATABASE_URL (required), BENCH_SECONDS (10), CONNECTIONS (32), ORDERS (3000, the xinjiang bidder's),
 * BENCH_CPU_PROF (a directory: the real server writes one .cpuprofile per round there), BENCH_GC=1 (prints per round the real
 * server's GC pauses by kind, its event-loop delay and how long it held each request by its access log),
 * BENCH_HEAP_PROF (a directory: a sampling heap profile per round of what outlived a scavenge; with
 * BENCH_HEAP_PROF_ALL=1 of every allocation, young garbage included), BENCH_REAL_V8 (the
 * real server's V8 flags instead of `npm start`'s), BENCH_REAL_STDOUT (a file for the real server's stdout: its access
 * log, and --trace-gc's lines), BENCH_NO_README=1,
 * BENCH_KEEP_DB=1 (keep the database to look at query plans), BENCH_ONLY=typename,page,create (only
 * those phases, one round each unless BENCH_ROUNDS says otherwise, no results written), BENCH_CREATE_WARM (5: seconds
 * of creation on each server before the creation rounds), BENCH_PACED_SHARE (0.5).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { print } from 'graphql';
import pg from 'pg';
import { CreateOrderDocument, OrdersDocument, SubmitOrderDocument } from '../../schema/generated/graphql.ts';
import { openDatabase, redact } from '../../src/db/database.ts';
import { createAndSubmit, goodBody, hammer, pacedLoad, type LoadResult } from './load.ts';
import { cloneOrders, cloneSections } from './seed.ts';
import { cpuDuring, type CpuSplit } from './cpu.ts';
import { poolSizeFrom } from '../../src/db/target.ts';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.error(
    'npm run bench needs DATABASE_URL: a PostgreSQL server on which it may create (and then drop) a database, e.g.\n' +
      '  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench',
  );
  process.exit(1);
}
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Both servers' pool, as each reads it (scripts/bench/serve.ts, reference.ts): the server's default unless set. */
const POOL_SIZE = poolSizeFrom(process.env.DATABASE_POOL_SIZE);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const ORDERS = Number(process.env.ORDERS ?? 3000);
const PAGE = 50;
/** Rounds per phase: each the reference, then the real server. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (process.env.BENCH_ONLY ? 1 : 3));
/** Seconds of creation each server runs before the creation rounds (BENCH_CREATE_WARM). */
const CREATE_WARM_SECONDS = Number(process.env.BENCH_CREATE_WARM ?? 5);
/**
 * Free sections for each server's creation warm-up and rounds: the reference's warm-up and three rounds at 1 300
 * orders/s (the fastest hour seen here, 2026-12-07: 1 125) take 46 000, its three paced rounds at most half as many
 * again. A run that finds none left fails rather than measure a server idling (`createAndSubmit`, `creationPaced`).
 */
const CREATION_SECTIONS = 80_000;
/** The paced rows' offered rate, as a share of the real server's saturated rate in this run (BENCH_PACED_SHARE). */
const PACED_SHARE = Number(process.env.BENCH_PACED_SHARE ?? 0.5);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const SESSION_SECRET = randomBytes(32).toString('hex');

const dbName = `bench_${randomBytes(6).toString('hex')}`;
const benchUrl = new URL(DATABASE_URL);
benchUrl.pathname = `/${dbName}`;
const LOAD_BEFORE = +loadavg()[0]!.toFixed(2);
if (loadavg()[0]! > 0.5) console.warn(`warning: load average ${loadavg()[0]!.toFixed(2)} before the bench: other work shares the CPUs, figures will be low`);
const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();

interface Child {
  child: ChildProcess;
  url: string;
  request<T>(message: { kind: string; file?: string; collect?: boolean }, reply: string): Promise<T>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
function start(script: string, env: Record<string, string> = {}, execArgv: string[] = [], stdout: number | 'ignore' = 'ignore'): Promise<Child> {
  const child = fork(here(script), {
    execArgv: ['--import', 'tsx', '--expose-gc', ...execArgv],
    env: { ...process.env, DATABASE_URL: benchUrl.toString(), SESSION_SECRET, NODE_ENV: 'production', ...env },
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve(void children.delete(child))));
  const request = <T>(message: { kind: string; file?: string; collect?: boolean }, reply: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (answer: { kind: string }) => {
        if (answer.kind !== reply) return;
        child.off('message', onMessage);
        resolve(answer as T);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    child.once('message', (message: { kind: string; url: string }) => {
      if (message.kind !== 'ready') return reject(new Error(`${script}: unexpected ${message.kind}`));
      resolve({
        child,
        url: message.url,
        request,
        stop: async () => {
          child.send({ kind: 'stop' });
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        },
      });
    });
  });
}

async function gql<T = Record<string, { __typename: string; id: string; code?: string }>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  if (!goodBody(text)) throw new Error(`${query.slice(0, 60)}: ${text.slice(0, 400)}`);
  return JSON.parse(text).data as T;
}

/** What serve.ts reports of one phase with BENCH_GC=1. */
interface GcReport {
  byKind: Record<string, { count: number; totalMs: number; maxMs: number; over10ms: number }>;
  delay?: { p50: number; p99: number; p999: number; max: number };
  handled: { requests: number; p50: number; p99: number; p999: number; max: number };
}
const gcLine = ({ byKind, delay, handled }: GcReport) =>
  `GC ${Object.entries(byKind).map(([kind, { count, totalMs, maxMs, over10ms }]) => `${kind} ${count}× (${totalMs.toFixed(0)} ms, max ${maxMs.toFixed(1)}, ${over10ms} over 10)`).join(', ')}; ` +
  `event-loop delay p50/p99/p99.9/max ${delay ? `${delay.p50}/${delay.p99}/${delay.p999}/${delay.max}` : '—'} ms; ` +
  `held a request p50/p99/p99.9/max ${handled.p50}/${handled.p99}/${handled.p999}/${handled.max} ms (${handled.requests})`;

let addressCounter = 0;
async function login(url: string, db: pg.Client, tenant: string, mobile: string): Promise<string> {
  addressCounter += 1;
  const headers = { 'x-tenant': tenant, 'x-forwarded-for': `10.77.${addressCounter >> 8}.${addressCounter & 255}` };
  await gql(url, 'mutation($m: String!) { requestSmsCode(input: { mobile: $m }) { __typename } }', { m: mobile }, headers);
  const { rows } = await db.query(`SELECT text FROM "SmsOutbox" WHERE mobile = $1 ORDER BY "createdAt" DESC LIMIT 1`, [mobile]);
  const code = (rows[0]?.text as string).match(/\d{6}/)![0];
  const result = await gql<{ loginWithSms: { token?: string } }>(
    url,
    'mutation($m: String!, $c: String!) { loginWithSms(input: { mobile: $m, code: $c }) { ... on SessionToken { token } } }',
    { m: mobile, c: code },
    headers,
  );
  if (!result.loginWithSms.token) throw new Error(`login ${tenant} ${mobile} failed`);
  return result.loginWithSms.token;
}

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
const BIDDER = '13800000001';
const ADMIN = '13800000005';
const TENDEREE_USCC = '91310115MA1H8RTU39';
const BIDDER_USCC = '91110108MA01XK7Q2D';
const ORDERS_QUERY = print(OrdersDocument);
const CREATE_QUERY = print(CreateOrderDocument);
const SUBMIT_QUERY = print(SubmitOrderDocument);
const TYPENAME_BODY = JSON.stringify({ query: '{ __typename }' });
const pageBody = (first: number) => JSON.stringify({ query: ORDERS_QUERY, variables: { first }, operationName: 'Orders' });

/** One section and one submitted order of the tenant's bidder through the API, the order then cloned `count` times. */
async function seedTenant(url: string, db: pg.Client, tenant: string, count: number, extraSections: number) {
  const adminToken = await login(url, db, tenant, ADMIN);
  const bidderToken = await login(url, db, tenant, BIDDER);
  const published = await gql(
    url,
    `mutation($input: PublishSectionInput!) { publishSection(input: $input) { __typename ... on BidSection { id } ... on Error { code message } } }`,
    {
      input: {
        code: `BENCH-${tenant}`,
        name: `基准测试工程(${tenant})`,
        projectName: '基准测试工程',
        projectType: 'CONSTRUCTION',
        tendereeUscc: TENDEREE_USCC,
        depositAmount: '100000',
        openingAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        bidValidityDays: 90,
      },
    },
    { authorization: `Bearer ${adminToken}` },
  );
  const section = published.publishSection!;
  if (section.__typename !== 'BidSection') throw new Error(`publishSection ${tenant}: ${JSON.stringify(section)}`);
  const { rows: products } = await db.query<{ id: string; code: string }>(
    `SELECT p.id, p.code FROM "Product" p JOIN "Tenant" t ON t.id = p."tenantId" WHERE t.code = $1 ORDER BY p.code`,
    [tenant],
  );
  const auth = { authorization: `Bearer ${bidderToken}` };
  // The bidder's opening permit, as if uploaded once before (later orders reuse it).
  await db.query(`UPDATE "Enterprise" SET "openingPermitFile" = gen_random_uuid() WHERE uscc = $1 AND "openingPermitFile" IS NULL`, [BIDDER_USCC]);
  const refusals: string[] = [];
  for (const product of products) {
    const created = (await gql(url, CREATE_QUERY, { input: { sectionId: section.id, productId: gid('Product', product.id), handlerName: '李经办', handlerMobile: '13912345678' } }, auth)).createOrder!;
    if (created.__typename !== 'GuaranteeOrder') {
      refusals.push(`${product.code}: ${created.code}`);
      continue; // paused, testing or with other steps: try the next
    }
    const submitted = (await gql(url, SUBMIT_QUERY, { input: { orderId: created.id, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } }, auth)).submitOrder!;
    if (submitted.__typename !== 'GuaranteeOrder') {
      refusals.push(`${product.code}: submit ${submitted.code}`);
      await gql(url, 'mutation($id: ID!) { abandonOrder(input: { orderId: $id }) { __typename } }', { id: created.id }, auth);
      continue;
    }
    const orderId = Buffer.from(created.id, 'base64').toString('utf8').split(':')[1]!;
    await cloneOrders(db, orderId, count);
    const sectionIds = extraSections > 0 ? await cloneSections(db, Buffer.from(section.id, 'base64').toString('utf8').split(':')[1]!, extraSections) : [];
    return { bidderToken, productId: gid('Product', product.id), sectionIds: sectionIds.map((id) => gid('BidSection', id)) };
  }
  throw new Error(`no product of ${tenant} accepted an order: ${refusals.join(', ')}`);
}

/** A load phase's result with the CPU it cost (scripts/bench/cpu.ts). */
type Measured = LoadResult & { cpu?: CpuSplit };
/**
 * CPU ms per operation (per order for the creation row): server, PostgreSQL (its backends + background), load
 * generator; with `backends`, PostgreSQL's backends split into the measured server's own and the other server's.
 */
const cpuPer = (m: Measured | undefined, perOrder = false, backends = false) => {
  if (!m?.cpu || m.requests === 0) return '—';
  const operations = perOrder ? m.requests / 2 : m.requests;
  const per = (ms: number) => (ms / operations).toFixed(2);
  const { server, postgres, postgresBackground, postgresOwn, loadGenerator } = m.cpu;
  const split = `${per(server)} / ${per(postgres)} (${per(postgres - postgresBackground)} + ${per(postgresBackground)}) / ${per(loadGenerator)}`;
  return backends ? `${split}; PostgreSQL backends ${per(postgresOwn)} own, ${per(postgres - postgresBackground - postgresOwn)} the other server's` : split;
};

interface Row extends Measured {
  name: string;
  reference?: Measured & { ordersPerSecond?: number };
  ratio?: number;
  /** The real / reference ratio of every round, the row's being their median. */
  ratios?: number[];
  sql?: number;
  ordersPerSecond?: number;
  /** Paced rows: the requests per second offered to both servers. */
  pacedRate?: number;
}

/** The median round's ratio, and the spread of the rounds' when there were several. */
const ratioCell = (row: Row) => {
  if (row.ratio === undefined) return '—';
  const percent = (ratio: number) => (ratio * 100).toFixed(0);
  const spread = row.ratios && row.ratios.length > 1 ? ` (${percent(Math.min(...row.ratios))}–${percent(Math.max(...row.ratios))})` : '';
  return `${percent(row.ratio)} %${spread}`;
};
const rows: Row[] = [];
const rssRounds: number[] = [];
let sqlCounts: Record<string, number> = {};
let seeded = { orders: 0, sections: 0 };

try {
  await admin.query(`CREATE DATABASE "${dbName}"`);
  console.log(`database ${dbName} on ${redact(DATABASE_URL)}`);
  const database = await openDatabase({ kind: 'postgres', url: benchUrl.toString(), poolSize: 1 });
  await database.migrate();
  await database.close();
  const db = new pg.Client({ connectionString: benchUrl.toString() });
  db.on('error', () => {});
  await db.connect();

  // --- Seed and count SQL statements per operation (a server with onQuery) ---
  let counting = await start('./serve.ts', { BENCH_COUNT_SQL: '1', LOG_LEVEL: 'warn' });
  const t0 = Date.now();
  const xinjiang = await seedTenant(counting.url, db, 'xinjiang', ORDERS, 0);
  await seedTenant(counting.url, db, 'hunan', Math.round(ORDERS / 2), 0);
  await seedTenant(counting.url, db, 'hunan-changsha', Math.round(ORDERS / 2), 0);
  // Free sections for the creation run (one live order per section and bidder).
  const template = (await db.query(`SELECT s.id FROM "BidSection" s JOIN "Tenant" t ON t.id = s."tenantId" WHERE t.code = 'xinjiang'`)).rows[0].id as string;
  const freeSections = (await cloneSections(db, template, 2 * CREATION_SECTIONS)).map((id) => gid('BidSection', id));
  // The reference's creation rounds take their sections from the other half.
  const referenceSections = freeSections.splice(0, CREATION_SECTIONS);
  // A table bulk-filled a moment ago has no visibility map yet: every count would read the heap until autovacuum
  // reached it (within a minute on a running platform). Measure the steady state an operator's database is in.
  await db.query('VACUUM ANALYZE');
  const { rows: totals } = await db.query(`SELECT (SELECT count(*) FROM "GuaranteeOrder")::int AS orders, (SELECT count(*) FROM "BidSection")::int AS sections`);
  seeded = totals[0];
  console.log(`seeded ${seeded.orders} orders and ${seeded.sections} sections in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const bearer = { authorization: `Bearer ${xinjiang.bidderToken}` };
  const countOf = async (run: () => Promise<unknown>) => {
    await counting.request({ kind: 'sql-reset' }, 'sql-reset');
    await run();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the relay a mutation wakes runs just after it
    const { statements } = await counting.request<{ statements: string[] }>({ kind: 'sql' }, 'sql');
    if (process.env.BENCH_SHOW_SQL === '1') console.log(statements.join('\n---\n'));
    return statements.length;
  };
  const one = await countOf(() => gql(counting.url, ORDERS_QUERY, { first: 1 }, bearer));
  const fifty = await countOf(() => gql(counting.url, ORDERS_QUERY, { first: PAGE }, bearer));
  const trivialCount = await countOf(() => gql(counting.url, '{ __typename }'));
  const sectionId = freeSections.pop()!;
  let orderId = '';
  const create = await countOf(async () => {
    const created = (await gql(counting.url, CREATE_QUERY, { input: { sectionId, productId: xinjiang.productId, handlerName: '李经办', handlerMobile: '13912345678' } }, bearer)).createOrder!;
    orderId = created.id;
  });
  const submit = await countOf(() => gql(counting.url, SUBMIT_QUERY, { input: { orderId, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } }, bearer));
  sqlCounts = { 'order-list page (1 order)': one, 'order-list page (50 orders)': fifty, '{ __typename }': trivialCount, createOrder: create, submitOrder: submit };
  console.log('SQL statements per operation:', sqlCounts);
  await counting.stop();
  await db.end();

  // --- Load ---
  const profileDir = process.env.BENCH_CPU_PROF;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  if (process.env.BENCH_HEAP_PROF) await mkdir(process.env.BENCH_HEAP_PROF, { recursive: true });
  // The V8 flags `npm start` runs the server with (package.json): a 64 MB semi-space from the start, so the objects of
  // the requests in flight die young instead of being promoted and marked (issue 9: a page's CPU 3.1 → 2.4 ms).
  // BENCH_REAL_V8 (space-separated flags) replaces them, to measure another GC configuration.
  const realFlags = process.env.BENCH_REAL_V8?.split(/\s+/).filter(Boolean) ?? ['--min-semi-space-size=64', '--max-semi-space-size=64'];
  const real = await start('./serve.ts', {}, realFlags, process.env.BENCH_REAL_STDOUT ? openSync(process.env.BENCH_REAL_STDOUT, 'w') : 'ignore');
  const reference = await start('./reference.ts');
  /** Runs one load phase on `pid`'s server, measuring the CPU it costs, and with BENCH_CPU_PROF a V8 CPU profile of the real server. */
  const measured = async <T extends LoadResult>(pid: number | undefined, name: string | undefined, run: () => Promise<T>): Promise<T & { cpu?: CpuSplit }> => {
    const profiling = profileDir && name;
    const gcWatched = process.env.BENCH_GC === '1' && name;
    if (profiling) await real.request({ kind: 'profile-start' }, 'profile-start');
    if (gcWatched) await real.request({ kind: 'gc-start' }, 'gc-start');
    const heapDir = process.env.BENCH_HEAP_PROF && name ? process.env.BENCH_HEAP_PROF : undefined;
    if (heapDir) await real.request({ kind: 'heap-start' }, 'heap-start');
    const { result, cpu } = await cpuDuring(pid, run);
    if (gcWatched) console.log(`  ${name}: ${gcLine(await real.request<GcReport>({ kind: 'gc-stop' }, 'gc-stop'))}`);
    if (heapDir) await real.request({ kind: 'heap-stop', file: `${heapDir}/${name}.heapprofile` }, 'heap-stop');
    if (profiling) await real.request({ kind: 'profile-stop', file: `${profileDir}/${name}.cpuprofile` }, 'profile-stop');
    return { ...result, cpu };
  };
  const profiled = <T extends LoadResult>(name: string, run: () => Promise<T>) => measured(real.child.pid, name, run);
  const onReference = <T extends LoadResult>(run: () => Promise<T>) => measured(reference.child.pid, undefined, run);
  const only = process.env.BENCH_ONLY;
  const runs = (phase: 'typename' | 'page' | 'create') => !only || only.split(',').includes(phase);
  try {
    const apiPage = await gql(real.url, ORDERS_QUERY, { first: PAGE }, bearer);
    const refPage = await gql(reference.url, ORDERS_QUERY, { first: PAGE }, bearer);
    if (!isDeepStrictEqual(apiPage, refPage)) {
      throw new Error(`the reference does not answer the page as the API does:\nAPI ${JSON.stringify(apiPage).slice(0, 600)}\nREF ${JSON.stringify(refPage).slice(0, 600)}`);
    }
    console.log(`the reference answers the ${PAGE}-order page with the same JSON as the API (${JSON.stringify(apiPage).length} bytes)`);

    console.log('warming up…');
    await hammer(real.url, pageBody(PAGE), bearer, 3, CONNECTIONS);
    await hammer(real.url, TYPENAME_BODY, {}, 2, CONNECTIONS);
    await hammer(reference.url, pageBody(PAGE), bearer, 3, CONNECTIONS);

    const report = (row: Row) => {
      rows.push(row);
      console.log(
        `${row.name.padEnd(30)} ${String(row.requestsPerSecond).padStart(6)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  errors ${row.errors}` +
          (row.reference ? `  | reference ${row.reference.requestsPerSecond} req/s p99 ${row.reference.p99} ms errors ${row.reference.errors}  ratio ${ratioCell(row)}` : ''),
      );
    };
    const rss = async (collect = false) => (await real.request<{ rss: number }>({ kind: 'rss', collect }, 'rss')).rss;
    /**
     * `ROUNDS` rounds of one phase, each the reference and then the real server, one after the other: these shared VMs
     * change speed by a third within minutes, and a ratio of two measurements minutes apart measured that drift. The
     * row is the round with the median ratio; errors count over every round.
     */
    const rounds = async <T extends LoadResult & { ordersPerSecond?: number }>(
      phase: string,
      onRef: () => Promise<T>,
      onReal: () => Promise<T>,
      after?: (round: number, real: T & { cpu?: CpuSplit }) => Promise<void>,
    ) => {
      const rate = (m: T) => m.ordersPerSecond ?? m.requestsPerSecond;
      const played: Array<{ real: T & { cpu?: CpuSplit }; reference: T & { cpu?: CpuSplit }; ratio: number }> = [];
      for (let round = 1; round <= ROUNDS; round += 1) {
        const reference = await onReference(onRef);
        const realRound = await profiled(ROUNDS > 1 ? `${phase}-${round}` : phase, onReal);
        played.push({ real: realRound, reference, ratio: rate(realRound) / rate(reference) });
        const perOrder = realRound.ordersPerSecond !== undefined;
        console.log(`  ${phase} round ${round}: ratio ${Math.round(100 * rate(realRound) / rate(reference))} %, CPU ms per ${perOrder ? 'order' : 'request'} real ${cpuPer(realRound, perOrder, true)}; reference ${cpuPer(reference, perOrder, true)}`);
        await after?.(round, realRound);
      }
      const median = [...played].sort((a, b) => a.ratio - b.ratio)[Math.floor(played.length / 2)]!;
      const errors = (side: 'real' | 'reference') => played.reduce((sum, round) => sum + round[side].errors, 0);
      return {
        ...median.real,
        errors: errors('real'),
        reference: { ...median.reference, errors: errors('reference') },
        ratio: median.ratio,
        ratios: played.map((round) => round.ratio),
      };
    };

    /**
     * The same requests on at most the same 32 connections, offered evenly at `rate` a second (a share of the real
     * server's saturated rate; scripts/bench/load.ts pacedLoad) to both servers: the latency a user sees while the machine has headroom, where the
     * saturated rows measure only the queue (Little's law, below the table). `ROUNDS` rounds, each the reference and
     * then the real server; the row is the round with the real server's median p99.
     */
    const paced = async <T extends LoadResult>(name: string, rate: number, onRef: () => Promise<T>, onReal: () => Promise<T>) => {
      const played: Array<{ real: T & { cpu?: CpuSplit }; reference: T & { cpu?: CpuSplit } }> = [];
      for (let round = 1; round <= ROUNDS; round += 1) played.push({ reference: await onReference(onRef), real: await profiled(`paced-${name}-${round}`, onReal) });
      const median = [...played].sort((a, b) => a.real.p99 - b.real.p99)[Math.floor(played.length / 2)]!;
      const errors = (side: 'real' | 'reference') => played.reduce((sum, round) => sum + round[side].errors, 0);
      console.log(`  paced at ${rate}/s: real p99 ${played.map((round) => round.real.p99).join(' / ')} ms, reference p99 ${played.map((round) => round.reference.p99).join(' / ')} ms`);
      return { ...median.real, errors: errors('real'), reference: { ...median.reference, errors: errors('reference') }, pacedRate: rate };
    };
    const pacedName = (name: string, rate: string) => `${name}, paced at ${Math.round(PACED_SHARE * 100)} % (${rate})`;

    if (runs('typename')) {
      const trivial = await rounds(
        'typename',
        () => hammer(reference.url, TYPENAME_BODY, {}, SECONDS, CONNECTIONS),
        () => hammer(real.url, TYPENAME_BODY, {}, SECONDS, CONNECTIONS),
      );
      report({ name: '{ __typename }', ...trivial, sql: trivialCount });
    }

    if (runs('page')) {
      const page = await rounds(
        'page',
        () => hammer(reference.url, pageBody(PAGE), bearer, SECONDS, CONNECTIONS),
        () => hammer(real.url, pageBody(PAGE), bearer, SECONDS, CONNECTIONS),
        async (round, measured) => {
          rssRounds.push(await rss());
          console.log(`  order-list round ${round}: ${measured.requestsPerSecond} req/s, p99 ${measured.p99} ms, RSS ${(rssRounds.at(-1)! / 1048576).toFixed(1)} MB`);
        },
      );
      report({ name: `order-list page (${PAGE} orders)`, ...page, sql: fifty });
      const rate = Math.max(1, Math.round(PACED_SHARE * page.requestsPerSecond));
      const pagePaced = (url: string) => pacedLoad(url, bearer, SECONDS, rate, CONNECTIONS, async (send) => void (await send(pageBody(PAGE))));
      const pacedPage = await paced('page', rate, () => pagePaced(reference.url), () => pagePaced(real.url));
      report({ name: pacedName(`order-list page (${PAGE} orders)`, `${rate} req/s`), ...pacedPage, sql: fifty });
    }

    if (runs('create')) {
      // Both answer a create and a submit alike, but for what differs between any two orders.
      const pair = async (url: string, sectionId: string) => {
        const created = (await gql(url, CREATE_QUERY, { input: { sectionId, productId: xinjiang.productId, handlerName: '李经办', handlerMobile: '13912345678' } }, bearer)).createOrder!;
        const submitted = (await gql(url, SUBMIT_QUERY, { input: { orderId: created.id, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } }, bearer)).submitOrder!;
        const same = ({ id, number, section, paymentInstructions, expiresAt, noticeAcceptedAt, ...rest }: Record<string, any>) => ({
          ...rest,
          paymentInstructions: { ...paymentInstructions, reference: /^BH\d{12}$/.test(paymentInstructions.reference) },
          times: [expiresAt, noticeAcceptedAt].map((at) => at === null || !Number.isNaN(Date.parse(at))),
        });
        return [same(created), same(submitted)];
      };
      const [apiPair, refPair] = [await pair(real.url, freeSections.pop()!), await pair(reference.url, referenceSections.pop()!)];
      if (!isDeepStrictEqual(apiPair, refPair)) {
        throw new Error(`the reference does not answer create + submit as the API does:\nAPI ${JSON.stringify(apiPair)}\nREF ${JSON.stringify(refPair)}`);
      }
      console.log('the reference answers createOrder and submitOrder with the same JSON as the API (but for ids, numbers and times)');
      const documents = { create: CREATE_QUERY, submit: SUBMIT_QUERY };
      const createOn = (url: string, sectionIds: string[], seconds: number) =>
        createAndSubmit(url, xinjiang.bidderToken, documents, { productId: xinjiang.productId, sectionIds }, seconds, CONNECTIONS);
      // The mutations' code is cold until here (the warm-up above is of the page and the trivial query): V8 would
      // still be compiling it during the first round, and graphql-jit compiles an operation on its second run.
      console.log(`warming up creation (${CREATE_WARM_SECONDS} s each)…`);
      await createOn(real.url, freeSections, CREATE_WARM_SECONDS);
      await createOn(reference.url, referenceSections, CREATE_WARM_SECONDS);
      const creation = await rounds(
        'create',
        () => createOn(reference.url, referenceSections, SECONDS),
        () => createOn(real.url, freeSections, SECONDS),
      );
      report({ name: 'createOrder + submitOrder', ...creation, sql: create + submit });
      console.log(`  order creation: ${creation.ordersPerSecond} orders/s (rounds ${creation.ratios.length})`);
      const rate = Math.max(1, Math.round(PACED_SHARE * creation.ordersPerSecond));
      // One flow per order: the create, then the submit of the order it answered, as a bidder does.
      const creationPaced = (url: string, sectionIds: string[]) =>
        pacedLoad(url, bearer, SECONDS, rate, CONNECTIONS, async (send) => {
          const sectionId = sectionIds.pop();
          if (sectionId === undefined) throw new Error(`the paced creation run at ${url} ran out of free sections (raise CREATION_SECTIONS)`);
          const variables = { input: { sectionId, productId: xinjiang.productId, handlerName: '李经办', handlerMobile: '13912345678' } };
          const created = await send(JSON.stringify({ query: CREATE_QUERY, variables }));
          const orderId = created && (JSON.parse(created).data.createOrder as { id?: string }).id;
          if (!orderId) return;
          await send(JSON.stringify({ query: SUBMIT_QUERY, variables: { input: { orderId, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } } }));
        }, (body) => goodBody(body) && body.includes('"__typename":"GuaranteeOrder"'));
      const pacedCreation = await paced('create', rate, () => creationPaced(reference.url, referenceSections), () => creationPaced(real.url, freeSections));
      report({ name: pacedName('createOrder + submitOrder', `${rate} orders/s`), ...pacedCreation, sql: create + submit });
      rssRounds.push(await rss(true));
    }
  } finally {
    await real.stop();
    await reference.stop();
  }
} catch (error) {
  console.error('bench failed:', error);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill('SIGKILL');
  if (process.env.BENCH_KEEP_DB === '1') console.log(`kept database ${dbName} (BENCH_KEEP_DB=1): drop it yourself`);
  else await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((error: Error) => console.error(`could not drop ${dbName}: ${error.message}`));
  await admin.end();
}

if (process.exitCode === 1) process.exit(1);

// --- Results ---
const resultsDir = here('./results/');
await mkdir(resultsDir, { recursive: true });
const previous = await readFile(`${resultsDir}latest.json`, 'utf8').then((text) => JSON.parse(text) as { rows: Row[]; date: string }, () => undefined);
if (previous && !process.env.BENCH_ONLY) await rename(`${resultsDir}latest.json`, `${resultsDir}previous.json`);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const results = { date, machine, loadAverageBefore: LOAD_BEFORE, seconds: SECONDS, connections: CONNECTIONS, seeded, sqlCounts, rssAfterRoundsMB: rssRounds.map((b) => +(b / 1048576).toFixed(1)), rows };
if (!process.env.BENCH_ONLY) await writeFile(`${resultsDir}latest.json`, `${JSON.stringify(results, null, 2)}\n`);

/** The p99 target of issue 9, and the mean latency Little's law gives `CONNECTIONS` requests in flight at `rate`. */
const P99_TARGET_MS = 30;
const littleMs = (rate: number) => (rate > 0 ? ((CONNECTIONS * 1000) / rate).toFixed(1) : '—');
const was = (name: string) => previous?.rows.find((row) => row.name === name);
const saturated = rows.filter((row) => row.pacedRate === undefined);
const pacedRows = rows.filter((row) => row.pacedRate !== undefined);
const lines = [
  `Last run ${date} on ${machine}; nproc ${cpus().length}; ${CONNECTIONS} connections, ${SECONDS} s per measurement, ${POOL_SIZE} PostgreSQL connections per server (DATABASE_POOL_SIZE); ${seeded.orders} orders, ${seeded.sections} sections.`,
  '',
  '| measurement | real req/s | p50 / p99 ms | errors | CPU ms per operation: server / PostgreSQL (backends + background processes) / load generator | reference req/s | p50 / p99 ms | reference CPU ms per operation | real / reference (median round, the rounds from–to) | SQL per operation | previous run |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((row) => {
    const before = was(row.name);
    const rate = row.ordersPerSecond !== undefined ? `${row.requestsPerSecond} (${row.ordersPerSecond} orders/s)` : `${row.requestsPerSecond}`;
    const perOrder = row.ordersPerSecond !== undefined;
    const referenceRate = row.reference?.ordersPerSecond !== undefined ? `${row.reference.requestsPerSecond} (${row.reference.ordersPerSecond} orders/s)` : row.reference?.requestsPerSecond ?? '—';
    return `| ${row.name} | ${rate} | ${row.p50} / ${row.p99} | ${row.errors} | ${cpuPer(row, perOrder)} | ${referenceRate} | ${row.reference ? `${row.reference.p50} / ${row.reference.p99}` : '—'} | ${cpuPer(row.reference, perOrder)} | ${ratioCell(row)} | ${row.sql ?? '—'} | ${before ? `${before.requestsPerSecond} req/s (${previous!.date})` : '—'} |`;
  }),
  '',
  `SQL statements: ${Object.entries(sqlCounts).map(([name, n]) => `${name} ${n}`).join(', ')}. ` +
    `Real server RSS after each order-list round (as it is) and after the creation run (after three full collections): ${results.rssAfterRoundsMB.map((mb) => `${mb} MB`).join(', ')}.`,
  '',
  // Little's law for a closed loop: with every connection keeping one request in flight, the mean latency is the
  // connections over the rate, whatever the server; a p99 can only be below the mean if 1 % of answers are very slow.
  `Mean latency at ${CONNECTIONS} connections is ${CONNECTIONS} / rate (Little's law), for any server: ` +
    saturated.map((row) => `${row.name} ${littleMs(row.requestsPerSecond)} ms (reference ${row.reference ? littleMs(row.reference.requestsPerSecond) : '—'} ms)`).join(', ') +
    `. A p99 of ${P99_TARGET_MS} ms at ${CONNECTIONS} connections needs at least ${Math.ceil((CONNECTIONS * 1000) / P99_TARGET_MS)} req/s.` +
    (pacedRows.length
      ? ` Offered ${Math.round(PACED_SHARE * 100)} % of the real server's saturated rate on the same ${CONNECTIONS} connections, the p99 is: ` +
        pacedRows.map((row) => `${row.name.split(',')[0]} ${row.p99} ms (reference ${row.reference?.p99 ?? '—'} ms; target ${P99_TARGET_MS} ms ${row.p99 <= P99_TARGET_MS ? 'met' : 'not met'})`).join(', ') + '.'
      : ''),
];
console.log(`\n${lines.join('\n')}\n`);
if (process.env.BENCH_NO_README !== '1' && !process.env.BENCH_ONLY) {
  const readmePath = here('../../README.md');
  const readme = await readFile(readmePath, 'utf8');
  const start = '<!-- bench:api:start -->';
  const end = '<!-- bench:api:end -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from >= 0 && to > from) {
    await writeFile(readmePath, `${readme.slice(0, from + start.length)}\n${lines.join('\n')}\n${readme.slice(to)}`);
    console.log('README.md: "Request throughput" results updated');
  } else {
    console.log(`README.md has no ${start} … ${end} block: results not written there`);
  }
}
process.exit(0);
