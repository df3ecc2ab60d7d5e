/**
 * The reference's `CreateOrder` and `SubmitOrder` (scripts/bench/reference.ts): the physical limit for the creation
 * run, hand-written on node:http + pg. Per request the same work as the API: the session check (in reference.ts),
 * one read, one writing statement (the order or its move, the timeline row and the outbox event under the
 * commit-order lock, in one statement), the `OrderFields` answer as JSON, and the outbox relay (coalesced drains:
 * the relay lock and the claim, then COMMIT). The pure rules (premium, order number, transition table) and the tenant
 * files are the project's own; everything between HTTP and SQL is written out here. Its statements are named prepared
 * statements, as the API's are.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { Decimal, formatMoney, quotePremium } from '../../src/domains/catalog/money.ts';
import { orderNumber } from '../../src/domains/order/order-number.ts';
import { findOrderTransition, LIVE_STATUSES, type OrderStatus } from '../../src/domains/order/order-states.ts';
import { loadTenants } from '../../src/tenants/load.ts';
import { LIVE_DEFAULTS } from '../../src/events/config.ts';
import type { Session } from './reference.ts';

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
const idOf = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1] ?? '';
const fail = (code: string, message: string, field: string) => ({ data: { createOrder: { __typename: 'BaseError', code, message, field } } });
const iso = (at: Date | null) => (at ? at.toISOString() : null);

const READ_APPLICATION = `SELECT s.id AS s_id, s.code AS s_code, s.status AS s_status, s."projectType" AS s_type, s."depositAmount"::text AS s_deposit,
    s."openingAt" AS s_opening, p.id AS p_id, p.code AS p_code, p.status AS p_status, p."retiredAt" AS p_retired, p.issuance AS p_issuance,
    p.rate::text AS p_rate, p."minimumPremium"::text AS p_minimum, p."institutionId" AS p_institution, i.code AS i_code, i.online AS i_online,
    e.name AS e_name, e."basicAccountName", e."basicAccountBank", e."basicAccountNumber", e."openingPermitFile"
  FROM "Enterprise" e
  LEFT JOIN "BidSection" s ON s.id = $2::uuid AND s."tenantId" = $1::uuid
  LEFT JOIN "Product" p ON p.id = $3::uuid AND p."tenantId" = $1::uuid
  LEFT JOIN "Institution" i ON i.id = p."institutionId"
 WHERE e.id = $4::uuid`;

const EVENT_INSERT = (n: number) => `INSERT INTO "DomainEvent" ("tenantId", type, "aggregateType", "aggregateId", payload, "createdAt")
    SELECT $2::uuid, 'ORDER_STATUS_CHANGED', 'GuaranteeOrder', $1::uuid, $${n}::jsonb, $${n + 1}::timestamp FROM ordered, written RETURNING sequence`;
const TIMELINE_INSERT = (n: number) => `timeline AS (INSERT INTO "OrderEvent" (id, "tenantId", "orderId", action, "fromStatus", "toStatus", label, "actorType", "actorUserId", "createdAt")
    SELECT $${n}::uuid, $2::uuid, written.id, $${n + 1}, $${n + 2}::"OrderStatus", $${n + 3}::"OrderStatus", $${n + 4}, 'BIDDER', $${n + 5}::uuid, $${n + 6}::timestamp FROM written)`;

const INSERT_ORDER = `WITH ordered AS (SELECT pg_advisory_xact_lock(7208, 1)),
  written AS (INSERT INTO "GuaranteeOrder" (id, "tenantId", number, "sectionId", "bidderId", "applicantId", "institutionId", "productId", "liveKey",
      "projectType", amount, rate, "minimumPremium", premium, "handlerName", "handlerMobile", "basicAccountName", "basicAccountBank",
      "basicAccountNumber", "openingPermitId", "paymentReference", "expiresAt", "createdAt", "updatedAt", status, version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::"ProjectType", $11::numeric, $12::numeric, $13::numeric, $14::numeric, $15, $16, $17, $18,
      $19, $20::uuid, $21, $22::timestamp, $23::timestamp, $23::timestamp, 'DRAFT', 1)
    RETURNING id),
  ${TIMELINE_INSERT(24)}
  ${EVENT_INSERT(31)}`;

const READ_ORDER = `SELECT o.id, o."tenantId", o.number, o."sectionId", o."bidderId", o."institutionId", o.status, o.version, o."projectType",
    o.amount::text AS amount, o.rate::text AS rate, o.premium::text AS premium, o."handlerName", o."handlerMobile", o."basicAccountNumber",
    o."paymentReference", o."expiresAt", o."creditApprovedAt", s.code AS s_code, p.code AS p_code, p.issuance AS p_issuance, i.code AS i_code,
    b.name AS b_name,
    (SELECT json_agg(json_build_object('action', action, 'fromStatus', "fromStatus", 'toStatus', "toStatus", 'label', label, 'actorType', "actorType",
       'reason', reason) ORDER BY "createdAt", id) FROM "OrderEvent" WHERE "orderId" = o.id) AS timeline
  FROM "GuaranteeOrder" o
  JOIN "BidSection" s ON s.id = o."sectionId"
  JOIN "Product" p ON p.id = o."productId"
  JOIN "Institution" i ON i.id = o."institutionId"
  JOIN "Enterprise" b ON b.id = o."bidderId"
 WHERE o.id = $1::uuid AND o."tenantId" = $2::uuid`;

const SUBMIT_ORDER = `WITH ordered AS (SELECT pg_advisory_xact_lock(7208, 1)),
  written AS (UPDATE "GuaranteeOrder" SET "noticeVersion" = $3, "noticeAcceptedAt" = $4::timestamp, "termsVersion" = $5, "termsAcceptedAt" = $4::timestamp,
      "submittedAt" = $4::timestamp, status = $6::"OrderStatus", version = version + 1, "liveKey" = $7, "updatedAt" = $4::timestamp
    WHERE id = $1::uuid AND version = $8::int RETURNING id),
  ${TIMELINE_INSERT(9)}
  ${EVENT_INSERT(16)}`;

const CLAIM = `BEGIN; SELECT pg_advisory_xact_lock(7208, 2);
  UPDATE "DomainEvent" SET "publishedAt" = now() AT TIME ZONE 'UTC'
   WHERE sequence IN (SELECT sequence FROM "DomainEvent" WHERE "publishedAt" IS NULL ORDER BY sequence LIMIT 500)
  RETURNING sequence::text AS sequence, "tenantId", type, "aggregateType", "aggregateId", payload, "createdAt"`;

/** `timestamp` parameters as the API writes them: the instant in UTC, without a zone. */
const utc = (at: Date) => at.toISOString().replace('T', ' ').replace('Z', '');

export async function orderWrites(pool: pg.Pool) {
  const tenants = new Map((await loadTenants('tenants')).map((tenant) => [tenant.code, tenant.file]));
  const bus = new EventEmitter();

  // The relay: one drain at a time, a kick during a drain makes it run once more.
  let draining: Promise<void> | undefined;
  let again = false;
  const drain = async (): Promise<boolean> => {
    const client = await pool.connect();
    try {
      const results = (await client.query(CLAIM)) as unknown as pg.QueryResult[];
      for (const row of results.at(-1)!.rows) bus.emit('event', JSON.stringify(row));
      await client.query('COMMIT');
      const full = results.at(-1)!.rows.length === 500;
      again ||= full;
      return full;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
  // As the API's relay (LIVE_DEFAULTS.relayGatherMs): kicked during a drain, it waits a moment to take what commits
  // meanwhile in the same drain; a full batch is followed at once.
  const kick = () => {
    if (draining) return void (again = true);
    draining = (async () => {
      do {
        again = false;
        const full = await drain();
        if (!full && again && LIVE_DEFAULTS.relayGatherMs > 0) await new Promise((resolve) => setTimeout(resolve, LIVE_DEFAULTS.relayGatherMs));
      } while (again);
    })().finally(() => (draining = undefined));
  };

  const timelineParams = (action: string, from: OrderStatus | null, to: OrderStatus, label: string, actor: string, at: Date) => [randomUUID(), action, from, to, label, actor, utc(at)];
  const event = (order: { number: string; bidderId: string; institutionId: string }, action: string, from: string | null, to: string) =>
    JSON.stringify({ number: order.number, action, from, to, bidderId: order.bidderId, institutionId: order.institutionId });

  /** The `OrderFields` answer (schema/operations/orders.graphql). */
  const answer = (tenantCode: string, o: Record<string, any>, timeline: unknown[]) => {
    const payee = tenants.get(tenantCode)?.institutions.find((i) => i.code === o.i_code)?.payee;
    return {
      __typename: 'GuaranteeOrder',
      id: gid('GuaranteeOrder', o.id),
      number: o.number,
      status: o.status,
      projectType: o.projectType,
      amount: formatMoney(new Decimal(o.amount)),
      rate: new Decimal(o.rate).toString(),
      premium: formatMoney(new Decimal(o.premium)),
      bidderName: o.b_name,
      handlerName: o.handlerName,
      handlerMobile: o.handlerMobile,
      basicAccountNumber: o.basicAccountNumber,
      noticeVersion: o.noticeVersion ?? null,
      noticeAcceptedAt: iso(o.noticeAcceptedAt ?? null),
      termsVersion: o.termsVersion ?? null,
      creditApprovedAt: iso(o.creditApprovedAt ?? null),
      expiresAt: iso(o.expiresAt),
      section: { id: gid('BidSection', o.sectionId), code: o.s_code },
      product: { code: o.p_code, issuance: o.p_issuance },
      institution: { code: o.i_code },
      paymentInstructions: {
        payeeAccountName: payee?.accountName ?? null,
        payeeBank: payee?.bank ?? null,
        payeeAccountNumber: payee?.accountNumber ?? null,
        reference: o.paymentReference,
        amount: formatMoney(new Decimal(o.premium)),
      },
      timeline,
      payments: [],
    };
  };

  async function create(session: Session, input: Record<string, string>) {
    const tenant = tenants.get(session.tenantCode)!;
    if (session.role !== 'BIDDER' || !session.enterpriseId) return fail('FORBIDDEN', 'Only a bidder may apply for a guarantee', 'input');
    const [row] = (await pool.query({ name: 'application', text: READ_APPLICATION, values: [session.tenantId, idOf(input.sectionId!), idOf(input.productId!), session.enterpriseId] })).rows;
    if (!row?.s_id) return fail('SECTION_NOT_FOUND', 'Section not found', 'input.sectionId');
    if (!row.p_id) return fail('PRODUCT_NOT_FOUND', 'Product not found', 'input.productId');
    if (!['OPEN', 'CHANGED'].includes(row.s_status) || row.s_opening.getTime() <= Date.now()) return fail('SECTION_CLOSED', 'Section closed', 'input.sectionId');
    if (row.p_status !== 'ACTIVE' || row.p_retired || !row.i_online) return fail('PRODUCT_UNAVAILABLE', 'Product unavailable', 'input.productId');
    if (!tenant.projectTypes[row.s_type as keyof typeof tenant.projectTypes]?.paymentMethods.includes('GUARANTEE')) return fail('PAYMENT_METHOD_NOT_OFFERED', 'No guarantees', 'input.sectionId');
    if (!/^1\d{10}$/.test(input.handlerMobile!) || !input.handlerName!.trim()) return fail('VALIDATION_FAILED', 'Handler', 'input.handlerMobile');
    const quote = quotePremium(new Decimal(row.s_deposit), new Decimal(row.p_rate), new Decimal(row.p_minimum));
    const now = new Date();
    const order = {
      id: randomUUID(),
      number: orderNumber(tenant.orderNumberPrefix, now, tenant.timeZone),
      sectionId: idOf(input.sectionId!),
      bidderId: session.enterpriseId,
      institutionId: row.p_institution,
      status: 'DRAFT',
      projectType: row.s_type,
      amount: formatMoney(quote.amount),
      rate: row.p_rate,
      premium: formatMoney(quote.premium),
      handlerName: input.handlerName!.trim(),
      handlerMobile: input.handlerMobile!,
      basicAccountNumber: row.basicAccountNumber,
      paymentReference: `BH${String(randomInt(0, 1e8)).padStart(8, '0')}${String(randomInt(0, 1e4)).padStart(4, '0')}`,
      expiresAt: new Date(now.getTime() + tenant.orders.unpaidTimeoutMinutes * 60_000),
      s_code: row.s_code,
      p_code: row.p_code,
      p_issuance: row.p_issuance,
      i_code: row.i_code,
      b_name: row.e_name,
    };
    // The number's five random digits can clash within a second: draw again, as the API does.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await pool.query({ name: 'insert', text: INSERT_ORDER, values: [
          order.id, session.tenantId, order.number, order.sectionId, order.bidderId, session.userId, order.institutionId, row.p_id,
          `${order.sectionId}:${order.bidderId}`, order.projectType, order.amount, row.p_rate, row.p_minimum, order.premium, order.handlerName,
          order.handlerMobile, row.basicAccountName, row.basicAccountBank, row.basicAccountNumber, row.openingPermitFile, order.paymentReference,
          utc(order.expiresAt), utc(now),
          ...timelineParams('CREATE', null, 'DRAFT', '申请中', session.userId, now),
          event(order, 'CREATE', null, 'DRAFT'), utc(now),
        ] });
        break;
      } catch (error) {
        if ((error as { constraint?: string }).constraint !== 'GuaranteeOrder_number_key' || attempt >= 5) throw error;
        order.number = orderNumber(tenant.orderNumberPrefix, now, tenant.timeZone);
      }
    }
    kick();
    const timeline = [{ action: 'CREATE', fromStatus: null, toStatus: 'DRAFT', label: '申请中', actorType: 'BIDDER', reason: null }];
    return { data: { createOrder: answer(session.tenantCode, order, timeline) } };
  }

  async function submit(session: Session, input: Record<string, string>) {
    const tenant = tenants.get(session.tenantCode)!;
    const [o] = (await pool.query({ name: 'order', text: READ_ORDER, values: [idOf(input.orderId!), session.tenantId] })).rows;
    if (!o || session.role !== 'BIDDER' || o.bidderId !== session.enterpriseId) return { data: { submitOrder: { __typename: 'NotFoundError', code: 'ORDER_NOT_FOUND' } } };
    if (tenant.documents && (input.noticeVersion !== tenant.documents.notice.version || input.termsVersion !== tenant.documents.terms.version)) {
      return { data: { submitOrder: { __typename: 'ValidationError', code: 'NOTICE_NOT_ACCEPTED' } } };
    }
    const transition = findOrderTransition(o.status, 'SUBMIT', 'BIDDER', { issuance: o.p_issuance });
    const now = new Date();
    const live = LIVE_STATUSES.includes(transition.to) ? `${o.sectionId}:${o.bidderId}` : null;
    const { rowCount } = await pool.query({ name: 'submit', text: SUBMIT_ORDER, values: [
      o.id, o.tenantId, input.noticeVersion, utc(now), input.termsVersion, transition.to, live, o.version,
      ...timelineParams('SUBMIT', o.status, transition.to, transition.label, session.userId, now),
      event(o, 'SUBMIT', o.status, transition.to), utc(now),
    ] });
    if (rowCount === 0) return { data: { submitOrder: { __typename: 'BaseError', code: 'CONCURRENT_UPDATE' } } };
    kick();
    const moved = { ...o, status: transition.to, noticeVersion: input.noticeVersion, noticeAcceptedAt: now, termsVersion: input.termsVersion };
    const step = { action: 'SUBMIT', fromStatus: o.status, toStatus: transition.to, label: transition.label, actorType: 'BIDDER', reason: null };
    return { data: { submitOrder: answer(session.tenantCode, moved, [...(o.timeline ?? []), step]) } };
  }

  return {
    create,
    submit,
    stop: async () => {
      while (draining) await draining;
    },
  };
}
