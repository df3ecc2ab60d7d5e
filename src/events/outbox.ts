import type { Prisma } from '../db/generated/prisma/client.ts';
import { SqlParams } from '../db/sql.ts';
import { ADVISORY_LOCKS } from './config.ts';

export interface DomainEventInput {
  tenantId: string;
  /** e.g. ORDER_STATUS_CHANGED, SECTION_OPENED. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Prisma.InputJsonValue;
}

const [LOCK_A, LOCK_B] = ADVISORY_LOCKS.COMMIT_ORDER;

/**
 * Writes an event row in the caller's transaction, so the event exists exactly when the change it announces does
 * (a rolled-back change leaves no event). Publishing committed rows is the relay's job (src/events/relay.ts).
 *
 * Ordering promise: sequences become visible in increasing order. Before taking its sequence the transaction takes
 * a transaction-scoped advisory lock held until it commits or rolls back, so no transaction can commit sequence 11
 * while sequence 10 is still in flight; once a reader sees sequence n committed, every later commit has a larger
 * sequence. The relay and the `after` resume rely on this: "everything up to n" is a stable fact. The price is that
 * event-writing transactions serialise from their first event to their commit, so record events last in the
 * transaction (as `announce` does) and never wait for another transaction's row lock after recording one.
 *
 * One statement: the lock is taken in a CTE the INSERT reads from, so it is held before the row (and its sequence,
 * a column default evaluated per inserted row) exists. A round trip fewer per event-writing transaction than a
 * separate `SELECT pg_advisory_xact_lock` (issue 9).
 */
export async function recordDomainEvent(tx: Prisma.TransactionClient, event: DomainEventInput): Promise<bigint> {
  const params = new SqlParams();
  const [row] = await tx.$queryRawUnsafe<[{ sequence: bigint }]>(`WITH ${ORDERED_CTE} ${domainEventInsert(params, event)}`, ...params.values);
  return row!.sequence;
}

/**
 * The event row as SQL, for {@link recordDomainEvent} and for hand-written statements (src/db/sql.ts) that are their
 * own transaction: `ORDERED_CTE` takes the commit-order lock, and the INSERT reads from it (and from `from`, a CTE of
 * the statement that yields one row exactly when the change was written, so no change means no event).
 */
export const ORDERED_CTE = `ordered AS (SELECT pg_advisory_xact_lock(${LOCK_A}, ${LOCK_B}))`;

export function domainEventInsert(params: SqlParams, event: DomainEventInput, from?: string): string {
  return `INSERT INTO "DomainEvent" ("tenantId", type, "aggregateType", "aggregateId", payload, "createdAt")
    SELECT ${params.add(event.tenantId, 'uuid')}, ${params.add(event.type, 'text')}, ${params.add(event.aggregateType, 'text')},
      ${params.add(event.aggregateId, 'uuid')}, ${params.add(JSON.stringify(event.payload), 'jsonb')}, ${params.addTime(new Date())}
    FROM ordered${from ? `, ${from}` : ''}
    RETURNING sequence`;
}

/** An event as it travels over pub/sub: JSON-safe (the sequence as decimal digits, the time as ISO 8601). */
export interface PublishedEvent {
  sequence: string;
  tenantId: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

/** The row shape of "DomainEvent" as raw SQL and Prisma both return it. */
export interface DomainEventRow {
  sequence: bigint;
  tenantId: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: unknown;
  createdAt: Date;
}

export function toPublished(row: DomainEventRow): PublishedEvent {
  return {
    sequence: row.sequence.toString(),
    tenantId: row.tenantId,
    type: row.type,
    aggregateType: row.aggregateType,
    aggregateId: row.aggregateId,
    payload: (row.payload && typeof row.payload === 'object' ? row.payload : {}) as Record<string, unknown>,
    createdAt: (row.createdAt instanceof Date ? row.createdAt : new Date(row.createdAt)).toISOString(),
  };
}
