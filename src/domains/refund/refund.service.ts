import { randomInt, timingSafeEqual } from 'node:crypto';
import { subject } from '@casl/ability';
import type { Context } from '../../context.ts';
import type { BidSection, Guarantee, Prisma, Refund, RefundStatus } from '../../db/generated/prisma/client.ts';
import { AppError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import type { RefundReason } from '../../tenants/tenant-file.ts';
import { lockGuarantee, transitionGuarantee } from '../guarantee/guarantee-states.ts';
import { requireRole } from '../order/order.service.ts';
import { evaluateRefund, type RefundDecision } from './refund-policy.ts';
import { ACCOUNT_NUMBER, MOBILE } from '../common/formats.ts';

const CODE_TTL_MS = 5 * 60_000;
const CODE_MAX_TRIES = 5;

/** The tenant's rules do not allow this refund; `rule` is the code of the rule that decided (the `otherwise` one). */
export class RefundNotAllowedError extends AppError {
  override name = 'RefundNotAllowedError';
  constructor(readonly rule: string, description: string) {
    super('REFUND_NOT_ALLOWED', description, 'input.reason', { rule });
  }
}

export type RefundAction = 'SUBMIT' | 'CONFIRM_ACCOUNT' | 'REVIEW' | 'APPROVE' | 'REJECT' | 'PAY_OUT';

/** Every legal move of a refund, with the timeline label the manuals show (提交退保 → 退保审核 → 退保完成). */
export const REFUND_TRANSITIONS: ReadonlyArray<{ from: readonly RefundStatus[]; action: RefundAction; to: RefundStatus; label: string }> = [
  { from: ['AWAITING_ACCOUNT'], action: 'CONFIRM_ACCOUNT', to: 'SUBMITTED', label: '确认退费账户' },
  { from: ['SUBMITTED'], action: 'REVIEW', to: 'UNDER_REVIEW', label: '退保审核' },
  { from: ['SUBMITTED', 'UNDER_REVIEW'], action: 'APPROVE', to: 'APPROVED', label: '退保审核通过' },
  { from: ['AWAITING_ACCOUNT', 'SUBMITTED', 'UNDER_REVIEW'], action: 'REJECT', to: 'REJECTED', label: '退保申请被拒绝' },
  { from: ['APPROVED'], action: 'PAY_OUT', to: 'PAID_OUT', label: '退保完成' },
];

/** What the refund rules read of a guarantee's section: whether bids have been opened. */
export type RefundSection = Pick<BidSection, 'status' | 'openingAt'>;

/**
 * Whether a refund may be asked for now, and if not, the rule that says so (the GraphQL `refundability`), given the
 * guarantee's section as loaded with it (null when it has none).
 */
export function refundDecision(ctx: Context, guarantee: Pick<Guarantee, 'tenantId' | 'status'>, section: RefundSection | null, reason?: RefundReason): RefundDecision {
  const tenant = ctx.tenants.byId(guarantee.tenantId)!;
  if (!section) return { allowed: false, ruleCode: tenant.config.refunds.otherwise.code, description: tenant.config.refunds.otherwise.description };
  const opened = section.status === 'OPENED' || section.openingAt.getTime() <= Date.now();
  return evaluateRefund(tenant.config.refunds, { guaranteeStatus: guarantee.status, opened, sectionStatus: section.status, reason });
}

/** {@link refundDecision}, reading the guarantee's section (inside the refund's transaction when `db` is one). */
export async function refundability(
  ctx: Context,
  guarantee: Guarantee,
  reason?: RefundReason,
  db: Prisma.TransactionClient = ctx.db,
): Promise<RefundDecision> {
  const section = guarantee.sectionId ? await db.bidSection.findUnique({ where: { id: guarantee.sectionId }, select: { status: true, openingAt: true } }) : null;
  return refundDecision(ctx, guarantee, section, reason);
}

/**
 * The bidder asks to surrender its guarantee with a reason and an explanation. The tenant's rules decide; a refusal
 * names the rule (REFUND_NOT_ALLOWED, `details.rule`). Where the rule asks for it, the refund waits for the bidder to
 * confirm its refund account (AWAITING_ACCOUNT); otherwise it goes to the institution (SUBMITTED).
 */
export async function requestRefund(ctx: Context, input: { guaranteeId: string; reason: RefundReason; explanation: string }): Promise<Refund> {
  const viewer = requireRole(ctx, 'BIDDER', 'Only the bidder may surrender its guarantee');
  const tenant = ctx.requireTenant();
  const explanation = input.explanation.trim();
  if (!explanation) throw new ValidationError('input.explanation', 'Explain the refund (退保说明)');
  if (explanation.length > 1000) throw new ValidationError('input.explanation', 'The explanation is at most 1000 characters');
  const refund = await ctx.db.$transaction(async (tx) => {
    const guarantee = await lockGuarantee(tx, input.guaranteeId, tenant.id);
    if (!guarantee || !ctx.ability.can('read', subject('Guarantee', guarantee)) || guarantee.bidderId !== viewer.enterpriseId) {
      throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
    }
    const decision = await refundability(ctx, guarantee, input.reason, tx);
    if (!decision.allowed) throw new RefundNotAllowedError(decision.ruleCode, decision.description);
    await transitionGuarantee(tx, guarantee, 'REQUEST_REFUND');
    const status: RefundStatus = decision.accountConfirmation ? 'AWAITING_ACCOUNT' : 'SUBMITTED';
    const created = await tx.refund.create({
      data: {
        tenantId: tenant.id,
        guaranteeId: guarantee.id,
        bidderId: guarantee.bidderId!,
        institutionId: guarantee.institutionId,
        reason: input.reason,
        explanation,
        ruleCode: decision.ruleCode,
        status,
        amount: guarantee.premium,
      },
    });
    await refundEvent(tx, created, null, status, '提交退保', { type: 'BIDDER', userId: viewer.userId });
    return created;
  });
  return refund;
}

/** Sends the code that confirms the refund account to the given mobile (5 minutes, one per minute). */
export async function requestRefundAccountCode(ctx: Context, input: { refundId: string; mobile: string }): Promise<{ expiresInSeconds: number }> {
  requireRole(ctx, 'BIDDER', 'Only the bidder confirms its refund account');
  if (!MOBILE.test(input.mobile)) throw new ValidationError('input.mobile', 'A mobile number is 11 digits starting with 1', 'MOBILE_MALFORMED');
  const tenant = ctx.requireTenant();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await withRefund(ctx, input.refundId, async (tx, refund) => {
    if (refund.status !== 'AWAITING_ACCOUNT') throw illegal(refund.status, 'CONFIRM_ACCOUNT');
    if (refund.accountCodeExpires && refund.accountCodeExpires.getTime() - CODE_TTL_MS > Date.now() - 60_000) {
      throw new AppError('RATE_LIMITED', 'Wait a minute before asking for another code', 'input.mobile', { retryAfterSeconds: 60 });
    }
    await tx.refund.update({
      where: { id: refund.id },
      data: { accountMobile: input.mobile, accountCodeHash: ctx.identity.hashSmsCode(tenant.id, input.mobile, code), accountCodeExpires: new Date(Date.now() + CODE_TTL_MS), accountCodeTries: 0 },
    });
  });
  await ctx.identity.smsSender.send({
    tenantId: tenant.id,
    mobile: input.mobile,
    purpose: 'REFUND_ACCOUNT_CODE',
    text: `【${tenant.config.shortName ?? tenant.name}】您正在确认退费账户，验证码 ${code}，5 分钟内有效。`,
  });
  return { expiresInSeconds: CODE_TTL_MS / 1000 };
}

/** The bidder confirms the account the premium is returned to (name, number, bank) with the code sent by SMS. */
export async function confirmRefundAccount(
  ctx: Context,
  input: { refundId: string; accountName: string; accountNumber: string; bank: string; code: string },
): Promise<Refund> {
  const viewer = requireRole(ctx, 'BIDDER', 'Only the bidder confirms its refund account');
  const tenant = ctx.requireTenant();
  const accountNumber = input.accountNumber.replace(/\s/g, '');
  if (!input.accountName.trim()) throw new ValidationError('input.accountName', 'The account name must not be empty');
  if (!ACCOUNT_NUMBER.test(accountNumber)) throw new ValidationError('input.accountNumber', 'A bank account number is 6 to 32 digits', 'ACCOUNT_NUMBER_MALFORMED');
  if (!input.bank.trim()) throw new ValidationError('input.bank', 'The bank must not be empty');
  // The code is checked before the transaction, so a wrong try is counted even though the confirmation is refused.
  const current = await ctx.db.refund.findFirst({ where: { id: input.refundId, tenantId: tenant.id } });
  if (!current || !ctx.ability.can('update', subject('Refund', current))) throw new NotFoundError('Refund', 'input.refundId', 'REFUND_NOT_FOUND');
  if (current.status !== 'AWAITING_ACCOUNT') throw illegal(current.status, 'CONFIRM_ACCOUNT');
  const valid =
    current.accountCodeHash !== null &&
    current.accountMobile !== null &&
    current.accountCodeExpires !== null &&
    current.accountCodeExpires.getTime() > Date.now() &&
    current.accountCodeTries < CODE_MAX_TRIES &&
    /^\d{6}$/.test(input.code) &&
    timingSafeEqual(Buffer.from(ctx.identity.hashSmsCode(tenant.id, current.accountMobile, input.code), 'hex'), Buffer.from(current.accountCodeHash, 'hex'));
  if (!valid) {
    await ctx.db.refund.update({ where: { id: current.id }, data: { accountCodeTries: { increment: 1 } } });
    throw new AppError('SMS_CODE_INVALID', 'The code is wrong or expired; ask for a new one', 'input.code');
  }
  return withRefund(ctx, input.refundId, async (tx, refund) => {
    if (refund.accountCodeHash !== current.accountCodeHash) throw new AppError('SMS_CODE_INVALID', 'The code was replaced; use the newest one', 'input.code');
    return moveRefund(tx, refund, 'CONFIRM_ACCOUNT', { type: 'BIDDER', userId: viewer.userId }, {
      data: { accountName: input.accountName.trim(), accountNumber, accountBank: input.bank.trim(), accountConfirmedAt: new Date(), accountCodeHash: null },
    });
  });
}

/**
 * The institution's decision: REVIEW (take it up), APPROVE or REJECT (with a reason; the guarantee is EFFECTIVE again
 * and, where the tenant says so, the bidder is told by SMS).
 */
export async function decideRefund(ctx: Context, input: { refundId: string; decision: 'REVIEW' | 'APPROVE' | 'REJECT'; reason?: string | null }): Promise<Refund> {
  const viewer = requireRole(ctx, 'INSTITUTION', 'Only the institution decides refunds');
  const tenant = ctx.requireTenant();
  if (input.decision === 'REJECT' && !input.reason?.trim()) throw new ValidationError('input.reason', 'Say why the refund is refused', 'REASON_REQUIRED');
  let notify: { mobile: string; text: string } | undefined;
  const refund = await withRefund(ctx, input.refundId, async (tx, refund) => {
    const moved = await moveRefund(tx, refund, input.decision, { type: 'INSTITUTION', userId: viewer.userId }, {
      reason: input.reason ?? null,
      data: input.decision === 'REVIEW' ? {} : { decidedAt: new Date(), decisionReason: input.reason ?? null },
    });
    if (input.decision === 'REJECT') {
      const guarantee = (await lockGuarantee(tx, refund.guaranteeId, tenant.id))!;
      await transitionGuarantee(tx, guarantee, 'REJECT_REFUND');
      if (tenant.config.refunds.notifyRejectionBySms) {
        const applicant = await tx.guaranteeOrder.findFirst({ where: { guarantee: { id: guarantee.id } }, select: { handlerMobile: true } });
        if (applicant) notify = { mobile: applicant.handlerMobile, text: `【${tenant.config.shortName ?? tenant.name}】您的保函 ${guarantee.number} 退保申请未通过：${input.reason}。保函恢复生效中。` };
      }
    }
    return moved;
  });
  if (notify) await ctx.identity.smsSender.send({ tenantId: tenant.id, mobile: notify.mobile, purpose: 'REFUND_REJECTED', text: notify.text });
  return refund;
}

/** The institution has paid the premium back: the refund is complete (退保完成) and the guarantee REFUNDED. */
export async function completeRefund(ctx: Context, input: { refundId: string; refundNumber: string }): Promise<Refund> {
  const viewer = requireRole(ctx, 'INSTITUTION', 'Only the institution pays refunds out');
  const tenant = ctx.requireTenant();
  const refundNumber = input.refundNumber.trim();
  if (!/^[A-Za-z0-9-]{4,40}$/.test(refundNumber)) throw new ValidationError('input.refundNumber', 'A refund number is 4 to 40 letters, digits or hyphens');
  return withRefund(ctx, input.refundId, async (tx, refund) => {
    const moved = await moveRefund(tx, refund, 'PAY_OUT', { type: 'INSTITUTION', userId: viewer.userId }, { data: { refundNumber, paidOutAt: new Date() } });
    const guarantee = (await lockGuarantee(tx, refund.guaranteeId, tenant.id))!;
    await transitionGuarantee(tx, guarantee, 'COMPLETE_REFUND');
    return moved;
  });
}

function illegal(status: RefundStatus, action: RefundAction) {
  return new AppError('ILLEGAL_TRANSITION', `A refund in state ${status} cannot ${action.toLowerCase().replace(/_/g, ' ')}`, undefined, { currentStatus: status, action });
}

async function moveRefund(
  tx: Prisma.TransactionClient,
  refund: Refund,
  action: RefundAction,
  actor: { type: string; userId: string | null },
  options: { data?: Prisma.RefundUpdateManyMutationInput; reason?: string | null } = {},
): Promise<Refund> {
  const row = REFUND_TRANSITIONS.find((t) => t.action === action && t.from.includes(refund.status));
  if (!row) throw illegal(refund.status, action);
  const updated = await tx.refund.updateMany({ where: { id: refund.id, version: refund.version }, data: { ...options.data, status: row.to, version: { increment: 1 } } });
  if (updated.count !== 1) throw new AppError('CONCURRENT_UPDATE', 'The refund changed meanwhile; reload it and try again');
  const next = await tx.refund.findUniqueOrThrow({ where: { id: refund.id } });
  await refundEvent(tx, next, refund.status, row.to, row.label, actor, options.reason ?? null);
  return next;
}

async function refundEvent(
  tx: Prisma.TransactionClient,
  refund: Refund,
  from: RefundStatus | null,
  to: RefundStatus,
  label: string,
  actor: { type: string; userId: string | null },
  reason: string | null = null,
) {
  await tx.refundEvent.create({
    data: { tenantId: refund.tenantId, refundId: refund.id, fromStatus: from, toStatus: to, label, actorType: actor.type, actorUserId: actor.userId, reason },
  });
  await recordDomainEvent(tx, {
    tenantId: refund.tenantId,
    type: 'REFUND_STATUS_CHANGED',
    aggregateType: 'Refund',
    aggregateId: refund.id,
    payload: { guaranteeId: refund.guaranteeId, from, to, bidderId: refund.bidderId, institutionId: refund.institutionId },
  });
}

/** Locks the refund row, checks the viewer may act on it (others' refunds are not found), and runs `work`. */
async function withRefund<T>(ctx: Context, refundId: string, work: (tx: Prisma.TransactionClient, refund: Refund) => Promise<T>): Promise<T> {
  const tenant = ctx.requireTenant();
  return ctx.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Refund" WHERE id = ${refundId}::uuid AND "tenantId" = ${tenant.id}::uuid FOR UPDATE`;
    const refund = await tx.refund.findFirst({ where: { id: refundId, tenantId: tenant.id } });
    if (!refund || !ctx.ability.can('update', subject('Refund', refund))) throw new NotFoundError('Refund', 'input.refundId', 'REFUND_NOT_FOUND');
    return work(tx, refund);
  });
}
