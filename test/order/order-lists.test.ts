import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnswerPaymentProblemDocument,
  ConfirmPaymentDocument,
  OrderAgreementDocument,
  OrderCountsDocument,
  OrdersDocument,
  RaisePaymentProblemDocument,
  RegisterForSectionDocument,
  SignOrderAgreementDocument,
  SubmitOrderDocument,
} from '../../schema/generated/graphql.ts';
import { signDigest } from '../../src/crypto/index.ts';
import { transitionOrder } from '../../src/domains/order/order.service.ts';
import { DEMO_ENTERPRISES } from '../../src/domains/identity/demo-seed.ts';
import { requestStatements, startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogin, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, publishSection, submit, productIdsOf } from '../support/orders.ts';

let server: TestServer;
const queries: string[] = [];
const tokens: Record<string, string> = {};
const productIds: Record<string, string> = {};
const bidder = DEMO_ENTERPRISES.find((e) => e.key === 'bidder')!;

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => queries.push(sql) });
  Object.assign(tokens, await smsLogins(server, [
    ['hnAdmin', 'hunan', DEMO.ADMIN],
    ['hnBidder', 'hunan', DEMO.BIDDER],
    ['hnInstitution', 'hunan', DEMO.INSTITUTION],
    ['hnTenderee', 'hunan', DEMO.TENDEREE],
    ['hnAgent', 'hunan', DEMO.AGENT],
    ['xjAdmin', 'xinjiang', DEMO.ADMIN],
    ['xjBidder', 'xinjiang', DEMO.BIDDER],
    ['qzAdmin', 'quzhou', DEMO.ADMIN],
    ['qzBidder', 'quzhou', DEMO.BIDDER],
  ]));
  Object.assign(productIds, await productIdsOf(server, ['hunan', 'quzhou']));
});
afterAll(() => server?.stop());

const as = (key: string) => server.client({ token: tokens[key] });

describe('Quzhou: registration, credit information and e-signing', () => {
  it('requires registration, then credit information and a signed agreement before payment', async () => {
    const section = await publishSection(server, tokens.qzAdmin!, { depositAmount: '300000' });
    const input = { sectionId: section.id, productId: productIds['qzrd-bid-guarantee']! };
    const unregistered = await createOrder(server, tokens.qzBidder!, input, { bytes: PNG, name: 'permit.png' });
    expect(unregistered).toMatchObject({ code: 'REGISTRATION_REQUIRED', field: 'input.sectionId', message: expect.stringMatching(/[\u4e00-\u9fa5]/) });

    await as('qzBidder').request(RegisterForSectionDocument, { input: { sectionId: section.id, contactName: '王联系', contactMobile: '13700000000' } });
    const order = expectOrder(await createOrder(server, tokens.qzBidder!, input, { bytes: PNG, name: 'permit.png' }));
    expect(order).toMatchObject({ status: 'DRAFT', premium: '1500.00' });

    const versions = { noticeVersion: '2025.12-demo', termsVersion: '2025.12-demo' };
    expect(await submit(server, tokens.qzBidder!, order.id, { noticeVersion: 'old', termsVersion: '2025.12-demo' })).toMatchObject({
      code: 'NOTICE_NOT_ACCEPTED',
      field: 'input.noticeVersion',
    });
    expect(await submit(server, tokens.qzBidder!, order.id, versions)).toMatchObject({ code: 'CREDIT_INFO_REQUIRED', field: 'input.creditInfo' });
    const withCredit = { input: { orderId: order.id, ...versions, creditInfo: { annualRevenue: '12000000', employees: 80 } } };
    expect((await as('qzBidder').request(SubmitOrderDocument, withCredit)).submitOrder).toMatchObject({ code: 'AGREEMENT_NOT_SIGNED' });

    const { order: withAgreement } = await as('qzBidder').request(OrderAgreementDocument, { id: order.id });
    const agreement = withAgreement!.agreement!;
    expect(agreement.text).toContain(bidder.name);
    expect(agreement.signedAt).toBeNull();
    const fixtures = new URL('../fixtures/demo-ca/enterprises/', import.meta.url);
    const certificatePem = await readFile(new URL(`${bidder.uscc}.cert.pem`, fixtures), 'utf8');
    const keyPem = await readFile(new URL(`${bidder.uscc}.key.pem`, fixtures), 'utf8');
    const forged = await as('qzBidder').request(SignOrderAgreementDocument, {
      input: { orderId: order.id, certificatePem, signature: signDigest(keyPem, 'a'.repeat(64)) },
    });
    expect(forged.signOrderAgreement).toMatchObject({ code: 'SIGNATURE_INVALID', field: 'input.signature' });
    const signed = await as('qzBidder').request(SignOrderAgreementDocument, {
      input: { orderId: order.id, certificatePem, signature: signDigest(keyPem, agreement.digest) },
    });
    expect(signed.signOrderAgreement).toMatchObject({ agreement: { digest: agreement.digest, signedAt: expect.any(String) } });

    const submitted = (await as('qzBidder').request(SubmitOrderDocument, withCredit)).submitOrder;
    expect(submitted).toMatchObject({ status: 'AWAITING_PAYMENT', creditApprovedAt: expect.any(String) });
    expect(submitted.__typename === 'GuaranteeOrder' && submitted.timeline.map((step) => step.label)).toEqual(['申请中', '材料签章', '待支付']);
  });
});

describe('payment problems (Xinjiang 2021)', () => {
  it('are raised by the bidder and answered once by the institution', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = expectOrder(
      await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId: productIds['hn-demo-insurer-bid-bond']! }, { bytes: PNG, name: 'p.png' }),
    );
    await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
    const tooEarly = await as('hnBidder').request(RaisePaymentProblemDocument, {
      input: { orderId: order.id, kind: 'DUPLICATE_PAYMENT_REFUND', description: '重复支付' },
    });
    expect(tooEarly.raisePaymentProblem).toMatchObject({ code: 'PROBLEM_NOT_APPLICABLE', field: 'input.kind' });
    const raised = (await as('hnBidder').request(RaisePaymentProblemDocument, {
      input: { orderId: order.id, kind: 'PAID_NOT_ISSUED', description: '已于 10:05 转账 500 元，尚未出函' },
    })).raisePaymentProblem;
    expect(raised).toMatchObject({ kind: 'PAID_NOT_ISSUED', answer: null });
    const problemId = raised.__typename === 'PaymentProblem' ? raised.id : '';
    const answered = await as('hnInstitution').request(AnswerPaymentProblemDocument, { input: { problemId, answer: '款项已到账，正在出函' } });
    expect(answered.answerPaymentProblem).toMatchObject({ answer: '款项已到账，正在出函', answeredAt: expect.any(String) });
    const twice = await as('hnInstitution').request(AnswerPaymentProblemDocument, { input: { problemId, answer: '再次答复' } });
    expect(twice.answerPaymentProblem).toMatchObject({ code: 'PROBLEM_ALREADY_ANSWERED' });
  });
});

describe('order lists', () => {
  let sectionCode = '';
  beforeAll(async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    sectionCode = section.code;
    const first = expectOrder(
      await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId: productIds['hn-demo-insurer-bid-bond']! }, { bytes: PNG, name: 'p.png' }),
    );
    await submit(server, tokens.hnBidder!, first.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
    await as('hnInstitution').request(ConfirmPaymentDocument, {
      input: { orderId: first.id, transactionId: 'LIST-TX-1', payerAccountName: bidder.name, payerAccountNumber: '6222020200112233445', amount: '500.00', paidAt: new Date().toISOString() },
    });
    // Sixty more closed orders of the same bidder (the list's shape does not depend on how they got there).
    const db = server.database.prisma;
    const template = await db.guaranteeOrder.findFirstOrThrow({ where: { number: first.number } });
    const event = await db.orderEvent.findFirstOrThrow({ where: { orderId: template.id } });
    const ids = Array.from({ length: 60 }, () => randomUUID());
    await db.guaranteeOrder.createMany({
      data: ids.map((id, i) => ({ ...template, id, number: `${template.number}-${i}`, liveKey: null, status: i % 2 ? 'ABANDONED' : 'EXPIRED', creditInfo: undefined })),
    });
    await db.orderEvent.createMany({ data: ids.map((orderId) => ({ ...event, id: randomUUID(), orderId, toStatus: 'ABANDONED' as const })) });
  });

  it('filter by status, search by section code, and count per status', async () => {
    // The real-time product issued the paid order at once.
    const issued = await as('hnBidder').request(OrdersDocument, { status: ['ISSUED'], search: sectionCode, first: 50 });
    expect(issued.orders.totalCount).toBe(1);
    expect(issued.orders.edges[0]!.node).toMatchObject({ status: 'ISSUED', section: { code: sectionCode }, latestEvent: { toStatus: 'ISSUED', label: '投保成功' } });
    const bySection = await as('hnBidder').request(OrdersDocument, { search: sectionCode, first: 100 });
    expect(bySection.orders.totalCount).toBe(61);
    const { orderCounts } = await as('hnBidder').request(OrderCountsDocument, { search: sectionCode });
    expect(Object.fromEntries(orderCounts.map((c) => [c.status, c.count]))).toMatchObject({ ISSUED: 1, PAID: 0, ABANDONED: 30, EXPIRED: 30, DRAFT: 0 });
  });

  it('show each role its own: the institution its orders, the admin the tenant, other tenants nothing', async () => {
    expect((await as('hnInstitution').request(OrdersDocument, { search: sectionCode })).orders.totalCount).toBe(61);
    expect((await as('hnAdmin').request(OrdersDocument, { search: sectionCode })).orders.totalCount).toBe(61);
    expect((await as('xjBidder').request(OrdersDocument, { search: sectionCode })).orders.totalCount).toBe(0);
    expect((await as('xjAdmin').request(OrdersDocument, { search: sectionCode })).orders.totalCount).toBe(0);
  });

  it('show roles without a rule for orders nothing at all (the tenderee and agent, before and after opening)', async () => {
    for (const key of ['hnTenderee', 'hnAgent']) {
      expect((await as(key).request(OrdersDocument, { search: sectionCode })).orders.totalCount).toBe(0);
      expect((await as(key).request(OrdersDocument, {})).orders.totalCount).toBe(0);
      const { orderCounts } = await as(key).request(OrderCountsDocument, {});
      expect(orderCounts.every((c) => c.count === 0)).toBe(true);
    }
  });

  it('load a page with section, institution, product and latest event in at most 4 SQL statements, whatever its size', async () => {
    // Everything the request runs counts, the session check included: the session cache is emptied first, as for
    // a session's first request on an instance.
    const token = await smsLogin(server, 'hunan', DEMO.BIDDER);
    const count = async (first: number) =>
      (
        await requestStatements(queries, async () => {
          server.app.identity.sessions.clear();
          const page = await server.client({ token }).request(OrdersDocument, { search: sectionCode, first });
          expect(page.orders.edges).toHaveLength(first);
          expect(page.orders.edges.every(({ node }) => node.section && node.institution && node.product && node.latestEvent)).toBe(true);
        })
      ).statements;
    const one = await count(1);
    const fifty = await count(50);
    expect(one.some((sql) => sql.includes('"Session"'))).toBe(true);
    expect(fifty.some((sql) => sql.includes('"Session"'))).toBe(true);
    expect(fifty).toHaveLength(one.length);
    expect(fifty.length).toBeLessThanOrEqual(4);
  });
});

describe('optimistic versions', () => {
  it('refuse a transition made from a stale copy of the order with CONCURRENT_UPDATE and write nothing', async () => {
    const section = await publishSection(server, tokens.hnAdmin!);
    const created = expectOrder(
      await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId: productIds['hn-demo-insurer-bid-bond']! }, { bytes: PNG, name: 'p.png' }),
    );
    const id = Buffer.from(created.id, 'base64').toString('utf8').split(':')[1]!;
    const db = server.app.db;
    const stale = await db.guaranteeOrder.findUniqueOrThrow({ where: { id } });
    const actor = { type: 'BIDDER' as const, userId: null };
    const moved = await db.$transaction((tx) => transitionOrder(tx, stale, 'SUBMIT', actor, { issuance: 'REVIEWED' }));
    expect(moved.version).toBe(stale.version + 1);
    const events = () => db.orderEvent.count({ where: { orderId: id } });
    const before = await events();
    await expect(db.$transaction((tx) => transitionOrder(tx, stale, 'SUBMIT', actor, { issuance: 'REVIEWED' }))).rejects.toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect(await events()).toBe(before);
    expect((await db.guaranteeOrder.findUniqueOrThrow({ where: { id } })).version).toBe(moved.version);
  });
});
