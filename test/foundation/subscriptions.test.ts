import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeartbeatDocument, type HeartbeatSubscription } from '../../schema/generated/graphql.ts';
import WebSocket from 'ws';
import { collect, startTestServer, type TestServer } from '../support/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const heartbeat = print(HeartbeatDocument);

describe('subscriptions', () => {
  it('tick over graphql-ws, with the tenant taken from the connection parameters', async () => {
    const ticks = await collect<HeartbeatSubscription>(server.ws({ 'X-Tenant': 'xinjiang' }), heartbeat, { intervalMs: 100, count: 3 }, 3);
    expect(ticks.map((tick) => tick.heartbeat.sequence)).toEqual([1, 2, 3]);
    expect(ticks.every((tick) => tick.heartbeat.tenantCode === 'xinjiang')).toBe(true);
  });

  it('tick over server-sent events', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-tenant': 'xinjiang' },
      body: JSON.stringify({ query: heartbeat, variables: { intervalMs: 100, count: 2 } }),
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await response.text();
    const events = [...text.matchAll(/^data: (.+)$/gm)].map((match) => JSON.parse(match[1]!));
    expect(events.map((event) => event.data.heartbeat.sequence)).toEqual([1, 2]);
  });

  it('refuses a bad argument with a typed error frame instead of hanging', async () => {
    await expect(collect(server.ws(), heartbeat, { intervalMs: 5 }, 1)).rejects.toMatchObject({
      errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'intervalMs' }) })],
    });
  });

  it('refuses an unknown tenant in the connection parameters', async () => {
    const failure = await collect(server.ws({ 'X-Tenant': 'atlantis' }), heartbeat, { intervalMs: 100 }, 1).catch((error) => error);
    expect(JSON.stringify(failure)).toMatch(/TENANT_NOT_FOUND/);
  });
});

describe('idle WebSocket connections', () => {
  it('are pinged by the server', async () => {
    const own = await startTestServer({ keepAliveMs: 100 });
    try {
      const socket = new WebSocket(own.wsUrl, 'graphql-transport-ws');
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      let pings = 0;
      socket.on('ping', () => (pings += 1));
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect(pings).toBeGreaterThanOrEqual(2);
      socket.close();
    } finally {
      await own.stop();
    }
  });
});
