import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrdersDocument } from '../../schema/generated/graphql.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, productIdsOf, publishSection } from '../support/orders.ts';

// An order list's total is counted beside its page, not after it (src/domains/common/connection-total.ts): one
// round trip to PostgreSQL fewer between a front end's request and its answer.
let server: TestServer;
const queries: string[] = [];
const tokens: Record<string, string> = {};
const COUNT = /^\/\* read model: order list count/;
const PAGE = /^\/\* read model: order list page/;

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => queries.push(sql) });
  Object.assign(tokens, await smsLogins(server, [
    ['admin', 'xinjiang', DEMO.ADMIN],
    ['bidder', 'xinjiang', DEMO.BIDDER],
  ]));
  const productId = (await productIdsOf(server, ['xinjiang']))['pingan-bid-bond']!;
  for (let n = 0; n < 3; n += 1) {
    const section = await publishSection(server, tokens.admin!);
    expectOrder(await createOrder(server, tokens.bidder!, { sectionId: section.id, productId }, n === 0 ? { bytes: PNG, name: 'permit.png' } : undefined));
  }
});
afterAll(() => server?.stop());

async function list(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.bidder}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: { orders: { totalCount?: number; edges: unknown[] } }; errors?: unknown };
}

describe('the order list total', () => {
  it('is the same however the operation asks for it: directly, in a fragment, behind a directive, or not at all', async () => {
    const shapes = [
      '{ orders(first: 2) { totalCount edges { node { id } } } }',
      '{ orders(first: 2) { ... on QueryOrdersConnection { totalCount } edges { node { id } } } }',
      'query { orders(first: 2) { ...Total edges { node { id } } } } fragment Total on QueryOrdersConnection { totalCount }',
      'query($with: Boolean!) { orders(first: 2) { totalCount @include(if: $with) edges { node { id } } } }',
    ];
    for (const query of shapes) {
      const before = queries.length;
      const body = await list(query, { with: true });
      expect(body.errors, query).toBeUndefined();
      expect(body.data!.orders.totalCount, query).toBe(3);
      expect(body.data!.orders.edges, query).toHaveLength(2);
      expect(queries.slice(before).filter((sql) => COUNT.test(sql)), query).toHaveLength(1);
    }
    const before = queries.length;
    const without = await list('query($with: Boolean!) { orders(first: 2) { totalCount @include(if: $with) edges { node { id } } } }', { with: false });
    expect(without.data!.orders).toEqual({ edges: [expect.anything(), expect.anything()] });
    expect(queries.slice(before).filter((sql) => COUNT.test(sql))).toHaveLength(0);
  });

  it('answers a list asked only for its total, with the count and no page', async () => {
    for (const query of ['{ orders { totalCount } }', '{ orders(status: [DRAFT]) { __typename totalCount } }']) {
      const before = queries.length;
      const body = await list(query);
      expect(body, query).toEqual({ data: { orders: expect.objectContaining({ totalCount: 3 }) } });
      const sent = queries.slice(before);
      expect(sent.filter((sql) => COUNT.test(sql)), query).toHaveLength(1);
      expect(sent.filter((sql) => PAGE.test(sql) || /FROM "GuaranteeOrder"/.test(sql) && !COUNT.test(sql)), query).toHaveLength(0);
    }
    // Every t.prismaConnection counts the same way: the sections an admin lists, say, as many as with their page.
    const asAdmin = async (query: string) =>
      (await (
        await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
          body: JSON.stringify({ query }),
        })
      ).json()) as { data?: { sections: { totalCount: number; edges?: unknown[] } } };
    const withPage = await asAdmin('{ sections(first: 100) { totalCount edges { node { id } } } }');
    expect(withPage.data!.sections.edges!.length).toBeGreaterThanOrEqual(3); // the three published above
    expect(await asAdmin('{ sections { totalCount } }')).toEqual({ data: { sections: { totalCount: withPage.data!.sections.totalCount } } });
  });

  it('is not counted when the arguments are refused, and the refusal names the argument', async () => {
    const refusals: Array<[string, string, string]> = [
      ['{ orders(first: -1) { totalCount edges { node { id } } } }', 'PAGE_SIZE_NEGATIVE', 'first'],
      ['{ orders(last: -2) { totalCount } }', 'PAGE_SIZE_NEGATIVE', 'last'],
      ['{ orders(after: "zzz") { totalCount edges { node { id } } } }', 'CURSOR_MALFORMED', 'after'],
      ['{ orders(before: "WA==", last: 2) { totalCount } }', 'CURSOR_MALFORMED', 'before'],
      ['{ orders(before: "a", after: "b") { totalCount } }', 'PAGE_ARGUMENTS_CONFLICT', 'before'],
      ['{ orders(before: "a", first: 2) { totalCount } }', 'PAGE_ARGUMENTS_CONFLICT', 'first'],
      ['{ orders(after: "a", last: 2) { totalCount } }', 'PAGE_ARGUMENTS_CONFLICT', 'last'],
    ];
    for (const [query, code, field] of refusals) {
      const before = queries.length;
      const body = (await list(query)) as { errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }> };
      expect(body.errors, query).toEqual([expect.objectContaining({ path: ['orders'], extensions: { code, field } })]);
      expect(queries.slice(before).filter((sql) => COUNT.test(sql) || PAGE.test(sql)), query).toHaveLength(0);
    }
  });

  // PGlite is one connection: statements there run one after the other whatever the server sends.
  it.skipIf(!process.env.DATABASE_URL)('is counted while the page is still being read (PostgreSQL)', async () => {
    const before = queries.length;
    let answered: Promise<Awaited<ReturnType<typeof list>>> | undefined;
    // The page reads each order's latest event; the count reads only the orders. With the events locked, the page
    // waits for the lock, and the count, sent beside it, answers meanwhile.
    await server.database.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe('LOCK TABLE "OrderEvent" IN ACCESS EXCLUSIVE MODE');
        answered = list(print(OrdersDocument), { first: 2 });
        // A statement waiting for the lock shows its connection's previous query in pg_stat_activity (the lock is
        // taken when the prepared statement is bound), so the page is recognised by being sent and a backend waiting.
        const deadline = Date.now() + 10_000;
        for (;;) {
          const [waiting] = await tx.$queryRawUnsafe<Array<{ n: number }>>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          const sent = queries.slice(before);
          if (waiting!.n === 1 && sent.some((sql) => PAGE.test(sql)) && sent.some((sql) => COUNT.test(sql))) break;
          if (Date.now() > deadline) throw new Error(`waiting for the lock: ${waiting!.n}; sent: ${sent.filter((sql) => /read model/.test(sql)).map((sql) => sql.slice(0, 40)).join(' | ')}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(queries.slice(before).filter((sql) => PAGE.test(sql))).toHaveLength(1);
      },
      { timeout: 15_000 },
    );
    const body = await answered!;
    expect(body.errors).toBeUndefined();
    expect(body.data!.orders.totalCount).toBe(3);
    expect(body.data!.orders.edges).toHaveLength(2);
  });
});
