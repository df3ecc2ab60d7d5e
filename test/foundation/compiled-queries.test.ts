import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateOrderDocument, OrderDocument, OrdersDocument, SubmitOrderDocument, TenantCatalogueDocument } from '../../schema/generated/graphql.ts';
import { compiledRuns } from '../../src/compiled-queries.ts';
import { prismaPlans } from '../../src/prisma-plans.ts';
import { requestStatements, startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, productIdsOf, publishSection, submit } from '../support/orders.ts';

// src/compiled-queries.ts: queries run compiled by graphql-jit from their second execution on, where that answers as
// graphql-tools' executor does; a query whose fields need the prisma plugin's lookup runs again the usual way.
let server: TestServer;
const queries: string[] = [];
const tokens: Record<string, string> = {};
let orderId = '';
let productId = '';

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => queries.push(sql) });
  Object.assign(tokens, await smsLogins(server, [
    ['admin', 'hunan', DEMO.ADMIN],
    ['bidder', 'hunan', DEMO.BIDDER],
  ]));
  const products = await productIdsOf(server, ['hunan']);
  productId = products['hn-demo-insurer-bid-bond']!;
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

/** What a run of `posts` did compiled: completed, and repeated the usual way. */
async function counted<T>(posts: () => Promise<T>) {
  const before = { ...compiledRuns };
  const result = await posts();
  return { result, completed: compiledRuns.completed - before.completed, fallbacks: compiledRuns.fallbacks - before.fallbacks };
}

/** An answer without what differs between two orders: ids, numbers, section codes, references and times. */
const sameButIds = (body: string) =>
  body
    .replace(/"(id|number|code|reference)":"[^"]*"/g, '"$1":"…"')
    .replace(/"(\w+At)":"[^"]*"/g, '"$1":"…"');

/** Rows a created order left: the order, its timeline and the events of its outbox. */
async function rowsOf(sectionId: string) {
  const rows = await server.database.sql.query<{ orders: number; events: number; outbox: number }>(
    `SELECT count(DISTINCT o.id)::int AS orders, count(DISTINCT e.id)::int AS events,
            (SELECT count(*)::int FROM "DomainEvent" d WHERE d."aggregateId" IN (SELECT id FROM "GuaranteeOrder" WHERE "sectionId" = $1::uuid)) AS outbox
       FROM "GuaranteeOrder" o LEFT JOIN "OrderEvent" e ON e."orderId" = o.id WHERE o."sectionId" = $1::uuid`,
    [sectionId],
  );
  return rows[0]!;
}

const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;

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

  it('complete a compiled mutation again the usual way where a field below needs the prisma plugin, without writing twice', async () => {
    // `paymentProblems` goes the prisma plugin's way: the compiled run falls back after the order was written.
    const create = `mutation($input: CreateOrderInput!) { createOrder(input: $input) { __typename ... on GuaranteeOrder { id status paymentProblems { id } timeline { action toStatus } } ... on Error { code } } }`;
    const sections: string[] = [];
    for (let i = 0; i < 3; i += 1) sections.push((await publishSection(server, tokens.admin!)).id);
    const runs = await counted(async () => {
      const bodies: string[] = [];
      for (const sectionId of sections) bodies.push(await post(tokens.bidder, create, { input: { sectionId, productId, handlerName: '李经办', handlerMobile: '13912345678' } }));
      return bodies;
    });
    // The second ran compiled and fell back; having fallen back more often than completed, the third ran the usual way.
    expect(runs.fallbacks).toBe(1);
    expect(runs.completed).toBe(0);
    const bodies = runs.result.map(sameButIds);
    expect(bodies[0]).toBe('{"data":{"createOrder":{"__typename":"GuaranteeOrder","id":"…","status":"DRAFT","paymentProblems":[],"timeline":[{"action":"CREATE","toStatus":"DRAFT"}]}}}');
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    for (const sectionId of sections) expect(await rowsOf(rawId(sectionId))).toEqual({ orders: 1, events: 1, outbox: 1 });
  });

  it('run a mutation compiled from its second execution, answering as the executor did, and writing once', async () => {
    const create = `${print(CreateOrderDocument)}\n# compiled: create`;
    const submitText = `${print(SubmitOrderDocument)}\n# compiled: submit`;
    const sections: string[] = [];
    for (let i = 0; i < 3; i += 1) sections.push((await publishSection(server, tokens.admin!)).id);
    const plans = { ...prismaPlans };
    const runs = await counted(async () => {
      const bodies: string[] = [];
      for (const sectionId of sections) {
        const created = await post(tokens.bidder, create, { input: { sectionId, productId, handlerName: '李经办', handlerMobile: '13912345678' } });
        const id = (JSON.parse(created) as { data: { createOrder: { id: string } } }).data.createOrder.id;
        bodies.push(created, await post(tokens.bidder, submitText, { input: { orderId: id, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } }));
      }
      return bodies;
    });
    // The second and third of each ran compiled, and nothing in OrderFields sent them back to the executor.
    expect(runs.completed).toBe(4);
    expect(runs.fallbacks).toBe(0);
    // Each document's root field was planned once, its plan kept and played again for the next two (src/prisma-plans.ts).
    expect({ planned: prismaPlans.planned - plans.planned, reused: prismaPlans.reused - plans.reused }).toEqual({ planned: 2, reused: 4 });
    const [create1, submit1, ...rest] = runs.result.map(sameButIds);
    expect(create1).toContain('"status":"DRAFT"');
    expect(create1).toContain('"paymentInstructions":{');
    expect(submit1).toContain('"status":"AWAITING_PAYMENT"');
    expect(rest).toEqual([create1, submit1, create1, submit1]);
    for (const sectionId of sections) expect(await rowsOf(rawId(sectionId))).toEqual({ orders: 1, events: 2, outbox: 2 });
  });

  it('answer a refused compiled mutation as the executor does, and write nothing', async () => {
    const create = `${print(CreateOrderDocument)}\n# compiled: refused create`;
    const section = (await publishSection(server, tokens.admin!)).id;
    const input = { sectionId: section, productId, handlerName: '李经办', handlerMobile: '13912345678' };
    const first = await post(tokens.bidder, create, { input });
    const refused = await counted(async () => [await post(tokens.bidder, create, { input }), await post(tokens.bidder, create, { input: { ...input, handlerMobile: '123' } })]);
    expect(refused.completed).toBe(2);
    expect(JSON.parse(refused.result[0]!).data.createOrder.code).toBe('ORDER_ALREADY_LIVE');
    expect(JSON.parse(refused.result[1]!).data.createOrder).toMatchObject({ code: 'MOBILE_MALFORMED', field: 'input.handlerMobile' });
    expect(first).toContain('"status":"DRAFT"');
    expect(await rowsOf(rawId(section))).toEqual({ orders: 1, events: 1, outbox: 1 });
  });

  it("play each kept plan with the read model's plan of its own selection", async () => {
    const query = `query($id: ID!, $more: Boolean!) { order(id: $id) { id status number @include(if: $more) handlerName @include(if: $more) timeline @include(if: $more) { action } } } # played`;
    // Executions 1 and 2 plan a variant each (the first runs the usual way); 3 and 4 play them, compiled. The read
    // model keeps its SQL plan per played plan: the fourth must get the one with the columns, not the third's.
    const runs = await counted(async () => [
      await post(tokens.bidder, query, { id: orderId, more: false }),
      await post(tokens.bidder, query, { id: orderId, more: true }),
      await post(tokens.bidder, query, { id: orderId, more: false }),
      await post(tokens.bidder, query, { id: orderId, more: true }),
    ]);
    // And in its one statement (the session's row is cached by now): with another's plan, the columns would be
    // loaded again.
    const fourth = await requestStatements(queries, () => post(tokens.bidder, query, { id: orderId, more: true }));
    expect(fourth.result).toBe(runs.result[1]);
    expect(fourth.statements).toHaveLength(1);
    expect(runs.result[3]).toBe(runs.result[1]);
    expect(runs.result[3]).toMatch(/"number":"[^"]+","handlerName":"[^"]+","timeline":\[\{"action":"CREATE"\}/);
    expect(runs.result[2]).toBe(runs.result[0]);
    expect({ completed: runs.completed, fallbacks: runs.fallbacks }).toEqual({ completed: 3, fallbacks: 0 });
  });

  it("keep a root field's plan per values of the variables its selection uses, and no more", async () => {
    const query = `query($id: ID!, $timeline: Boolean!) { order(id: $id) { id status timeline @include(if: $timeline) { action } } }`;
    const before = { ...prismaPlans };
    const withTimeline = await post(tokens.bidder, query, { id: orderId, timeline: true });
    const without = await post(tokens.bidder, query, { id: orderId, timeline: false });
    const again = await post(tokens.bidder, query, { id: orderId, timeline: true });
    // Another viewer, whose walk reads nothing of the context here: the kept plan, played with that viewer's context.
    const asAdmin = await post(tokens.admin, query, { id: orderId, timeline: false });
    expect(withTimeline).toContain('"timeline":[{"action":"CREATE"}');
    expect(without).not.toContain('timeline');
    expect(again).toBe(withTimeline);
    expect(asAdmin).toBe(without);
    expect({ planned: prismaPlans.planned - before.planned, reused: prismaPlans.reused - before.reused }).toEqual({ planned: 2, reused: 2 });
  });

  it("keep a connection's plan too, and page and count with it as when it was planned", async () => {
    const query = `query($first: Int, $after: String) { orders(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id status } } } } # kept connection`;
    const before = { ...prismaPlans };
    const first = JSON.parse(await post(tokens.bidder, query, { first: 1 })) as { data: { orders: { totalCount: number; pageInfo: { endCursor: string }; edges: Array<{ node: { id: string } }> } } };
    const all = JSON.parse(await post(tokens.bidder, query, { first: 10 })) as typeof first;
    const next = JSON.parse(await post(tokens.bidder, query, { first: 1, after: first.data.orders.pageInfo.endCursor })) as typeof first;
    const asAdmin = JSON.parse(await post(tokens.admin, query, { first: 10 })) as typeof first;
    // Planned once: the connection's own arguments are not its selection's, so every page plays the same plan.
    expect({ planned: prismaPlans.planned - before.planned, reused: prismaPlans.reused - before.reused }).toEqual({ planned: 1, reused: 3 });
    expect(all.data.orders.totalCount).toBeGreaterThanOrEqual(3);
    expect(all.data.orders.edges.map((edge) => edge.node.id).slice(0, 2)).toEqual([first.data.orders.edges[0]!.node.id, next.data.orders.edges[0]!.node.id]);
    expect(next.data.orders.totalCount).toBe(all.data.orders.totalCount);
    // The admin sees the tenant's orders with the same plan: the bidder's and others'.
    expect(asAdmin.data.orders.totalCount).toBeGreaterThanOrEqual(all.data.orders.totalCount);
    // Only the total: nothing beneath the nodes to plan, so the plugin's answer without a page.
    const totals = `query { orders { totalCount } } # kept connection, total only`;
    const total = await requestStatements(queries, () => post(tokens.bidder, totals, {}));
    expect(JSON.parse(total.result)).toEqual({ data: { orders: { totalCount: all.data.orders.totalCount } } });
    expect(total.statements.filter((sql) => /order list page/.test(sql))).toHaveLength(0);
  });
});
