import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { GraphQLClient } from 'graphql-request';
import { createClient, type Client as WsClient } from 'graphql-ws';
import pg from 'pg';
import { inject } from 'vitest';
import WebSocket from 'ws';
import type { DatabaseTarget } from '../../src/db/database.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.ts';
import { withDatabase } from './global-setup.ts';

/** A fresh database copied from the migrated snapshot: PostgreSQL when DATABASE_URL is set, PGlite otherwise. */
export async function freshDatabase(): Promise<{ target: DatabaseTarget; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `eg_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('templateDatabase')}"`);
    return {
      target: { kind: 'postgres', url: withDatabase(url, name), poolSize: 5 },
      drop: async () => {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const snapshot = await readFile(inject('pgliteSnapshot'));
  const instance = await PGlite.create({ loadDataDir: new Blob([snapshot]) });
  return { target: { kind: 'pglite', instance }, drop: () => instance.close() };
}

export interface TestServer extends RunningServer {
  /** A typed GraphQL client over real HTTP, optionally sending X-Tenant, a session token and other headers. */
  client(options?: { tenant?: string; token?: string; headers?: Record<string, string> }): GraphQLClient;
  /** A graphql-ws client; connection parameters carry what browsers cannot put in WebSocket headers. */
  ws(connectionParams?: Record<string, string>): WsClient;
  /** Stops the server and drops its database. */
  stop(): Promise<void>;
}

/** Starts the real server on an ephemeral port over a fresh database. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const database = await freshDatabase();
  const server = await startServer({
    database: database.target,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
    redisUrl: process.env.REDIS_URL || undefined,
    shutdownGraceMs: 2_000,
    ...options,
    // Tests log in often and from one address: no SMS interval or per-mobile cap unless a test asks for them, and
    // X-Forwarded-For is trusted so a test can play several client addresses.
    identity: {
      trustProxy: true,
      ...options.identity,
      smsLimits: { mobileIntervalSeconds: 0, perMobile: { max: 10_000, windowSeconds: 3600 }, ...options.identity?.smsLimits },
    },
  });
  const sockets: WsClient[] = [];
  return {
    ...server,
    client: ({ tenant, token, headers } = {}) =>
      new GraphQLClient(server.url, {
        headers: { ...(tenant ? { 'x-tenant': tenant } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      }),
    ws: (connectionParams = {}) => {
      const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
      sockets.push(client);
      return client;
    },
    stop: async () => {
      await Promise.all(sockets.map((socket) => socket.dispose()));
      await server.close();
      await database.drop();
    },
  };
}

/** Collects up to `count` results of a subscription over graphql-ws, then unsubscribes. */
export function collect<T>(client: WsClient, query: string, variables: Record<string, unknown>, count: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const results: T[] = [];
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) return reject(Object.assign(new Error(value.errors[0]!.message), { errors: value.errors }));
          results.push(value.data as T);
          if (results.length === count) {
            unsubscribe();
            resolve(results);
          }
        },
        error: (error) => reject(error),
        complete: () => resolve(results),
      },
    );
  });
}

/** The GraphQL errors a graphql-request call failed with (it throws ClientError on any error in the response). */
export async function graphqlErrors(call: Promise<unknown>): Promise<Array<{ message: string; extensions?: Record<string, unknown> }>> {
  try {
    await call;
  } catch (error) {
    const errors = (error as { response?: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }).response?.errors;
    if (errors) return errors;
    throw error;
  }
  throw new Error('expected the operation to fail with GraphQL errors, but it succeeded');
}

/**
 * The SQL statements one request sends, seen through a server started with `onQuery: (sql) => queries.push(sql)`,
 * and the request's answer. `run` is tried twice and the try with fewer statements counts: background work (the outbox
 * relay's poll, the live sessions' re-check) only ever adds statements, and the relay's own (its transaction, lock and
 * `DomainEvent` claim) are left out in any case.
 */
export async function requestStatements<T>(queries: readonly string[], run: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const once = async () => {
    const before = queries.length;
    const result = await run();
    return { result, statements: queries.slice(before).filter((sql) => !/^\s*(BEGIN|COMMIT|ROLLBACK)\b|pg_advisory|"DomainEvent"/.test(sql)) };
  };
  const [first, second] = [await once(), await once()];
  return first.statements.length <= second.statements.length ? first : second;
}
