import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';
import { applyMigrations } from './migrations.ts';
import { DEFAULT_POOL_SIZE } from './target.ts';
import type { Sql } from './sql.ts';
import './pg-rows.ts';

/** Where the data lives: a PostgreSQL server, or an embedded PGlite (a directory, or an instance a test made). */
export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'pglite'; instance: PGlite };

/** An open database: the Prisma client the application uses, plus what start-up and health checks need. */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly prisma: PrismaClient;
  /** Hand-written SQL on the same connections (src/db/sql.ts); `onQuery` sees its statements too. */
  readonly sql: Sql;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers a query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown when the database cannot be reached at start-up; its message names the target, never a password. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

export interface DatabaseOptions {
  /** Called with every SQL statement the application's Prisma client sends (tests count them; off by default). */
  onQuery?: (sql: string) => void;
}

export async function openDatabase(target: DatabaseTarget, options: DatabaseOptions = {}): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target.url, target.poolSize, options) : openPglite(target, options);
}

function createClient(adapter: PrismaPg | PrismaPGlite, options: DatabaseOptions): PrismaClient {
  if (!options.onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  const onQuery = options.onQuery;
  client.$on('query', (event) => onQuery(event.query));
  return client;
}

async function openPostgres(url: string, poolSize = DEFAULT_POOL_SIZE, options: DatabaseOptions = {}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection the server closes (restart, failover, DROP DATABASE) must not crash the process: the pool
  // replaces it on the next checkout.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new DatabaseUnreachableError(
      `Cannot reach PostgreSQL at ${redact(url)}: ${(error as Error).message || (error as { code?: string }).code}. ` +
        'Check DATABASE_URL, or unset it to use the embedded database.',
    );
  }
  const prisma = createClient(new PrismaPg(pool), options);
  return {
    kind: 'postgres',
    prisma,
    sql: {
      query: async <R>(text: string, values: readonly unknown[]) => {
        options.onQuery?.(text);
        // Made from its text and named after: pg copies a config object into a new one descriptor by descriptor
        // (`normalizeQueryConfig`), which cost 2 % of a mutation's CPU; a query object goes to the client as it is.
        const query = new pg.Query(text, values as unknown[]) as pg.Query & { name: string };
        query.name = statementName(text);
        return new Promise<R[]>((resolve, reject) =>
          // pg-pool hands a query object to the client as it is; its types only know config objects here.
          pool.query(query as unknown as pg.QueryConfig, (error: Error | undefined, result: pg.QueryResult) => (error ? reject(error) : resolve(result.rows as R[]))),
        );
      },
      transaction: async <R, T>(statements: string, work: (rows: R[]) => Promise<T>) => {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          options.onQuery?.(`BEGIN; ${statements}`);
          // The simple-query protocol: BEGIN and the statements in one round trip, one result per statement.
          const results = (await client.query(`BEGIN; ${statements}`)) as unknown as pg.QueryResult[];
          const result = await work(results.at(-1)!.rows as R[]);
          options.onQuery?.('COMMIT');
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
          throw error;
        } finally {
          client.release(broken);
        }
      },
    },
    migrate: () => applyMigrations(new PrismaPg({ connectionString: url, max: 1 }, { onPoolError: () => {} })),
    ping: async () => void (await pool.query('SELECT 1')),
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(target: { dataDir: string } | { instance: PGlite }, options: DatabaseOptions = {}): Promise<Database> {
  let instance: PGlite;
  if ('instance' in target) {
    instance = target.instance;
  } else {
    await mkdir(target.dataDir, { recursive: true });
    instance = await PGlite.create(target.dataDir);
  }
  const factory: SqlMigrationAwareDriverAdapterFactory = new PrismaPGlite(instance);
  const prisma = createClient(new PrismaPGlite(instance), options);
  return {
    kind: 'pglite',
    prisma,
    sql: {
      query: async <R>(text: string, values: readonly unknown[]) => {
        options.onQuery?.(text);
        return (await instance.query<R>(text, values as unknown[])).rows;
      },
      transaction: <R, T>(statements: string, work: (rows: R[]) => Promise<T>) =>
        instance.transaction(async (tx) => {
          options.onQuery?.(`BEGIN; ${statements}`);
          const results = await tx.exec(statements);
          const result = await work(results.at(-1)!.rows as R[]);
          options.onQuery?.('COMMIT');
          return result;
        }),
    },
    // PGlite has one session: the engine's adapters wrap the instance itself, which must stay open.
    migrate: () => applyMigrations(factory, { disposeAdapters: false }),
    ping: async () => void (await instance.query('SELECT 1')),
    close: async () => {
      await prisma.$disconnect();
      if (!('instance' in target)) await instance.close();
    },
  };
}

/**
 * The hand-written statements are few and fixed (planned once per selection or per write), so each is a named
 * prepared statement: every pool connection parses and plans it once, not at every execution (issue 9). The name is
 * a digest of the text, so one name never stands for two texts. Each names its result columns (`RETURNING *` only
 * inside a CTE), so a migration that adds a column while an instance runs gets the statements replanned, never
 * refused with "cached plan must not change result type".
 */
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `h${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (statementNames.size < 1000) statementNames.set(text, name);
  }
  return name;
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
