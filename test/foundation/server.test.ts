import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { HeartbeatDocument } from '../../schema/generated/graphql.ts';
import { DatabaseUnreachableError } from '../../src/db/database.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startServer } from '../../src/server.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const base = () => server.url.replace(/\/graphql$/, '');

describe('operations endpoints', () => {
  it('reports liveness on /healthz and database readiness on /readyz', async () => {
    const health = await fetch(`${base()}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: server.database.kind });
  });

  it('echoes the caller request id, or makes one', async () => {
    const given = await fetch(`${base()}/healthz`, { headers: { 'x-request-id': 'trace-42' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42');
    const made = await fetch(`${base()}/healthz`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('JSON request bodies (read by the server before Yoga)', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('answers a JSON query with data, with or without a charset', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8']) {
      const response = await post(JSON.stringify({ query: '{ __typename }' }), { 'content-type': type });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
  });

  it('refuses malformed JSON, a batch, an empty object and a non-object body with BAD_REQUEST, not a hang', async () => {
    for (const body of ['{"query": ', '[{"query":"{ __typename }"}]', '{}', '42']) {
      const answer = (await (await post(body)).json()) as { data?: unknown; errors: Array<{ extensions?: { code?: string } }> };
      expect(answer.data, body).toBeUndefined();
      expect(answer.errors[0]?.extensions?.code, body).toBe('BAD_REQUEST');
    }
  });

  it('refuses a body over 1 MB with 413, whether announced by Content-Length or not', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1024 * 1024) } });
    const announced = await post(big);
    expect(announced.status).toBe(413);
    expect(await announced.json()).toMatchObject({ errors: [{ extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } }] });
    // A chunked body (no Content-Length) is counted as it arrives.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(big);
        for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});

describe('start-up failures', () => {
  it('stops with a message naming the database when PostgreSQL cannot be reached', async () => {
    const attempt = startServer({
      database: { kind: 'postgres', url: 'postgresql://postgres:secret@127.0.0.1:1/nowhere' },
      port: 0,
      logger: createLogger('silent'),
    });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnreachableError);
    await expect(attempt).rejects.toThrow(/Cannot reach PostgreSQL at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere/);
  });
});

describe('graceful shutdown', () => {
  it('lets a request in flight finish, then refuses new connections', async () => {
    const own = await startTestServer({ shutdownGraceMs: 5_000 });
    const response = await fetch(own.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: print(HeartbeatDocument), variables: { intervalMs: 200, count: 3 } }),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    const closing = own.stop();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
    await closing;
    const sequences = [...text.matchAll(/^data: (.+)$/gm)].map((match) => JSON.parse(match[1]!).data.heartbeat.sequence);
    expect(sequences).toEqual([1, 2, 3]);
    await expect(fetch(own.url.replace(/\/graphql$/, '/healthz'))).rejects.toThrow();
  });
});
