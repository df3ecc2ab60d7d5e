import { builder } from '../../builder.ts';
import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import type { DecisionStatus, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { ErrorInterface } from '../common/common.types.ts';
import { GuaranteeRef } from '../guarantee/guarantee.types.ts';
import * as extensions from './extension.service.ts';
import { NO_TENANT } from '../common/formats.ts';

export const ExtensionStatusEnum = builder.enumType('ExtensionStatus', {
  description: 'PENDING 待审核, APPROVED 已同意 (the validity end moved), REJECTED 已拒绝.',
  values: ['PENDING', 'APPROVED', 'REJECTED'] as const,
});

const ExtensionRefusalEnum = builder.enumType('ExtensionRefusal', {
  description:
    'Why an extension may not be asked for: NOT_OFFERED (the platform has none), NO_SECTION_CHANGE (no change event since issuance), ' +
    'GUARANTEE_NOT_EFFECTIVE.',
  values: ['NOT_OFFERED', 'NO_SECTION_CHANGE', 'GUARANTEE_NOT_EFFECTIVE'] as const,
});

builder.objectType(extensions.ExtensionNotAllowedError, {
  name: 'ExtensionNotAllowedError',
  description: 'EXTENSION_NOT_ALLOWED: the rule that refuses the extension is in `refusal`.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof extensions.ExtensionNotAllowedError,
  fields: (t) => ({ refusal: t.expose('reason', { type: ExtensionRefusalEnum }) }),
});

export const ExtensionRef = builder.prismaNode('Extension', {
  id: { field: 'id' },
  description: 'A request to move a guarantee’s validity end after its section changed (延期), and its decision.',
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [readableExtensions(ctx), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    status: t.expose('status', { type: ExtensionStatusEnum }),
    previousValidUntil: t.expose('previousValidUntil', { type: 'DateTime', description: 'The validity end before the extension (on approval: the one it replaced).' }),
    requestedValidUntil: t.expose('requestedValidUntil', { type: 'DateTime' }),
    reason: t.exposeString('reason'),
    decisionReason: t.exposeString('decisionReason', { nullable: true }),
    requestedAt: t.expose('createdAt', { type: 'DateTime' }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    guarantee: t.relation('guarantee'),
  }),
});

builder.prismaObjectField(GuaranteeRef, 'extensions', (t) =>
  t.relation('extensions', {
    description: 'Its extension records (延期记录), oldest first.',
    query: (_args, ctx) => ({ where: readableExtensions(ctx), orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
  }),
);

/** The viewer's read filter for extensions (in SQL). */
function readableExtensions(ctx: Context): Prisma.ExtensionWhereInput {
  return accessibleBy(ctx.ability, 'read').ofType('Extension');
}

function extensionWhere(ctx: Context, args: { status?: readonly DecisionStatus[] | null }): Prisma.ExtensionWhereInput {
  return {
    AND: [
      readableExtensions(ctx),
      { tenantId: ctx.requireTenant().id },
      args.status?.length ? { status: { in: [...args.status] } } : {},
    ],
  };
}

builder.queryField('extensions', (t) =>
  t.prismaConnection({
    type: 'Extension',
    cursor: 'id',
    description: 'Extension records: a bidder its own, an institution those of its guarantees, an admin its tenant. Newest first.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { status: t.arg({ type: [ExtensionStatusEnum], required: false }) },
    // Counted beside the page, not after it, as every t.prismaConnection's total (connection-total.ts).
    totalCount: (_parent, args, ctx) => ctx.db.extension.count({ where: extensionWhere(ctx, args) }),
    resolve: (query, _root, args, ctx) => {
      return ctx.db.extension.findMany({ ...query, where: extensionWhere(ctx, args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    },
  }),
);

const RequestExtensionInput = builder.inputType('RequestExtensionInput', {
  fields: (t) => ({
    guaranteeId: t.globalID({ required: true, for: [GuaranteeRef] }),
    newValidUntil: t.field({ type: 'DateTime', required: true, description: 'After the current validity end and after the bid opening.' }),
    reason: t.string({ required: true }),
  }),
});

const DecideExtensionInput = builder.inputType('DecideExtensionInput', {
  fields: (t) => ({
    extensionId: t.globalID({ required: true, for: [ExtensionRef] }),
    approve: t.boolean({ required: true }),
    reason: t.string({ required: false, description: 'Required to reject.' }),
  }),
});

const ExtensionErrors = [ValidationError, NotFoundError, ForbiddenError, extensions.ExtensionNotAllowedError, AppError];

builder.mutationFields((t) => ({
  requestExtension: t.prismaField({
    type: 'Extension',
    description: 'The bidder asks to move its effective guarantee’s validity end after the section changed (申请延期).',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RequestExtensionInput, required: true }) },
    errors: { types: ExtensionErrors, directResult: true, union: { name: 'RequestExtensionResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const extension = await extensions.requestExtension(ctx, { ...input, guaranteeId: input.guaranteeId.id });
      return ctx.db.extension.findUniqueOrThrow({ ...query, where: { id: extension.id } });
    },
  }),
  decideExtension: t.prismaField({
    type: 'Extension',
    description: 'The institution approves (the validity end moves) or rejects (with a reason) a pending extension.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: DecideExtensionInput, required: true }) },
    errors: { types: ExtensionErrors, directResult: true, union: { name: 'DecideExtensionResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const extension = await extensions.decideExtension(ctx, { ...input, extensionId: input.extensionId.id });
      return ctx.db.extension.findUniqueOrThrow({ ...query, where: { id: extension.id } });
    },
  }),
}));
