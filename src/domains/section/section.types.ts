import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import type { Prisma, SectionStatus } from '../../db/generated/prisma/client.ts';
import { accessibleBy } from '../../auth/ability.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { ProjectTypeEnum } from '../catalog/catalog.types.ts';
import { formatMoney } from '../catalog/money.ts';
import * as sections from './section.service.ts';
import { sealText } from '../../crypto/index.ts';
import { currentSealingKey } from '../guarantee/keys.ts';
import { NO_TENANT } from '../common/formats.ts';

export const SectionStatusEnum = builder.enumType('SectionStatus', {
  description: 'OPEN, SUSPENDED 暂停, CHANGED 变更, FAILED 流标, TERMINATED 终止, OPENED 已开标.',
  values: ['OPEN', 'SUSPENDED', 'CHANGED', 'FAILED', 'TERMINATED', 'OPENED'] as const,
});
export const SectionEventKindEnum = builder.enumType('SectionEventKind', {
  values: ['SUSPENDED', 'RESUMED', 'CHANGED', 'FAILED', 'TERMINATED', 'OPENED'] as const,
});

const SectionEventRef = builder.prismaObject('SectionEvent', {
  fields: (t) => ({
    kind: t.expose('kind', { type: SectionEventKindEnum }),
    fromStatus: t.expose('fromStatus', { type: SectionStatusEnum }),
    toStatus: t.expose('toStatus', { type: SectionStatusEnum }),
    note: t.exposeString('note', { nullable: true }),
    newOpeningAt: t.expose('newOpeningAt', { type: 'DateTime', nullable: true }),
    at: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const SEALED_NOTE = 'Ciphertext (sealed to the tenant key) for institutions before the bid opening where the tenant seals application data.';

/** Xinjiang 2025 1.2.3: the institution sees who bids on what only as ciphertext until the bid opening. */
function sealsFor(ctx: Context, section: { tenantId: string; openingAt: Date; status: string }): boolean {
  return (
    ctx.viewer?.role === 'INSTITUTION' &&
    ctx.tenants.byId(section.tenantId)?.config.sealing.sealApplicationFields === true &&
    section.status !== 'OPENED' &&
    section.openingAt.getTime() > Date.now()
  );
}

/** The value as the viewer may see it: plain (synchronously: no promise per field of a list) or sealed. */
function sealedForViewer(ctx: Context, section: { tenantId: string; openingAt: Date; status: string }, value: string): string | Promise<string> {
  if (!sealsFor(ctx, section)) return value;
  return currentSealingKey(ctx.db, section.tenantId, ctx.sealingMasterKey).then((key) => sealText(value, key.publicKeyPem));
}

export const BidSectionRef = builder.prismaNode('BidSection', {
  id: { field: 'id' },
  description: 'A bid section (标段). Its deposit amount is the amount every guarantee for it secures.',
  nullable: true,
  // Select mode: what sealing (sealsFor) reads and the columns the computed fields read (see GuaranteeOrder).
  select: { id: true, tenantId: true, openingAt: true, status: true, code: true, name: true },
  findUnique: (id, ctx) => ({ id, AND: [accessibleBy(ctx.ability, 'read').ofType('BidSection'), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    code: t.string({ description: SEALED_NOTE, resolve: (s, _, ctx) => sealedForViewer(ctx, s, s.code) }),
    name: t.string({ description: SEALED_NOTE, resolve: (s, _, ctx) => sealedForViewer(ctx, s, s.name) }),
    projectName: t.string({ description: SEALED_NOTE, select: { projectName: true }, resolve: (s, _, ctx) => sealedForViewer(ctx, s, s.projectName) }),
    sealed: t.boolean({
      description: 'Whether name, code, project and tenderee are shown to you as ciphertext (institutions, before opening, where the tenant seals them).',
      resolve: (s, _, ctx) => sealsFor(ctx, s),
    }),
    projectType: t.expose('projectType', { type: ProjectTypeEnum }),
    depositAmount: t.field({ type: 'Decimal', description: '保证金金额, yuan.', select: { depositAmount: true }, resolve: (s) => formatMoney(s.depositAmount) }),
    openingAt: t.expose('openingAt', { type: 'DateTime' }),
    bidValidityDays: t.exposeInt('bidValidityDays'),
    status: t.expose('status', { type: SectionStatusEnum }),
    opened: t.boolean({ description: 'Whether the bid opening time has passed.', resolve: (s) => s.status === 'OPENED' || s.openingAt.getTime() <= Date.now() }),
    tendereeName: t.string({
      description: SEALED_NOTE,
      select: { tenderee: { select: { name: true } } },
      resolve: (s, _, ctx) => sealedForViewer(ctx, s, s.tenderee.name),
    }),
    agentName: t.string({
      nullable: true,
      description: SEALED_NOTE,
      select: { agent: { select: { name: true } } },
      resolve: (s, _, ctx) => (s.agent ? sealedForViewer(ctx, s, s.agent.name) : null),
    }),
    registered: t.boolean({
      description: "Whether the viewer's enterprise registered for it (Quzhou requires it before payment).",
      select: (_args, ctx) => ({ registrations: { where: { enterpriseId: ctx.viewer?.enterpriseId ?? NO_TENANT }, select: { id: true } } }),
      resolve: (s) => s.registrations.length > 0,
    }),
    events: t.relation('events', { query: { orderBy: { createdAt: 'asc' } } }),
  }),
});

builder.queryFields((t) => ({
  sections: t.prismaConnection({
    type: 'BidSection',
    cursor: 'id',
    description: 'Sections the viewer may see, newest opening first; `search` matches name or code.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: {
      search: t.arg.string({ required: false }),
      status: t.arg({ type: [SectionStatusEnum], required: false }),
    },
    // Counted beside the page, not after it, as every t.prismaConnection's total (connection-total.ts).
    totalCount: (_parent, args, ctx) => ctx.db.bidSection.count({ where: sectionWhere(ctx, args) }),
    resolve: (query, _root, args, ctx) => {
      return ctx.db.bidSection.findMany({ ...query, where: sectionWhere(ctx, args), orderBy: [{ openingAt: 'desc' }, { id: 'asc' }] });
    },
  }),
  section: t.prismaField({
    type: 'BidSection',
    nullable: true,
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { id: t.arg.globalID({ required: true, for: [BidSectionRef] }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.db.bidSection.findFirst({ ...query, where: { id: id.id, AND: [accessibleBy(ctx.ability, 'read').ofType('BidSection'), { tenantId: ctx.requireTenant().id }] } }),
  }),
}));

function sectionWhere(ctx: Context, args: { search?: string | null; status?: readonly SectionStatus[] | null }): Prisma.BidSectionWhereInput {
  const search = args.search?.trim();
  return {
    AND: [
      accessibleBy(ctx.ability, 'read').ofType('BidSection'),
      { tenantId: ctx.requireTenant().id },
      search ? { OR: [{ name: { contains: search, mode: 'insensitive' as const } }, { code: { contains: search, mode: 'insensitive' as const } }] } : {},
      args.status?.length ? { status: { in: [...args.status] } } : {},
    ],
  };
}

const PublishSectionInput = builder.inputType('PublishSectionInput', {
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string({ required: true }),
    projectName: t.string({ required: true }),
    projectType: t.field({ type: ProjectTypeEnum, required: true }),
    tendereeUscc: t.string({ required: true, description: 'The tenderee enterprise, registered in this tenant.' }),
    agentUscc: t.string({ required: false, description: 'The agent (招标代理) managing the section, if any.' }),
    depositAmount: t.field({ type: 'Decimal', required: true }),
    openingAt: t.field({ type: 'DateTime', required: true }),
    bidValidityDays: t.int({ required: true }),
  }),
});

const RecordSectionEventInput = builder.inputType('RecordSectionEventInput', {
  fields: (t) => ({
    sectionId: t.globalID({ required: true, for: [BidSectionRef] }),
    kind: t.field({ type: SectionEventKindEnum, required: true }),
    note: t.string({ required: false }),
    newOpeningAt: t.field({ type: 'DateTime', required: false, description: 'For CHANGED: the new opening time.' }),
  }),
});

const RegisterForSectionInput = builder.inputType('RegisterForSectionInput', {
  fields: (t) => ({
    sectionId: t.globalID({ required: true, for: [BidSectionRef] }),
    contactName: t.string({ required: true }),
    contactMobile: t.string({ required: true }),
  }),
});

const SectionErrors = [ValidationError, NotFoundError, ForbiddenError, AppError];

builder.mutationFields((t) => ({
  publishSection: t.prismaField({
    type: 'BidSection',
    description: "Publishes a section in the admin's tenant.",
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: PublishSectionInput, required: true }) },
    errors: { types: SectionErrors, directResult: true, union: { name: 'PublishSectionResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const section = await sections.publishSection(ctx, input);
      return ctx.db.bidSection.findUniqueOrThrow({ ...query, where: { id: section.id } });
    },
  }),
  recordSectionEvent: t.prismaField({
    type: 'BidSection',
    description: 'Records that a section was suspended, resumed, changed, failed (流标), terminated or opened.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RecordSectionEventInput, required: true }) },
    errors: { types: SectionErrors, directResult: true, union: { name: 'RecordSectionEventResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const section = await sections.recordSectionEvent(ctx, { ...input, sectionId: input.sectionId.id });
      return ctx.db.bidSection.findUniqueOrThrow({ ...query, where: { id: section.id } });
    },
  }),
  registerForSection: t.prismaField({
    type: 'BidSection',
    description: 'Registers the bidder for a section (Quzhou: 招标文件领取), which its payment methods require there.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RegisterForSectionInput, required: true }) },
    errors: { types: SectionErrors, directResult: true, union: { name: 'RegisterForSectionResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const registration = await sections.registerForSection(ctx, { ...input, sectionId: input.sectionId.id });
      return ctx.db.bidSection.findUniqueOrThrow({ ...query, where: { id: registration.sectionId } });
    },
  }),
}));

export { SectionEventRef };
