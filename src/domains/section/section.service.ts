import { subject } from '@casl/ability';
import type { Context } from '../../context.ts';
import type { BidSection, Prisma, SectionEventKind, SectionStatus } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { requireProjectType } from '../catalog/catalog.service.ts';
import { parseAmount } from '../catalog/money.ts';
import type { ProjectType } from '../../tenants/tenant-file.ts';
import { recordDomainEvent } from '../../events/outbox.ts';
import { MOBILE } from '../common/formats.ts';
import { unsealDueLetters } from '../guarantee/guarantee.service.ts';

export interface PublishSectionInput {
  code: string;
  name: string;
  projectName: string;
  projectType: ProjectType;
  tendereeUscc: string;
  agentUscc?: string | null;
  depositAmount: string;
  openingAt: Date;
  bidValidityDays: number;
}

/** One row per legal section event: from which statuses it may be recorded, and the status it leaves. */
export const SECTION_TRANSITIONS: Record<SectionEventKind, { from: readonly SectionStatus[]; to: SectionStatus | 'SAME' }> = {
  SUSPENDED: { from: ['OPEN', 'CHANGED'], to: 'SUSPENDED' },
  RESUMED: { from: ['SUSPENDED'], to: 'OPEN' },
  CHANGED: { from: ['OPEN', 'SUSPENDED', 'CHANGED'], to: 'CHANGED' },
  FAILED: { from: ['OPEN', 'SUSPENDED', 'CHANGED', 'OPENED'], to: 'FAILED' },
  TERMINATED: { from: ['OPEN', 'SUSPENDED', 'CHANGED'], to: 'TERMINATED' },
  OPENED: { from: ['OPEN', 'CHANGED'], to: 'OPENED' },
};

/** Publishes a section in the admin's tenant; the tenderee (and agent) must be enterprises registered there. */
export async function publishSection(ctx: Context, input: PublishSectionInput): Promise<BidSection> {
  const tenant = ctx.requireTenant();
  if (!ctx.ability.can('create', subject('BidSection', { tenantId: tenant.id } as BidSection))) throw new ForbiddenError();
  const code = input.code.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/.test(code)) {
    throw new ValidationError('input.code', 'A section code is 2 to 64 letters, digits, hyphens or underscores');
  }
  for (const field of ['name', 'projectName'] as const) {
    if (!input[field].trim()) throw new ValidationError(`input.${field}`, `${field} must not be empty`);
  }
  requireProjectType(tenant, input.projectType, 'input.projectType');
  const depositAmount = parseAmount(input.depositAmount, 'input.depositAmount');
  if (!Number.isInteger(input.bidValidityDays) || input.bidValidityDays < 1 || input.bidValidityDays > 3650) {
    throw new ValidationError('input.bidValidityDays', 'bidValidityDays must be a whole number of days between 1 and 3650');
  }
  if (input.openingAt.getTime() <= Date.now()) {
    throw new ValidationError('input.openingAt', 'The opening time must be in the future', 'OPENING_IN_PAST');
  }
  const [tenderee, agent] = await Promise.all([
    ctx.db.enterprise.findUnique({ where: { tenantId_uscc: { tenantId: tenant.id, uscc: input.tendereeUscc } } }),
    input.agentUscc ? ctx.db.enterprise.findUnique({ where: { tenantId_uscc: { tenantId: tenant.id, uscc: input.agentUscc } } }) : null,
  ]);
  if (!tenderee) throw new NotFoundError('The tenderee enterprise', 'input.tendereeUscc', 'TENDEREE_NOT_FOUND');
  if (input.agentUscc && !agent) throw new NotFoundError('The agent enterprise', 'input.agentUscc', 'AGENT_NOT_FOUND');
  return ctx.db.$transaction(async (tx) => {
    const clash = await tx.bidSection.findUnique({ where: { tenantId_code: { tenantId: tenant.id, code } } });
    if (clash) throw new ValidationError('input.code', `Section ${code} already exists`, 'SECTION_CODE_TAKEN');
    const section = await tx.bidSection.create({
      data: {
        tenantId: tenant.id,
        code,
        name: input.name.trim(),
        projectName: input.projectName.trim(),
        projectType: input.projectType,
        tendereeId: tenderee.id,
        agentId: agent?.id ?? null,
        depositAmount: depositAmount.toFixed(2),
        openingAt: input.openingAt,
        bidValidityDays: input.bidValidityDays,
        publishedById: ctx.viewer!.userId ?? tenderee.id,
      },
    });
    await recordDomainEvent(tx, { tenantId: tenant.id, type: 'SECTION_PUBLISHED', aggregateType: 'BidSection', aggregateId: section.id, payload: { code } });
    return section;
  });
}

/** Records a section event (suspend, resume, change, fail, terminate, open), checked against SECTION_TRANSITIONS. */
export async function recordSectionEvent(
  ctx: Context,
  input: { sectionId: string; kind: SectionEventKind; note?: string | null; newOpeningAt?: Date | null },
): Promise<BidSection> {
  const tenant = ctx.requireTenant();
  if (!ctx.ability.can('update', 'BidSection')) throw new ForbiddenError('Only an admin records section events');
  const section = await ctx.db.$transaction(async (tx) => {
    const section = await tx.bidSection.findFirst({ where: { id: input.sectionId, tenantId: tenant.id } });
    if (!section || !ctx.ability.can('read', subject('BidSection', section))) throw new NotFoundError('Section', 'input.sectionId', 'SECTION_NOT_FOUND');
    if (!ctx.ability.can('update', subject('BidSection', section))) throw new ForbiddenError();
    const rule = SECTION_TRANSITIONS[input.kind];
    if (!rule.from.includes(section.status)) {
      throw new AppError('ILLEGAL_SECTION_EVENT', `A section in state ${section.status} cannot be ${input.kind.toLowerCase()}`, 'input.kind', {
        currentStatus: section.status,
      });
    }
    if (input.newOpeningAt && input.kind !== 'CHANGED') {
      throw new ValidationError('input.newOpeningAt', 'Only a CHANGED event may move the opening time');
    }
    if (input.newOpeningAt && input.newOpeningAt.getTime() <= Date.now()) {
      throw new ValidationError('input.newOpeningAt', 'The new opening time must be in the future', 'OPENING_IN_PAST');
    }
    const to = rule.to === 'SAME' ? section.status : rule.to;
    const data: Prisma.BidSectionUpdateManyMutationInput = { status: to, version: { increment: 1 } };
    if (input.newOpeningAt) data.openingAt = input.newOpeningAt;
    if (input.kind === 'OPENED' && section.openingAt.getTime() > Date.now()) data.openingAt = new Date();
    const updated = await tx.bidSection.updateMany({ where: { id: section.id, version: section.version }, data });
    if (updated.count !== 1) throw new AppError('CONCURRENT_UPDATE', 'The section changed meanwhile; reload and try again');
    await tx.sectionEvent.create({
      data: {
        tenantId: tenant.id,
        sectionId: section.id,
        kind: input.kind,
        fromStatus: section.status,
        toStatus: to,
        note: input.note ?? null,
        newOpeningAt: input.newOpeningAt ?? null,
        actorUserId: ctx.viewer!.userId!,
      },
    });
    await recordDomainEvent(tx, {
      tenantId: tenant.id,
      type: `SECTION_${input.kind}`,
      aggregateType: 'BidSection',
      aggregateId: section.id,
      payload: { from: section.status, to },
    });
    return tx.bidSection.findUniqueOrThrow({ where: { id: section.id } });
  });
  // An admin's "opened" unseals the section's letters at once rather than at the next sweep.
  if (input.kind === 'OPENED') await unsealDueLetters({ db: ctx.db, sealingMasterKey: ctx.sealingMasterKey, log: ctx.log }, { sectionId: section.id });
  return section;
}

/** Registers the bidder's enterprise for a section (Quzhou: required before any payment method is usable). */
export async function registerForSection(ctx: Context, input: { sectionId: string; contactName: string; contactMobile: string }) {
  const tenant = ctx.requireTenant();
  const enterpriseId = ctx.viewer?.enterpriseId;
  if (!enterpriseId || !ctx.ability.can('create', subject('SectionRegistration', { tenantId: tenant.id, enterpriseId } as never))) {
    throw new ForbiddenError('Only a bidder may register for a section');
  }
  const section = await ctx.db.bidSection.findFirst({ where: { id: input.sectionId, tenantId: tenant.id } });
  if (!section) throw new NotFoundError('Section', 'input.sectionId', 'SECTION_NOT_FOUND');
  if (!input.contactName.trim()) throw new ValidationError('input.contactName', 'contactName must not be empty');
  if (!MOBILE.test(input.contactMobile)) throw new ValidationError('input.contactMobile', 'A mobile number is 11 digits starting with 1', 'MOBILE_MALFORMED');
  return ctx.db.sectionRegistration.upsert({
    where: { sectionId_enterpriseId: { sectionId: section.id, enterpriseId } },
    create: { tenantId: tenant.id, sectionId: section.id, enterpriseId, contactName: input.contactName.trim(), contactMobile: input.contactMobile },
    update: {},
  });
}
