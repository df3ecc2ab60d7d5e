import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, productIdsOf, publishSection, submit } from '../support/orders.ts';
import { writeTransition } from '../../src/domains/order/order.service.ts';
import { Decimal, formatMoney, quotePremium } from '../../src/domains/catalog/money.ts';

// createOrder writes an order without an upload in one hand-written statement (order.service.ts, insertDraftOrder),
// and with one through Prisma. Both must write the same rows: the order, its timeline row and its outbox event.
// submitOrder moves the order in one statement guarded by the version it read (writeTransition).
let server: TestServer;
const queries: string[] = [];
const tokens: Record<string, string> = {};
let productId = '';

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => queries.push(sql) });
  Object.assign(tokens, await smsLogins(server, [
    ['admin', 'hunan', DEMO.ADMIN],
    ['bidder', 'hunan', DEMO.BIDDER],
    ['xjAdmin', 'xinjiang', DEMO.ADMIN],
  ]));
  productId = (await productIdsOf(server, ['hunan']))['hn-demo-insurer-bid-bond']!;
});
afterAll(() => server?.stop());

const idOf = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;

/** What `run` sent that writes an order in one statement: `created` (insertDraftOrder) or `moved` (writeTransition). */
async function oneStatementWrites<T>(run: () => Promise<T>): Promise<{ result: T; written: string[] }> {
  const before = queries.length;
  const result = await run();
  const written = queries.slice(before).flatMap((sql) => /^WITH ordered AS .*\b(created|moved) AS \(/s.exec(sql)?.[1] ?? []);
  return { result, written };
}

/** The order's rows with what differs between any two orders (ids, numbers, times, the section) taken out. */
async function written(orderId: string) {
  const db = server.app.db;
  const order = await db.guaranteeOrder.findUniqueOrThrow({ where: { id: orderId } });
  const timeline = await db.orderEvent.findMany({ where: { orderId } });
  const events = await db.domainEvent.findMany({ where: { aggregateId: orderId } });
  const { id, number, sectionId, liveKey, paymentReference, createdAt, updatedAt, expiresAt, ...rest } = order;
  expect(liveKey).toBe(`${sectionId}:${order.bidderId}`);
  expect(number).toMatch(/^\w+\d{5,}/);
  expect(paymentReference).toMatch(/^BH\d{12}$/);
  // Within the request: Prisma stamps `updatedAt` and the timeline row itself, the statement reuses the order's time.
  const near = (at: Date) => at.getTime() >= createdAt.getTime() && at.getTime() - createdAt.getTime() < 5_000;
  expect(near(updatedAt)).toBe(true);
  return {
    order: { ...rest, amount: rest.amount.toString(), rate: rest.rate.toString(), minimumPremium: rest.minimumPremium.toString(), premium: rest.premium.toString(), unpaidMinutes: (expiresAt.getTime() - createdAt.getTime()) / 60_000 },
    timeline: timeline.map(({ id: _id, orderId: _order, createdAt: at, ...event }) => ({ ...event, near: near(at) })),
    events: events.map(({ sequence: _s, aggregateId: _a, createdAt: _c, publishedAt: _p, payload, ...event }) => ({
      ...event,
      payload: { ...(payload as Record<string, unknown>), number: (payload as { number: string }).number === number },
    })),
  };
}

describe('createOrder without an upload (one statement)', () => {
  it('writes what the Prisma path writes: order, timeline row and outbox event', async () => {
    const first = await publishSection(server, tokens.admin!, { depositAmount: '200000' });
    const second = await publishSection(server, tokens.admin!, { depositAmount: '200000' });
    const prisma = await oneStatementWrites(() => createOrder(server, tokens.bidder!, { sectionId: first.id, productId }, { bytes: PNG, name: 'permit.png' }));
    const sql = await oneStatementWrites(() => createOrder(server, tokens.bidder!, { sectionId: second.id, productId }));
    expect(prisma.written).toEqual([]);
    expect(sql.written).toEqual(['created']);
    const [viaPrisma, viaSql] = [expectOrder(prisma.result), expectOrder(sql.result)];
    const [a, b] = [await written(idOf(viaPrisma.id)), await written(idOf(viaSql.id))];
    expect(b.order.openingPermitId).toBe(a.order.openingPermitId);
    expect(a.order).toMatchObject({ status: 'DRAFT', version: 1, amount: '200000', premium: expect.any(String) });
    expect(a.timeline).toEqual([expect.objectContaining({ action: 'CREATE', toStatus: 'DRAFT', label: '申请中', actorType: 'BIDDER' })]);
    expect(a.events).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it('writes nothing when it fails (a second live order for the section)', async () => {
    const section = await publishSection(server, tokens.admin!);
    expectOrder(await createOrder(server, tokens.bidder!, { sectionId: section.id, productId }));
    const db = server.app.db;
    const counts = async () => [await db.guaranteeOrder.count(), await db.orderEvent.count(), await db.domainEvent.count()];
    const before = await counts();
    expect(await createOrder(server, tokens.bidder!, { sectionId: section.id, productId })).toMatchObject({ code: 'ORDER_ALREADY_LIVE', field: 'input.sectionId' });
    expect(await counts()).toEqual(before);
  });
});

describe('createOrder reads section, product and enterprise in one statement', () => {
  it('refuses a section or product that is not of the tenant, a malformed id and an offline institution, writing nothing', async () => {
    const db = server.app.db;
    const counts = async () => [await db.guaranteeOrder.count(), await db.orderEvent.count(), await db.domainEvent.count()];
    const section = await publishSection(server, tokens.admin!);
    const foreignSection = await publishSection(server, tokens.xjAdmin!);
    const foreignProduct = Object.values(await productIdsOf(server, ['xinjiang']))[0]!;
    const malformed = (type: string) => Buffer.from(`${type}:not-a-uuid`).toString('base64');
    const before = await counts();
    const refusal = async (input: { sectionId: string; productId: string }) => createOrder(server, tokens.bidder!, input);
    expect(await refusal({ sectionId: foreignSection.id, productId })).toMatchObject({ code: 'SECTION_NOT_FOUND', field: 'input.sectionId' });
    expect(await refusal({ sectionId: malformed('BidSection'), productId })).toMatchObject({ code: 'SECTION_NOT_FOUND', field: 'input.sectionId' });
    expect(await refusal({ sectionId: section.id, productId: foreignProduct })).toMatchObject({ code: 'PRODUCT_NOT_FOUND', field: 'input.productId' });
    expect(await refusal({ sectionId: section.id, productId: malformed('Product') })).toMatchObject({ code: 'PRODUCT_NOT_FOUND', field: 'input.productId' });
    const product = await db.product.findUniqueOrThrow({ where: { id: idOf(productId) }, include: { institution: true } });
    await db.institution.update({ where: { id: product.institutionId }, data: { online: false } });
    try {
      expect(await refusal({ sectionId: section.id, productId })).toMatchObject({ code: 'INSTITUTION_OFFLINE', message: expect.stringContaining(product.institution.name) });
    } finally {
      await db.institution.update({ where: { id: product.institutionId }, data: { online: true } });
    }
    expect(await counts()).toEqual(before);
    // And the same section and product are accepted, with the premium from the section's deposit and the product's rate.
    const order = expectOrder(await refusal({ sectionId: section.id, productId }));
    expect(order).toMatchObject({ amount: '300000.00', section: { code: section.code }, product: { issuance: product.issuance } });
    const quote = quotePremium(new Decimal('300000'), new Decimal(product.rate.toString()), new Decimal(product.minimumPremium.toString()));
    expect(order.premium).toBe(formatMoney(quote.premium));
    expect(Number(order.premium)).toBeGreaterThan(0);
  });
});

describe('submitOrder (one statement, guarded by the version read)', () => {
  it('records the acceptance, moves the order, and writes its timeline row and outbox event', async () => {
    const section = await publishSection(server, tokens.admin!);
    const order = expectOrder(await createOrder(server, tokens.bidder!, { sectionId: section.id, productId }));
    const { result: submitted, written } = await oneStatementWrites(() => submit(server, tokens.bidder!, order.id));
    expect(written).toEqual(['moved']);
    expect(submitted).toMatchObject({ __typename: 'GuaranteeOrder', status: 'AWAITING_PAYMENT', noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' });
    const id = idOf(order.id);
    const db = server.app.db;
    const row = await db.guaranteeOrder.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'AWAITING_PAYMENT', version: 2, liveKey: `${row.sectionId}:${row.bidderId}`, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' });
    expect(row.submittedAt).toEqual(row.noticeAcceptedAt);
    expect(row.updatedAt).toEqual(row.submittedAt);
    const timeline = await db.orderEvent.findMany({ where: { orderId: id }, orderBy: { createdAt: 'asc' } });
    expect(timeline.map(({ action, fromStatus, toStatus, label, actorType }) => ({ action, fromStatus, toStatus, label, actorType }))).toEqual([
      { action: 'CREATE', fromStatus: null, toStatus: 'DRAFT', label: '申请中', actorType: 'BIDDER' },
      { action: 'SUBMIT', fromStatus: 'DRAFT', toStatus: 'AWAITING_PAYMENT', label: expect.any(String), actorType: 'BIDDER' },
    ]);
    expect(timeline[1]!.actorUserId).toBe(timeline[0]!.actorUserId);
    const events = await db.domainEvent.findMany({ where: { aggregateId: id }, orderBy: { sequence: 'asc' } });
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ action: 'CREATE', from: null, to: 'DRAFT', number: row.number }),
      expect.objectContaining({ action: 'SUBMIT', from: 'DRAFT', to: 'AWAITING_PAYMENT', number: row.number, bidderId: row.bidderId, institutionId: row.institutionId }),
    ]);
  });

  it('writes nothing and says CONCURRENT_UPDATE when the order moved after it was read', async () => {
    const section = await publishSection(server, tokens.admin!);
    const order = expectOrder(await createOrder(server, tokens.bidder!, { sectionId: section.id, productId }));
    const db = server.app.db;
    const stale = await db.guaranteeOrder.findUniqueOrThrow({ where: { id: idOf(order.id) } });
    expect(await submit(server, tokens.bidder!, order.id)).toMatchObject({ status: 'AWAITING_PAYMENT' });
    const counts = async () => [await db.orderEvent.count(), await db.domainEvent.count()];
    const before = await counts();
    const actor = { type: 'BIDDER' as const, userId: null };
    await expect(writeTransition({ sql: server.app.sql, sqlReadModels: true }, stale, 'SUBMIT', actor, { issuance: 'REVIEWED' }, [['noticeVersion', 'x', 'text']])).rejects.toMatchObject({
      code: 'CONCURRENT_UPDATE',
    });
    expect(await counts()).toEqual(before);
    expect(await db.guaranteeOrder.findUniqueOrThrow({ where: { id: stale.id } })).toMatchObject({ version: 2, noticeVersion: '2025.04-demo' });
  });

  it('answers ORDER_NOT_FOUND for an id that is not an order of the tenant', async () => {
    const bogus = Buffer.from('GuaranteeOrder:not-a-uuid').toString('base64');
    expect(await submit(server, tokens.bidder!, bogus)).toMatchObject({ code: 'ORDER_NOT_FOUND', field: 'input.orderId' });
  });
});
