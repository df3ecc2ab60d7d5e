import { builder } from '../../builder.ts';
import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import type { Prisma, RefundStatus } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { formatMoney } from '../catalog/money.ts';
import { GuaranteeRef } from '../guarantee/guarantee.types.ts';
import * as refunds from './refund.service.ts';
import { ErrorInterface } from '../common/common.types.ts';
import { NO_TENANT } from '../common/formats.ts';

export const RefundReasonEnum = builder.enumType('RefundReason', {
  description: 'WITHDRAWN 投标人放弃投标, SUSPENDED 项目中止/暂停, FAILED 流标, TERMINATED 终止, OTHER.',
  values: ['WITHDRAWN', 'SUSPENDED', 'FAILED', 'TERMINATED', 'OTHER'] as const,
});
export const RefundStatusEnum = builder.enumType('RefundStatus', {
  description: 'AWAITING_ACCOUNT 待确认退费账户, SUBMITTED 已提交, UNDER_REVIEW 退保审核, APPROVED 审核通过, PAID_OUT 退保完成, REJECTED 已拒绝.',
  values: ['AWAITING_ACCOUNT', 'SUBMITTED', 'UNDER_REVIEW', 'APPROVED', 'PAID_OUT', 'REJECTED'] as const,
});
const RefundDecisionEnum = builder.enumType('RefundDecision', { values: ['REVIEW', 'APPROVE', 'REJECT'] as const });

const RefundEventRef = builder.prismaObject('RefundEvent', {
  description: 'One step of the refund progress (提交退保 → 退保审核 → 退保完成).',
  fields: (t) => ({
    fromStatus: t.expose('fromStatus', { type: RefundStatusEnum, nullable: true }),
    toStatus: t.expose('toStatus', { type: RefundStatusEnum }),
    label: t.exposeString('label'),
    actorType: t.exposeString('actorType'),
    reason: t.exposeString('reason', { nullable: true }),
    at: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const RefundRef = builder.prismaNode('Refund', {
  id: { field: 'id' },
  description: 'A refund (退保) of a guarantee premium.',
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [accessibleBy(ctx.ability, 'read').ofType('Refund'), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    status: t.expose('status', { type: RefundStatusEnum }),
    reason: t.expose('reason', { type: RefundReasonEnum }),
    explanation: t.exposeString('explanation'),
    ruleCode: t.exposeString('ruleCode', { description: 'The tenant refund rule that allowed it.' }),
    amount: t.field({ type: 'Decimal', resolve: (r) => formatMoney(r.amount) }),
    accountName: t.exposeString('accountName', { nullable: true }),
    accountNumber: t.exposeString('accountNumber', { nullable: true }),
    accountBank: t.exposeString('accountBank', { nullable: true }),
    accountConfirmedAt: t.expose('accountConfirmedAt', { type: 'DateTime', nullable: true }),
    refundNumber: t.exposeString('refundNumber', { nullable: true }),
    decisionReason: t.exposeString('decisionReason', { nullable: true }),
    paidOutAt: t.expose('paidOutAt', { type: 'DateTime', nullable: true }),
    guarantee: t.relation('guarantee'),
    timeline: t.relation('events', { query: { orderBy: { createdAt: 'asc' } } }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const Refundability = builder.objectRef<{ allowed: boolean; ruleCode: string; description: string; accountConfirmation: boolean }>('Refundability').implement({
  description: 'Whether a refund may be asked for now, and the tenant rule that decides (show or hide the 退保 button).',
  fields: (t) => ({
    allowed: t.exposeBoolean('allowed'),
    ruleCode: t.exposeString('ruleCode'),
    description: t.exposeString('description', { description: 'The rule in words; for a refusal, why not.' }),
    accountConfirmation: t.exposeBoolean('accountConfirmation', { description: 'The bidder will first confirm its refund account.' }),
  }),
});

builder.prismaObjectFields('Guarantee', (t) => ({
  refundability: t.field({
    type: Refundability,
    args: { reason: t.arg({ type: RefundReasonEnum, required: false, description: 'For a given reason; any reason when absent.' }) },
    // The section comes with the guarantee's own query, so a list of guarantees reads no section per row.
    select: { section: { select: { status: true, openingAt: true } } },
    resolve: (g, { reason }, ctx) => {
      const decision = refunds.refundDecision(ctx, g, g.section, reason ?? undefined);
      return { ...decision, accountConfirmation: decision.allowed ? decision.accountConfirmation : false };
    },
  }),
  refunds: t.relation('refunds', { query: (_args, ctx) => ({ where: accessibleBy(ctx.ability, 'read').ofType('Refund'), orderBy: { createdAt: 'asc' } }) }),
}));

function refundWhere(ctx: Context, status?: readonly RefundStatus[] | null): Prisma.RefundWhereInput {
  return { AND: [accessibleBy(ctx.ability, 'read').ofType('Refund'), { tenantId: ctx.requireTenant().id }, status?.length ? { status: { in: [...status] } } : {}] };
}

builder.queryFields((t) => ({
  refunds: t.prismaConnection({
    type: 'Refund',
    cursor: 'id',
    description: 'Refunds the viewer may see, newest first.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { status: t.arg({ type: [RefundStatusEnum], required: false }) },
    // Counted beside the page, not after it, as every t.prismaConnection's total (connection-total.ts).
    totalCount: (_parent, args, ctx) => ctx.db.refund.count({ where: refundWhere(ctx, args.status) }),
    resolve: (query, _root, args, ctx) => {
      return ctx.db.refund.findMany({ ...query, where: refundWhere(ctx, args.status), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    },
  }),
  refund: t.prismaField({
    type: 'Refund',
    nullable: true,
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { id: t.arg.globalID({ required: true, for: [RefundRef] }) },
    resolve: (query, _root, { id }, ctx) => ctx.db.refund.findFirst({ ...query, where: { AND: [{ id: id.id }, refundWhere(ctx)] } }),
  }),
}));

const RequestRefundInput = builder.inputType('RequestRefundInput', {
  fields: (t) => ({
    guaranteeId: t.globalID({ required: true, for: [GuaranteeRef] }),
    reason: t.field({ type: RefundReasonEnum, required: true }),
    explanation: t.string({ required: true }),
  }),
});
const RequestRefundAccountCodeInput = builder.inputType('RequestRefundAccountCodeInput', {
  fields: (t) => ({ refundId: t.globalID({ required: true, for: [RefundRef] }), mobile: t.string({ required: true }) }),
});
const ConfirmRefundAccountInput = builder.inputType('ConfirmRefundAccountInput', {
  fields: (t) => ({
    refundId: t.globalID({ required: true, for: [RefundRef] }),
    accountName: t.string({ required: true }),
    accountNumber: t.string({ required: true }),
    bank: t.string({ required: true }),
    code: t.string({ required: true, description: 'The code sent by requestRefundAccountCode.' }),
  }),
});
const DecideRefundInput = builder.inputType('DecideRefundInput', {
  fields: (t) => ({
    refundId: t.globalID({ required: true, for: [RefundRef] }),
    decision: t.field({ type: RefundDecisionEnum, required: true }),
    reason: t.string({ required: false }),
  }),
});
const CompleteRefundInput = builder.inputType('CompleteRefundInput', {
  fields: (t) => ({ refundId: t.globalID({ required: true, for: [RefundRef] }), refundNumber: t.string({ required: true }) }),
});

const CodeSent = builder.objectRef<{ expiresInSeconds: number }>('RefundAccountCodeSent').implement({
  fields: (t) => ({ expiresInSeconds: t.exposeInt('expiresInSeconds') }),
});

builder.objectType(refunds.RefundNotAllowedError, {
  name: 'RefundNotAllowedError',
  description: "The tenant's refund rules forbid this refund; `rule` names the rule, `message` says it in words.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof refunds.RefundNotAllowedError,
  fields: (t) => ({ rule: t.exposeString('rule') }),
});

const RefundErrors = [ValidationError, NotFoundError, ForbiddenError, refunds.RefundNotAllowedError, AppError];
const reload = (ctx: Context, query: object, id: string) => ctx.db.refund.findUniqueOrThrow({ ...query, where: { id } });

builder.mutationFields((t) => ({
  requestRefund: t.prismaField({
    type: 'Refund',
    description: "The bidder asks to surrender its guarantee (退保); the tenant's rules decide, and a refusal names the rule.",
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RequestRefundInput, required: true }) },
    errors: { types: RefundErrors, directResult: true, union: { name: 'RequestRefundResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, (await refunds.requestRefund(ctx, { ...input, guaranteeId: input.guaranteeId.id })).id),
  }),
  requestRefundAccountCode: t.field({
    type: CodeSent,
    description: 'Sends the SMS code that confirms the refund account.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RequestRefundAccountCodeInput, required: true }) },
    errors: { types: RefundErrors, directResult: true, union: { name: 'RequestRefundAccountCodeResult' } },
    resolve: (_root, { input }, ctx) => refunds.requestRefundAccountCode(ctx, { refundId: input.refundId.id, mobile: input.mobile }),
  }),
  confirmRefundAccount: t.prismaField({
    type: 'Refund',
    description: 'Confirms the account the premium goes back to (待确认退费账户 → submitted).',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: ConfirmRefundAccountInput, required: true }) },
    errors: { types: RefundErrors, directResult: true, union: { name: 'ConfirmRefundAccountResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, (await refunds.confirmRefundAccount(ctx, { ...input, refundId: input.refundId.id })).id),
  }),
  decideRefund: t.prismaField({
    type: 'Refund',
    description: "The institution's decision on a refund: take it up for review, approve, or reject with a reason.",
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: DecideRefundInput, required: true }) },
    errors: { types: RefundErrors, directResult: true, union: { name: 'DecideRefundResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, (await refunds.decideRefund(ctx, { ...input, refundId: input.refundId.id })).id),
  }),
  completeRefund: t.prismaField({
    type: 'Refund',
    description: 'The premium was paid back: the refund is complete (退保完成) with its refund number.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: CompleteRefundInput, required: true }) },
    errors: { types: RefundErrors, directResult: true, union: { name: 'CompleteRefundResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, (await refunds.completeRefund(ctx, { refundId: input.refundId.id, refundNumber: input.refundNumber })).id),
  }),
}));

export { RefundEventRef };
