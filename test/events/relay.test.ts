import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDomainEvent } from '../../src/events/outbox.ts';
import type { PublishedEvent } from '../../src/events/live.ts';
import { startRelay } from '../../src/events/relay.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogin } from '../support/identity.ts';
import { follow, head, openSubscriptions, tenantId } from './live-support.ts';

let server: TestServer;
let xinjiang: string;
const published: PublishedEvent[] = [];
let unlisten: () => void;

beforeAll(async () => {
  // No timer: the tests decide when the relay runs.
  server = await startTestServer({ live: { relayPollMs: 0 } });
  xinjiang = await tenantId(server, 'xinjiang');
  const live = server.app.events.live!;
  unlisten = await server.app.events.listen(live.topic, (event) => published.push(event as PublishedEvent));
});
afterAll(async () => {
  unlisten?.();
  await server?.stop();
});

const orderEvent = (n: number) => ({
  tenantId: xinjiang,
  type: 'ORDER_STATUS_CHANGED',
  aggregateType: 'GuaranteeOrder',
  aggregateId: randomUUID(),
  payload: { number: `T-${n}`, action: 'SUBMIT', from: 'DRAFT', to: 'AWAITING_PAYMENT', bidderId: randomUUID(), institutionId: randomUUID() },
});

const relayOf = (publish = server.app.events.publish) =>
  startRelay({ sql: server.app.sql, events: { publish }, log: server.app.log, topic: server.app.events.live!.topic, pollMs: 0, batchSize: 4 });

const sequencesAfter = (after: string) => published.map((e) => BigInt(e.sequence)).filter((s) => s > BigInt(after));

describe('outbox relay', () => {
  it('publishes committed events in sequence order, once, and marks them published', async () => {
    const before = await head(server);
    const written = await server.app.db.$transaction(async (tx) => {
      const out: bigint[] = [];
      for (let n = 0; n < 10; n += 1) out.push(await recordDomainEvent(tx, orderEvent(n)));
      return out;
    });
    expect(await server.app.events.live!.relay.drain()).toBe(10);
    expect(sequencesAfter(before)).toEqual(written);
    const unpublished = await server.app.db.domainEvent.count({ where: { sequence: { in: written }, publishedAt: null } });
    expect(unpublished).toBe(0);
    expect(await server.app.events.live!.relay.drain()).toBe(0);
  });

  it('publishes nothing for a rolled-back change: its event row never committed', async () => {
    const before = await head(server);
    await expect(
      server.app.db.$transaction(async (tx) => {
        await recordDomainEvent(tx, orderEvent(99));
        throw new Error('the change fails after writing its event');
      }),
    ).rejects.toThrow(/fails/);
    expect(await server.app.events.live!.relay.drain()).toBe(0);
    expect(sequencesAfter(before)).toEqual([]);
    expect(await server.app.db.domainEvent.count({ where: { sequence: { gt: BigInt(before) } } })).toBe(0);
  });

  it('loses nothing when a relay dies mid-batch: the batch goes out again, and subscribers drop the repeats', async () => {
    const token = await smsLogin(server, 'xinjiang', DEMO.ADMIN);
    const before = await head(server);
    const subscriber = follow<{ orderStatusChanged: { sequence: string } }>(
      server.ws({ authorization: `Bearer ${token}` }),
      'subscription { orderStatusChanged { sequence } }',
    );
    await openSubscriptions(server, 1);
    const written = await server.app.db.$transaction(async (tx) => {
      const out: string[] = [];
      for (let n = 0; n < 6; n += 1) out.push(String(await recordDomainEvent(tx, orderEvent(n))));
      return out;
    });
    // A relay that publishes two events, then "crashes" (the broker call fails) before its transaction commits.
    let sent = 0;
    const crashing = relayOf(async (topic, payload) => {
      if (sent >= 2) throw new Error('process killed');
      sent += 1;
      await server.app.events.publish(topic, payload);
    });
    await expect(crashing.drain()).rejects.toThrow(/killed/);
    await crashing.stop();
    expect(await server.app.db.domainEvent.count({ where: { sequence: { gt: BigInt(before) }, publishedAt: null } })).toBe(6);

    // The next relay (after a restart) publishes all six; the first two go out twice on the bus...
    expect(await server.app.events.live!.relay.drain()).toBe(6);
    expect(sequencesAfter(before).map(String)).toEqual([...written.slice(0, 2), ...written]);
    // ...and the subscriber receives each exactly once, in order.
    await subscriber.waitFor(6);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(subscriber.items.map((item) => item.orderStatusChanged.sequence)).toEqual(written);
    subscriber.stop();
  });

  it('lets several relays drain at once without publishing any event twice or out of order', async () => {
    const before = await head(server);
    const written: bigint[] = [];
    for (let batch = 0; batch < 5; batch += 1) {
      written.push(
        ...(await server.app.db.$transaction(async (tx) => {
          const out: bigint[] = [];
          for (let n = 0; n < 5; n += 1) out.push(await recordDomainEvent(tx, orderEvent(n)));
          return out;
        })),
      );
    }
    const relays = [relayOf(), relayOf(), relayOf()];
    // Each relay drains at start and again here: three relays compete for the same 25 rows.
    await Promise.all(relays.flatMap((relay) => [relay.drain(), relay.drain()]));
    await Promise.all(relays.map((relay) => relay.stop()));
    expect(sequencesAfter(before)).toEqual(written);
  });

  it('commits events in sequence order under concurrent writers, so a reader never sees a later one before an earlier one', async () => {
    const before = BigInt(await head(server));
    const seen: bigint[][] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const rows = await server.app.db.domainEvent.findMany({ where: { sequence: { gt: before } }, select: { sequence: true }, orderBy: { sequence: 'asc' } });
        seen.push(rows.map((r) => r.sequence));
      }
    })();
    await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        server.app.db.$transaction(async (tx) => {
          await recordDomainEvent(tx, orderEvent(n));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }),
      ),
    );
    writing = false;
    await reader;
    const all = (await server.app.db.domainEvent.findMany({ where: { sequence: { gt: before } }, select: { sequence: true }, orderBy: { sequence: 'asc' } })).map((r) => r.sequence);
    expect(all).toHaveLength(20);
    // Every snapshot a reader took is a prefix of the final list: no holes that fill in later.
    for (const snapshot of seen) expect(all.slice(0, snapshot.length)).toEqual(snapshot);
  });
});
