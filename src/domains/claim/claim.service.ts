import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import type { Claim, Guarantee, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import { checkUpload } from '../../files/sniff.ts';
import { sha256Hex } from '../../crypto/index.ts';
import type { UploadedFile } from '../order/order.service.ts';
import { Decimal, formatMoney, parseAmount } from '../catalog/money.ts';
import { lockGuarantee, transitionGuarantee, type ClaimGuard } from '../guarantee/guarantee-states.ts';
import { ACCOUNT_NUMBER } from '../common/formats.ts';

export const CLAIM_PROOF_MAX_BYTES = 50 * 1024 * 1024;
const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;

export interface FileClaimInput {
  guaranteeId: string;
  amount: string;
  payeeAccountName: string;
  payeeAccountNumber: string;
  payeeBank: string;
  contactName: string;
  contactPhone: string;
  reason: string;
  proof: UploadedFile | null;
}

/** The amount of a guarantee not yet paid out by approved claims. */
async function remainingOf(tx: Prisma.TransactionClient, guarantee: Guarantee): Promise<Decimal> {
  const paid = await tx.claim.aggregate({ where: { guaranteeId: guarantee.id, status: 'APPROVED' }, _sum: { approvedAmount: true } });
  return new Decimal(guarantee.amount).minus(paid._sum.approvedAmount ?? 0);
}

/**
 * A tenderee, or the agent that manages the section, files a claim (索赔) on a guarantee of its own section after the
 * bid opening: amount up to what remains, payee account, contact, reason and proof (pdf or zip up to 50 MB, checked by
 * content). The claim is a DRAFT until confirmed (the manual's two-step submit: 提交后将无法修改).
 */
export async function fileClaim(ctx: Context, input: FileClaimInput): Promise<Claim> {
  const viewer = ctx.viewer;
  if (!viewer) throw new UnauthenticatedError();
  if ((viewer.role !== 'TENDEREE' && viewer.role !== 'AGENT') || !viewer.enterpriseId) throw new ForbiddenError('Only the tenderee or its agent may claim');
  const tenant = ctx.requireTenant();
  if (!tenant.config.afterSale.claim) throw new AppError('CLAIM_NOT_OFFERED', `${tenant.name} does not take claims here`);
  const amount = parseAmount(input.amount, 'input.amount');
  for (const field of ['payeeAccountName', 'payeeBank', 'contactName', 'reason'] as const) {
    if (!input[field].trim()) throw new ValidationError(`input.${field}`, `${field} must not be empty`);
  }
  const payeeAccountNumber = input.payeeAccountNumber.replace(/\s/g, '');
  if (!ACCOUNT_NUMBER.test(payeeAccountNumber)) throw new ValidationError('input.payeeAccountNumber', 'A bank account number is 6 to 32 digits', 'ACCOUNT_NUMBER_MALFORMED');
  if (!PHONE.test(input.contactPhone)) throw new ValidationError('input.contactPhone', 'A phone is a mobile number or an area code and number', 'PHONE_MALFORMED');
  if (!input.proof) throw new ValidationError('input.proof', 'Attach the proof of the claim: pdf or zip up to 50 MB', 'PROOF_REQUIRED');
  const proofKind = checkUpload(input.proof.bytes, ['pdf', 'zip'], CLAIM_PROOF_MAX_BYTES, 'input.proof');

  return ctx.db.$transaction(async (tx) => {
    const guarantee = await lockGuarantee(tx, input.guaranteeId, tenant.id);
    // A guarantee of another section (or before opening) is not visible to the claimant: report it as not found. The
    // rule looks through the section, so it is checked in SQL rather than on the loaded row.
    const visible = guarantee && (await tx.guarantee.count({ where: { AND: [{ id: guarantee.id }, accessibleBy(ctx.ability, 'read').ofType('Guarantee')] } }));
    if (!guarantee || !visible) throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
    const section = await tx.bidSection.findUniqueOrThrow({ where: { id: guarantee.sectionId! } });
    const own = viewer.role === 'TENDEREE' ? section.tendereeId === viewer.enterpriseId : section.agentId === viewer.enterpriseId;
    if (!own) throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
    if (section.status !== 'OPENED' && section.openingAt.getTime() > Date.now()) {
      throw new AppError('CLAIM_BEFORE_OPENING', 'Claims may be filed only after the bid opening', 'input.guaranteeId');
    }
    if (!['EFFECTIVE', 'CLAIMING', 'CLAIM_PAID'].includes(guarantee.status)) {
      throw new AppError('ILLEGAL_TRANSITION', `A guarantee in state ${guarantee.status} cannot be claimed on`, 'input.guaranteeId', { currentStatus: guarantee.status });
    }
    const remaining = await remainingOf(tx, guarantee);
    if (amount.gt(remaining)) {
      throw new AppError('CLAIM_EXCEEDS_REMAINING', `At most ${formatMoney(remaining)} yuan remain under this guarantee`, 'input.amount', { remaining: formatMoney(remaining) });
    }
    const proof = await tx.storedFile.create({
      data: {
        tenantId: tenant.id,
        kind: 'CLAIM_PROOF',
        mimeType: proofKind === 'pdf' ? 'application/pdf' : 'application/zip',
        size: input.proof!.bytes.length,
        sha256: sha256Hex(input.proof!.bytes),
        content: new Uint8Array(input.proof!.bytes),
        ownerUserId: viewer.userId,
      },
    });
    const claim = await tx.claim.create({
      data: {
        tenantId: tenant.id,
        guaranteeId: guarantee.id,
        claimantId: viewer.enterpriseId!,
        claimantRole: viewer.role,
        filedByUserId: viewer.userId!,
        amount: formatMoney(amount),
        payeeAccountName: input.payeeAccountName.trim(),
        payeeAccountNumber,
        payeeBank: input.payeeBank.trim(),
        contactName: input.contactName.trim(),
        contactPhone: input.contactPhone,
        reason: input.reason.trim(),
        proofFileId: proof.id,
      },
    });
    await claimEvent(tx, claim, null, guarantee, section.tendereeId, section.agentId);
    return claim;
  });
}

/** The second step: the claimant confirms the draft; it can no longer be changed and goes to the institution. */
export async function confirmClaim(ctx: Context, claimId: string): Promise<Claim> {
  return withClaim(ctx, claimId, 'claimant', async (tx, claim, guarantee) => {
    if (claim.status !== 'DRAFT') throw new AppError('ILLEGAL_TRANSITION', `A claim in state ${claim.status} cannot be confirmed`, 'input.claimId', { currentStatus: claim.status });
    const remaining = await remainingOf(tx, guarantee);
    if (new Decimal(claim.amount).gt(remaining)) {
      throw new AppError('CLAIM_EXCEEDS_REMAINING', `At most ${formatMoney(remaining)} yuan remain under this guarantee`, 'input.claimId', { remaining: formatMoney(remaining) });
    }
    await transitionGuarantee(tx, guarantee, 'SUBMIT_CLAIM', { payload: { claimId: claim.id } });
    return moveClaim(tx, claim, 'SUBMITTED', guarantee, { submittedAt: new Date() });
  });
}

export type ClaimDecision = 'APPROVE_FULL' | 'APPROVE_PART' | 'REJECT';

/**
 * The institution decides a submitted claim: in full, in part (an amount), or rejected with a reason. Approvals never
 * pay out more than remains under the guarantee, even when two are decided at the same moment (the guarantee row is
 * locked). A payout of the whole amount voids the guarantee.
 */
export async function decideClaim(ctx: Context, input: { claimId: string; decision: ClaimDecision; amount?: string | null; reason?: string | null }): Promise<Claim> {
  if (!ctx.viewer) throw new UnauthenticatedError();
  if (ctx.viewer.role !== 'INSTITUTION' || !ctx.viewer.institutionId) throw new ForbiddenError('Only the institution decides claims');
  if (input.decision !== 'APPROVE_FULL' && !input.reason?.trim()) throw new ValidationError('input.reason', 'Say why the claim is reduced or refused', 'REASON_REQUIRED');
  const partial = input.decision === 'APPROVE_PART' ? parseAmount(input.amount ?? '', 'input.amount') : undefined;
  return withClaim(ctx, input.claimId, 'institution', async (tx, claim, guarantee) => {
    if (claim.status !== 'SUBMITTED') throw new AppError('ILLEGAL_TRANSITION', `A claim in state ${claim.status} cannot be decided`, 'input.claimId', { currentStatus: claim.status });
    let approvedAmount: Decimal | null = null;
    if (input.decision !== 'REJECT') {
      approvedAmount = partial ?? new Decimal(claim.amount);
      if (approvedAmount.gt(claim.amount)) throw new ValidationError('input.amount', 'A partial approval cannot exceed the amount claimed', 'CLAIM_AMOUNT_EXCEEDED');
      const remaining = await remainingOf(tx, guarantee);
      if (approvedAmount.gt(remaining)) {
        throw new AppError('CLAIM_EXCEEDS_REMAINING', `Only ${formatMoney(remaining)} yuan remain under this guarantee`, 'input.amount', { remaining: formatMoney(remaining) });
      }
    }
    const decided = await moveClaim(tx, claim, input.decision === 'REJECT' ? 'REJECTED' : 'APPROVED', guarantee, {
      approvedAmount: approvedAmount ? formatMoney(approvedAmount) : null,
      decisionReason: input.reason ?? null,
      decidedAt: new Date(),
    });
    const remaining = await remainingOf(tx, guarantee);
    const pending = await tx.claim.count({ where: { guaranteeId: guarantee.id, status: 'SUBMITTED' } });
    const paid = new Decimal(guarantee.amount).minus(remaining);
    const guard: ClaimGuard = remaining.lte(0) ? 'FULLY_PAID' : pending > 0 ? 'OTHER_CLAIMS_PENDING' : paid.gt(0) ? 'PARTLY_PAID' : 'NOTHING_PAID';
    await transitionGuarantee(tx, guarantee, 'SETTLE_CLAIM', { guard, payload: { claimId: claim.id } });
    return decided;
  });
}

async function moveClaim(tx: Prisma.TransactionClient, claim: Claim, to: Claim['status'], guarantee: Guarantee, data: Prisma.ClaimUpdateManyMutationInput): Promise<Claim> {
  const updated = await tx.claim.updateMany({ where: { id: claim.id, version: claim.version }, data: { ...data, status: to, version: { increment: 1 } } });
  if (updated.count !== 1) throw new AppError('CONCURRENT_UPDATE', 'The claim changed meanwhile; reload it and try again');
  const next = await tx.claim.findUniqueOrThrow({ where: { id: claim.id } });
  const section = await tx.bidSection.findUniqueOrThrow({ where: { id: guarantee.sectionId! } });
  await claimEvent(tx, next, claim.status, guarantee, section.tendereeId, section.agentId);
  return next;
}

async function claimEvent(tx: Prisma.TransactionClient, claim: Claim, from: string | null, guarantee: Guarantee, tendereeId: string, agentId: string | null) {
  await recordDomainEvent(tx, {
    tenantId: claim.tenantId,
    type: 'CLAIM_STATUS_CHANGED',
    aggregateType: 'Claim',
    aggregateId: claim.id,
    payload: { guaranteeId: guarantee.id, from, to: claim.status, bidderId: guarantee.bidderId, institutionId: guarantee.institutionId, tendereeId, agentId },
  });
}

/**
 * Locks the claim's guarantee (every claim decision on one guarantee is serialized there), loads the claim and checks
 * the viewer's side: the claimant for its own claims, the institution for claims on its guarantees.
 */
async function withClaim<T>(
  ctx: Context,
  claimId: string,
  side: 'claimant' | 'institution',
  work: (tx: Prisma.TransactionClient, claim: Claim, guarantee: Guarantee) => Promise<T>,
): Promise<T> {
  const tenant = ctx.requireTenant();
  const viewer = ctx.viewer!;
  if (side === 'claimant' && ((viewer.role !== 'TENDEREE' && viewer.role !== 'AGENT') || !viewer.enterpriseId)) {
    throw new ForbiddenError('Only the claimant confirms its claim');
  }
  const found = await ctx.db.claim.findFirst({ where: { AND: [{ id: claimId, tenantId: tenant.id }, accessibleBy(ctx.ability, 'read').ofType('Claim')] } });
  if (!found) throw new NotFoundError('Claim', 'input.claimId', 'CLAIM_NOT_FOUND');
  return ctx.db.$transaction(async (tx) => {
    const guarantee = (await lockGuarantee(tx, found.guaranteeId, tenant.id))!;
    const claim = await tx.claim.findUniqueOrThrow({ where: { id: claimId } });
    const mine = side === 'claimant' ? claim.claimantId === viewer.enterpriseId : guarantee.institutionId === viewer.institutionId;
    if (!mine) throw new ForbiddenError();
    return work(tx, claim, guarantee);
  });
}
