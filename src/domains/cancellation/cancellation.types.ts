import { builder } from '../../builder.ts';
import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { readUpload } from '../../files/file.types.ts';
import { GuaranteeRef } from '../guarantee/guarantee.types.ts';
import * as cancellations from './cancellation.service.ts';
import { NO_TENANT } from '../common/formats.ts';

const DecisionStatusEnum = builder.enumType('DecisionStatus', { values: ['PENDING', 'APPROVED', 'REJECTED'] as const });

export const CancellationRef = builder.prismaNode('Cancellation', {
  id: { field: 'id' },
  description: 'A request to void (注销) a guarantee after the bid opening.',
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [accessibleBy(ctx.ability, 'read').ofType('Cancellation'), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    status: t.expose('status', { type: DecisionStatusEnum }),
    reason: t.exposeString('reason'),
    decisionReason: t.exposeString('decisionReason', { nullable: true }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    guarantee: t.relation('guarantee'),
    proofUrl: t.string({ description: 'GET with the bearer token: the proof file.', resolve: (c) => `/cancellations/${c.id}/proof` }),
  }),
});

builder.prismaObjectFields('Guarantee', (t) => ({
  cancellations: t.relation('cancellations', {
    query: (_args, ctx) => ({ where: accessibleBy(ctx.ability, 'read').ofType('Cancellation'), orderBy: { createdAt: 'asc' } }),
  }),
}));

const RequestCancellationInput = builder.inputType('RequestCancellationInput', {
  fields: (t) => ({
    guaranteeId: t.globalID({ required: true, for: [GuaranteeRef] }),
    reason: t.string({ required: true }),
    proof: t.field({ type: 'File', required: false, description: 'pdf, jpg, png or zip up to 20 MB (checked by content); required (PROOF_REQUIRED).' }),
  }),
});
const DecideCancellationInput = builder.inputType('DecideCancellationInput', {
  fields: (t) => ({
    cancellationId: t.globalID({ required: true, for: [CancellationRef] }),
    approve: t.boolean({ required: true }),
    reason: t.string({ required: false }),
  }),
});

const Errors = [ValidationError, NotFoundError, ForbiddenError, AppError];
const reload = (ctx: Context, query: object, id: string) => ctx.db.cancellation.findUniqueOrThrow({ ...query, where: { id } });

builder.mutationFields((t) => ({
  requestCancellation: t.prismaField({
    type: 'Cancellation',
    description: 'The bidder asks to void an effective guarantee after opening, with proof (not for insurers where the tenant says so).',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RequestCancellationInput, required: true }) },
    errors: { types: Errors, directResult: true, union: { name: 'RequestCancellationResult' } },
    resolve: async (query, _root, { input }, ctx) =>
      reload(ctx, query, (await cancellations.requestCancellation(ctx, { guaranteeId: input.guaranteeId.id, reason: input.reason, proof: await readUpload(input.proof) })).id),
  }),
  decideCancellation: t.prismaField({
    type: 'Cancellation',
    description: 'The institution approves (the guarantee becomes VOID) or rejects a cancellation.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: DecideCancellationInput, required: true }) },
    errors: { types: Errors, directResult: true, union: { name: 'DecideCancellationResult' } },
    resolve: async (query, _root, { input }, ctx) =>
      reload(ctx, query, (await cancellations.decideCancellation(ctx, { ...input, cancellationId: input.cancellationId.id })).id),
  }),
}));
