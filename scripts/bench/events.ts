/**
 * `npm run bench:events`: live-event delivery across two instances on one PostgreSQL and one Redis.
 *
 * Starts two server processes on a fresh database (created beside DATABASE_URL's, dropped at the end), opens
 * SUBSCRIBERS graphql-ws connections split across them (each one `orderStatusChanged` subscription, as the xinjiang
 * admin or the pingan institution user: both see every order below), then creates and submits ORDERS orders
 * through the two instances alternately, CONCURRENCY at a time. Reports delivery latency (from the writing
 * transaction's start, the event's `occurredAt`, to receipt by the subscriber; one machine, one clock), events lost
 * and duplicated (each subscriber must see every sequence exactly once), and the servers' RSS per open subscription.
 *
 * Env: DATABASE_URL, REDIS_URL (required), SUBSCRIBERS (1000), ORDERS (100), CONCURRENCY (4).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { percentile } from './stats.ts';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
if (!DATABASE_URL || !REDIS_URL) {
  console.error('bench:events needs DATABASE_URL and REDIS_URL: it runs two instances on one PostgreSQL and one Redis.');
  process.exit(1);
}
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 1000);
const ORDERS = Number(process.env.ORDERS ?? 100);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);

interface Instance {
  child: ChildProcess;
  url: string;
  wsUrl: string;
}

const dbName = `eg_bench_${Date.now()}`;
const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
const url = new URL(DATABASE_URL);
url.pathname = `/${dbName}`;
const db = new pg.Client({ connectionString: url.toString() });

function startInstance(): Promise<Instance> {
  const child = fork(fileURLToPath(new URL('./events-server.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, DATABASE_URL: url.toString(), REDIS_URL },
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.on('message', (message: { kind: string; url: string; wsUrl: string }) => {
      if (message.kind === 'ready') resolve({ child, url: message.url, wsUrl: message.wsUrl });
    });
  });
}

function rss(instance: Instance): Promise<{ rss: number; heap: number; subscriptions: number }> {
  return new Promise((resolve) => {
    const onMessage = (message: { kind: string; rss: number; heap: number; subscriptions: number }) => {
      if (message.kind !== 'rss') return;
      instance.child.off('message', onMessage);
      resolve(message);
    };
    instance.child.on('message', onMessage);
    instance.child.send({ kind: 'rss' });
  });
}

async function gql<T>(instance: Instance, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<T> {
  const response = await fetch(instance.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function login(instance: Instance, tenant: string, mobile: string): Promise<string> {
  const headers = { 'x-tenant': tenant, 'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` };
  await gql(instance, 'mutation($m: String!) { requestSmsCode(input: { mobile: $m }) { __typename } }', { m: mobile }, headers);
  const { rows } = await db.query(`SELECT text FROM "SmsOutbox" WHERE mobile = $1 ORDER BY "createdAt" DESC LIMIT 1`, [mobile]);
  const code = (rows[0]?.text as string).match(/\d{6}/)![0];
  const result = await gql<{ loginWithSms: { token?: string } }>(
    instance,
    'mutation($m: String!, $c: String!) { loginWithSms(input: { mobile: $m, code: $c }) { ... on SessionToken { token } } }',
    { m: mobile, c: code },
    headers,
  );
  return result.loginWithSms.token!;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const instances: Instance[] = [];
const clients: Client[] = [];
try {
  instances.push(await startInstance());
  instances.push(await startInstance());
  await db.connect();
  const [a, b] = instances as [Instance, Instance];
  const adminToken = await login(a, 'xinjiang', '13800000005');
  const institutionToken = await login(b, 'xinjiang', '13800000004');
  const bidderToken = await login(a, 'xinjiang', '13800000001');
  const { rows: products } = await db.query(`SELECT p.id FROM "Product" p JOIN "Tenant" t ON t.id = p."tenantId" WHERE t.code = 'xinjiang' AND p.code = 'pingan-bid-bond'`);
  const productId = Buffer.from(`Product:${products[0].id}`).toString('base64');
  const { rows: tenderees } = await db.query(`SELECT e.uscc FROM "Enterprise" e JOIN "Tenant" t ON t.id = e."tenantId" WHERE t.code = 'xinjiang' AND e.uscc = '91310115MA1H8RTU39'`);
  // The bidder's opening permit, once (later orders reuse it).
  await db.query(`UPDATE "Enterprise" SET "openingPermitFile" = gen_random_uuid() WHERE uscc = '91110108MA01XK7Q2D'`);

  console.log(`preparing ${ORDERS} sections…`);
  const sections: string[] = [];
  for (let n = 0; n < ORDERS; n += 1) {
    const { publishSection } = await gql<{ publishSection: { id: string } }>(
      n % 2 ? b : a,
      `mutation($input: PublishSectionInput!) { publishSection(input: $input) { ... on BidSection { id } } }`,
      {
        input: {
          code: `B-${randomUUID().slice(0, 8)}`,
          name: `压测标段${n}`,
          projectName: '压测工程',
          projectType: 'CONSTRUCTION',
          tendereeUscc: tenderees[0].uscc,
          depositAmount: '300000',
          openingAt: new Date(Date.now() + 10 * 86_400_000).toISOString(),
          bidValidityDays: 90,
        },
      },
      { authorization: `Bearer ${adminToken}` },
    );
    sections.push(publishSection.id);
  }

  const before = await Promise.all(instances.map(rss));
  console.log(`opening ${SUBSCRIBERS} subscribers…`);
  const received: Array<Map<string, number>> = [];
  const latencies: number[] = [];
  let duplicates = 0;
  const opened: Array<Promise<void>> = [];
  for (let n = 0; n < SUBSCRIBERS; n += 1) {
    const instance = instances[n % 2]!;
    const token = n % 10 < 7 ? adminToken : institutionToken;
    const client = createClient({ url: instance.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    clients.push(client);
    const seen = new Map<string, number>();
    received.push(seen);
    opened.push(
      new Promise<void>((resolve) => {
        client.on('connected', () => resolve());
        client.subscribe<{ orderStatusChanged: { sequence: string; occurredAt: string } }>(
          { query: 'subscription { orderStatusChanged { sequence occurredAt } }' },
          {
            next: ({ data, errors }) => {
              if (errors) return console.error('subscription error', errors);
              const event = data!.orderStatusChanged;
              const now = Date.now();
              if (seen.has(event.sequence)) duplicates += 1;
              else {
                seen.set(event.sequence, now);
                latencies.push(now - Date.parse(event.occurredAt));
              }
            },
            error: (error) => console.error('subscription failed', error),
            complete: () => {},
          },
        );
      }),
    );
  }
  await Promise.all(opened);
  // Wait until both hubs hold every subscription (the subscribe message follows the connection ack).
  for (;;) {
    const counts = await Promise.all(instances.map(rss));
    if (counts.reduce((sum, c) => sum + c.subscriptions, 0) >= SUBSCRIBERS) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const during = await Promise.all(instances.map(rss));

  console.log(`firing ${ORDERS} orders × (create + submit) through both instances, ${CONCURRENCY} at a time…`);
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < ORDERS; n = next++) {
        const instance = instances[n % 2]!;
        const auth = { authorization: `Bearer ${bidderToken}` };
        const { createOrder } = await gql<{ createOrder: { id?: string; code?: string } }>(
          instance,
          `mutation($input: CreateOrderInput!) { createOrder(input: $input) { ... on GuaranteeOrder { id } ... on Error { code } } }`,
          { input: { sectionId: sections[n], productId, handlerName: '压测', handlerMobile: '13912345678' } },
          auth,
        );
        if (!createOrder.id) throw new Error(`createOrder: ${JSON.stringify(createOrder)}`);
        await gql(
          instances[(n + 1) % 2]!,
          `mutation($input: SubmitOrderInput!) { submitOrder(input: $input) { ... on GuaranteeOrder { id } } }`,
          { input: { orderId: createOrder.id, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } },
          auth,
        );
      }
    }),
  );
  const fired = Date.now() - started;
  const { rows: events } = await db.query(`SELECT sequence::text AS sequence FROM "DomainEvent" WHERE type = 'ORDER_STATUS_CHANGED' ORDER BY sequence`);
  const expected = events.map((row) => row.sequence as string);
  // Let the last deliveries arrive (bounded wait).
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && received.some((seen) => seen.size < expected.length)) await new Promise((resolve) => setTimeout(resolve, 100));
  const drained = Date.now() - started;
  let lost = 0;
  for (const seen of received) for (const sequence of expected) if (!seen.has(sequence)) lost += 1;
  const sorted = latencies.sort((x, y) => x - y);
  const perSubscription = (key: 'rss' | 'heap') => during.map((d, i) => Math.round((d[key] - before[i]![key]) / Math.max(1, d.subscriptions) / 1024));

  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${mb(totalmem())} RAM, Node ${process.version}`,
    subscribers: SUBSCRIBERS,
    events: expected.length,
    deliveriesExpected: expected.length * SUBSCRIBERS,
    deliveriesReceived: latencies.length,
    lost,
    duplicates,
    latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) },
    firingSeconds: fired / 1000,
    untilLastDeliverySeconds: drained / 1000,
    deliveriesPerSecond: Math.round(latencies.length / (drained / 1000)),
    servers: instances.map((_, i) => ({
      subscriptions: during[i]!.subscriptions,
      rss: `${mb(before[i]!.rss)} → ${mb(during[i]!.rss)}`,
      heapAndExternal: `${mb(before[i]!.heap)} → ${mb(during[i]!.heap)}`,
    })),
    rssPerSubscriptionKB: perSubscription('rss'),
    heapPerSubscriptionKB: perSubscription('heap'),
  };
  console.log(JSON.stringify(report, null, 2));
  if (lost > 0) process.exitCode = 2;
} finally {
  await Promise.allSettled(clients.map((client) => client.dispose()));
  for (const instance of instances) instance.child.send({ kind: 'stop' });
  await Promise.all(instances.map((instance) => new Promise((resolve) => instance.child.once('exit', resolve))));
  await db.end().catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}
