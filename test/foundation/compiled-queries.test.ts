import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderDocument, OrdersDocument, TenantCatalogueDocument } from '../../schema/generated/graphql.ts';
import { compiledRuns } from '../../src/compiled-queries.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, productIdsOf, publishSection, submit } from '../support/orders.ts';

// src/compiled-queries.ts: queries run compiled by graphql-jit from their second execution on, where that answers as
// graphql-tools' executor does; a query whose fields need the prisma plugin's lookup runs again the usual way.
let server: TestServer;
const tokens: Record<string, string> = {};
let orderId = '';

beforeAll(async () => {
  server = await startTestServer();
  Object.assign(tokens, await smsLogins(server, [
    ['admin', 'hunan', DEMO.ADMIN],
    ['bidder', 'hunan', DEMO.BIDDER],
  ]));
  const products = await productIdsOf(server, ['hunan']);
  for (let i = 0; i < 3; i += 1) {
    const section = await publishSection(server, tokens.admin!);
    const order = expectOrder(
      await createOrder(server, tokens.bidder!, { sectionId: section.id, productId: products['hn-demo-insurer-bid-bond']! }, i === 0 ? { bytes: PNG, name: 'p.png' } : undefined),
    );
    if (i > 0) await submit(server, tokens.bidder!, order.id);
    orderId = order.id;
  }
});
afterAll(() => server?.stop());

/** The response body, byte for byte. */
async function post(token: string | undefined, query: string, variables: Record<string, unknown>): Promise<string> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant': 'hunan', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return response.text();
}

/** Runs `query` three times (a distinct text each test, so a new document), and what the compiled runs did meanwhile. */
async function thrice(token: string | undefined, query: string, variables: Record<string, unknown>) {
  const before = { ...compiledRuns };
  const bodies = [await post(token, query, variables), await post(token, query, variables), await post(token, query, variables)];
  return { bodies, completed: compiledRuns.completed - before.completed, fallbacks: compiledRuns.fallbacks - before.fallbacks };
}

describe('compiled queries', () => {
  it('answer the order list compiled from its second execution on, byte for byte as the executor answered the first, and one order alike', async () => {
    const page = await thrice(tokens.bidder, `${print(OrdersDocument)}\n# compiled: page`, { first: 10 });
    expect(page.completed).toBe(2);
    expect(page.fallbacks).toBe(0);
    expect(page.bodies[1]).toBe(page.bodies[0]);
    expect(page.bodies[2]).toBe(page.bodies[0]);
    const { data } = JSON.parse(page.bodies[0]!) as { data: { orders: { totalCount: number; edges: Array<{ node: { latestEvent: { toStatus: string } } }> } } };
    expect(data.orders.totalCount).toBe(3);
    expect(data.orders.edges.map((edge) => edge.node.latestEvent.toStatus).sort()).toEqual(['AWAITING_PAYMENT', 'AWAITING_PAYMENT', 'DRAFT']);

    // One order's page selects more than the read model's mark covers, so it may run again the usual way: the same
    // answer either way.
    const one = await thrice(tokens.bidder, `${print(OrderDocument)}\n# compiled: one`, { id: orderId });
    expect(one.completed + one.fallbacks).toBeGreaterThan(0);
    expect(new Set(one.bodies).size).toBe(1);
    expect(one.bodies[0]).toContain('"timeline":[');
  });

  it('run again the usual way a query whose fields need the prisma plugin, with the same answer, and then leave it to the executor', async () => {
    const catalogue = await thrice(undefined, `${print(TenantCatalogueDocument)}\n# compiled: catalogue`, { code: 'hunan' });
    expect(catalogue.fallbacks).toBe(1);
    expect(catalogue.completed).toBe(0);
    expect(new Set(catalogue.bodies).size).toBe(1);
    expect(catalogue.bodies[0]).toContain('"products":[{');
    expect(catalogue.bodies[0]).not.toContain('"errors"');
  });

  it('leave to the executor a query whose variables it refuses, with its errors', async () => {
    const refused = await thrice(tokens.bidder, `${print(OrdersDocument)}\n# compiled: refused`, { first: 'ten' });
    expect(refused.completed + refused.fallbacks).toBe(0);
    expect(new Set(refused.bodies).size).toBe(1);
    expect(JSON.parse(refused.bodies[0]!).errors[0].message).toContain('Int cannot represent non-integer value: "ten"');
  });
});
