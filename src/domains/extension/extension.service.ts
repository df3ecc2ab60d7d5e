import { subject } from '@casl/ability';
import type { Context } from '../../context.ts';
import type { DecisionStatus, Extension, Guarantee, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import { lockGuarantee } from '../guarantee/guarantee-states.ts';
import { requireRole } from '../order/order.service.ts';
import { UUID } from '../common/formats.ts';

const REASON_MAX_LENGTH = 500;

/** Why an extension may not be asked for: the tenant has none, the section never changed, or the guarantee is not effective. */
export type ExtensionRefusal = 'NOT_OFFERED' | 'NO_SECTION_CHANGE' | 'GUARANTEE_NOT_EFFECTIVE';

/** EXTENSION_NOT_ALLOWED, with the rule that refuses it in `reason`. */
export class ExtensionNotAllowedError extends AppError {
  override name = 'ExtensionNotAllowedError';
  constructor(
    readonly reason: ExtensionRefusal,
    message: string,
  ) {
    super('EXTENSION_NOT_ALLOWED', message, 'input.guaranteeId', { reason });
  }
}

export type ExtensionAction = 'APPROVE' | 'REJECT';

/** Every legal move of an extension: a pending request is approved or rejected, once. */
export const EXTENSION_TRANSITIONS: ReadonlyArray<{ from: DecisionStatus; action: ExtensionAction; to: DecisionStatus }> = [
  { from: 'PENDING', action: 'APPROVE', to: 'APPROVED' },
  { from: 'PENDING', action: 'REJECT', to: 'REJECTED' },
];

export interface RequestExtensionInput {
  guaranteeId: string;
  newValidUntil: Date;
  reason: string;
}

/**
 * The bidder asks to move its EFFECTIVE guarantee's validity end after its section changed (Hunan 5.3.2: "支付成功之后
 * 项目发生变更"): the section must have a CHANGED event recorded after the guarantee was issued (a change before
 * issuance is already in the letter). The new end must be after the current one and after the section's (possibly
 * moved) opening time. One PENDING extension per guarantee (EXTENSION_PENDING).
 */
export async function requestExtension(ctx: Context, input: RequestExtensionInput): Promise<Extension> {
  const viewer = requireRole(ctx, 'BIDDER', 'Only the bidder asks for an extension');
  const tenant = ctx.requireTenant();
  const reason = input.reason.trim();
  if (!reason) throw new ValidationError('input.reason', 'Say why the validity should be extended', 'REASON_REQUIRED');
  if ([...reason].length > REASON_MAX_LENGTH) throw new ValidationError('input.reason', `A reason is at most ${REASON_MAX_LENGTH} characters`);
  if (!UUID.test(input.guaranteeId)) throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
  return ctx.db.$transaction(async (tx) => {
    const guarantee = await lockGuarantee(tx, input.guaranteeId, tenant.id);
    if (!guarantee || !ctx.ability.can('read', subject('Guarantee', guarantee))) throw new NotFoundError('Guarantee', 'input.guaranteeId', 'GUARANTEE_NOT_FOUND');
    if (!ctx.ability.can('create', subject('Extension', { tenantId: tenant.id, guarantee } as Extension & { guarantee: Guarantee }))) throw new ForbiddenError();
    if (!tenant.config.afterSale.extension) throw new ExtensionNotAllowedError('NOT_OFFERED', `${tenant.name} does not offer extensions`);
    if (guarantee.status !== 'EFFECTIVE') {
      throw new ExtensionNotAllowedError('GUARANTEE_NOT_EFFECTIVE', `Only an effective guarantee can be extended; this one is ${guarantee.status}`);
    }
    const section = guarantee.sectionId ? await tx.bidSection.findUnique({ where: { id: guarantee.sectionId } }) : null;
    const change = section
      ? await tx.sectionEvent.findFirst({ where: { sectionId: section.id, kind: 'CHANGED', createdAt: { gte: guarantee.issuedAt } }, orderBy: { createdAt: 'desc' } })
      : null;
    if (!section || !change) {
      throw new ExtensionNotAllowedError('NO_SECTION_CHANGE', 'An extension may be asked for only after the section changed (变更) since the guarantee was issued');
    }
    const current = guarantee.validUntil ?? guarantee.issuedAt;
    if (input.newValidUntil.getTime() <= current.getTime()) {
      throw new ValidationError('input.newValidUntil', `The new validity end must be after the current one (${current.toISOString()})`, 'EXTENSION_NOT_LATER');
    }
    if (input.newValidUntil.getTime() <= section.openingAt.getTime()) {
      throw new ValidationError('input.newValidUntil', `The guarantee must stay valid past the bid opening (${section.openingAt.toISOString()})`, 'VALIDITY_BEFORE_OPENING');
    }
    if (await tx.extension.findFirst({ where: { guaranteeId: guarantee.id, status: 'PENDING' } })) {
      throw new AppError('EXTENSION_PENDING', 'An extension of this guarantee is waiting for the institution already', 'input.guaranteeId');
    }
    const extension = await tx.extension.create({
      data: { tenantId: tenant.id, guaranteeId: guarantee.id, previousValidUntil: current, requestedValidUntil: input.newValidUntil, reason },
    });
    await announce(tx, extension, guarantee, 'REQUEST', null, viewer.userId);
    return extension;
  });
}

export interface DecideExtensionInput {
  extensionId: string;
  approve: boolean;
  reason?: string | null;
}

/**
 * The institution decides a PENDING extension of one of its guarantees. Approval moves the guarantee's validity end
 * to the requested one (recording the end it replaces on the extension) while the guarantee is still EFFECTIVE;
 * rejection needs a reason.
 */
export async function decideExtension(ctx: Context, input: DecideExtensionInput): Promise<Extension> {
  const viewer = requireRole(ctx, 'INSTITUTION', 'Only the institution decides extensions');
  const tenant = ctx.requireTenant();
  const reason = input.reason?.trim() || null;
  if (!input.approve && !reason) throw new ValidationError('input.reason', 'Say why the extension is rejected', 'REASON_REQUIRED');
  if (reason && [...reason].length > REASON_MAX_LENGTH) throw new ValidationError('input.reason', `A reason is at most ${REASON_MAX_LENGTH} characters`);
  const found = UUID.test(input.extensionId)
    ? await ctx.db.extension.findFirst({ where: { id: input.extensionId, tenantId: tenant.id }, include: { guarantee: true } })
    : null;
  if (!found || !ctx.ability.can('read', subject('Extension', found))) throw new NotFoundError('Extension', 'input.extensionId', 'EXTENSION_NOT_FOUND');
  if (!ctx.ability.can('update', subject('Extension', found))) throw new ForbiddenError();
  return ctx.db.$transaction(async (tx) => {
    // The guarantee's row lock serialises this decision with a new request and with other moves of the guarantee.
    const guarantee = (await lockGuarantee(tx, found.guaranteeId, tenant.id))!;
    const extension = await tx.extension.findUniqueOrThrow({ where: { id: found.id } });
    const action: ExtensionAction = input.approve ? 'APPROVE' : 'REJECT';
    const transition = EXTENSION_TRANSITIONS.find((t) => t.from === extension.status && t.action === action);
    if (!transition) {
      throw new AppError('ILLEGAL_TRANSITION', `An extension in state ${extension.status} cannot be ${action === 'APPROVE' ? 'approved' : 'rejected'}`, 'input.extensionId', {
        currentStatus: extension.status,
        action,
      });
    }
    const now = new Date();
    if (action === 'APPROVE') {
      if (guarantee.status !== 'EFFECTIVE') {
        throw new ExtensionNotAllowedError('GUARANTEE_NOT_EFFECTIVE', `Only an effective guarantee can be extended; this one is ${guarantee.status}`);
      }
      const moved = await tx.guarantee.updateMany({
        where: { id: guarantee.id, version: guarantee.version },
        data: { validUntil: extension.requestedValidUntil, version: { increment: 1 } },
      });
      if (moved.count !== 1) throw new AppError('CONCURRENT_UPDATE', 'The guarantee changed meanwhile; reload it and try again');
    }
    const data: Prisma.ExtensionUpdateInput = { status: transition.to, decisionReason: reason, decidedAt: now };
    if (action === 'APPROVE') data.previousValidUntil = guarantee.validUntil ?? extension.previousValidUntil;
    const decided = await tx.extension.update({ where: { id: extension.id }, data });
    await announce(tx, decided, guarantee, action, extension.status, viewer.userId);
    if (action === 'APPROVE') {
      await recordDomainEvent(tx, {
        tenantId: guarantee.tenantId,
        type: 'GUARANTEE_VALIDITY_EXTENDED',
        aggregateType: 'Guarantee',
        aggregateId: guarantee.id,
        payload: {
          number: guarantee.number,
          extensionId: decided.id,
          from: decided.previousValidUntil.toISOString(),
          to: decided.requestedValidUntil.toISOString(),
          bidderId: guarantee.bidderId,
          institutionId: guarantee.institutionId,
        },
      });
    }
    return decided;
  });
}

async function announce(tx: Prisma.TransactionClient, extension: Extension, guarantee: Guarantee, action: string, from: DecisionStatus | null, actorUserId: string | null) {
  await recordDomainEvent(tx, {
    tenantId: extension.tenantId,
    type: 'EXTENSION_STATUS_CHANGED',
    aggregateType: 'Extension',
    aggregateId: extension.id,
    payload: {
      action,
      from,
      to: extension.status,
      guaranteeId: guarantee.id,
      requestedValidUntil: extension.requestedValidUntil.toISOString(),
      bidderId: guarantee.bidderId,
      institutionId: guarantee.institutionId,
      actorUserId,
    },
  });
}
