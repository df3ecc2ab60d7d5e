import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DecideUnderwritingDocument,
  IssueInstitutionApiClientDocument,
  OrderStatusChangedDocument,
  type OrderStatusChangedSubscription,
} from '../../schema/generated/graphql.ts';
import { signRequest } from '../../src/crypto/index.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, publishSection, submit, productIdsOf } from '../support/orders.ts';
import { expectCode, follow, head, openSubscriptions, recordEvents, sse, stopAll, tenantId } from './live-support.ts';

type Change = OrderStatusChangedSubscription['orderStatusChanged'];
const ORDER_CHANGES = print(OrderStatusChangedDocument);

let server: TestServer;
const tokens: Record<string, string> = {};
const productIds: Record<string, string> = {};
const ids: Record<string, string> = {};
let permitUploaded = false;

beforeAll(async () => {
  server = await startTestServer();
  Object.assign(tokens, await smsLogins(server, [
    ['xjAdmin', 'xinjiang', DEMO.ADMIN],
    ['xjBidder', 'xinjiang', DEMO.BIDDER],
    ['xjInstitution', 'xinjiang', DEMO.INSTITUTION],
    ['xjTenderee', 'xinjiang', DEMO.TENDEREE],
    ['xjAgent', 'xinjiang', DEMO.AGENT],
    ['qzAdmin', 'quzhou', DEMO.ADMIN],
    ['qzBidder', 'quzhou', DEMO.BIDDER],
    ['hnAdmin', 'hunan', DEMO.ADMIN],
    ['csAdmin', 'hunan-changsha', DEMO.ADMIN],
  ]));
  Object.assign(productIds, await productIdsOf(server, ['xinjiang']));
  for (const code of ['xinjiang', 'quzhou', 'hunan', 'hunan-changsha']) ids[code] = await tenantId(server, code);
  const xinjiangBidder = await server.app.db.enterprise.findFirstOrThrow({ where: { tenantId: ids.xinjiang, uscc: '91110108MA01XK7Q2D' } });
  ids.xjBidderEnterprise = xinjiangBidder.id;
  ids.pingan = (await server.app.db.institution.findFirstOrThrow({ where: { tenantId: ids.xinjiang, code: 'pingan' } })).id;
});
afterAll(() => server?.stop());
afterEach(async () => {
  stopAll();
  await openSubscriptions(server, 0);
});

const ws = (key: string, extra: Record<string, string> = {}) => server.ws({ authorization: `Bearer ${tokens[key]}`, ...extra });

async function apply(productCode = 'pingan-bid-bond') {
  const section = await publishSection(server, tokens.xjAdmin!);
  const permit = permitUploaded ? undefined : { bytes: PNG, name: 'permit.png' };
  permitUploaded = true;
  return expectOrder(await createOrder(server, tokens.xjBidder!, { sectionId: section.id, productId: productIds[productCode]! }, permit));
}

const steps = (items: Array<{ orderStatusChanged: Change }>) => items.map(({ orderStatusChanged: c }) => [c.orderNumber, c.action, c.from, c.to]);
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** An order event naming arbitrary parties, written through the outbox as a service would. */
const orderEvent = (tenant: string, parties: { bidderId?: string; institutionId?: string } = {}) => ({
  tenantId: tenant,
  type: 'ORDER_STATUS_CHANGED',
  aggregateType: 'GuaranteeOrder',
  aggregateId: randomUUID(),
  payload: { number: `X-${randomUUID().slice(0, 8)}`, action: 'SUBMIT', from: 'DRAFT', to: 'UNDER_REVIEW', bidderId: randomUUID(), institutionId: randomUUID(), ...parties },
});

describe('orderStatusChanged over graphql-ws', () => {
  it("delivers each role its own orders' changes, new orders included, with the order read fresh", async () => {
    const after = await head(server);
    const bidder = follow<{ orderStatusChanged: Change }>(ws('xjBidder'), ORDER_CHANGES, { after });
    const institution = follow<{ orderStatusChanged: Change }>(ws('xjInstitution'), ORDER_CHANGES, { after });
    const admin = follow<{ orderStatusChanged: Change }>(ws('xjAdmin'), ORDER_CHANGES, { after });
    const otherTenantAdmin = follow<{ orderStatusChanged: Change }>(ws('qzAdmin'), ORDER_CHANGES, { after });
    const otherTenantBidder = follow<{ orderStatusChanged: Change }>(ws('qzBidder'), ORDER_CHANGES, { after });
    await openSubscriptions(server, 5);

    const pingan = await apply('pingan-bid-bond');
    await submit(server, tokens.xjBidder!, pingan.id);
    const guoren = await apply('guoren-bid-bond');

    await bidder.waitFor(3);
    expect(steps(bidder.items)).toEqual([
      [pingan.number, 'CREATE', null, 'DRAFT'],
      [pingan.number, 'SUBMIT', 'DRAFT', 'UNDER_REVIEW'],
      [guoren.number, 'CREATE', null, 'DRAFT'],
    ]);
    // The order itself is read from the database at delivery, under the viewer's rules.
    expect(bidder.items.map((item) => item.orderStatusChanged.order?.id)).toEqual([pingan.id, pingan.id, guoren.id]);
    const sequences = bidder.items.map((item) => BigInt(item.orderStatusChanged.sequence));
    expect([...sequences].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequences);

    // The demo institution user acts for pingan: it sees pingan's new order and its submission, not guoren's order.
    await institution.waitFor(2);
    await admin.waitFor(3);
    await settle();
    expect(steps(institution.items)).toEqual(steps(bidder.items).slice(0, 2));
    expect(steps(admin.items)).toEqual(steps(bidder.items));
    expect(otherTenantAdmin.items).toEqual([]);
    expect(otherTenantBidder.items).toEqual([]);
    for (const s of [bidder, institution, admin, otherTenantAdmin, otherTenantBidder]) s.stop();
  });

  it("never delivers another bidder's or institution's order events, and a province admin gets its cities' but a city admin not its province's", async () => {
    const after = await head(server);
    const bidder = follow<{ orderStatusChanged: Change }>(ws('xjBidder'), ORDER_CHANGES, { after });
    const institution = follow<{ orderStatusChanged: Change }>(ws('xjInstitution'), ORDER_CHANGES, { after });
    const province = follow<{ orderStatusChanged: Change }>(ws('hnAdmin'), ORDER_CHANGES, { after });
    const city = follow<{ orderStatusChanged: Change }>(ws('csAdmin'), ORDER_CHANGES, { after });
    await openSubscriptions(server, 4);
    const [strangerOrder, , hunanOrder, changshaOrder, own] = await recordEvents(server, [
      orderEvent(ids.xinjiang!),
      orderEvent('00000000-0000-4000-8000-000000000001', { bidderId: ids.xjBidderEnterprise, institutionId: ids.pingan }),
      orderEvent(ids.hunan!),
      orderEvent(ids['hunan-changsha']!),
      orderEvent(ids.xinjiang!, { bidderId: ids.xjBidderEnterprise, institutionId: ids.pingan }),
    ]);
    await bidder.waitFor(1);
    await institution.waitFor(1);
    await province.waitFor(2);
    await city.waitFor(1);
    await settle();
    const seqs = (s: typeof bidder) => s.items.map((item) => item.orderStatusChanged.sequence);
    expect(seqs(bidder)).toEqual([own]);
    expect(seqs(institution)).toEqual([own]);
    expect(seqs(province)).toEqual([hunanOrder, changshaOrder]);
    expect(seqs(city)).toEqual([changshaOrder]);
    expect(seqs(bidder)).not.toContain(strangerOrder);
    // An order event of a row that does not exist resolves `order` to null rather than failing the event.
    expect(bidder.items[0]!.orderStatusChanged.order).toBeNull();
    for (const s of [bidder, institution, province, city]) s.stop();
  });

  it('resumes after a disconnect: what happened meanwhile is replayed, then live events follow, with no gap and no duplicate', async () => {
    const after = await head(server);
    const order = await apply();
    const first = follow<{ orderStatusChanged: Change }>(ws('xjBidder'), ORDER_CHANGES, { after });
    await first.waitFor(1);
    const lastSeen = first.items.at(-1)!.orderStatusChanged.sequence;
    first.stop();
    await openSubscriptions(server, 0);

    // While the bidder is away, its order moves on.
    await submit(server, tokens.xjBidder!, order.id);
    await server.client({ token: tokens.xjInstitution }).request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: true } });

    const resumed = follow<{ orderStatusChanged: Change }>(ws('xjBidder'), ORDER_CHANGES, { after: lastSeen, orderId: order.id });
    await resumed.waitFor(2);
    // And a live one after the replay.
    const other = await apply();
    await server.client({ token: tokens.xjBidder }).request('mutation($id: ID!) { abandonOrder(input: { orderId: $id }) { __typename } }', { id: order.id });
    await resumed.waitFor(3);
    await settle();
    expect(steps(resumed.items)).toEqual([
      [order.number, 'SUBMIT', 'DRAFT', 'UNDER_REVIEW'],
      [order.number, 'APPROVE_UNDERWRITING', 'UNDER_REVIEW', 'AWAITING_PAYMENT'],
      [order.number, 'ABANDON', 'AWAITING_PAYMENT', 'ABANDONED'],
    ]);
    expect(resumed.items.map((item) => item.orderStatusChanged.order?.id)).not.toContain(other.id);
    resumed.stop();
  });

  it('has no gap and no duplicate at the seam while events keep committing during the replay', async () => {
    const after = await head(server);
    await recordEvents(server, Array.from({ length: 30 }, () => orderEvent(ids.xinjiang!)));
    const admin = follow<{ orderStatusChanged: Change }>(ws('xjAdmin'), 'subscription($after: String) { orderStatusChanged(after: $after) { sequence } }', { after });
    // Writers keep committing while the subscription replays the first 30.
    for (let n = 0; n < 15; n += 1) await recordEvents(server, [orderEvent(ids.xinjiang!), orderEvent(ids.xinjiang!)]);
    const expected = (
      await server.app.db.domainEvent.findMany({ where: { sequence: { gt: BigInt(after) }, tenantId: ids.xinjiang, type: 'ORDER_STATUS_CHANGED' }, orderBy: { sequence: 'asc' } })
    ).map((row) => row.sequence.toString());
    expect(expected).toHaveLength(60);
    await admin.waitFor(60);
    await settle();
    expect(admin.items.map((item) => (item as unknown as { orderStatusChanged: { sequence: string } }).orderStatusChanged.sequence)).toEqual(expected);
    admin.stop();
  });

  it('refuses bad input with an error frame and a closed stream, never a hang', async () => {
    const cases: Array<[string, ReturnType<typeof follow>, string]> = [
      ['no token', follow(server.ws({ 'X-Tenant': 'xinjiang' }), ORDER_CHANGES), 'UNAUTHENTICATED'],
      ['a forged token', follow(server.ws({ authorization: 'Bearer not-a-token' }), ORDER_CHANGES), 'SESSION_INVALID'],
      ['another tenant', follow(ws('xjBidder', { 'X-Tenant': 'quzhou' }), ORDER_CHANGES), 'TENANT_MISMATCH'],
      ['an unknown filter', follow(ws('xjBidder'), 'subscription { orderStatusChanged(status: PAID) { sequence } }'), 'GRAPHQL_VALIDATION_FAILED'],
      ['a future sequence', follow(ws('xjBidder'), ORDER_CHANGES, { after: '9000000000000000000' }), 'SEQUENCE_IN_FUTURE'],
      ['a malformed sequence', follow(ws('xjBidder'), ORDER_CHANGES, { after: '-1' }), 'VALIDATION_FAILED'],
      ['an order of nobody', follow(ws('xjBidder'), ORDER_CHANGES, { orderId: Buffer.from(`GuaranteeOrder:${randomUUID()}`).toString('base64') }), 'ORDER_NOT_FOUND'],
      ['a tenderee (may not read orders)', follow(ws('xjTenderee'), ORDER_CHANGES), 'FORBIDDEN'],
      ['an agent (may not read orders)', follow(ws('xjAgent'), ORDER_CHANGES), 'FORBIDDEN'],
    ];
    for (const [what, subscription, code] of cases) {
      await subscription.ended().catch((error) => {
        throw new Error(`${what}: ${(error as Error).message}`);
      });
      expectCode(subscription.errors, code);
      expect(subscription.items, what).toEqual([]);
    }
    await openSubscriptions(server, 0);
  });
});

describe('orderStatusChanged over server-sent events', () => {
  it("streams a bidder's order changes", async () => {
    const after = await head(server);
    let sequence = '';
    const { events } = await sse(server, ORDER_CHANGES, { after }, { authorization: `Bearer ${tokens.xjBidder}` }, 1, async () => {
      await openSubscriptions(server, 1);
      sequence = (await recordEvents(server, [orderEvent(ids.xinjiang!, { bidderId: ids.xjBidderEnterprise, institutionId: ids.pingan })]))[0]!;
    });
    expect(events).toEqual([{ data: { orderStatusChanged: expect.objectContaining({ sequence, to: 'UNDER_REVIEW', order: null }) } }]);
  });

  it('streams an institution API client (signed request) the orders placed with its institution', async () => {
    const { issueInstitutionApiClient: issued } = await server
      .client({ token: tokens.xjAdmin })
      .request(IssueInstitutionApiClientDocument, { input: { institutionCode: 'pingan' } });
    if (issued.__typename !== 'InstitutionApiCredentials') throw new Error(JSON.stringify(issued));
    const after = await head(server);
    const body = JSON.stringify({ query: 'subscription($after: String) { orderStatusChanged(after: $after) { sequence } }', variables: { after } });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID();
    const signature = signRequest(issued.secret, { method: 'POST', path: '/graphql', timestamp, nonce, body });
    const controller = new AbortController();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-client-id': issued.clientId, 'x-timestamp': timestamp, 'x-nonce': nonce, 'x-signature': signature },
      body,
      signal: controller.signal,
    });
    await openSubscriptions(server, 1);
    const [, mine] = await recordEvents(server, [orderEvent(ids.xinjiang!), orderEvent(ids.xinjiang!, { institutionId: ids.pingan })]);
    const reader = response.body!.getReader();
    let text = '';
    while (!/^data: /m.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(JSON.parse(/^data: (.+)$/m.exec(text)![1]!)).toEqual({ data: { orderStatusChanged: { sequence: mine } } });
  });

  it('answers a future sequence with an error event and ends the stream', async () => {
    const { events, ended } = await sse(server, ORDER_CHANGES, { after: '9000000000000000000' }, { authorization: `Bearer ${tokens.xjBidder}` }, 5);
    expect(ended).toBe(true);
    expectCode(events.flatMap((event) => event.errors ?? []), 'SEQUENCE_IN_FUTURE');
  });
});
