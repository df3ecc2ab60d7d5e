import { subject } from '@casl/ability';
import type { Context } from '../../context.ts';
import type { Cancellation } from '../../db/generated/prisma/client.ts';
import { sha256Hex } from '../../crypto/index.ts';
import { AppError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import { checkUpload } from '../../files/sniff.ts';
import { lockGuarantee, transitionGuarantee } from '../guarantee/guarantee-states.ts';
import { requireRole, type UploadedFile } from '../order/order.service.ts';

export const CANCELLATION_PROOF_MAX_BYTES = 20 * 1024 * 1024;

/**
 * The bidder asks to void (注销) an EFFECTIVE guarantee after the bid opening, with proof (Hunan 5.3.4). Where the
 * tenant offers it at all, and never for the institution kinds it excludes (Hunan: insurers).
 */
export async function requestCancellation(ctx: Context, input: { guaranteeId: string; reason: string; proof: UploadedFile | null }): Promise<Cancellation> {
  const viewer = requireRole(ctx, 'BIDDER', 'Only the bidder asks to cancel its guarantee');
  const tenant = ctx.requireTenant();
  const reason = input.reason.trim();
  if (!reason) throw new ValidationError('input.reason', 'Say why the guarantee should be cancelled');
  if (!input.proof) throw new ValidationError('input.proof', 'Attach the proof (pdf, jpg, png or zip up to 20 MB)', 'PROOF_REQUIRED');
  const kind = checkUpload(input.proof.bytes, ['pdf', 'jpeg', 'png', 'zip'], CANCELLATION_PROOF_MAX_BYTES, 'input.proof');
  return ctx.db.$transaction(async (tx) => {
    const guarantee = await lockGuarantee(tx, input.guaranteeId, tenant.id);
    if (!guarantee || !ctx.ability.can('read', subject('Guarantee', guarantee)) || guarantee.bidderId !== viewer.enterpriseId) {
      throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
    }
    const institution = await tx.institution.findUniqueOrThrow({ where: { id: guarantee.institutionId } });
    if (!tenant.config.afterSale.cancellation || tenant.config.afterSale.cancellationExcludedKinds.includes(institution.kind)) {
      throw new AppError(
        'CANCELLATION_NOT_ALLOWED',
        tenant.config.afterSale.cancellation ? `Guarantees of ${institution.kind.toLowerCase()}s cannot be cancelled here` : `${tenant.name} does not cancel guarantees`,
        'input.guaranteeId',
      );
    }
    const section = await tx.bidSection.findUniqueOrThrow({ where: { id: guarantee.sectionId! } });
    if (section.status !== 'OPENED' && section.openingAt.getTime() > Date.now()) {
      throw new AppError('CANCELLATION_BEFORE_OPENING', 'A guarantee can be cancelled only after the bid opening', 'input.guaranteeId');
    }
    await transitionGuarantee(tx, guarantee, 'REQUEST_CANCELLATION', { field: 'input.guaranteeId' });
    const proof = await tx.storedFile.create({
      data: {
        tenantId: tenant.id,
        kind: 'CANCELLATION_PROOF',
        mimeType: { pdf: 'application/pdf', jpeg: 'image/jpeg', png: 'image/png', zip: 'application/zip' }[kind],
        size: input.proof!.bytes.length,
        sha256: sha256Hex(input.proof!.bytes),
        content: new Uint8Array(input.proof!.bytes),
        ownerUserId: viewer.userId,
      },
    });
    const cancellation = await tx.cancellation.create({ data: { tenantId: tenant.id, guaranteeId: guarantee.id, reason, proofFileId: proof.id } });
    await recordDomainEvent(tx, {
      tenantId: tenant.id,
      type: 'CANCELLATION_REQUESTED',
      aggregateType: 'Cancellation',
      aggregateId: cancellation.id,
      payload: { guaranteeId: guarantee.id, bidderId: guarantee.bidderId, institutionId: guarantee.institutionId },
    });
    return cancellation;
  });
}

/** The institution approves (the guarantee becomes VOID) or rejects with a reason (EFFECTIVE again). */
export async function decideCancellation(ctx: Context, input: { cancellationId: string; approve: boolean; reason?: string | null }): Promise<Cancellation> {
  const viewer = requireRole(ctx, 'INSTITUTION', 'Only the institution decides cancellations');
  const tenant = ctx.requireTenant();
  if (!input.approve && !input.reason?.trim()) throw new ValidationError('input.reason', 'Say why the cancellation is refused', 'REASON_REQUIRED');
  const found = await ctx.db.cancellation.findFirst({ where: { id: input.cancellationId, tenantId: tenant.id }, include: { guarantee: true } });
  if (!found || found.guarantee.institutionId !== viewer.institutionId) throw new NotFoundError('Cancellation', 'input.cancellationId', 'CANCELLATION_NOT_FOUND');
  return ctx.db.$transaction(async (tx) => {
    const guarantee = (await lockGuarantee(tx, found.guaranteeId, tenant.id))!;
    const updated = await tx.cancellation.updateMany({
      where: { id: found.id, status: 'PENDING' },
      data: { status: input.approve ? 'APPROVED' : 'REJECTED', decisionReason: input.reason ?? null, decidedAt: new Date() },
    });
    if (updated.count !== 1) throw new AppError('ILLEGAL_TRANSITION', `A cancellation in state ${found.status} cannot be decided`, 'input.cancellationId', { currentStatus: found.status });
    await transitionGuarantee(tx, guarantee, input.approve ? 'APPROVE_CANCELLATION' : 'REJECT_CANCELLATION');
    return tx.cancellation.findUniqueOrThrow({ where: { id: found.id } });
  });
}
