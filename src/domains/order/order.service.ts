import { createHash, randomInt, randomUUID } from 'node:crypto';
import { subject } from '@casl/ability';
import type { Context } from '../../context.ts';
import type { BidSection, Enterprise, GuaranteeOrder, Payment, Prisma, PrismaClient, Product } from '../../db/generated/prisma/client.ts';
import { AppError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../errors.ts';
import { domainEventInsert, ORDERED_CTE, recordDomainEvent, type DomainEventInput } from '../../events/outbox.ts';
import { SqlParams, utc } from '../../db/sql.ts';
import { checkUpload } from '../../files/sniff.ts';
import { sha256Hex, verifyCertificateChain, verifyDigestSignature } from '../../crypto/index.ts';
import type { TenantContext } from '../../tenants/registry.ts';
import { assertProductAvailable, productConfig, requireProjectType } from '../catalog/catalog.service.ts';
import { Decimal, formatMoney, parseAmount, quotePremium } from '../catalog/money.ts';
import { orderNumber } from './order-number.ts';
import { orderById, writtenOrder } from './order-read-model.ts';
import { findOrderTransition, type OrderAction, type OrderActor, type OrderFacts, LIVE_STATUSES } from './order-states.ts';
import { ACCOUNT_NUMBER, MOBILE, UUID } from '../common/formats.ts';

export const OPENING_PERMIT_MAX_BYTES = 5 * 1024 * 1024;

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export interface CreateOrderInput {
  sectionId: string;
  productId: string;
  handlerName: string;
  handlerMobile: string;
  basicAccountName?: string | null;
  basicAccountBank?: string | null;
  basicAccountNumber?: string | null;
  openingPermit?: UploadedFile | null;
}

/** Who acts on an order, as the transition table knows them. */
export interface OrderActorRef {
  type: OrderActor;
  userId: string | null;
}

function actorOf(ctx: Context, type: OrderActor): OrderActorRef {
  return { type, userId: ctx.viewer?.userId ?? null };
}

/**
 * Creates the bidder's application (DRAFT) for a section and a product, with the premium quoted by the catalogue
 * rule and frozen on the order. Refuses a paused or testing product, a section past opening or closed, a payment
 * method the tenant does not offer for the section's project type, a missing registration where the tenant requires
 * one, and a second live order for the same section.
 */
export async function createOrder(ctx: Context, input: CreateOrderInput, answer?: OrderQuery): Promise<WrittenOrder> {
  const tenant = ctx.requireTenant();
  const viewer = ctx.viewer;
  const bidderId = viewer?.enterpriseId;
  if (!viewer || viewer.role !== 'BIDDER' || !bidderId || !ctx.ability.can('create', subject('GuaranteeOrder', { tenantId: tenant.id, bidderId } as GuaranteeOrder))) {
    throw new ForbiddenError('Only a bidder may apply for a guarantee');
  }
  const { section, product, enterprise } = await readApplication(ctx, tenant.id, input.sectionId, input.productId, bidderId);
  // The section's read rules (section.rules.ts) name only the columns read here: tenant, tenderee, agent.
  if (!section || !ctx.ability.can('read', subject('BidSection', section as unknown as BidSection))) throw new NotFoundError('Section', 'input.sectionId', 'SECTION_NOT_FOUND');
  if (!product) throw new NotFoundError('Product', 'input.productId', 'PRODUCT_NOT_FOUND');
  if (!['OPEN', 'CHANGED'].includes(section.status) || section.openingAt.getTime() <= Date.now()) {
    throw new AppError('SECTION_CLOSED', `Section ${section.code} is ${section.status === 'OPEN' ? 'past its opening time' : section.status}: it takes no applications`, 'input.sectionId');
  }
  const projectType = requireProjectType(tenant, section.projectType, 'input.sectionId');
  if (!projectType.paymentMethods.includes('GUARANTEE')) {
    throw new AppError('PAYMENT_METHOD_NOT_OFFERED', `${tenant.name} does not accept guarantees for ${section.projectType} sections`, 'input.sectionId');
  }
  if (tenant.config.orders.sectionRegistrationRequired && !section.registered) {
    throw new AppError(
      'REGISTRATION_REQUIRED',
      tenant.config.orders.registrationRequiredMessage ?? 'Register for this section before choosing a payment method',
      'input.sectionId',
    );
  }
  assertProductAvailable(product, 'input.productId');
  if (!product.institution.online) throw new AppError('INSTITUTION_OFFLINE', `${product.institution.name} is offline`, 'input.productId');
  const config = productConfig(ctx, product);
  if (config?.projectTypes && !config.projectTypes.includes(section.projectType)) {
    throw new AppError('PRODUCT_NOT_FOR_PROJECT_TYPE', `${product.name} is not offered for ${section.projectType} sections`, 'input.productId');
  }
  const handlerName = input.handlerName.trim();
  if (!handlerName) throw new ValidationError('input.handlerName', 'The handler (经办人) name must not be empty');
  if (!MOBILE.test(input.handlerMobile)) throw new ValidationError('input.handlerMobile', 'A mobile number is 11 digits starting with 1', 'MOBILE_MALFORMED');
  const account = {
    basicAccountName: (input.basicAccountName ?? enterprise.basicAccountName).trim(),
    basicAccountBank: (input.basicAccountBank ?? enterprise.basicAccountBank).trim(),
    basicAccountNumber: (input.basicAccountNumber ?? enterprise.basicAccountNumber).replace(/\s/g, ''),
  };
  if (!account.basicAccountName) throw new ValidationError('input.basicAccountName', 'The basic account name must not be empty');
  if (!account.basicAccountBank) throw new ValidationError('input.basicAccountBank', 'The basic account bank must not be empty');
  if (!ACCOUNT_NUMBER.test(account.basicAccountNumber)) {
    throw new ValidationError('input.basicAccountNumber', 'A bank account number is 6 to 32 digits', 'ACCOUNT_NUMBER_MALFORMED');
  }
  const permit = input.openingPermit;
  const permitKind = permit ? checkUpload(permit.bytes, ['jpeg', 'png'], OPENING_PERMIT_MAX_BYTES, 'input.openingPermit') : undefined;
  if (!permit && !enterprise.openingPermitFile) {
    throw new ValidationError('input.openingPermit', 'Upload the basic account opening permit (开户许可证): jpg, jpeg or png up to 5 MB', 'OPENING_PERMIT_REQUIRED');
  }

  const quote = quotePremium(section.depositAmount, product.rate, product.minimumPremium);
  const now = new Date();
  const draft: DraftOrder = {
    id: '',
    tenantId: tenant.id,
    number: '',
    sectionId: section.id,
    bidderId,
    applicantId: viewer.userId!,
    institutionId: product.institutionId,
    productId: product.id,
    liveKey: `${section.id}:${bidderId}`,
    projectType: section.projectType,
    amount: formatMoney(quote.amount),
    rate: product.rate.toString(),
    minimumPremium: product.minimumPremium.toString(),
    premium: formatMoney(quote.premium),
    handlerName,
    handlerMobile: input.handlerMobile,
    ...account,
    openingPermitId: enterprise.openingPermitFile,
    paymentReference: paymentReference(),
    expiresAt: new Date(now.getTime() + tenant.config.orders.unpaidTimeoutMinutes * 60_000),
    createdAt: now,
  };
  // The number's five random digits can clash within one second: draw again a few times before giving up.
  for (let attempt = 1; ; attempt += 1) {
    draft.id = randomUUID();
    draft.number = orderNumber(tenant.config.orderNumberPrefix, now, tenant.config.timeZone);
    try {
      if (!permit) return await insertDraftOrder(ctx, draft, viewer.userId, answer);
      return await ctx.db.$transaction(async (tx) => {
        const file = await tx.storedFile.create({
          data: {
            tenantId: tenant.id,
            kind: 'OPENING_PERMIT',
            mimeType: permitKind === 'png' ? 'image/png' : 'image/jpeg',
            size: permit.bytes.length,
            sha256: createHash('sha256').update(permit.bytes).digest('hex'),
            content: Buffer.from(permit.bytes),
            ownerUserId: viewer.userId,
          },
        });
        await tx.enterprise.update({ where: { id: bidderId }, data: { openingPermitFile: file.id } });
        const order = await tx.guaranteeOrder.create({ data: { ...draft, openingPermitId: file.id } });
        await tx.orderEvent.create({
          data: { tenantId: tenant.id, orderId: order.id, action: 'CREATE', fromStatus: null, toStatus: 'DRAFT', label: CREATED_LABEL, actorType: 'BIDDER', actorUserId: viewer.userId },
        });
        await announce(tx, order, 'CREATE', null);
        return order;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'liveKey')) {
        throw new AppError('ORDER_ALREADY_LIVE', 'You already have an order for this section; abandon it first to apply again', 'input.sectionId');
      }
      if (!isUniqueViolation(error, 'number') || attempt >= 5) throw error;
    }
  }
}

/** What createOrder reads: the section (and whether the bidder registered for it), the product and its institution. */
interface Application {
  section?: Pick<BidSection, 'id' | 'tenantId' | 'code' | 'status' | 'projectType' | 'tendereeId' | 'agentId' | 'openingAt'> & { depositAmount: Decimal; registered: boolean };
  product?: Pick<Product, 'id' | 'tenantId' | 'institutionId' | 'code' | 'name' | 'status' | 'retiredAt' | 'issuance'> & {
    rate: Decimal;
    minimumPremium: Decimal;
    institution: { name: string; online: boolean };
  };
  enterprise: Pick<Enterprise, 'basicAccountName' | 'basicAccountBank' | 'basicAccountNumber' | 'openingPermitFile'>;
}

// One statement for the three reads createOrder makes (issue 9: they were three Prisma statements). Section and
// product are looked up in the request's tenant; an id that is no UUID matches nothing.
const APPLICATION_SQL = `/* createOrder: section, product, enterprise */ SELECT
    s.id AS "s.id", s."tenantId" AS "s.tenantId", s.code AS "s.code", s.status AS "s.status", s."projectType" AS "s.projectType",
    s."tendereeId" AS "s.tendereeId", s."agentId" AS "s.agentId", s."depositAmount"::text AS "s.depositAmount", ${utc('s."openingAt"', 's.openingAt')},
    EXISTS (SELECT 1 FROM "SectionRegistration" r WHERE r."sectionId" = s.id AND r."enterpriseId" = $4::uuid) AS "s.registered",
    p.id AS "p.id", p."tenantId" AS "p.tenantId", p."institutionId" AS "p.institutionId", p.code AS "p.code", p.name AS "p.name",
    p.status AS "p.status", ${utc('p."retiredAt"', 'p.retiredAt')}, p.issuance AS "p.issuance", p.rate::text AS "p.rate",
    p."minimumPremium"::text AS "p.minimumPremium", i.name AS "i.name", i.online AS "i.online",
    e."basicAccountName", e."basicAccountBank", e."basicAccountNumber", e."openingPermitFile"
  FROM "Enterprise" e
  LEFT JOIN "BidSection" s ON s.id = $2::uuid AND s."tenantId" = $1::uuid
  LEFT JOIN "Product" p ON p.id = $3::uuid AND p."tenantId" = $1::uuid
  LEFT JOIN "Institution" i ON i.id = p."institutionId"
 WHERE e.id = $4::uuid`;

async function readApplication(ctx: Context, tenantId: string, sectionId: string, productId: string, bidderId: string): Promise<Application> {
  const [row] = await ctx.sql.query<Record<string, string | boolean | Date | null>>(APPLICATION_SQL, [
    tenantId,
    UUID.test(sectionId) ? sectionId : null,
    UUID.test(productId) ? productId : null,
    bidderId,
  ]);
  if (!row) throw new Error(`the session's enterprise ${bidderId} does not exist`);
  const at = (prefix: string) => (key: string) => row[`${prefix}.${key}`] as never;
  const s = at('s');
  const p = at('p');
  return {
    section: row['s.id'] === null ? undefined : {
      id: s('id'), tenantId: s('tenantId'), code: s('code'), status: s('status'), projectType: s('projectType'), tendereeId: s('tendereeId'),
      agentId: s('agentId'), openingAt: s('openingAt'), depositAmount: new Decimal(s('depositAmount')), registered: s('registered'),
    },
    product: row['p.id'] === null ? undefined : {
      id: p('id'), tenantId: p('tenantId'), institutionId: p('institutionId'), code: p('code'), name: p('name'), status: p('status'),
      retiredAt: p('retiredAt'), issuance: p('issuance'), rate: new Decimal(p('rate')), minimumPremium: new Decimal(p('minimumPremium')),
      institution: { name: row['i.name'] as string, online: row['i.online'] as boolean },
    },
    enterprise: row as unknown as Application['enterprise'],
  };
}

const CREATED_LABEL = '申请中';

/** The columns of a new order (DRAFT, version 1), as createOrder writes them. */
type DraftOrder = Omit<Prisma.GuaranteeOrderUncheckedCreateInput, 'status' | 'version'> & {
  id: string;
  number: string;
  liveKey: string;
  amount: string;
  rate: string;
  minimumPremium: string;
  premium: string;
  openingPermitId: string | null;
  expiresAt: Date;
  createdAt: Date;
};

const DRAFT_COLUMNS = [
  ['id', 'uuid'],
  ['tenantId', 'uuid'],
  ['number', 'text'],
  ['sectionId', 'uuid'],
  ['bidderId', 'uuid'],
  ['applicantId', 'uuid'],
  ['institutionId', 'uuid'],
  ['productId', 'uuid'],
  ['liveKey', 'text'],
  ['projectType', '"ProjectType"'],
  ['amount', 'numeric'],
  ['rate', 'numeric'],
  ['minimumPremium', 'numeric'],
  ['premium', 'numeric'],
  ['handlerName', 'text'],
  ['handlerMobile', 'text'],
  ['basicAccountName', 'text'],
  ['basicAccountBank', 'text'],
  ['basicAccountNumber', 'text'],
  ['openingPermitId', 'uuid'],
  ['paymentReference', 'text'],
  ['expiresAt', 'time'],
  ['createdAt', 'time'],
] as const satisfies ReadonlyArray<readonly [keyof DraftOrder, string]>;

/**
 * The common case of createOrder (the permit uploaded before): the order, its timeline row and its outbox event in
 * one hand-written statement, which is its own transaction, instead of an interactive transaction of four round
 * trips (issue 9: each Prisma statement costs ≈ 0.35 ms of CPU here, and the transaction ≈ 0.6 ms more). It writes
 * what Prisma's `create` would: status DRAFT, version 1, `updatedAt` = `createdAt`. A unique violation (the live
 * key, the number) fails the whole statement, and nothing is written.
 */
async function insertDraftOrder(ctx: Context, draft: DraftOrder, actorUserId: string | null, answer?: OrderQuery): Promise<WrittenOrder> {
  const params = new SqlParams();
  const values = DRAFT_COLUMNS.map(([field, type]) => (type === 'time' ? params.addTime(draft[field] as Date) : params.add(draft[field], type)));
  const createdAt = values[DRAFT_COLUMNS.findIndex(([field]) => field === 'createdAt')]!;
  const actor: OrderActorRef = { type: 'BIDDER', userId: actorUserId };
  const written = writtenOrder(ctx, answer, { orders: 'created', timeline: 'timeline' });
  const sql = `WITH ${ORDERED_CTE},
  created AS (
    INSERT INTO "GuaranteeOrder" (${DRAFT_COLUMNS.map(([field]) => `"${field}"`).join(', ')}, status, version, "updatedAt")
    VALUES (${values.join(', ')}, 'DRAFT', 1, ${createdAt})
    RETURNING *),
  timeline AS (${timelineInsert(params, 'created', { tenantId: draft.tenantId, action: 'CREATE', fromStatus: null, toStatus: 'DRAFT', label: CREATED_LABEL, actor, reason: null, at: createdAt })}),
  event AS (${domainEventInsert(params, statusChanged(draft, 'CREATE', null, 'DRAFT'), 'created')})
  ${written ? `SELECT ${written.select}\n  FROM ${written.from}` : 'SELECT id FROM created'}`;
  const [row] = await ctx.sql.query<Record<string, unknown>>(sql, params.values);
  return { id: draft.id, answer: written && row ? written.read(row) : undefined };
}

/** A Prisma-style query (`{ select }`) for the order a write answers with, as Pothos plans it for the mutation's field. */
export type OrderQuery = Record<string, unknown>;

/** The order a write wrote: its id, and the order as `answer` selected it where the write could read it in its own statement. */
export interface WrittenOrder {
  id: string;
  answer?: Record<string, unknown>;
}

export interface SubmitOrderInput {
  orderId: string;
  noticeVersion: string;
  termsVersion: string;
  /** Quzhou: the credit information step (auto-approved). */
  creditInfo?: { annualRevenue?: string | null; employees?: number | null; remark?: string | null } | null;
}

/**
 * Submits a DRAFT: records acceptance of the tenant's notice and terms (version and time), then review or payment.
 *
 * The order is read without a row lock and moved in one statement guarded by the version it was read at
 * ({@link writeTransition}): if anything moved the order meanwhile, the submit fails with CONCURRENT_UPDATE and
 * writes nothing. Two round trips instead of an interactive transaction of eight (issue 9).
 */
export async function submitOrder(ctx: Context, input: SubmitOrderInput, answer?: OrderQuery): Promise<WrittenOrder> {
  const tenant = ctx.requireTenant();
  requireRole(ctx, 'BIDDER', 'Only the bidder submits its application');
  const found = await readSubmittable(ctx, tenant.id, input.orderId);
  // The order's rules (order.rules.ts) name only columns read here: tenant, bidder, institution.
  if (!found || !ctx.ability.can('read', subject('GuaranteeOrder', found as unknown as GuaranteeOrder))) throw new NotFoundError('Order', 'input.orderId', 'ORDER_NOT_FOUND');
  if (!ctx.ability.can('update', subject('GuaranteeOrder', found as unknown as GuaranteeOrder))) throw new ForbiddenError();
  const { product, ...order } = found;
  const documents = tenant.config.documents;
  if (documents && input.noticeVersion !== documents.notice.version) {
    throw new ValidationError('input.noticeVersion', `Accept the current notice (投保须知), version ${documents.notice.version}`, 'NOTICE_NOT_ACCEPTED');
  }
  if (documents && input.termsVersion !== documents.terms.version) {
    throw new ValidationError('input.termsVersion', `Accept the current terms (保险条款), version ${documents.terms.version}`, 'TERMS_NOT_ACCEPTED');
  }
  const config = productConfig(ctx, product);
  const now = new Date();
  const set: ColumnValue[] = [
    ['noticeVersion', input.noticeVersion, 'text'],
    ['noticeAcceptedAt', now, 'time'],
    ['termsVersion', input.termsVersion, 'text'],
    ['termsAcceptedAt', now, 'time'],
    ['submittedAt', now, 'time'],
  ];
  if (config?.creditInfoStep) {
    if (!input.creditInfo) throw new ValidationError('input.creditInfo', 'This product needs the credit information step (授信信息)', 'CREDIT_INFO_REQUIRED');
    set.push(['creditInfo', JSON.stringify(input.creditInfo), 'jsonb'], ['creditApprovedAt', now, 'time']);
  }
  if (config?.eSigningStep && !order.agreementSignedAt) {
    throw new AppError('AGREEMENT_NOT_SIGNED', 'Sign the application agreement (材料签章) with the enterprise certificate first', 'input.orderId');
  }
  const written = await writeTransition(ctx, order, 'SUBMIT', actorOf(ctx, 'BIDDER'), { issuance: product.issuance }, set, { now, answer });
  return { id: order.id, answer: written };
}

/** What submitOrder reads of the order: what the ability, the transition and its guards need. */
const SUBMITTABLE = {
  select: {
    id: true,
    tenantId: true,
    number: true,
    sectionId: true,
    bidderId: true,
    institutionId: true,
    status: true,
    version: true,
    agreementSignedAt: true,
    product: { select: { tenantId: true, code: true, issuance: true } },
  },
} as const satisfies { select: Prisma.GuaranteeOrderSelect };
type Submittable = Pick<GuaranteeOrder, TransitionedOrder | 'agreementSignedAt'> & { product: Pick<Product, 'tenantId' | 'code' | 'issuance'> };

/** The order in the tenant, through the read model where it is on (one cheap statement), through Prisma otherwise. */
async function readSubmittable(ctx: Context, tenantId: string, orderId: string): Promise<Submittable | null> {
  const row = await orderById(ctx, SUBMITTABLE, orderId, { visible: false });
  if (row !== undefined) return row as unknown as Submittable | null;
  return UUID.test(orderId) ? ctx.db.guaranteeOrder.findFirst({ ...SUBMITTABLE, where: { id: orderId, tenantId } }) : null;
}

/** The columns of an order a transition reads: the ability's, the table's, the outbox event's. */
type TransitionedOrder = 'id' | 'tenantId' | 'number' | 'sectionId' | 'bidderId' | 'institutionId' | 'status' | 'version';

/** A column an order transition sets, its value, and how the value is sent ('time': a Date, stored as UTC). */
export type ColumnValue = readonly [column: keyof GuaranteeOrder, value: string | Date | null, type: 'text' | 'jsonb' | 'time'];

/**
 * {@link transitionOrder} as one hand-written statement, which is its own transaction: the row of the transition
 * table is checked here, then the update (status, version, live key, `set`), the timeline row and the outbox event
 * are written together, the update guarded by the version `order` was read at. If the order moved meanwhile nothing
 * matches, nothing is written, and this throws CONCURRENT_UPDATE.
 */
export async function writeTransition(
  ctx: Pick<Context, 'sql' | 'sqlReadModels'>,
  order: Pick<GuaranteeOrder, TransitionedOrder>,
  action: OrderAction,
  actor: OrderActorRef,
  facts: OrderFacts,
  set: readonly ColumnValue[],
  { now = new Date(), reason = null, answer }: { now?: Date; reason?: string | null; answer?: OrderQuery } = {},
): Promise<Record<string, unknown> | undefined> {
  const transition = findOrderTransition(order.status, action, actor.type, facts);
  const params = new SqlParams();
  const at = params.addTime(now);
  const live = LIVE_STATUSES.includes(transition.to);
  const assignments = [
    ...set.map(([column, value, type]) => `"${column}" = ${type === 'time' ? params.addTime(value as Date) : params.add(value, type)}`),
    `status = ${params.add(transition.to, '"OrderStatus"')}`,
    'version = version + 1',
    `"liveKey" = ${params.add(live ? `${order.sectionId}:${order.bidderId}` : null, 'text')}`,
    `"updatedAt" = ${at}`,
  ];
  const timeline = { tenantId: order.tenantId, action, fromStatus: order.status, toStatus: transition.to, label: transition.label, actor, reason, at };
  const written = writtenOrder(ctx, answer, { orders: 'moved', timeline: 'timeline' });
  const sql = `WITH ${ORDERED_CTE},
  moved AS (
    UPDATE "GuaranteeOrder" SET ${assignments.join(', ')}
    WHERE id = ${params.add(order.id, 'uuid')} AND version = ${params.add(order.version, 'int')}
    RETURNING *),
  timeline AS (${timelineInsert(params, 'moved', timeline)}),
  event AS (${domainEventInsert(params, statusChanged(order, action, order.status, transition.to), 'moved')})
  ${written ? `SELECT ${written.select}\n  FROM ${written.from}` : 'SELECT id FROM moved'}`;
  const rows = await ctx.sql.query<Record<string, unknown>>(sql, params.values);
  if (rows.length === 0) throw new AppError('CONCURRENT_UPDATE', 'The order changed meanwhile; reload it and try again');
  return written ? written.read(rows[0]!) : undefined;
}

/** The bidder gives up an unpaid order; it may apply again for the section before opening. */
export async function abandonOrder(ctx: Context, orderId: string, reason: string | null | undefined): Promise<GuaranteeOrder> {
  requireRole(ctx, 'BIDDER', 'Only the bidder may abandon its order');
  return withOrder(ctx, orderId, 'update', async (tx, order) => {
    return transitionOrder(tx, order, 'ABANDON', actorOf(ctx, 'BIDDER'), await factsOf(tx, order), { reason: reason ?? null, data: { closedAt: new Date() } });
  });
}

/** The institution's underwriting decision on a reviewed product's order. */
export async function decideUnderwriting(ctx: Context, orderId: string, approve: boolean, reason: string | null | undefined): Promise<GuaranteeOrder> {
  requireRole(ctx, 'INSTITUTION', 'Only the institution decides underwriting');
  return withOrder(ctx, orderId, 'update', async (tx, order) => {
    if (!approve && !reason?.trim()) throw new ValidationError('input.reason', 'Say why the application is declined', 'REASON_REQUIRED');
    const action: OrderAction = approve ? 'APPROVE_UNDERWRITING' : 'REJECT_UNDERWRITING';
    return transitionOrder(tx, order, action, actorOf(ctx, 'INSTITUTION'), await factsOf(tx, order), {
      reason: reason ?? null,
      data: approve ? {} : { closedAt: new Date() },
    });
  });
}

export interface ConfirmPaymentInput {
  orderId: string;
  transactionId: string;
  payerAccountName: string;
  payerAccountNumber: string;
  payerBank?: string | null;
  amount: string;
  paidAt: Date;
}

export interface PaymentConfirmation {
  order: GuaranteeOrder;
  payment: Payment;
  /** True when this call recorded nothing new: the same transaction was confirmed before. */
  repeated: boolean;
}

/**
 * The institution confirms money received for an order. The same transaction again returns the first result and
 * writes nothing; a second, different payment for a paid order is recorded as a duplicate to refund; a payment from
 * other than the basic account where the product requires it cancels the order with a refund less the service fee;
 * an amount other than the premium is refused.
 */
export async function confirmPayment(ctx: Context, input: ConfirmPaymentInput): Promise<PaymentConfirmation> {
  const tenant = ctx.requireTenant();
  const institutionId = requireRole(ctx, 'INSTITUTION', 'Only the institution confirms payments').institutionId!;
  const transactionId = input.transactionId.trim();
  if (!/^[A-Za-z0-9_-]{4,64}$/.test(transactionId)) {
    throw new ValidationError('input.transactionId', 'A transaction id is 4 to 64 letters, digits, hyphens or underscores');
  }
  const amount = parseAmount(input.amount, 'input.amount');
  const payerAccountNumber = input.payerAccountNumber.replace(/\s/g, '');
  if (!ACCOUNT_NUMBER.test(payerAccountNumber)) {
    throw new ValidationError('input.payerAccountNumber', 'A bank account number is 6 to 32 digits', 'ACCOUNT_NUMBER_MALFORMED');
  }
  if (!input.payerAccountName.trim()) throw new ValidationError('input.payerAccountName', 'The payer account name must not be empty');
  if (input.paidAt.getTime() > Date.now() + 5 * 60_000) throw new ValidationError('input.paidAt', 'paidAt is in the future', 'PAID_AT_IN_FUTURE');

  return withOrder(ctx, input.orderId, 'update', async (tx, order) => {
    const existing = await tx.payment.findUnique({ where: { institutionId_transactionId: { institutionId, transactionId } } });
    if (existing) {
      if (existing.orderId !== order.id) throw new AppError('TRANSACTION_ID_REUSED', 'This transaction id was confirmed for another order', 'input.transactionId');
      return { order, payment: existing, repeated: true };
    }
    if (!amount.eq(order.premium)) {
      throw new AppError('PAYMENT_AMOUNT_MISMATCH', `The premium is ${formatMoney(order.premium)} yuan; ${formatMoney(amount)} was reported`, 'input.amount', {
        premium: formatMoney(order.premium),
      });
    }
    const paymentData = {
      tenantId: tenant.id,
      orderId: order.id,
      institutionId,
      transactionId,
      payerAccountName: input.payerAccountName.trim(),
      payerAccountNumber,
      payerBank: input.payerBank?.trim() || null,
      amount: formatMoney(amount),
      paidAt: input.paidAt,
    };
    if (order.status === 'PAID' || order.status === 'ISSUED') {
      const payment = await tx.payment.create({ data: { ...paymentData, outcome: 'DUPLICATE', refundDue: formatMoney(amount) } });
      await recordDomainEvent(tx, { tenantId: tenant.id, type: 'PAYMENT_DUPLICATE', aggregateType: 'GuaranteeOrder', aggregateId: order.id, payload: { paymentId: payment.id } });
      return { order, payment, repeated: false };
    }
    const product = await tx.product.findUniqueOrThrow({ where: { id: order.productId } });
    const config = productConfig(ctx, product);
    const facts: OrderFacts = { issuance: product.issuance, paidBeforeExpiry: input.paidAt.getTime() <= order.expiresAt.getTime() };
    if (config?.basicAccountRequiredFor.includes(order.projectType) && payerAccountNumber !== order.basicAccountNumber) {
      const fee = new Decimal(config.serviceFee);
      const refundDue = Decimal.max(amount.minus(fee), 0);
      const payment = await tx.payment.create({ data: { ...paymentData, outcome: 'NON_BASIC_ACCOUNT', refundDue: formatMoney(refundDue) } });
      const cancelled = await transitionOrder(tx, order, 'CANCEL', { type: 'SYSTEM', userId: null }, facts, {
        reason: `未使用企业基本户支付，自动取消并退费 ${formatMoney(refundDue)} 元（扣除服务费 ${formatMoney(fee)} 元）`,
        data: { closedAt: new Date() },
      });
      return { order: cancelled, payment, repeated: false };
    }
    const payment = await tx.payment.create({ data: { ...paymentData, outcome: 'APPLIED' } });
    const paid = await transitionOrder(tx, order, 'CONFIRM_PAYMENT', actorOf(ctx, 'INSTITUTION'), facts, { data: { paidAt: input.paidAt } });
    return { order: paid, payment, repeated: false };
  });
}

/** The application agreement (投保申请协议) a Quzhou-style product has the bidder sign, and its SHA-256. */
export async function orderAgreement(db: Prisma.TransactionClient | PrismaClient, order: GuaranteeOrder): Promise<{ text: string; digest: string }> {
  const [section, bidder, product] = await Promise.all([
    db.bidSection.findUniqueOrThrow({ where: { id: order.sectionId } }),
    db.enterprise.findUniqueOrThrow({ where: { id: order.bidderId } }),
    db.product.findUniqueOrThrow({ where: { id: order.productId }, include: { institution: true } }),
  ]);
  const text = [
    '投保申请协议',
    `订单编号：${order.number}`,
    `投保人：${bidder.name}（统一社会信用代码 ${bidder.uscc}）`,
    `标段：${section.name}（${section.code}）`,
    `担保金额：${formatMoney(order.amount)} 元`,
    `保费：${formatMoney(order.premium)} 元`,
    `出函机构：${product.institution.name}（${product.name}）`,
    '投保人确认以上信息真实、准确、完整，并同意按投保须知及保险条款办理。',
  ].join('\n');
  return { text, digest: sha256Hex(text) };
}

/**
 * E-signing (材料签章): the bidder signs the agreement's SHA-256 (RSA-SHA256) with its enterprise certificate; the
 * certificate must chain to a CA the tenant trusts and carry the bidder's USCC.
 */
export async function signOrderAgreement(ctx: Context, input: { orderId: string; certificatePem: string; signature: string }): Promise<GuaranteeOrder> {
  requireRole(ctx, 'BIDDER', 'Only the bidder signs its application');
  return withOrder(ctx, input.orderId, 'update', async (tx, order, tenant) => {
    const product = await tx.product.findUniqueOrThrow({ where: { id: order.productId } });
    if (!productConfig(ctx, product)?.eSigningStep) throw new AppError('AGREEMENT_NOT_REQUIRED', `${product.name} has no e-signing step`, 'input.orderId');
    if (order.status !== 'DRAFT') throw new AppError('ILLEGAL_TRANSITION', `An order in state ${order.status} can no longer be signed`, 'input.orderId', { currentStatus: order.status });
    const chain = verifyCertificateChain(input.certificatePem, tenant.trustedCaRootPems);
    if (!chain.ok) throw new AppError('CERTIFICATE_REJECTED', 'The certificate is not one this platform accepts', 'input.certificatePem');
    const bidder = await tx.enterprise.findUniqueOrThrow({ where: { id: order.bidderId } });
    if (chain.uscc !== bidder.uscc) throw new AppError('CERTIFICATE_NOT_BIDDERS', "The certificate is not the bidder enterprise's", 'input.certificatePem');
    const { digest } = await orderAgreement(tx, order);
    if (!verifyDigestSignature(input.certificatePem, digest, input.signature)) {
      throw new AppError('SIGNATURE_INVALID', 'The signature does not match the agreement', 'input.signature');
    }
    const now = new Date();
    await tx.guaranteeOrder.update({ where: { id: order.id }, data: { agreementDigest: digest, agreementSignature: input.signature, agreementSignedAt: now, version: { increment: 1 } } });
    await tx.orderEvent.create({
      data: { tenantId: order.tenantId, orderId: order.id, action: 'SIGN_AGREEMENT', fromStatus: 'DRAFT', toStatus: 'DRAFT', label: '材料签章', actorType: 'BIDDER', actorUserId: ctx.viewer!.userId },
    });
    await recordDomainEvent(tx, { tenantId: order.tenantId, type: 'ORDER_AGREEMENT_SIGNED', aggregateType: 'GuaranteeOrder', aggregateId: order.id, payload: { digest } });
    return tx.guaranteeOrder.findUniqueOrThrow({ where: { id: order.id } });
  });
}

/**
 * Expires unpaid orders past their deadline. Safe with several instances: rows are claimed with FOR UPDATE SKIP
 * LOCKED, so an order being paid right now is skipped (and a payment made before the deadline revives an order the
 * sweep got to first). Returns how many orders it expired.
 */
export async function expireUnpaidOrders(db: PrismaClient, now = new Date(), limit = 200): Promise<number> {
  return db.$transaction(async (tx) => {
    const due = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM "GuaranteeOrder"
      WHERE status IN ('DRAFT', 'AWAITING_PAYMENT') AND "expiresAt" <= ${now}
      ORDER BY "expiresAt" LIMIT ${limit}
      FOR UPDATE SKIP LOCKED`;
    for (const { id } of due) {
      const order = await tx.guaranteeOrder.findUniqueOrThrow({ where: { id } });
      await transitionOrder(tx, order, 'EXPIRE', { type: 'SYSTEM', userId: null }, { issuance: 'REVIEWED' }, { data: { closedAt: now } });
    }
    return due.length;
  });
}

/**
 * Moves an order along one row of the transition table: checks the row, updates with an optimistic version check,
 * writes the timeline event and the outbox event, all in the caller's transaction.
 */
export async function transitionOrder(
  tx: Prisma.TransactionClient,
  order: GuaranteeOrder,
  action: OrderAction,
  actor: OrderActorRef,
  facts: OrderFacts,
  options: { data?: Prisma.GuaranteeOrderUpdateManyMutationInput; reason?: string | null } = {},
): Promise<GuaranteeOrder> {
  const transition = findOrderTransition(order.status, action, actor.type, facts);
  const live = LIVE_STATUSES.includes(transition.to);
  // The optimistic version in the unique filter: no row matches (P2025) when another transaction moved it first.
  // `update` returns the new row, so the transition costs no re-read.
  const next = await tx.guaranteeOrder
    .update({
      where: { id: order.id, version: order.version },
      data: { ...options.data, status: transition.to, version: { increment: 1 }, liveKey: live ? `${order.sectionId}:${order.bidderId}` : null },
    })
    .catch((error: unknown) => {
      if (isRecordNotFound(error)) throw new AppError('CONCURRENT_UPDATE', 'The order changed meanwhile; reload it and try again');
      throw error;
    });
  await tx.orderEvent.create({
    data: {
      tenantId: order.tenantId,
      orderId: order.id,
      action,
      fromStatus: order.status,
      toStatus: transition.to,
      label: transition.label,
      actorType: actor.type,
      actorUserId: actor.userId,
      reason: options.reason ?? null,
    },
  });
  await announce(tx, next, action, order.status);
  return next;
}

async function announce(tx: Prisma.TransactionClient, order: GuaranteeOrder, action: string, from: string | null) {
  await recordDomainEvent(tx, statusChanged(order, action, from, order.status));
}

/** The outbox event of an order's move, as every writer of one records it. */
function statusChanged(
  order: Pick<GuaranteeOrder, 'id' | 'tenantId' | 'number' | 'bidderId' | 'institutionId'>,
  action: string,
  from: string | null,
  to: string,
): DomainEventInput {
  return {
    tenantId: order.tenantId,
    type: 'ORDER_STATUS_CHANGED',
    aggregateType: 'GuaranteeOrder',
    aggregateId: order.id,
    payload: { number: order.number, action, from, to, bidderId: order.bidderId, institutionId: order.institutionId },
  };
}

/** The timeline row of an order's move, as an INSERT reading the order's id from the CTE `from` (hand-written writes). */
function timelineInsert(
  params: SqlParams,
  from: string,
  row: { tenantId: string; action: string; fromStatus: string | null; toStatus: string; label: string; actor: OrderActorRef; reason: string | null; at: string },
): string {
  return `INSERT INTO "OrderEvent" (id, "tenantId", "orderId", action, "fromStatus", "toStatus", label, "actorType", "actorUserId", reason, "createdAt")
    SELECT ${params.add(randomUUID(), 'uuid')}, ${params.add(row.tenantId, 'uuid')}, ${from}.id, ${params.add(row.action, 'text')},
      ${params.add(row.fromStatus, '"OrderStatus"')}, ${params.add(row.toStatus, '"OrderStatus"')}, ${params.add(row.label, 'text')},
      ${params.add(row.actor.type, 'text')}, ${params.add(row.actor.userId, 'uuid')}, ${params.add(row.reason, 'text')}, ${row.at}
    FROM ${from}
    RETURNING *`;
}

async function factsOf(tx: Prisma.TransactionClient, order: GuaranteeOrder): Promise<OrderFacts> {
  const product = await tx.product.findUniqueOrThrow({ where: { id: order.productId }, select: { issuance: true } });
  return { issuance: product.issuance };
}

/**
 * Loads the order in the request's tenant, locks its row for the transaction, and checks the viewer may `action` it;
 * an order the viewer may not read is reported as not found.
 */
async function withOrder<T>(
  ctx: Context,
  orderId: string,
  action: 'read' | 'update',
  work: (tx: Prisma.TransactionClient, order: GuaranteeOrder, tenant: TenantContext) => Promise<T>,
): Promise<T> {
  const tenant = ctx.requireTenant();
  return ctx.db.$transaction(async (tx) => {
    const order = await lockOrder(tx, orderId, tenant.id);
    if (!ctx.ability.can('read', subject('GuaranteeOrder', order))) throw new NotFoundError('Order', 'input.orderId', 'ORDER_NOT_FOUND');
    if (!ctx.ability.can(action, subject('GuaranteeOrder', order))) throw new ForbiddenError();
    return work(tx, order, tenant);
  });
}

/** Locks the order's row for the rest of the transaction and reads it; null when the tenant has no such order. */
export async function lockOrder(tx: Prisma.TransactionClient, orderId: string, tenantId: string): Promise<GuaranteeOrder> {
  await tx.$queryRaw`SELECT id FROM "GuaranteeOrder" WHERE id = ${orderId}::uuid AND "tenantId" = ${tenantId}::uuid FOR UPDATE`;
  const order = await tx.guaranteeOrder.findFirst({ where: { id: orderId, tenantId } });
  if (!order) throw new NotFoundError('Order', 'input.orderId', 'ORDER_NOT_FOUND');
  return order;
}

/** Operation-level gate: the active role must be `role` (and act for an enterprise or institution). */
export function requireRole(ctx: Context, role: 'BIDDER' | 'INSTITUTION', message: string) {
  const viewer = ctx.viewer;
  if (!viewer) throw new UnauthenticatedError();
  if (viewer.role !== role || (role === 'BIDDER' ? !viewer.enterpriseId : !viewer.institutionId)) throw new ForbiddenError(message);
  return viewer;
}

/** The code the bidder writes in the remittance note (附言) so the institution can match the transfer. */
function paymentReference(): string {
  return `BH${String(randomInt(0, 1e8)).padStart(8, '0')}${String(randomInt(0, 1e4)).padStart(4, '0')}`;
}

/** Prisma's "no record matched" (P2025), as `update` throws it when the optimistic version no longer matches. */
function isRecordNotFound(error: unknown): boolean {
  return (error as { code?: string })?.code === 'P2025';
}

/** A unique violation on `field`: Prisma's P2002, or PostgreSQL's 23505 from hand-written SQL (its constraint names the column). */
function isUniqueViolation(error: unknown, field: string): boolean {
  const e = error as { code?: string; constraint?: string; detail?: string; meta?: { target?: unknown } };
  if (e?.code === '23505') return `${e.constraint ?? ''} ${e.detail ?? ''}`.includes(field);
  if (e?.code !== 'P2002') return false;
  const target = JSON.stringify(e.meta ?? {});
  return target.includes(field);
}

const PROBLEM_STATES: Record<'PAID_NOT_ISSUED' | 'DUPLICATE_PAYMENT_REFUND', readonly string[]> = {
  PAID_NOT_ISSUED: ['AWAITING_PAYMENT', 'PAID'],
  DUPLICATE_PAYMENT_REFUND: ['PAID', 'ISSUED', 'CANCELLED'],
};

/** The bidder raises one of the two payment problems of the Xinjiang 2021 manual with the institution. */
export async function raisePaymentProblem(ctx: Context, input: { orderId: string; kind: 'PAID_NOT_ISSUED' | 'DUPLICATE_PAYMENT_REFUND'; description: string }) {
  requireRole(ctx, 'BIDDER', 'Only the bidder raises payment problems');
  const description = input.description.trim();
  if (!description) throw new ValidationError('input.description', 'Describe the problem (payment time, account, amount)');
  return withOrder(ctx, input.orderId, 'update', async (tx, order) => {
    if (!PROBLEM_STATES[input.kind].includes(order.status)) {
      throw new AppError('PROBLEM_NOT_APPLICABLE', `An order in state ${order.status} cannot have a ${input.kind} problem`, 'input.kind', { currentStatus: order.status });
    }
    const problem = await tx.paymentProblem.create({ data: { tenantId: order.tenantId, orderId: order.id, kind: input.kind, description } });
    await recordDomainEvent(tx, { tenantId: order.tenantId, type: 'PAYMENT_PROBLEM_RAISED', aggregateType: 'GuaranteeOrder', aggregateId: order.id, payload: { problemId: problem.id, kind: input.kind } });
    return problem;
  });
}

/** The institution answers a payment problem raised on one of its orders, once. */
export async function answerPaymentProblem(ctx: Context, input: { problemId: string; answer: string }) {
  requireRole(ctx, 'INSTITUTION', 'Only the institution answers payment problems');
  const tenant = ctx.requireTenant();
  const answer = input.answer.trim();
  if (!answer) throw new ValidationError('input.answer', 'The answer must not be empty');
  const problem = await ctx.db.paymentProblem.findFirst({ where: { id: input.problemId, tenantId: tenant.id } });
  if (!problem) throw new NotFoundError('Payment problem', 'input.problemId', 'PROBLEM_NOT_FOUND');
  return withOrder(ctx, problem.orderId, 'update', async (tx, order) => {
    const updated = await tx.paymentProblem.updateMany({ where: { id: problem.id, answeredAt: null }, data: { answer, answeredAt: new Date() } });
    if (updated.count !== 1) throw new AppError('PROBLEM_ALREADY_ANSWERED', 'This problem was answered already', 'input.problemId');
    await recordDomainEvent(tx, { tenantId: order.tenantId, type: 'PAYMENT_PROBLEM_ANSWERED', aggregateType: 'GuaranteeOrder', aggregateId: order.id, payload: { problemId: problem.id } });
    return tx.paymentProblem.findUniqueOrThrow({ where: { id: problem.id } });
  });
}
