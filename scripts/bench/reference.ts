/**
 * The physical-limit reference for scripts/bench/run.ts: plain node:http + pg, hand-written, no GraphQL.
 *
 * It answers the one order-list page the bench asks the real server for (the `Orders` operation of
 * schema/operations/orders.graphql, a bidder's newest orders with section, institution, product and latest event)
 * with the same JSON the API returns and the same work behind it: the bearer token's HS256 signature and expiry
 * checked (node:crypto), its session row read (or taken from a cache of rows read less than 5 s ago, as the API
 * keeps them) and compared, then the page in one statement (joins and a LATERAL
 * latest event, LIMIT first + 1 for hasNextPage) and the total count. Every statement is a named prepared statement,
 * as the API's hand-written ones are: parsed and planned once per connection. `{ __typename }` gets a constant answer.
 *
 * It also answers `CreateOrder` and `SubmitOrder` (schema/operations/orders.graphql, the `OrderFields` answer) with
 * the work the API does for them, hand-written (scripts/bench/reference-orders.ts). Anything else is 400. Run as a
 * child process; IPC: → { kind: 'ready', url }, ← { kind: 'stop' }.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { poolSizeFrom } from '../../src/db/target.ts';
import { DEFAULT_SESSION_CACHE_MS } from '../../src/auth/config.ts';
import { SessionCache } from '../../src/auth/session-cache.ts';
import { orderWrites } from './reference-orders.ts';

// Prisma stores DateTime as timestamp(3) without time zone, in UTC.
pg.types.setTypeParser(1114, (value: string) => new Date(`${value.replace(' ', 'T')}Z`));

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL!, max: poolSizeFrom(process.env.DATABASE_POOL_SIZE) });
const sessionKey = Buffer.from(process.env.SESSION_SECRET!, 'utf8');
const tenantIdByCode = new Map<string, string>(
  (await pool.query<{ id: string; code: string }>('SELECT id, code FROM "Tenant"')).rows.map((row) => [row.code, row.id]),
);

const TYPENAME = Buffer.from(JSON.stringify({ data: { __typename: 'Query' } }));

const PAGE_SQL = `
SELECT o.id, o.number, o.status, o.amount::text AS amount, o.premium::text AS premium, o."createdAt",
       s.code AS s_code, s.name AS s_name, i.code AS i_code, i.name AS i_name, p.code AS p_code, p.name AS p_name,
       e.label AS e_label, e."toStatus" AS e_to, e."createdAt" AS e_at
  FROM "GuaranteeOrder" o
  JOIN "BidSection" s ON s.id = o."sectionId"
  JOIN "Institution" i ON i.id = o."institutionId"
  JOIN "Product" p ON p.id = o."productId"
  LEFT JOIN LATERAL (
    SELECT label, "toStatus", "createdAt" FROM "OrderEvent" WHERE "orderId" = o.id ORDER BY "createdAt" DESC LIMIT 1
  ) e ON true
 WHERE o."tenantId" = $1 AND o."bidderId" = $2
 ORDER BY o."createdAt" DESC, o.id DESC
 LIMIT $3`;
const COUNT_SQL = `SELECT count(*)::int AS n FROM "GuaranteeOrder" WHERE "tenantId" = $1 AND "bidderId" = $2`;
const SESSION_SQL = `SELECT "tenantId", "userId", role, "enterpriseId", "expiresAt", "revokedAt" FROM "Session" WHERE id = $1`;

interface Claims {
  sub: string;
  jti: string;
  exp: number;
  tenant: string;
  role: string;
}

/** HS256 JWT as src/auth/session-token.ts signs it: signature, issuer, expiry. */
function verifyToken(token: string): Claims | undefined {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return undefined;
  const expected = createHmac('sha256', sessionKey).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims & { iss: string };
  if (claims.iss !== 'e-guarantee-api' || claims.exp * 1000 <= Date.now()) return undefined;
  return claims;
}

export interface Session {
  tenantId: string;
  tenantCode: string;
  userId: string;
  role: string;
  enterpriseId: string | null;
}

const INVALID = { errors: [{ message: 'The session token is not valid: log in again', extensions: { code: 'SESSION_INVALID' } }] };

/** Session rows, kept as the API keeps them (src/auth/session-cache.ts; nothing here revokes a session). */
const sessions = new SessionCache<Record<string, any>>(DEFAULT_SESSION_CACHE_MS);
const sessionRow = (id: string) => sessions.read(id, async () => (await pool.query({ name: 'session', text: SESSION_SQL, values: [id] })).rows[0]);

/** The bearer token's session, checked as the API checks it, or the error answer. */
async function sessionOf(authorization: string | undefined): Promise<Session | { errors: unknown[] }> {
  const claims = authorization?.startsWith('Bearer ') ? verifyToken(authorization.slice(7)) : undefined;
  if (!claims) return INVALID;
  const tenantId = tenantIdByCode.get(claims.tenant);
  const session = await sessionRow(claims.jti);
  if (!session || session.revokedAt || session.tenantId !== tenantId || session.userId !== claims.sub || session.role !== claims.role) return INVALID;
  if (session.expiresAt.getTime() <= Date.now()) return { errors: [{ message: 'The session has expired', extensions: { code: 'SESSION_EXPIRED' } }] };
  return { tenantId: session.tenantId, tenantCode: claims.tenant, userId: session.userId, role: session.role, enterpriseId: session.enterpriseId };
}

const writes = await orderWrites(pool);

async function orderPage(authorization: string | undefined, first: number): Promise<unknown> {
  const session = await sessionOf(authorization);
  if ('errors' in session) return session;
  const tenantId = session.tenantId;
  const [page, count] = await Promise.all([
    pool.query({ name: 'page', text: PAGE_SQL, values: [tenantId, session.enterpriseId, first + 1] }),
    pool.query({ name: 'count', text: COUNT_SQL, values: [tenantId, session.enterpriseId] }),
  ]);
  const rows = page.rows.slice(0, first);
  const edges = rows.map((o) => ({
    node: {
      id: Buffer.from(`GuaranteeOrder:${o.id}`).toString('base64'),
      number: o.number,
      status: o.status,
      amount: o.amount,
      premium: o.premium,
      createdAt: o.createdAt.toISOString(),
      section: { code: o.s_code, name: o.s_name },
      institution: { code: o.i_code, name: o.i_name },
      product: { code: o.p_code, name: o.p_name },
      latestEvent: o.e_label === null ? null : { label: o.e_label, toStatus: o.e_to, at: o.e_at.toISOString() },
    },
  }));
  const last = rows.at(-1);
  return {
    data: {
      orders: {
        totalCount: count.rows[0].n,
        pageInfo: { hasNextPage: page.rows.length > first, endCursor: last ? Buffer.from(`GPC:S:${last.id}`).toString('base64') : null },
        edges,
      },
    },
  };
}

function send(res: ServerResponse, status: number, body: Buffer | string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let body: { query?: string; variables?: { first?: number; input?: Record<string, string> } };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, '{"errors":[{"message":"bad JSON"}]}');
    }
    const query = body.query ?? '';
    if (/^\s*(query\s*)?\{\s*__typename\s*\}\s*$/.test(query)) return send(res, 200, TYPENAME);
    const write = /^\s*mutation (CreateOrder|SubmitOrder)\b/.exec(query)?.[1];
    if (!write && !/\borders\s*\(/.test(query)) return send(res, 400, '{"errors":[{"message":"the reference answers the order list, CreateOrder and SubmitOrder only"}]}');
    const answer = write
      ? sessionOf(req.headers.authorization).then((session): Promise<unknown> | unknown =>
          'errors' in session ? session : write === 'CreateOrder' ? writes.create(session, body.variables!.input!) : writes.submit(session, body.variables!.input!),
        )
      : orderPage(req.headers.authorization, body.variables?.first ?? 50);
    answer.then(
      (result) => send(res, 200, JSON.stringify(result)),
      (error: Error) => send(res, 500, JSON.stringify({ errors: [{ message: error.message }] })),
    );
  });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.on('message', async (message: { kind: string }) => {
  if (message.kind === 'stop') {
    server.close();
    server.closeAllConnections();
    await writes.stop();
    await pool.end();
    process.exit(0);
  }
});
process.send!({ kind: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` });
