/**
 * The database `npm start` opens, from the environment: `DATABASE_URL`'s PostgreSQL with `DATABASE_POOL_SIZE`
 * connections, or the embedded PGlite in `DATA_DIR`. No module with side effects is imported here, so the bench's
 * hand-written reference can read the pool size as the server does.
 */
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import type { DatabaseTarget } from './database.ts';

/**
 * Connections per instance to PostgreSQL when `DATABASE_POOL_SIZE` is unset: Prisma's rule for its own pool, twice
 * the CPUs plus one (here the CPUs node may use), at most node-postgres's 10, the default before. A fixed 10 was
 * measured on a 2-core machine shared with PostgreSQL to double the creation p99 at half load against 5 (README,
 * issue 9); the cap keeps a large machine from opening more than before (ten instances of 10 already fill
 * PostgreSQL's default `max_connections`).
 */
export const DEFAULT_POOL_SIZE = Math.min(availableParallelism() * 2 + 1, 10);

/**
 * `DATABASE_POOL_SIZE`: a whole number from 1 to 1000, or {@link DEFAULT_POOL_SIZE} where unset or empty.
 * @throws Error naming the variable and the value, for anything else
 */
export function poolSizeFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_POOL_SIZE;
  const size = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || size < 1 || size > 1000) {
    throw new Error(`DATABASE_POOL_SIZE must be a whole number from 1 to 1000, got "${value}"`);
  }
  return size;
}

/** @throws Error as {@link poolSizeFrom}, with or without `DATABASE_URL` (a typo is reported before it matters) */
export function databaseTargetFromEnv(env: Record<string, string | undefined>): Exclude<DatabaseTarget, { instance: unknown }> {
  const poolSize = poolSizeFrom(env.DATABASE_POOL_SIZE);
  if (env.DATABASE_URL) return { kind: 'postgres', url: env.DATABASE_URL, poolSize };
  return { kind: 'pglite', dataDir: resolve(env.DATA_DIR || './data', 'pglite') };
}
