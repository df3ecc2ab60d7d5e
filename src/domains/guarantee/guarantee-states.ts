import type { Guarantee, GuaranteeStatus, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';

/** What can happen to an issued guarantee (DESIGN.md 5.2). */
export type GuaranteeAction =
  | 'REQUEST_REFUND'
  | 'REJECT_REFUND'
  | 'COMPLETE_REFUND'
  | 'REQUEST_CANCELLATION'
  | 'REJECT_CANCELLATION'
  | 'APPROVE_CANCELLATION'
  | 'SUBMIT_CLAIM'
  | 'SETTLE_CLAIM'
  | 'EXPIRE';

/** After a claim is decided: what remains of the guarantee and of the other claims decides where it goes. */
export type ClaimGuard = 'FULLY_PAID' | 'OTHER_CLAIMS_PENDING' | 'PARTLY_PAID' | 'NOTHING_PAID';

export interface GuaranteeTransition {
  from: readonly GuaranteeStatus[];
  action: GuaranteeAction;
  to: GuaranteeStatus;
  guard?: ClaimGuard;
}

/** Every legal move of a guarantee, and nothing else. */
export const GUARANTEE_TRANSITIONS: readonly GuaranteeTransition[] = [
  { from: ['EFFECTIVE'], action: 'REQUEST_REFUND', to: 'REFUNDING' },
  { from: ['REFUNDING'], action: 'REJECT_REFUND', to: 'EFFECTIVE' },
  { from: ['REFUNDING'], action: 'COMPLETE_REFUND', to: 'REFUNDED' },
  { from: ['EFFECTIVE'], action: 'REQUEST_CANCELLATION', to: 'CANCELLING' },
  { from: ['CANCELLING'], action: 'REJECT_CANCELLATION', to: 'EFFECTIVE' },
  { from: ['CANCELLING'], action: 'APPROVE_CANCELLATION', to: 'VOID' },
  { from: ['EFFECTIVE', 'CLAIMING', 'CLAIM_PAID'], action: 'SUBMIT_CLAIM', to: 'CLAIMING' },
  { from: ['CLAIMING'], action: 'SETTLE_CLAIM', to: 'VOID', guard: 'FULLY_PAID' },
  { from: ['CLAIMING'], action: 'SETTLE_CLAIM', to: 'CLAIMING', guard: 'OTHER_CLAIMS_PENDING' },
  { from: ['CLAIMING'], action: 'SETTLE_CLAIM', to: 'CLAIM_PAID', guard: 'PARTLY_PAID' },
  { from: ['CLAIMING'], action: 'SETTLE_CLAIM', to: 'EFFECTIVE', guard: 'NOTHING_PAID' },
  { from: ['EFFECTIVE', 'CLAIM_PAID'], action: 'EXPIRE', to: 'EXPIRED' },
];

export class IllegalGuaranteeTransitionError extends AppError {
  override name = 'IllegalGuaranteeTransitionError';
  constructor(status: GuaranteeStatus, action: GuaranteeAction, field?: string) {
    super('ILLEGAL_TRANSITION', `A guarantee in state ${status} cannot ${action.toLowerCase().replace(/_/g, ' ')}`, field, { currentStatus: status, action });
  }
}

export function findGuaranteeTransition(status: GuaranteeStatus, action: GuaranteeAction, guard?: ClaimGuard, field?: string): GuaranteeTransition {
  const row = GUARANTEE_TRANSITIONS.find((t) => t.action === action && t.from.includes(status) && (t.guard === undefined || t.guard === guard));
  if (!row) throw new IllegalGuaranteeTransitionError(status, action, field);
  return row;
}

/**
 * Moves a guarantee along one row of the table inside the caller's transaction, with an optimistic version check
 * and an outbox event. Returns the updated row.
 */
export async function transitionGuarantee(
  tx: Prisma.TransactionClient,
  guarantee: Guarantee,
  action: GuaranteeAction,
  options: { guard?: ClaimGuard; field?: string; data?: Prisma.GuaranteeUpdateManyMutationInput; payload?: Record<string, string | number | boolean | null> } = {},
): Promise<Guarantee> {
  const transition = findGuaranteeTransition(guarantee.status, action, options.guard, options.field);
  const updated = await tx.guarantee.updateMany({
    where: { id: guarantee.id, version: guarantee.version },
    data: { ...options.data, status: transition.to, version: { increment: 1 } },
  });
  if (updated.count !== 1) throw new AppError('CONCURRENT_UPDATE', 'The guarantee changed meanwhile; reload it and try again');
  await recordDomainEvent(tx, {
    tenantId: guarantee.tenantId,
    type: 'GUARANTEE_STATUS_CHANGED',
    aggregateType: 'Guarantee',
    aggregateId: guarantee.id,
    payload: { number: guarantee.number, action, from: guarantee.status, to: transition.to, bidderId: guarantee.bidderId, institutionId: guarantee.institutionId, ...options.payload },
  });
  return tx.guarantee.findUniqueOrThrow({ where: { id: guarantee.id } });
}

/** Locks the guarantee's row for the rest of the transaction and reads it. */
export async function lockGuarantee(tx: Prisma.TransactionClient, id: string, tenantId: string): Promise<Guarantee | null> {
  await tx.$queryRaw`SELECT id FROM "Guarantee" WHERE id = ${id}::uuid AND "tenantId" = ${tenantId}::uuid FOR UPDATE`;
  return tx.guarantee.findFirst({ where: { id, tenantId } });
}
