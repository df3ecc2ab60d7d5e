import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { HeartbeatDocument } from '../../schema/generated/graphql.ts';
import { DatabaseUnreachableError } from '../../src/db/database.ts';
import { databaseTargetFromEnv, DEFAULT_POOL_SIZE, poolSizeFrom } from '../../src/db/target.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startServer } from '../../src/server.ts';
import { freshDatabase, startTestServer, type TestServer } from '../support/harness.ts';

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
    // Whole JSON answers carry their length, not chunked (src/http/send.ts).
    expect(health.headers.get('content-length')).toBe(String(Buffer.byteLength(JSON.stringify({ status: 'ok' }))));
    expect(health.headers.get('transfer-encoding')).toBeNull();
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

  it('`npm start` refuses a DATABASE_POOL_SIZE that is not a whole number from 1 to 1000, before opening anything', async () => {
    for (const value of ['0', 'ten']) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, DATABASE_POOL_SIZE: value, DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere', PORT: '0' },
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`DATABASE_POOL_SIZE must be a whole number from 1 to 1000, got "${value}"`);
      expect(run.stderr).not.toContain('Cannot reach PostgreSQL');
    }
  });
});

describe('DATABASE_POOL_SIZE', () => {
  it('is a whole number from 1 to 1000, or unset for the default', () => {
    // Unset: Prisma's rule, twice the CPUs plus one (5 on the 2-core machines the bench runs on), at most 10.
    expect(DEFAULT_POOL_SIZE).toBe(Math.min(availableParallelism() * 2 + 1, 10));
    expect(poolSizeFrom(undefined)).toBe(DEFAULT_POOL_SIZE);
    expect(poolSizeFrom('')).toBe(DEFAULT_POOL_SIZE);
    expect(poolSizeFrom('5')).toBe(5);
    expect(poolSizeFrom(' 12 ')).toBe(12);
    expect(poolSizeFrom('1000')).toBe(1000);
    for (const bad of ['0', '-1', '1e2', '0x10', '2.5', 'ten', '1001']) expect(() => poolSizeFrom(bad)).toThrow(`DATABASE_POOL_SIZE must be a whole number from 1 to 1000, got "${bad}"`);
  });

  it('is the pool `npm start` opens PostgreSQL with (the target it builds from the environment)', () => {
    const url = 'postgresql://postgres@127.0.0.1:5432/app';
    expect(databaseTargetFromEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: '2' })).toEqual({ kind: 'postgres', url, poolSize: 2 });
    expect(databaseTargetFromEnv({ DATABASE_URL: url })).toEqual({ kind: 'postgres', url, poolSize: DEFAULT_POOL_SIZE });
    expect(() => databaseTargetFromEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: 'ten' })).toThrow(/DATABASE_POOL_SIZE/);
    // Without PostgreSQL the setting has nothing to size, but a wrong one is still refused.
    expect(databaseTargetFromEnv({ DATA_DIR: '/srv/eg', DATABASE_POOL_SIZE: '2' })).toEqual({ kind: 'pglite', dataDir: '/srv/eg/pglite' });
    expect(() => databaseTargetFromEnv({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
  });

  it.skipIf(!process.env.DATABASE_URL)('bounds the connections one instance opens to PostgreSQL', async () => {
    const database = await freshDatabase();
    if (database.target.kind !== 'postgres') throw new Error('PostgreSQL expected');
    const small = await startServer({ database: { ...database.target, poolSize: 2 }, port: 0, host: '127.0.0.1', logger: createLogger('silent'), sweepIntervalMs: 0 });
    try {
      // Six statements of 300 ms at once would take six connections; the pool gives them two, and the rest wait.
      const sleeping = Promise.all(Array.from({ length: 6 }, () => small.database.sql.query('SELECT pg_sleep(0.3)', [])));
      const name = new URL(database.target.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      try {
        await new Promise((resolve) => setTimeout(resolve, 150));
        const { rows } = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
          [name],
        );
        expect(rows[0]!.n).toBe(2);
      } finally {
        await admin.end();
      }
      await sleeping;
    } finally {
      await small.close();
      await database.drop();
    }
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
