import { builder } from '../../builder.ts';
import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import type { ClaimStatus, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { readUpload } from '../../files/file.types.ts';
import { formatMoney } from '../catalog/money.ts';
import { GuaranteeRef } from '../guarantee/guarantee.types.ts';
import * as claims from './claim.service.ts';
import { NO_TENANT } from '../common/formats.ts';

export const ClaimStatusEnum = builder.enumType('ClaimStatus', {
  description: 'DRAFT 待确认, SUBMITTED 已提交, APPROVED 已赔付 (in full or in part), REJECTED 已拒绝.',
  values: ['DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED'] as const,
});
const ClaimDecisionEnum = builder.enumType('ClaimDecision', { values: ['APPROVE_FULL', 'APPROVE_PART', 'REJECT'] as const });

export const ClaimRef = builder.prismaNode('Claim', {
  id: { field: 'id' },
  description: 'A claim (索赔) under a guarantee by the tenderee or its agent.',
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [accessibleBy(ctx.ability, 'read').ofType('Claim'), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    status: t.expose('status', { type: ClaimStatusEnum }),
    amount: t.field({ type: 'Decimal', resolve: (c) => formatMoney(c.amount) }),
    approvedAmount: t.field({ type: 'Decimal', nullable: true, resolve: (c) => (c.approvedAmount === null ? null : formatMoney(c.approvedAmount)) }),
    claimantRole: t.exposeString('claimantRole'),
    payeeAccountName: t.exposeString('payeeAccountName'),
    payeeAccountNumber: t.exposeString('payeeAccountNumber'),
    payeeBank: t.exposeString('payeeBank'),
    contactName: t.exposeString('contactName'),
    contactPhone: t.exposeString('contactPhone'),
    reason: t.exposeString('reason'),
    decisionReason: t.exposeString('decisionReason', { nullable: true }),
    submittedAt: t.expose('submittedAt', { type: 'DateTime', nullable: true }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    guarantee: t.relation('guarantee'),
    proofUrl: t.string({ description: 'GET with the bearer token: the proof file (pdf or zip).', resolve: (c) => `/claims/${c.id}/proof` }),
  }),
});

builder.prismaObjectFields('Guarantee', (t) => ({
  claims: t.relation('claims', { query: (_args, ctx) => ({ where: accessibleBy(ctx.ability, 'read').ofType('Claim'), orderBy: { createdAt: 'asc' } }) }),
}));

function claimWhere(ctx: Context, status?: readonly ClaimStatus[] | null): Prisma.ClaimWhereInput {
  return { AND: [accessibleBy(ctx.ability, 'read').ofType('Claim'), { tenantId: ctx.requireTenant().id }, status?.length ? { status: { in: [...status] } } : {}] };
}

builder.queryFields((t) => ({
  claims: t.prismaConnection({
    type: 'Claim',
    cursor: 'id',
    description: 'Claim records the viewer may see (tenderee, agent, bidder, institution, admin), newest first.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { status: t.arg({ type: [ClaimStatusEnum], required: false }) },
    // Counted beside the page, not after it, as every t.prismaConnection's total (connection-total.ts).
    totalCount: (_parent, args, ctx) => ctx.db.claim.count({ where: claimWhere(ctx, args.status) }),
    resolve: (query, _root, args, ctx) => {
      return ctx.db.claim.findMany({ ...query, where: claimWhere(ctx, args.status), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    },
  }),
  claim: t.prismaField({
    type: 'Claim',
    nullable: true,
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { id: t.arg.globalID({ required: true, for: [ClaimRef] }) },
    resolve: (query, _root, { id }, ctx) => ctx.db.claim.findFirst({ ...query, where: { AND: [{ id: id.id }, claimWhere(ctx)] } }),
  }),
}));

const FileClaimInput = builder.inputType('FileClaimInput', {
  fields: (t) => ({
    guaranteeId: t.globalID({ required: true, for: [GuaranteeRef] }),
    amount: t.field({ type: 'Decimal', required: true, description: 'At most what remains under the guarantee.' }),
    payeeAccountName: t.string({ required: true }),
    payeeAccountNumber: t.string({ required: true }),
    payeeBank: t.string({ required: true }),
    contactName: t.string({ required: true }),
    contactPhone: t.string({ required: true }),
    reason: t.string({ required: true }),
    proof: t.field({ type: 'File', required: false, description: 'pdf or zip, up to 50 MB (checked by content); required (PROOF_REQUIRED).' }),
  }),
});
const ConfirmClaimInput = builder.inputType('ConfirmClaimInput', { fields: (t) => ({ claimId: t.globalID({ required: true, for: [ClaimRef] }) }) });
const DecideClaimInput = builder.inputType('DecideClaimInput', {
  fields: (t) => ({
    claimId: t.globalID({ required: true, for: [ClaimRef] }),
    decision: t.field({ type: ClaimDecisionEnum, required: true }),
    amount: t.field({ type: 'Decimal', required: false, description: 'For APPROVE_PART: the amount paid.' }),
    reason: t.string({ required: false, description: 'Required to reduce or refuse.' }),
  }),
});

const ClaimErrors = [ValidationError, NotFoundError, ForbiddenError, AppError];
const reload = (ctx: Context, query: object, id: string) => ctx.db.claim.findUniqueOrThrow({ ...query, where: { id } });

builder.mutationFields((t) => ({
  fileClaim: t.prismaField({
    type: 'Claim',
    description: 'The tenderee or its agent fills in a claim on a guarantee of its section after opening (a draft until confirmed).',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: FileClaimInput, required: true }) },
    errors: { types: ClaimErrors, directResult: true, union: { name: 'FileClaimResult' } },
    resolve: async (query, _root, { input }, ctx) =>
      reload(ctx, query, (await claims.fileClaim(ctx, { ...input, guaranteeId: input.guaranteeId.id, proof: await readUpload(input.proof) })).id),
  }),
  confirmClaim: t.prismaField({
    type: 'Claim',
    description: 'Confirms the draft claim (提交后将无法修改) and sends it to the institution.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: ConfirmClaimInput, required: true }) },
    errors: { types: ClaimErrors, directResult: true, union: { name: 'ConfirmClaimResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, (await claims.confirmClaim(ctx, input.claimId.id)).id),
  }),
  decideClaim: t.prismaField({
    type: 'Claim',
    description: 'The institution approves a claim in full or in part, or rejects it with a reason. A full payout voids the guarantee.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: DecideClaimInput, required: true }) },
    errors: { types: ClaimErrors, directResult: true, union: { name: 'DecideClaimResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, (await claims.decideClaim(ctx, { ...input, claimId: input.claimId.id })).id),
  }),
}));
