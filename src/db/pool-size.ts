import { availableParallelism } from 'node:os';

/**
 * Connections per instance to PostgreSQL when `DATABASE_POOL_SIZE` is unset: Prisma's rule for its own pool, twice
 * the CPUs plus one (here the CPUs node may use), at most node-postgres's 10, the default before. A fixed 10 was
 * measured on a 2-core machine shared with PostgreSQL to double the creation p99 at half load against 5 (README,
 * issue 9); the cap keeps a large machine from opening more than before (ten instances of 10 already fill
 * PostgreSQL's default `max_connections`).
 */
export const DEFAULT_POOL_SIZE = Math.min(availableParallelism() * 2 + 1, 10);

/**
 * `DATABASE_POOL_SIZE`: the connections one instance keeps to PostgreSQL (default {@link DEFAULT_POOL_SIZE}), a whole
 * number from 1 to 1000; an Error naming the variable otherwise.
 */
export function parsePoolSize(value: string | undefined): number | undefined | Error {
  if (value === undefined || value.trim() === '') return undefined;
  const size = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(size) || size < 1 || size > 1000) {
    return new Error(`DATABASE_POOL_SIZE must be a whole number from 1 to 1000, got "${value}"`);
  }
  return size;
}

/** `DATABASE_POOL_SIZE` read as {@link parsePoolSize} reads it, the default where unset; throws where invalid. */
export function poolSizeFrom(value: string | undefined): number {
  const size = parsePoolSize(value);
  if (size instanceof Error) throw size;
  return size ?? DEFAULT_POOL_SIZE;
}
