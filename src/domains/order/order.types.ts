import { builder, PLAIN_PROPERTY } from '../../builder.ts';
import { accessibleBy } from '../../auth/ability.ts';
import type { Context } from '../../context.ts';
import type { OrderStatus, Prisma } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { readUpload } from '../../files/file.types.ts';
import { ProjectTypeEnum } from '../catalog/catalog.types.ts';
import { formatMoney } from '../catalog/money.ts';
import { productConfig } from '../catalog/catalog.service.ts';
import { ProductUnavailableError } from '../catalog/catalog.service.ts';
import { BidSectionRef } from '../section/section.types.ts';
import { INSTITUTION_SELECT, InstitutionRef, PRODUCT_SELECT, ProductRef } from '../catalog/catalog.types.ts';
import { ORDER_STATUSES } from './order-states.ts';
import * as orders from './order.service.ts';
import { orderById, orderCount, orderPage } from './order-read-model.ts';
import { issueIfRealTime } from '../guarantee/guarantee.service.ts';
import { NO_TENANT, UUID } from '../common/formats.ts';

export const OrderStatusEnum = builder.enumType('OrderStatus', {
  description:
    'DRAFT 申请中, UNDER_REVIEW 投保审核, AWAITING_PAYMENT 待支付, PAID 付款成功, ISSUED 已出函; ABANDONED 已放弃, EXPIRED 已取消(超时), REJECTED 核保未通过, CANCELLED 已取消.',
  values: ORDER_STATUSES,
});

const PaymentOutcomeEnum = builder.enumType('PaymentOutcome', {
  description: 'APPLIED paid the order; DUPLICATE a second payment to refund in full; NON_BASIC_ACCOUNT cancelled and refunded less the service fee.',
  values: ['APPLIED', 'DUPLICATE', 'NON_BASIC_ACCOUNT'] as const,
});

const OrderEventRef = builder.prismaObject('OrderEvent', {
  // Select mode: what the order list's latest event shows is selected with the type (see GuaranteeOrder).
  select: { label: true, toStatus: true, createdAt: true },
  description: 'One step of the progress timeline the manuals show (提交 → 投保审核 → 付款成功 → 投保成功).',
  fields: (t) => ({
    action: t.exposeString('action'),
    fromStatus: t.expose('fromStatus', { type: OrderStatusEnum, nullable: true }),
    toStatus: t.expose('toStatus', { type: OrderStatusEnum }),
    label: t.exposeString('label'),
    actorType: t.exposeString('actorType'),
    reason: t.exposeString('reason', { nullable: true }),
    at: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const PaymentRef = builder.prismaObject('Payment', {
  fields: (t) => ({
    id: t.exposeID('id'),
    transactionId: t.exposeString('transactionId'),
    payerAccountName: t.exposeString('payerAccountName'),
    payerAccountNumber: t.exposeString('payerAccountNumber'),
    amount: t.field({ type: 'Decimal', resolve: (p) => formatMoney(p.amount) }),
    paidAt: t.expose('paidAt', { type: 'DateTime' }),
    outcome: t.expose('outcome', { type: PaymentOutcomeEnum }),
    refundDue: t.field({ type: 'Decimal', nullable: true, resolve: (p) => (p.refundDue === null ? null : formatMoney(p.refundDue)) }),
  }),
});

const PaymentProblemKindEnum = builder.enumType('PaymentProblemKind', {
  description: 'The payment problems of the Xinjiang 2021 manual: PAID_NOT_ISSUED 已支付未出函, DUPLICATE_PAYMENT_REFUND 重复支付申请退费.',
  values: ['PAID_NOT_ISSUED', 'DUPLICATE_PAYMENT_REFUND'] as const,
});

const PaymentProblemRef = builder.prismaNode('PaymentProblem', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id, tenantId: ctx.tenant?.id ?? NO_TENANT, order: accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder') }),
  fields: (t) => ({
    kind: t.expose('kind', { type: PaymentProblemKindEnum }),
    description: t.exposeString('description'),
    answer: t.exposeString('answer', { nullable: true }),
    answeredAt: t.expose('answeredAt', { type: 'DateTime', nullable: true }),
    raisedAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

interface Instructions {
  payeeAccountName: string | null;
  payeeBank: string | null;
  payeeAccountNumber: string | null;
  cashierUrl: string | null;
  reference: string;
  amount: string;
}

const PaymentInstructions = builder.objectRef<Instructions>('PaymentInstructions').implement({
  description: "Where and how to pay: the institution's payee account and the reference for the remittance note (附言), or its cashier.",
  fields: (t) => ({
    payeeAccountName: t.exposeString('payeeAccountName', { nullable: true }),
    payeeBank: t.exposeString('payeeBank', { nullable: true }),
    payeeAccountNumber: t.exposeString('payeeAccountNumber', { nullable: true }),
    cashierUrl: t.exposeString('cashierUrl', { nullable: true }),
    reference: t.exposeString('reference', { description: 'Write it in the transfer note so the institution can match the payment.' }),
    amount: t.expose('amount', { type: 'Decimal' }),
  }),
});

const Agreement = builder.objectRef<{ text: string; digest: string; signedAt: Date | null }>('OrderAgreement').implement({
  fields: (t) => ({
    text: t.exposeString('text'),
    digest: t.exposeString('digest', { description: 'SHA-256 of the text, hex: sign the text with RSA-SHA256.' }),
    signedAt: t.expose('signedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const GuaranteeOrderRef = builder.prismaNode('GuaranteeOrder', {
  id: { field: 'id' },
  description: 'A guarantee order (保函订单): the application and its payment.',
  // Select mode (here and on the types an order list shows): a query loads the columns its fields need, not every
  // column of every joined table. What a list shows and computed fields read is selected with the type and read by
  // plain resolvers: a field with a `select` of its own, `t.expose…` included, costs the prisma plugin a loader-map
  // lookup per row. The rest, Decimals above all (each costs Prisma a parse per row), only by the field that reads it.
  select: {
    id: true,
    number: true,
    status: true,
    amount: true,
    premium: true,
    createdAt: true,
    // Every order view shows them, so they are loaded with the order (joined) and read by plain resolvers below.
    institution: { select: INSTITUTION_SELECT },
    product: { select: PRODUCT_SELECT },
  },
  nullable: true,
  findUnique: (id, ctx) => ({ id, AND: [accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder'), { tenantId: ctx.tenant?.id ?? NO_TENANT }] }),
  fields: (t) => ({
    number: t.exposeString('number'),
    status: t.expose('status', { type: OrderStatusEnum }),
    projectType: t.expose('projectType', { type: ProjectTypeEnum }),
    paymentMethod: t.string({ description: 'GUARANTEE for every guarantee order.', resolve: () => 'GUARANTEE' }),
    amount: t.field({ type: 'Decimal', description: '担保金额: the section deposit.', resolve: (o) => formatMoney(o.amount) }),
    rate: t.field({ type: 'Decimal', select: { rate: true }, resolve: (o) => o.rate.toString() }),
    premium: t.field({ type: 'Decimal', description: 'Frozen when the order was created.', resolve: (o) => formatMoney(o.premium) }),
    // The section stays a relation: its other columns (project, tenderee, sealing) come joined with the order, as the
    // section's own lookup (its ability) would not load them for every viewer of an order. `readModelLoad` (here and
    // below): what the field reads of an order the read model built, which then answers it (src/db/read-model-row.ts).
    section: t.relation('section', { extensions: { readModelLoad: 'section' } }),
    // Plain fields, not `t.relation`: a relation field costs the prisma plugin a loader-map lookup and a scope per row
    // of a list. What these public catalogue types select beyond their type-level columns, they load themselves.
    product: t.field({ type: ProductRef, extensions: PLAIN_PROPERTY, resolve: (o) => o.product }),
    institution: t.field({ type: InstitutionRef, extensions: PLAIN_PROPERTY, resolve: (o) => o.institution }),
    bidderName: t.string({ select: { bidder: { select: { name: true } } }, extensions: { readModelLoad: 'bidder' }, resolve: (o) => o.bidder.name }),
    handlerName: t.exposeString('handlerName'),
    handlerMobile: t.exposeString('handlerMobile'),
    basicAccountName: t.exposeString('basicAccountName'),
    basicAccountBank: t.exposeString('basicAccountBank'),
    basicAccountNumber: t.exposeString('basicAccountNumber'),
    noticeVersion: t.exposeString('noticeVersion', { nullable: true }),
    noticeAcceptedAt: t.expose('noticeAcceptedAt', { type: 'DateTime', nullable: true }),
    termsVersion: t.exposeString('termsVersion', { nullable: true }),
    termsAcceptedAt: t.expose('termsAcceptedAt', { type: 'DateTime', nullable: true }),
    creditApprovedAt: t.expose('creditApprovedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'An unpaid order is cancelled at this time.' }),
    submittedAt: t.expose('submittedAt', { type: 'DateTime', nullable: true }),
    paidAt: t.expose('paidAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    paymentInstructions: t.field({
      type: PaymentInstructions,
      select: { paymentReference: true, premium: true, tenantId: true, product: { select: { code: true, tenantId: true } }, institution: { select: { code: true } } },
      extensions: { readModelLoad: ['product', 'institution'] },
      resolve: (o, _, ctx) => {
        const institution = ctx.tenants.byId(o.tenantId)?.config.institutions.find((i) => i.code === o.institution.code);
        return {
          payeeAccountName: institution?.payee?.accountName ?? null,
          payeeBank: institution?.payee?.bank ?? null,
          payeeAccountNumber: institution?.payee?.accountNumber ?? null,
          cashierUrl: productConfig(ctx, o.product)?.cashierUrl ?? null,
          reference: o.paymentReference,
          amount: formatMoney(o.premium),
        };
      },
    }),
    timeline: t.relation('events', {
      description: 'The progress timeline, oldest first.',
      query: { orderBy: { createdAt: 'asc' } },
      extensions: { readModelLoad: 'events' },
    }),
    latestEvent: t.field({
      type: OrderEventRef,
      nullable: true,
      select: (_args, _ctx, nestedSelection) => ({ events: nestedSelection({ orderBy: { createdAt: 'desc' }, take: 1 }) }),
      extensions: { readModelLoad: 'latestEvent' },
      resolve: (o) => o.events[0] ?? null,
    }),
    payments: t.relation('payments', { query: { orderBy: { createdAt: 'asc' } }, extensions: { readModelLoad: 'payments' } }),
    guarantee: t.relation('guarantee', { nullable: true, description: 'The guarantee issued for it, once ISSUED.' }),
    paymentProblems: t.relation('problems', { query: { orderBy: { createdAt: 'asc' } } }),
    agreement: t.field({
      type: Agreement,
      nullable: true,
      description: 'The application agreement to e-sign (材料签章), where the product has that step.',
      select: { product: { select: { tenantId: true, code: true } } },
      resolve: async (o, _, ctx) => {
        if (!productConfig(ctx, o.product)?.eSigningStep) return null;
        const order = await ctx.db.guaranteeOrder.findUniqueOrThrow({ where: { id: o.id } });
        return { ...(await orders.orderAgreement(ctx.db, order)), signedAt: order.agreementSignedAt };
      },
    }),
  }),
});

const OrderStatusCount = builder.objectRef<{ status: OrderStatus; count: number }>('OrderStatusCount').implement({
  fields: (t) => ({ status: t.expose('status', { type: OrderStatusEnum }), count: t.exposeInt('count') }),
});

function orderWhere(ctx: Context, args: { status?: readonly OrderStatus[] | null; search?: string | null }): Prisma.GuaranteeOrderWhereInput {
  const search = args.search?.trim();
  return {
    AND: [
      accessibleBy(ctx.ability, 'read').ofType('GuaranteeOrder'),
      { tenantId: ctx.requireTenant().id },
      args.status?.length ? { status: { in: [...args.status] } } : {},
      search
        ? {
            OR: [
              { number: { contains: search, mode: 'insensitive' } },
              { section: { name: { contains: search, mode: 'insensitive' } } },
              { section: { code: { contains: search, mode: 'insensitive' } } },
            ],
          }
        : {},
    ],
  };
}

builder.queryFields((t) => ({
  orders: t.prismaConnection({
    type: 'GuaranteeOrder',
    cursor: 'id',
    description: 'Orders of the active role: a bidder its own, an institution those placed with it, an admin its tenant. Newest first.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: {
      status: t.arg({ type: [OrderStatusEnum], required: false }),
      search: t.arg.string({ required: false, description: 'Order number, section name or section code.' }),
    },
    // The read model (order-read-model.ts) answers the page and the total where it covers the query; Prisma otherwise.
    // The total is counted beside the page, not after it, as every t.prismaConnection's (connection-total.ts).
    totalCount: async (_parent, args, ctx) => (await orderCount(ctx, args)) ?? ctx.db.guaranteeOrder.count({ where: orderWhere(ctx, args) }),
    resolve: async (query, _root, args, ctx) => {
      return (
        ((await orderPage(ctx, query, args)) as Prisma.GuaranteeOrderGetPayload<typeof query>[] | undefined) ??
        ctx.db.guaranteeOrder.findMany({ ...query, where: orderWhere(ctx, args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })
      );
    },
  }),
  orderCounts: t.field({
    type: [OrderStatusCount],
    description: 'How many of the visible orders are in each status (the tabs of the order list).',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { search: t.arg.string({ required: false }) },
    resolve: async (_root, args, ctx) => {
      const groups = await ctx.db.guaranteeOrder.groupBy({ by: ['status'], where: orderWhere(ctx, args), _count: { _all: true } });
      return ORDER_STATUSES.map((status) => ({ status, count: groups.find((g) => g.status === status)?._count._all ?? 0 }));
    },
  }),
  order: t.prismaField({
    type: 'GuaranteeOrder',
    nullable: true,
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { id: t.arg.globalID({ required: true, for: [GuaranteeOrderRef] }) },
    resolve: async (query, _root, { id }, ctx) => {
      const row = await orderById(ctx, query, id.id, { visible: true });
      if (row !== undefined) return row as Prisma.GuaranteeOrderGetPayload<typeof query> | null;
      // An id that is no UUID names no order (PostgreSQL would refuse the cast).
      return ctx.db.guaranteeOrder.findFirst({ ...query, where: { AND: [{ id: { in: UUID.test(id.id) ? [id.id] : [] } }, orderWhere(ctx, {})] } });
    },
  }),
}));

const CreateOrderInput = builder.inputType('CreateOrderInput', {
  fields: (t) => ({
    sectionId: t.globalID({ required: true, for: [BidSectionRef] }),
    productId: t.globalID({ required: true }),
    handlerName: t.string({ required: true, description: '经办人 name.' }),
    handlerMobile: t.string({ required: true }),
    basicAccountName: t.string({ required: false, description: "基本户; the enterprise's registered one when omitted." }),
    basicAccountBank: t.string({ required: false }),
    basicAccountNumber: t.string({ required: false }),
    openingPermit: t.field({ type: 'File', required: false, description: '开户许可证: jpg, jpeg or png up to 5 MB; required once per enterprise.' }),
  }),
});

const CreditInfoInput = builder.inputType('CreditInfoInput', {
  fields: (t) => ({
    annualRevenue: t.field({ type: 'Decimal', required: false }),
    employees: t.int({ required: false }),
    remark: t.string({ required: false }),
  }),
});

const SubmitOrderInput = builder.inputType('SubmitOrderInput', {
  fields: (t) => ({
    orderId: t.globalID({ required: true, for: [GuaranteeOrderRef] }),
    noticeVersion: t.string({ required: true, description: 'The version of the notice (投保须知) the bidder accepted.' }),
    termsVersion: t.string({ required: true, description: 'The version of the terms (保险条款) the bidder accepted.' }),
    creditInfo: t.field({ type: CreditInfoInput, required: false, description: 'Where the product has the credit step (Quzhou).' }),
  }),
});

const OrderDecisionInput = builder.inputType('OrderDecisionInput', {
  fields: (t) => ({
    orderId: t.globalID({ required: true, for: [GuaranteeOrderRef] }),
    approve: t.boolean({ required: true }),
    reason: t.string({ required: false }),
  }),
});

const AbandonOrderInput = builder.inputType('AbandonOrderInput', {
  fields: (t) => ({ orderId: t.globalID({ required: true, for: [GuaranteeOrderRef] }), reason: t.string({ required: false }) }),
});

const ConfirmPaymentInput = builder.inputType('ConfirmPaymentInput', {
  fields: (t) => ({
    orderId: t.globalID({ required: true, for: [GuaranteeOrderRef] }),
    transactionId: t.string({ required: true, description: "The institution's own id of the receipt; confirming it again changes nothing." }),
    payerAccountName: t.string({ required: true }),
    payerAccountNumber: t.string({ required: true }),
    payerBank: t.string({ required: false }),
    amount: t.field({ type: 'Decimal', required: true }),
    paidAt: t.field({ type: 'DateTime', required: true }),
  }),
});

const SignOrderAgreementInput = builder.inputType('SignOrderAgreementInput', {
  fields: (t) => ({
    orderId: t.globalID({ required: true, for: [GuaranteeOrderRef] }),
    certificatePem: t.string({ required: true }),
    signature: t.string({ required: true, description: 'RSA-SHA256 signature of the agreement text, base64.' }),
  }),
});

const RaisePaymentProblemInput = builder.inputType('RaisePaymentProblemInput', {
  fields: (t) => ({
    orderId: t.globalID({ required: true, for: [GuaranteeOrderRef] }),
    kind: t.field({ type: PaymentProblemKindEnum, required: true }),
    description: t.string({ required: true }),
  }),
});

const AnswerPaymentProblemInput = builder.inputType('AnswerPaymentProblemInput', {
  fields: (t) => ({ problemId: t.globalID({ required: true, for: [PaymentProblemRef] }), answer: t.string({ required: true }) }),
});

const PaymentConfirmationRef = builder.objectRef<orders.PaymentConfirmation>('PaymentConfirmation').implement({
  fields: (t) => ({
    order: t.prismaField({ type: 'GuaranteeOrder', resolve: (query, c, _, ctx) => ctx.db.guaranteeOrder.findUniqueOrThrow({ ...query, where: { id: c.order.id } }) }),
    payment: t.prismaField({ type: 'Payment', resolve: (query, c, _, ctx) => ctx.db.payment.findUniqueOrThrow({ ...query, where: { id: c.payment.id } }) }),
    repeated: t.exposeBoolean('repeated', { description: 'True when the same transaction had been confirmed before: nothing new was recorded.' }),
  }),
});

const OrderErrors = [ValidationError, NotFoundError, ForbiddenError, ProductUnavailableError, AppError];
/**
 * The order a mutation answers with: the one its writing statement read (`answer`), or read now, after the service
 * has checked and written it.
 */
async function reload(ctx: Context, query: object, { id, answer }: { id: string; answer?: Record<string, unknown> }) {
  const row = (answer ?? (await orderById(ctx, query as Record<string, unknown>, id, { visible: false }))) as Prisma.GuaranteeOrderGetPayload<object> | null | undefined;
  return row ?? ctx.db.guaranteeOrder.findUniqueOrThrow({ ...query, where: { id } });
}

builder.mutationFields((t) => ({
  createOrder: t.prismaField({
    type: 'GuaranteeOrder',
    description: 'Applies for a guarantee: section, product, handler, basic account and opening permit. The premium is frozen.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: CreateOrderInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'CreateOrderResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const order = await orders.createOrder(
        ctx,
        { ...input, sectionId: input.sectionId.id, productId: input.productId.id, openingPermit: await readUpload(input.openingPermit) },
        query,
      );
      return reload(ctx, query, order);
    },
  }),
  submitOrder: t.prismaField({
    type: 'GuaranteeOrder',
    description: 'Accepts the notice and terms and submits: to underwriting review for reviewed products, to payment otherwise.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: SubmitOrderInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'SubmitOrderResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const order = await orders.submitOrder(ctx, { ...input, orderId: input.orderId.id }, query);
      return reload(ctx, query, order);
    },
  }),
  abandonOrder: t.prismaField({
    type: 'GuaranteeOrder',
    description: 'Gives up an unpaid order (放弃); the bidder may apply again for the section before opening.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: AbandonOrderInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'AbandonOrderResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, await orders.abandonOrder(ctx, input.orderId.id, input.reason)),
  }),
  decideUnderwriting: t.prismaField({
    type: 'GuaranteeOrder',
    description: "The institution's underwriting decision (投保审核) on an order of a reviewed product.",
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: OrderDecisionInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'DecideUnderwritingResult' } },
    resolve: async (query, _root, { input }, ctx) =>
      reload(ctx, query, await orders.decideUnderwriting(ctx, input.orderId.id, input.approve, input.reason)),
  }),
  signOrderAgreement: t.prismaField({
    type: 'GuaranteeOrder',
    description: 'E-signs the application agreement with the enterprise certificate (Quzhou 材料签章).',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: SignOrderAgreementInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'SignOrderAgreementResult' } },
    resolve: async (query, _root, { input }, ctx) => reload(ctx, query, await orders.signOrderAgreement(ctx, { ...input, orderId: input.orderId.id })),
  }),
  raisePaymentProblem: t.prismaField({
    type: 'PaymentProblem',
    description: 'The bidder asks the institution about a payment: paid but not issued, or refund a duplicate payment.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: RaisePaymentProblemInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'RaisePaymentProblemResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const problem = await orders.raisePaymentProblem(ctx, { ...input, orderId: input.orderId.id });
      return ctx.db.paymentProblem.findUniqueOrThrow({ ...query, where: { id: problem.id } });
    },
  }),
  answerPaymentProblem: t.prismaField({
    type: 'PaymentProblem',
    description: 'The institution answers a payment problem on one of its orders.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: AnswerPaymentProblemInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'AnswerPaymentProblemResult' } },
    resolve: async (query, _root, { input }, ctx) => {
      const problem = await orders.answerPaymentProblem(ctx, { problemId: input.problemId.id, answer: input.answer });
      return ctx.db.paymentProblem.findUniqueOrThrow({ ...query, where: { id: problem.id } });
    },
  }),
  confirmPayment: t.field({
    type: PaymentConfirmationRef,
    description: 'The institution confirms a payment: payer account, amount and time. Idempotent per transaction id.',
    skipTypeScopes: true,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: ConfirmPaymentInput, required: true }) },
    errors: { types: OrderErrors, directResult: true, union: { name: 'ConfirmPaymentResult' } },
    resolve: async (_root, { input }, ctx) => {
      const confirmation = await orders.confirmPayment(ctx, { ...input, orderId: input.orderId.id });
      return confirmation.repeated ? confirmation : { ...confirmation, order: await issueIfRealTime(ctx, confirmation.order) };
    },
  }),
}));

export { OrderEventRef, PaymentRef };
