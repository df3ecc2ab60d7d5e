import { randomUUID } from 'node:crypto';
import { parse, subscribe, type ExecutionResult } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.ts';
import { getSchema } from '../../src/schema.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogin } from '../support/identity.ts';
import { expectCode, follow, head, openSubscriptions, recordEvents, stopAll, tenantId } from './live-support.ts';

let server: TestServer;
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer({ live: { maxSubscriptionsPerViewer: 2, queueLimit: 3, sessionRecheckMs: 100 } });
  ids.xinjiang = await tenantId(server, 'xinjiang');
  ids.quzhou = await tenantId(server, 'quzhou');
  for (const [key, uscc] of [
    ['bidder', '91110108MA01XK7Q2D'],
    ['tenderee', '91310115MA1H8RTU39'],
    ['agent', '91440300MA5GXY9K1W'],
  ] as const) {
    ids[key] = (await server.app.db.enterprise.findFirstOrThrow({ where: { tenantId: ids.xinjiang, uscc } })).id;
  }
  const user = await server.app.db.user.findFirstOrThrow({ where: { mobile: DEMO.INSTITUTION } });
  ids.institution = (await server.app.db.institutionMembership.findFirstOrThrow({ where: { userId: user.id, tenantId: ids.xinjiang } })).institutionId;
});
afterAll(() => server?.stop());
afterEach(async () => {
  stopAll();
  await openSubscriptions(server, 0);
});

const login = (mobile: string, tenant = 'xinjiang') => smsLogin(server, tenant, mobile);
const wsAs = (token: string) => server.ws({ authorization: `Bearer ${token}` });
const ORDERS = 'subscription($after: String) { orderStatusChanged(after: $after) { sequence } }';
const orderEvent = () => ({
  tenantId: ids.xinjiang!,
  type: 'ORDER_STATUS_CHANGED',
  aggregateType: 'GuaranteeOrder',
  aggregateId: randomUUID(),
  payload: { number: 'X', action: 'SUBMIT', from: 'DRAFT', to: 'UNDER_REVIEW', bidderId: randomUUID(), institutionId: randomUUID() },
});

describe('limits', () => {
  it('refuses a subscription over the per-user limit, and accepts one again once another closed', async () => {
    const token = await login(DEMO.ADMIN);
    const first = follow(wsAs(token), ORDERS);
    follow(wsAs(token), ORDERS);
    await openSubscriptions(server, 2);
    const third = follow(wsAs(token), ORDERS);
    await third.ended();
    expectCode(third.errors, 'SUBSCRIPTION_LIMIT');
    // Another user is not affected by this one's limit.
    const other = follow(wsAs(await login(DEMO.BIDDER)), ORDERS);
    await openSubscriptions(server, 3);
    first.stop();
    await openSubscriptions(server, 2);
    follow(wsAs(token), ORDERS);
    await openSubscriptions(server, 3);
    other.stop();
  });

  it('closes a subscription whose client fell more than the queue bound behind, naming where to resume', async () => {
    const token = await login(DEMO.ADMIN);
    const contextValue = await createContext(server.app, { header: (name) => (name === 'authorization' ? `Bearer ${token}` : undefined) });
    const stream = (await subscribe({ schema: getSchema(), document: parse(ORDERS), contextValue })) as AsyncGenerator<ExecutionResult>;
    expect(Symbol.asyncIterator in stream).toBe(true);
    // The client reads nothing while five events arrive; the bound is three.
    await recordEvents(server, Array.from({ length: 5 }, orderEvent));
    await server.app.events.live!.relay.drain();
    const first = await stream.next();
    expect(first.value?.errors?.[0]?.message).toMatch(/More than 3 events waited/);
    expect((first.value?.errors?.[0]?.originalError as { code?: string })?.code).toBe('SUBSCRIPTION_OVERFLOW');
    expect((await stream.next()).done).toBe(true);
    expect(server.app.events.live!.hub.size).toBe(0);
  });
});

describe('authentication re-checked while a subscription is open', () => {
  it('closes it with SESSION_INVALID once the session is logged out', async () => {
    const token = await login(DEMO.BIDDER);
    const subscription = follow(wsAs(token), ORDERS);
    await openSubscriptions(server, 1);
    await server.client({ token }).request('mutation { logout }');
    await subscription.ended();
    expectCode(subscription.errors, 'SESSION_INVALID');
  });

  it('closes it with SESSION_EXPIRED when the session expires', async () => {
    const token = await login(DEMO.INSTITUTION);
    const user = await server.app.db.user.findFirstOrThrow({ where: { mobile: DEMO.INSTITUTION } });
    await server.app.db.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { expiresAt: new Date(Date.now() + 1_500) } });
    const subscription = follow(wsAs(token), ORDERS);
    await openSubscriptions(server, 1);
    await subscription.ended(4_000);
    expectCode(subscription.errors, 'SESSION_EXPIRED');
  });
});

describe('refundStatusChanged and claimStatusChanged', () => {
  const partyEvent = (type: 'REFUND_STATUS_CHANGED' | 'CLAIM_STATUS_CHANGED', tenant: string, parties: Record<string, string>) => ({
    tenantId: tenant,
    type,
    aggregateType: type === 'REFUND_STATUS_CHANGED' ? 'Refund' : 'Claim',
    aggregateId: randomUUID(),
    payload: { from: 'SUBMITTED', to: 'UNDER_REVIEW', guaranteeId: randomUUID(), bidderId: randomUUID(), institutionId: randomUUID(), tendereeId: randomUUID(), agentId: randomUUID(), ...parties },
  });
  const REFUNDS = 'subscription($after: String) { refundStatusChanged(after: $after) { sequence refundId from to guaranteeId } }';
  const CLAIMS = 'subscription($after: String) { claimStatusChanged(after: $after) { sequence claimId from to } }';
  type Item = Record<string, { sequence: string }>;
  const seqs = (items: Item[]) => items.map((item) => Object.values(item)[0]!.sequence);

  it('delivers each event to the parties it names and the tenant admin, never to others or other tenants', async () => {
    const after = await head(server);
    // One after another: the test reads each SMS code as the newest for its mobile.
    const bidder = await login(DEMO.BIDDER);
    const institution = await login(DEMO.INSTITUTION);
    const tenderee = await login(DEMO.TENDEREE);
    const agent = await login(DEMO.AGENT);
    const admin = await login(DEMO.ADMIN);
    const quzhouAdmin = await login(DEMO.ADMIN, 'quzhou');
    const s = {
      bidderRefunds: follow<Item>(wsAs(bidder), REFUNDS, { after }),
      institutionRefunds: follow<Item>(wsAs(institution), REFUNDS, { after }),
      institutionClaims: follow<Item>(wsAs(institution), CLAIMS, { after }),
      tendereeClaims: follow<Item>(wsAs(tenderee), CLAIMS, { after }),
      agentClaims: follow<Item>(wsAs(agent), CLAIMS, { after }),
      adminClaims: follow<Item>(wsAs(admin), CLAIMS, { after }),
      quzhouClaims: follow<Item>(wsAs(quzhouAdmin), CLAIMS, { after }),
    };
    await openSubscriptions(server, 7);
    const [refundOfBidder, refundOfStranger, claimOfTenderee, claimViaAgent, claimOfInstitution] = await recordEvents(server, [
      partyEvent('REFUND_STATUS_CHANGED', ids.xinjiang!, { bidderId: ids.bidder!, institutionId: ids.institution! }),
      partyEvent('REFUND_STATUS_CHANGED', ids.xinjiang!, {}),
      partyEvent('CLAIM_STATUS_CHANGED', ids.xinjiang!, { tendereeId: ids.tenderee! }),
      partyEvent('CLAIM_STATUS_CHANGED', ids.xinjiang!, { agentId: ids.agent! }),
      partyEvent('CLAIM_STATUS_CHANGED', ids.xinjiang!, { institutionId: ids.institution! }),
      // Another tenant's claim naming the same enterprise ids: never crosses over.
      partyEvent('CLAIM_STATUS_CHANGED', ids.quzhou!, { tendereeId: ids.tenderee!, agentId: ids.agent!, institutionId: ids.institution! }),
    ]);
    await s.adminClaims.waitFor(3);
    await s.quzhouClaims.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seqs(s.bidderRefunds.items)).toEqual([refundOfBidder]);
    expect(seqs(s.institutionRefunds.items)).toEqual([refundOfBidder]);
    expect(seqs(s.institutionClaims.items)).toEqual([claimOfInstitution]);
    expect(seqs(s.tendereeClaims.items)).toEqual([claimOfTenderee]);
    expect(seqs(s.agentClaims.items)).toEqual([claimViaAgent]);
    expect(seqs(s.adminClaims.items)).toEqual([claimOfTenderee, claimViaAgent, claimOfInstitution]);
    expect(s.quzhouClaims.items).toHaveLength(1);
    expect(seqs(s.bidderRefunds.items)).not.toContain(refundOfStranger);
    expect(s.bidderRefunds.items[0]!.refundStatusChanged).toMatchObject({ from: 'SUBMITTED', to: 'UNDER_REVIEW', refundId: expect.any(String), guaranteeId: expect.any(String) });
  });

  it('replays missed refund events after `after`, then continues live', async () => {
    const token = await login(DEMO.BIDDER);
    const after = await head(server);
    const [missed] = await recordEvents(server, [partyEvent('REFUND_STATUS_CHANGED', ids.xinjiang!, { bidderId: ids.bidder! })]);
    const subscription = follow<Item>(wsAs(token), REFUNDS, { after });
    await subscription.waitFor(1);
    const [live] = await recordEvents(server, [partyEvent('REFUND_STATUS_CHANGED', ids.xinjiang!, { bidderId: ids.bidder! })]);
    await subscription.waitFor(2);
    expect(seqs(subscription.items)).toEqual([missed, live]);
  });

  it('refuses an anonymous subscriber', async () => {
    const subscription = follow(server.ws({ 'X-Tenant': 'xinjiang' }), CLAIMS);
    await subscription.ended();
    expectCode(subscription.errors, 'UNAUTHENTICATED');
  });
});
