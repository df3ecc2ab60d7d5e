/**
 * The real server's instructions per order (createOrder + submitOrder), counted by valgrind's callgrind: on these
 * shared VMs a CPU time per operation moved by a factor of four within a day, an instruction count far less (issue 9).
 * The server (scripts/bench/serve.ts, `npm start`'s V8 flags) runs under callgrind with instrumentation off while it
 * starts and warms up (WARM orders, default 600) and makes three full collections, then on only for the MEASURE
 * measured orders (default 400), CONC at a time (default 8); the count covers every thread of the process. What
 * still moves it is timing inside the process (when V8 optimises a function, when a collection falls), so compare
 * several runs. Needs a database a bench run seeded and kept: `BENCH_KEEP_DB=1 BENCH_ONLY=typename npm run bench`,
 * then `DB=bench_… npm run bench:instructions` (`VG=0`: no valgrind, CPU time only). About five minutes; each order
 * takes a free section of the xinjiang bidder, so a kept database serves some twenty runs. `OP=page` counts the
 * xinjiang bidder's 50-order page (the bench's order-list operation) instead, and takes no section.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { print } from 'graphql';
import { CreateOrderDocument, OrdersDocument, SubmitOrderDocument } from '../../schema/generated/graphql.ts';

if (!process.env.DB) throw new Error('DB=<a database npm run bench kept>: see the comment at the top');
// The kept database on the server DATABASE_URL names (default: the local PostgreSQL).
const target = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
target.pathname = `/${process.env.DB}`;
const url0 = target.toString();
const WARM = Number(process.env.WARM ?? 600);
const MEASURE = Number(process.env.MEASURE ?? 400);
const CONC = Number(process.env.CONC ?? 8);
const VG = process.env.VG !== '0';
const PAGE = process.env.OP === 'page';
const unit = PAGE ? 'page' : 'order';
const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
const out = join(dir, 'callgrind.out');
const nodeArgs = ['--import', 'tsx', '--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', 'scripts/bench/serve.ts'];
const cmd = VG ? 'valgrind' : process.execPath;
const args = VG ? ['--tool=callgrind', '--instr-atstart=no', '--collect-atstart=yes', `--callgrind-out-file=${out}`, process.execPath, ...nodeArgs] : nodeArgs;
const child = spawn(cmd, args, {
  cwd: process.cwd(),
  env: { ...process.env, DATABASE_URL: url0, SESSION_SECRET: randomBytes(32).toString('hex'), NODE_ENV: 'production', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const url: string = await new Promise((resolve, reject) => {
  child.once('exit', (c) => reject(new Error(`exit ${c}`)));
  child.once('message', (message: { url: string }) => resolve(message.url));
});
const t0 = Date.now();
const db = new pg.Client({ connectionString: url0 });
await db.connect();
async function gql(query: string, variables: object, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const text = await r.text();
  if (!text.startsWith('{"data":') || text.includes('"errors":')) throw new Error(text.slice(0, 300));
  return JSON.parse(text).data;
}
const headers = { 'x-tenant': 'xinjiang', 'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` };
await gql('mutation($m: String!) { requestSmsCode(input: { mobile: $m }) { __typename } }', { m: '13800000001' }, headers);
const { rows } = await db.query(`SELECT text FROM "SmsOutbox" WHERE mobile = $1 ORDER BY "createdAt" DESC LIMIT 1`, ['13800000001']);
const code = (rows[0].text as string).match(/\d{6}/)![0];
const token = (await gql('mutation($m: String!, $c: String!) { loginWithSms(input: { mobile: $m, code: $c }) { ... on SessionToken { token } } }', { m: '13800000001', c: code }, headers)).loginWithSms.token;
const auth = { authorization: `Bearer ${token}` };
const gid = (t: string, id: string) => Buffer.from(`${t}:${id}`).toString('base64');
const need = PAGE ? 0 : WARM + MEASURE + 50;
const free = (await db.query(`SELECT s.id FROM "BidSection" s JOIN "Tenant" t ON t.id = s."tenantId" WHERE t.code = 'xinjiang' AND s.code LIKE 'BENCH%' AND NOT EXISTS (SELECT 1 FROM "GuaranteeOrder" o WHERE o."sectionId" = s.id) LIMIT $1`, [need])).rows.map((r) => gid('BidSection', r.id));
if (free.length < need) throw new Error(`only ${free.length} free sections`);
// The product the bench's xinjiang orders were placed with (it takes orders).
const productId = process.env.PRODUCT ?? gid('Product', (await db.query(`SELECT o."productId" FROM "GuaranteeOrder" o JOIN "Tenant" t ON t.id = o."tenantId" WHERE t.code = 'xinjiang' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)).rows[0].productId);
const CREATE = print(CreateOrderDocument), SUBMIT = print(SubmitOrderDocument), ORDERS = print(OrdersDocument);
let failures = 0;
async function one() {
  if (PAGE) {
    const page = (await gql(ORDERS, { first: 50 }, auth)).orders;
    if (page.edges.length !== 50) failures++;
    return;
  }
  const sectionId = free.pop()!;
  const c = (await gql(CREATE, { input: { sectionId, productId, handlerName: '李经办', handlerMobile: '13912345678' } }, auth)).createOrder;
  if (c.__typename !== 'GuaranteeOrder') { failures++; if (failures < 3) console.error(JSON.stringify(c)); return; }
  const s = (await gql(SUBMIT, { input: { orderId: c.id, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } }, auth)).submitOrder;
  if (s.__typename !== 'GuaranteeOrder') failures++;
}
async function run(n: number) {
  let left = n;
  await Promise.all(Array.from({ length: CONC }, async () => { while (left-- > 0) await one(); }));
}
await run(WARM);
const tw = Date.now();
await new Promise((r) => setTimeout(r, 300));
// Three full collections first, so every run's window starts from the same heap: a major collection inside a short
// window or not moved the count by a quarter.
await new Promise((resolve) => {
  child.once('message', resolve);
  child.send({ kind: 'rss', collect: true });
});
const cpu0 = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
if (VG) execFileSync('callgrind_control', ['-i', 'on', String(child.pid)]);
const tm = Date.now();
await run(MEASURE);
await new Promise((r) => setTimeout(r, 300));
if (VG) execFileSync('callgrind_control', ['-i', 'off', String(child.pid)]);
const ticks = (s: string) => { const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return Number(f[11]) + Number(f[12]); };
const cpuMs = (ticks(readFileSync(`/proc/${child.pid}/stat`, 'utf8')) - ticks(cpu0)) * 10;
let instr = 'n/a';
if (VG) {
  execFileSync('callgrind_control', ['-d', String(child.pid)]);
  const files = readdirSync(dir);
  let total = 0;
  for (const f of files) { const m = /^totals: (\d+)/m.exec(readFileSync(join(dir, f), 'utf8')); if (m) total += Number(m[1]); }
  instr = `${(total / MEASURE / 1e6).toFixed(3)} M instructions/${unit} (files ${files.length})`;
}
console.log(`warm ${WARM} in ${((tw - t0) / 1000).toFixed(0)} s; measured ${MEASURE} ${unit}s in ${((Date.now() - tm) / 1000).toFixed(1)} s; failures ${failures}; server CPU ${(cpuMs / MEASURE).toFixed(2)} ms/${unit}; ${instr}`);
child.send({ kind: 'stop' });
await db.end();
setTimeout(() => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); process.exit(0); }, 3000);
