import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '../../src/http/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { freshDatabase, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogin } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, publishSection } from '../support/orders.ts';
import { follow, openSubscriptions, stopAll } from './live-support.ts';
import { GraphQLClient } from 'graphql-request';

const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

/**
 * Two server instances on one PostgreSQL and one Redis: a mutation on A reaches a subscriber on B. PGlite is an
 * embedded, single-process database that two servers cannot share, so this needs DATABASE_URL and REDIS_URL.
 */
describe.skipIf(!shared)('two instances on one PostgreSQL and one Redis (needs DATABASE_URL and REDIS_URL; PGlite cannot be shared by two servers)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let a: TestServer;
  let b: TestServer;

  /** The harness's TestServer API over a server started on a given database. */
  function wrap(server: RunningServer): TestServer {
    const sockets: Array<ReturnType<typeof createClient>> = [];
    return {
      ...server,
      client: ({ tenant, token, headers } = {}) =>
        new GraphQLClient(server.url, { headers: { ...(tenant ? { 'x-tenant': tenant } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
      ws: (connectionParams = {}) => {
        const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
        sockets.push(client);
        return client;
      },
      stop: async () => {
        await Promise.all(sockets.map((socket) => socket.dispose()));
        await server.close();
      },
    };
  }

  const start = async () =>
    wrap(
      await startServer({
        database: database.target,
        port: 0,
        host: '127.0.0.1',
        logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
        redisUrl: process.env.REDIS_URL,
        identity: { trustProxy: true, smsLimits: { mobileIntervalSeconds: 0, perMobile: { max: 10_000, windowSeconds: 3600 } } },
        // Only A's mutations kick a relay; B's relay has no timer either, so delivery proves the Redis path. Sessions
        // are re-checked hourly, so a subscription that ends at logout was ended by the revocation message.
        live: { relayPollMs: 0, sessionRecheckMs: 3_600_000 },
      }),
    );

  beforeAll(async () => {
    database = await freshDatabase();
    a = await start();
    b = await start();
  });
  // Each test starts with no subscription open on either instance.
  afterEach(async () => {
    stopAll();
    await openSubscriptions(a, 0);
    await openSubscriptions(b, 0);
  });
  afterAll(async () => {
    stopAll();
    await b?.stop();
    await a?.stop();
    await database?.drop();
  });

  it('delivers a change made through instance A to a subscriber on instance B, once', async () => {
    const admin = await smsLogin(a, 'xinjiang', DEMO.ADMIN);
    const bidder = await smsLogin(a, 'xinjiang', DEMO.BIDDER);
    expect(a.app.events.live!.topic).toBe(b.app.events.live!.topic);
    const onB = follow<{ orderStatusChanged: { orderNumber: string; to: string; order: { id: string } | null } }>(
      b.ws({ authorization: `Bearer ${bidder}` }),
      'subscription { orderStatusChanged { orderNumber to order { id } } }',
    );
    await openSubscriptions(b, 1);

    const section = await publishSection(a, admin);
    const productId = (await a.app.db.product.findFirstOrThrow({ where: { code: 'pingan-bid-bond', tenant: { code: 'xinjiang' } } })).id;
    const order = expectOrder(await createOrder(a, bidder, { sectionId: section.id, productId: Buffer.from(`Product:${productId}`).toString('base64') }, { bytes: PNG, name: 'permit.png' }));
    await onB.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(onB.items).toEqual([{ orderStatusChanged: { orderNumber: order.number, to: 'DRAFT', order: { id: order.id } } }]);
  });

  it('refuses on instance B a session logged out through instance A, though B had its row cached', async () => {
    const token = await smsLogin(a, 'xinjiang', DEMO.AGENT);
    const me = '{ me { activeRole } }';
    expect(await b.client({ token }).request(me)).toEqual({ me: { activeRole: 'AGENT' } });
    expect(b.app.identity.sessions.size).toBeGreaterThan(0);
    const loggedOut = Date.now();
    expect(await a.client({ token }).request('mutation { logout }')).toEqual({ logout: true });
    // The revocation travels through Redis; without it B would accept the token for sessionCacheMs (5 s) more.
    let code: unknown;
    while (code === undefined && Date.now() - loggedOut < 2_000) {
      code = await b
        .client({ token })
        .request(me)
        .then(
          () => undefined,
          (error: { response?: { errors?: Array<{ extensions?: { code?: string } }> } }) => error.response?.errors?.[0]?.extensions?.code,
        );
    }
    expect(code).toBe('SESSION_INVALID');
    expect(Date.now() - loggedOut).toBeLessThan(a.app.identity.sessions.maxAgeMs);
  });

  it('ends on instance B the subscriptions of a session logged out through instance A, before its re-check', async () => {
    const token = await smsLogin(a, 'xinjiang', DEMO.INSTITUTION);
    const onB = follow(b.ws({ authorization: `Bearer ${token}` }), 'subscription { orderStatusChanged { sequence } }');
    await openSubscriptions(b, 1);
    expect(b.app.events.live!.hub.size).toBe(1);
    expect(onB.errors).toEqual([]);
    const loggedOut = Date.now();
    expect(await a.client({ token }).request('mutation { logout }')).toEqual({ logout: true });
    // B re-checks sessions hourly here (15 s by default); the revocation comes through Redis at once.
    await onB.ended(2_000);
    expect(Date.now() - loggedOut).toBeLessThan(b.app.events.live!.options.sessionRecheckMs);
    expect(onB.errors.map((error) => error.extensions?.code)).toContain('SESSION_INVALID');
  });
});
