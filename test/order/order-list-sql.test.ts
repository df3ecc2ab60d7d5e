import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmPaymentDocument, OrderDocument, OrdersDocument, type OrderStatus } from '../../schema/generated/graphql.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, productIdsOf, publishSection, submit } from '../support/orders.ts';

// The order read model (src/domains/order/order-read-model.ts) must answer exactly as Prisma does: every request
// here runs twice on one server and one database, once with the read model and once without (`sqlReadModels`), and
// the two answers must be equal. The statements each run sends show which of the two answered.
let server: TestServer;
const queries: string[] = [];
const tokens: Record<string, string> = {};
const READ_MODEL_PAGE = /^\/\* read model: order list page/;
const READ_MODEL_COUNT = /^\/\* read model: order list count/;
const READ_MODEL_ORDER = /^\/\* read model: order \*\//;

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => queries.push(sql) });
  Object.assign(tokens, await smsLogins(server, [
    ['hnAdmin', 'hunan', DEMO.ADMIN],
    ['hnBidder', 'hunan', DEMO.BIDDER],
    ['hnInstitution', 'hunan', DEMO.INSTITUTION],
    ['hnTenderee', 'hunan', DEMO.TENDEREE],
    ['csAdmin', 'hunan-changsha', DEMO.ADMIN],
    ['xjBidder', 'xinjiang', DEMO.BIDDER],
  ]));
  const products = await productIdsOf(server, ['hunan']);
  // Seven orders on four institutions' products, in several states; one section named for the search.
  const codes = ['hn-demo-insurer-bid-bond', 'hn-demo-insurer-two-bid-bond', 'hn-demo-bank-bid-guarantee', 'hn-demo-guarantor-bid-guarantee'];
  for (let i = 0; i < 7; i += 1) {
    const section = await publishSection(server, tokens.hnAdmin!, i === 3 ? { name: '读模型检索标段', code: `RM-SEARCH-${Date.now()}` } : {});
    const order = expectOrder(
      await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId: products[codes[i % codes.length]!]! }, i === 0 ? { bytes: PNG, name: 'p.png' } : undefined),
    );
    if (i % 2 === 0) await submit(server, tokens.hnBidder!, order.id);
  }
});
afterAll(() => server?.stop());

type Variables = { status?: OrderStatus[]; search?: string; first?: number; after?: string };

/** The answer of the read model and of Prisma to the same request, and whether the read model answered. */
async function both(token: string, query: string, variables: Variables) {
  const run = async (readModel: boolean) => {
    server.app.sqlReadModels = readModel;
    const before = queries.length;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const sent = queries.slice(before);
    return {
      body: await response.json(),
      page: sent.some((sql) => READ_MODEL_PAGE.test(sql)),
      count: sent.some((sql) => READ_MODEL_COUNT.test(sql)),
      one: sent.some((sql) => READ_MODEL_ORDER.test(sql)),
    };
  };
  try {
    const sql = await run(true);
    const prisma = await run(false);
    expect([prisma.page, prisma.count, prisma.one]).toEqual([false, false, false]);
    return { sql: sql.body, prisma: prisma.body, readModel: { page: sql.page, count: sql.count }, one: sql.one };
  } finally {
    server.app.sqlReadModels = true;
  }
}

const ORDERS = print(OrdersDocument);

describe('the order list read model', () => {
  const cases: Array<[string, string, Variables]> = [
    ['the bidder, all its orders', 'hnBidder', {}],
    ['the bidder, a status tab', 'hnBidder', { status: ['DRAFT'] }],
    ['the bidder, two status tabs', 'hnBidder', { status: ['DRAFT', 'UNDER_REVIEW', 'AWAITING_PAYMENT'] }],
    ['the bidder, a search by section name', 'hnBidder', { search: '读模型检索' }],
    ['the bidder, a search by order number', 'hnBidder', { search: 'HN' }],
    ['the institution, its orders', 'hnInstitution', {}],
    ['the admin, the tenant', 'hnAdmin', {}],
    ['a city admin: none of the province', 'csAdmin', {}],
    ['the tenderee, who has no rule for orders', 'hnTenderee', {}],
    ['a bidder of another tenant', 'xjBidder', {}],
  ];

  it.each(cases)('answers %s as Prisma does', async (_name, who, variables) => {
    const { sql, prisma, readModel } = await both(tokens[who]!, ORDERS, variables);
    expect(sql.errors).toBeUndefined();
    expect(sql).toEqual(prisma);
    expect(readModel).toEqual({ page: true, count: true });
  });

  it('has something to compare: the bidder sees its seven orders, one by the search, three drafts; the institution some, the tenderee none', async () => {
    const count = async (who: string, variables: Variables = {}) => (await both(tokens[who]!, ORDERS, variables)).sql.data.orders.totalCount as number;
    expect(await count('hnBidder')).toBeGreaterThanOrEqual(7);
    expect(await count('hnBidder', { search: '读模型检索' })).toBe(1);
    expect(await count('hnBidder', { status: ['DRAFT'] })).toBeGreaterThanOrEqual(3);
    expect(await count('hnInstitution')).toBeGreaterThan(0);
    expect(await count('hnInstitution')).toBeLessThan(await count('hnBidder'));
    expect(await count('hnTenderee')).toBe(0);
  });

  it('pages forward with cursors as Prisma does, to the last page', async () => {
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const { sql, prisma, readModel } = await both(tokens.hnAdmin!, ORDERS, { first: 2, ...(after ? { after } : {}) });
      expect(sql).toEqual(prisma);
      expect(readModel.page).toBe(true);
      expect(sql.data.orders.edges.length).toBeGreaterThan(0);
      pages += 1;
      if (!sql.data.orders.pageInfo.hasNextPage) break;
      after = sql.data.orders.pageInfo.endCursor;
    }
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it('loads only what a selection asks for: a narrower one, one without the latest event, one with only the event', async () => {
    const selections = [
      `query { orders(first: 4) { edges { node { id number } } } }`,
      `query { orders(first: 4) { totalCount edges { node { id status premium product { name } institution { code } } } } }`,
      `query { orders(first: 4) { edges { cursor node { id latestEvent { toStatus at } } } } }`,
    ];
    for (const query of selections) {
      const { sql, prisma, readModel } = await both(tokens.hnBidder!, query, {});
      expect(sql.errors).toBeUndefined();
      expect(sql.data.orders.edges).toHaveLength(4);
      expect(sql).toEqual(prisma);
      expect(readModel.page).toBe(true);
    }
  });

  it('answers the fields of the orders it built from them as Prisma does: columns, the section, the bidder, the latest event beside the timeline', async () => {
    // Every field here reads only what the read model loads, so it answers the page (src/db/read-model-row.ts). The
    // latest event and the timeline read one relation (events) with different orders: the planned select holds one,
    // and the other must still be loaded on its own, not read off the first.
    const selections = [
      `query { orders(first: 5) { edges { node { id handlerName projectType rate expiresAt bidderName
        section { id code status openingAt projectType } latestEvent { action fromStatus toStatus label actorType reason at } } } } }`,
      `query { orders(first: 5) { edges { node { id latestEvent { label toStatus } timeline { action label toStatus } } } } }`,
      `query { orders(first: 5) { edges { node { id timeline { action label toStatus } latestEvent { label toStatus } payments { amount } } } } }`,
    ];
    let timelines = 0;
    for (const query of selections) {
      for (const who of ['hnBidder', 'hnInstitution']) {
        const { sql, prisma, readModel } = await both(tokens[who]!, query, {});
        expect(sql.errors).toBeUndefined();
        expect(sql.data.orders.edges.length).toBeGreaterThan(0);
        expect(sql).toEqual(prisma);
        expect(readModel.page).toBe(true);
        // Orders with more than one step, so a latest event read off the timeline would differ.
        timelines += sql.data.orders.edges.filter((edge: { node: { timeline?: unknown[] } }) => (edge.node.timeline?.length ?? 0) > 1).length;
      }
    }
    expect(timelines).toBeGreaterThan(0);
  });

  it('leaves to Prisma a selection it does not load, a backward page and a search with LIKE wildcards, with the same answers', async () => {
    const wider = `query { orders(first: 5) { totalCount edges { node { id number bidderName handlerName projectType
      section { code depositAmount projectName } product { rate } timeline { label at } latestEvent { label reason } } } } }`;
    const backward = `query { orders(last: 3) { edges { node { id number } } pageInfo { hasPreviousPage startCursor } } }`;
    const wildcard = `query { orders(search: "HN%") { totalCount edges { node { id } } } }`;
    const cases: Array<[string, { page: boolean; count: boolean }]> = [
      [wider, { page: false, count: true }],
      [backward, { page: false, count: false }],
      [wildcard, { page: false, count: false }],
    ];
    for (const [query, answered] of cases) {
      const { sql, prisma, readModel } = await both(tokens.hnBidder!, query, {});
      expect(sql.errors).toBeUndefined();
      expect(sql.data.orders.edges.length).toBeGreaterThan(0);
      expect(sql).toEqual(prisma);
      expect(readModel).toEqual(answered);
    }
  });
});

describe('the read model of one order', () => {
  const ORDER = print(OrderDocument);
  const idsOf = async (who: string) =>
    (await both(tokens[who]!, `query { orders(first: 50) { edges { node { id status premium institution { code } } } } }`, {})).sql.data.orders.edges.map(
      (edge: { node: { id: string; status: OrderStatus; premium: string; institution: { code: string } } }) => edge.node,
    );

  it('answers order(id) with its section, product, bidder, timeline and payments as Prisma does, in every state here', async () => {
    // Payments to compare: one applied, then a duplicate of the same order (its refundDue a Decimal).
    const institutionOrders = await idsOf('hnInstitution');
    const due = institutionOrders.find((o: { status: OrderStatus }) => o.status === 'AWAITING_PAYMENT');
    expect(due).toBeDefined();
    for (const transactionId of [`RM-${Date.now()}-1`, `RM-${Date.now()}-2`]) {
      const { confirmPayment } = await server.client({ token: tokens.hnInstitution! }).request(ConfirmPaymentDocument, {
        input: { orderId: due.id, transactionId, payerAccountName: '付款人', payerAccountNumber: '6222020200112233445', amount: due.premium, paidAt: new Date().toISOString() },
      });
      expect(confirmPayment.__typename).toBe('PaymentConfirmation');
    }
    const orders = await idsOf('hnAdmin');
    expect(new Set(orders.map((o: { status: OrderStatus }) => o.status)).size).toBeGreaterThanOrEqual(3);
    let withPayments = 0;
    for (const { id } of orders) {
      for (const who of ['hnAdmin', 'hnBidder']) {
        const { sql, prisma, one } = await both(tokens[who]!, ORDER, { id } as Variables);
        expect(sql.errors).toBeUndefined();
        expect(sql.data.order).toMatchObject({ id, timeline: expect.any(Array) });
        expect(sql).toEqual(prisma);
        expect(one).toBe(true);
        if (sql.data.order.payments.length > 0) withPayments += 1;
      }
    }
    expect(withPayments).toBeGreaterThanOrEqual(2);
    const paid = await both(tokens.hnAdmin!, ORDER, { id: due.id } as Variables);
    expect(paid.sql.data.order.payments.map((p: { outcome: string; refundDue: string | null }) => [p.outcome, p.refundDue])).toEqual([
      ['APPLIED', null],
      ['DUPLICATE', due.premium],
    ]);
  });

  it('answers null as Prisma does for an order the viewer may not see (a tenderee, another tenant, a city admin) and a malformed id', async () => {
    const [first] = await idsOf('hnBidder');
    const bogus = Buffer.from('GuaranteeOrder:not-a-uuid').toString('base64');
    for (const [who, id] of [['xjBidder', first.id], ['hnTenderee', first.id], ['csAdmin', first.id], ['hnBidder', bogus]] as const) {
      const { sql, prisma } = await both(tokens[who]!, ORDER, { id } as Variables);
      expect(sql).toEqual(prisma);
      expect(sql.errors).toBeUndefined();
      expect(sql.data.order).toBeNull();
    }
  });

  it('is what createOrder and submitOrder answer with, read in their writing statement: the order as Prisma reads it right after', async () => {
    const products = await productIdsOf(server, ['hunan']);
    const section = await publishSection(server, tokens.hnAdmin!);
    const prismaRead = async (id: string) => {
      server.app.sqlReadModels = false;
      try {
        return (await server.client({ token: tokens.hnBidder! }).request(OrderDocument, { id })).order;
      } finally {
        server.app.sqlReadModels = true;
      }
    };
    const withoutTypename = <T extends { __typename: string }>({ __typename, ...fields }: T) => fields;
    let before = queries.length;
    const created = expectOrder(await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId: products['hn-demo-insurer-bid-bond']! }));
    const createSql = queries.slice(before);
    // The INSERT's statement ends in the read of what it wrote; nothing reads the order after it.
    expect(createSql.filter((sql) => /^WITH ordered AS .*\bcreated AS \(.*\n  SELECT .* FROM created o\b/s.test(sql))).toHaveLength(1);
    expect(createSql.filter((sql) => READ_MODEL_ORDER.test(sql) || /"GuaranteeOrder"/.test(sql) && !/^WITH ordered/.test(sql))).toEqual([]);
    expect(withoutTypename(created)).toEqual(await prismaRead(created.id));
    before = queries.length;
    const submitted = await submit(server, tokens.hnBidder!, created.id);
    const submitSql = queries.slice(before);
    // submitOrder reads the order once (the read model), and its UPDATE's statement answers.
    expect(submitSql.filter((sql) => READ_MODEL_ORDER.test(sql))).toHaveLength(1);
    expect(submitSql.filter((sql) => /^WITH ordered AS .*\bmoved AS \(.*\n  SELECT .* FROM moved o\b/s.test(sql))).toHaveLength(1);
    expect(submitted).toMatchObject({ __typename: 'GuaranteeOrder', status: 'AWAITING_PAYMENT' });
    const order = await prismaRead(created.id);
    expect(withoutTypename(submitted as typeof submitted & { __typename: string })).toEqual(order);
    expect(order!.timeline.map((step) => step.toStatus)).toEqual(['DRAFT', 'AWAITING_PAYMENT']);
  });

  it('answers createOrder and submitOrder through Prisma alike when the read model is off (its reads and writes fall back)', async () => {
    const products = await productIdsOf(server, ['hunan']);
    const productId = products['hn-demo-insurer-bid-bond']!;
    const pair = async (readModel: boolean) => {
      const section = await publishSection(server, tokens.hnAdmin!);
      server.app.sqlReadModels = readModel;
      const before = queries.length;
      try {
        const created = expectOrder(await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId }));
        const submitted = await submit(server, tokens.hnBidder!, created.id);
        const readModelSql = queries.slice(before).filter((sql) => READ_MODEL_ORDER.test(sql) || /\n  SELECT .* FROM (created|moved) o\b/s.test(sql));
        // What differs between any two orders: ids, numbers, the section, the payment reference and the times.
        const same = ({ id, number, section, paymentInstructions, expiresAt, noticeAcceptedAt, ...rest }: Record<string, any>) => ({
          ...rest,
          paymentInstructions: { ...paymentInstructions, reference: typeof paymentInstructions.reference },
        });
        return { answers: [same(created), same(submitted as Record<string, unknown>)], readModelSql: readModelSql.length };
      } finally {
        server.app.sqlReadModels = true;
      }
    };
    const [on, off] = [await pair(true), await pair(false)];
    expect(on.readModelSql).toBe(3);
    expect(off.readModelSql).toBe(0);
    expect(off.answers[1]).toMatchObject({ status: 'AWAITING_PAYMENT', timeline: [{ toStatus: 'DRAFT' }, { toStatus: 'AWAITING_PAYMENT' }] });
    expect(off.answers).toEqual(on.answers);
  });
});
