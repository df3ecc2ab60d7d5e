import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, productIdsOf, publishSection } from '../support/orders.ts';

// createOrder writes an order without an upload in one hand-written statement (order.service.ts, insertDraftOrder),
// and with one through Prisma. Both must write the same rows: the order, its timeline row and its outbox event.
let server: TestServer;
const tokens: Record<string, string> = {};
let productId = '';

beforeAll(async () => {
  server = await startTestServer();
  Object.assign(tokens, await smsLogins(server, [
    ['admin', 'hunan', DEMO.ADMIN],
    ['bidder', 'hunan', DEMO.BIDDER],
  ]));
  productId = (await productIdsOf(server, ['hunan']))['hn-demo-insurer-bid-bond']!;
});
afterAll(() => server?.stop());

const idOf = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;

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
    const viaPrisma = expectOrder(await createOrder(server, tokens.bidder!, { sectionId: first.id, productId }, { bytes: PNG, name: 'permit.png' }));
    const viaSql = expectOrder(await createOrder(server, tokens.bidder!, { sectionId: second.id, productId }));
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
