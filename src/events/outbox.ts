import type { Prisma } from '../db/generated/prisma/client.ts';

export interface DomainEventInput {
  tenantId: string;
  /** e.g. ORDER_STATUS_CHANGED, SECTION_OPENED. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Prisma.InputJsonValue;
}

/**
 * Writes an event row in the caller's transaction, so the event exists exactly when the change it announces does
 * (a rolled-back change leaves no event). Publishing committed rows is the relay's job.
 */
export async function recordDomainEvent(tx: Prisma.TransactionClient, event: DomainEventInput): Promise<bigint> {
  const row = await tx.domainEvent.create({ data: event, select: { sequence: true } });
  return row.sequence;
}
