import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbandonOrderDocument,
  ConfirmPaymentDocument,
  DecideUnderwritingDocument,
  OrderDocument,
  RecordSectionEventDocument,
  TenantCatalogueDocument,
  type ConfirmPaymentInput,
} from '../../schema/generated/graphql.ts';
import { DEMO_ENTERPRISES } from '../../src/domains/identity/demo-seed.ts';
import { expireUnpaidOrders } from '../../src/domains/order/order.service.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogin, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, publishSection, submit, productIdsOf } from '../support/orders.ts';

let server: TestServer;
const tokens: Record<string, string> = {};
const productIds: Record<string, string> = {};
const bidder = DEMO_ENTERPRISES.find((e) => e.key === 'bidder')!;
const BASIC_ACCOUNT = '6222020200112233445';

beforeAll(async () => {
  server = await startTestServer();
  Object.assign(tokens, await smsLogins(server, [
    ['xjAdmin', 'xinjiang', DEMO.ADMIN],
    ['xjBidder', 'xinjiang', DEMO.BIDDER],
    ['xjInstitution', 'xinjiang', DEMO.INSTITUTION],
    ['hnAdmin', 'hunan', DEMO.ADMIN],
    ['hnBidder', 'hunan', DEMO.BIDDER],
    ['hnInstitution', 'hunan', DEMO.INSTITUTION],
    ['qzBidder', 'quzhou', DEMO.BIDDER],
  ]));
  Object.assign(productIds, await productIdsOf(server, ['xinjiang', 'hunan']));
  // The bidder's first order of each tenant uploads the opening permit; later ones reuse it.
  await server.app.db.enterprise.updateMany({ where: { uscc: bidder.uscc }, data: { basicAccountNumber: BASIC_ACCOUNT } });
});
afterAll(() => server?.stop());

const as = (key: string) => server.client({ token: tokens[key] });
let permitUploaded: Record<string, boolean> = {};
async function apply(bidderKey: string, sectionId: string, productCode: string) {
  const permit = permitUploaded[bidderKey] ? undefined : { bytes: PNG, name: 'permit.png' };
  const order = expectOrder(await createOrder(server, tokens[bidderKey]!, { sectionId, productId: productIds[productCode]! }, permit));
  permitUploaded[bidderKey] = true;
  return order;
}
const pay = (institutionKey: string, orderId: string, overrides: Partial<ConfirmPaymentInput> = {}) =>
  as(institutionKey).request(ConfirmPaymentDocument, {
    input: {
      orderId,
      transactionId: `TX-${Math.random().toString(36).slice(2, 10)}`,
      payerAccountName: bidder.name,
      payerAccountNumber: BASIC_ACCOUNT,
      amount: '0',
      paidAt: new Date().toISOString(),
      ...overrides,
    },
  });
const read = async (key: string, id: string) => (await as(key).request(OrderDocument, { id })).order;

describe('Xinjiang, a reviewed product: apply, underwriting review, pay', () => {
  it('runs DRAFT → UNDER_REVIEW → AWAITING_PAYMENT → PAID with the timeline the manual shows', async () => {
    const section = await publishSection(server, tokens.xjAdmin!, { depositAmount: '300000' });
    const order = await apply('xjBidder', section.id, 'pingan-bid-bond');
    expect(order).toMatchObject({ status: 'DRAFT', amount: '300000.00', rate: '0.005', premium: '1500.00', bidderName: bidder.name });
    expect(order.number).toMatch(/^TBaoHanZKXJ\d{19}$/);

    const submitted = await submit(server, tokens.xjBidder!, order.id);
    expect(submitted).toMatchObject({ status: 'UNDER_REVIEW', noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' });

    const approved = (await as('xjInstitution').request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: true } })).decideUnderwriting;
    expect(approved).toMatchObject({ status: 'AWAITING_PAYMENT' });
    expect(approved.__typename === 'GuaranteeOrder' && approved.paymentInstructions).toMatchObject({ amount: '1500.00', reference: expect.stringMatching(/^BH\d{12}$/) });

    const { confirmPayment } = await pay('xjInstitution', order.id, { amount: '1500.00', transactionId: 'XJ-TX-1' });
    expect(confirmPayment).toMatchObject({ repeated: false, order: { status: 'PAID' }, payment: { outcome: 'APPLIED', amount: '1500.00', refundDue: null } });
    const paid = await read('xjBidder', order.id);
    expect(paid?.timeline.map((step) => [step.fromStatus, step.toStatus, step.label])).toEqual([
      [null, 'DRAFT', '申请中'],
      ['DRAFT', 'UNDER_REVIEW', '投保审核'],
      ['UNDER_REVIEW', 'AWAITING_PAYMENT', '待支付'],
      ['AWAITING_PAYMENT', 'PAID', '付款成功'],
    ]);

    // The same payment confirmed again: the same result, and nothing new written.
    const again = (await pay('xjInstitution', order.id, { amount: '1500.00', transactionId: 'XJ-TX-1' })).confirmPayment;
    expect(again).toMatchObject({ repeated: true, order: { status: 'PAID' }, payment: { outcome: 'APPLIED' } });
    expect((await read('xjBidder', order.id))?.timeline).toHaveLength(4);

    // A second, different payment for a paid order is a duplicate to refund in full.
    const duplicate = (await pay('xjInstitution', order.id, { amount: '1500.00', transactionId: 'XJ-TX-2' })).confirmPayment;
    expect(duplicate).toMatchObject({ repeated: false, order: { status: 'PAID' }, payment: { outcome: 'DUPLICATE', refundDue: '1500.00' } });
    expect((await read('xjBidder', order.id))?.timeline).toHaveLength(4);
  });

  it('cancels a construction order paid from another account and refunds it less the service fee', async () => {
    const section = await publishSection(server, tokens.xjAdmin!, { depositAmount: '300000' });
    const order = await apply('xjBidder', section.id, 'pingan-bid-bond');
    await submit(server, tokens.xjBidder!, order.id);
    await as('xjInstitution').request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: true } });
    const { confirmPayment } = await pay('xjInstitution', order.id, { amount: '1500.00', payerAccountNumber: '6222000099998888777' });
    expect(confirmPayment).toMatchObject({ order: { status: 'CANCELLED' }, payment: { outcome: 'NON_BASIC_ACCOUNT', refundDue: '1450.00' } });
    const cancelled = await read('xjBidder', order.id);
    expect(cancelled?.timeline.at(-1)).toMatchObject({ toStatus: 'CANCELLED', actorType: 'SYSTEM', reason: expect.stringContaining('基本户') });
    // The section is free again: the bidder may apply anew.
    expect((await apply('xjBidder', section.id, 'pingan-bid-bond')).status).toBe('DRAFT');
  });

  it('refuses a payment of the wrong amount and writes nothing', async () => {
    const section = await publishSection(server, tokens.xjAdmin!);
    const order = await apply('xjBidder', section.id, 'pingan-bid-bond');
    await submit(server, tokens.xjBidder!, order.id);
    await as('xjInstitution').request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: true } });
    const { confirmPayment } = await pay('xjInstitution', order.id, { amount: '1499.99' });
    expect(confirmPayment).toMatchObject({ code: 'PAYMENT_AMOUNT_MISMATCH', field: 'input.amount' });
    const after = await read('xjBidder', order.id);
    expect(after).toMatchObject({ status: 'AWAITING_PAYMENT', payments: [] });
  });

  it('lets the institution decline underwriting with a reason, after which the bidder may apply again', async () => {
    const section = await publishSection(server, tokens.xjAdmin!);
    const order = await apply('xjBidder', section.id, 'pingan-bid-bond');
    await submit(server, tokens.xjBidder!, order.id);
    const noReason = (await as('xjInstitution').request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: false } })).decideUnderwriting;
    expect(noReason).toMatchObject({ code: 'REASON_REQUIRED', field: 'input.reason' });
    const declined = (await as('xjInstitution').request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: false, reason: '资质不符' } }))
      .decideUnderwriting;
    expect(declined).toMatchObject({ status: 'REJECTED' });
    expect((await apply('xjBidder', section.id, 'pingan-bid-bond')).status).toBe('DRAFT');
  });
});

describe('Hunan, a real-time product: straight to payment, 30-minute expiry', () => {
  it('expires an unpaid order after 30 minutes, once, and lets the bidder apply again', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond');
    const submitted = await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
    expect(submitted).toMatchObject({ status: 'AWAITING_PAYMENT' });
    const expiresAt = new Date((submitted.__typename === 'GuaranteeOrder' && submitted.expiresAt) || 0).getTime();
    expect(expiresAt - Date.parse(order.expiresAt) + 0).toBe(0);
    expect(Math.round((Date.parse(order.expiresAt) - Date.now()) / 60_000)).toBe(30);

    const db = server.database.prisma;
    expect(await expireUnpaidOrders(db, new Date(Date.now() + 29 * 60_000))).toBe(0);
    expect(await expireUnpaidOrders(db, new Date(Date.now() + 31 * 60_000))).toBeGreaterThanOrEqual(1);
    expect(await expireUnpaidOrders(db, new Date(Date.now() + 31 * 60_000))).toBe(0);
    const expired = await read('hnBidder', order.id);
    expect(expired?.status).toBe('EXPIRED');
    expect(expired?.timeline.filter((step) => step.toStatus === 'EXPIRED')).toHaveLength(1);
    expect((await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond')).status).toBe('DRAFT');
  });

  it('ends paid, never both, when payment and expiry race', async () => {
    for (let round = 0; round < 3; round += 1) {
      const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
      const order = await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond');
      await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
      const [, payment] = await Promise.all([
        expireUnpaidOrders(server.database.prisma, new Date(Date.now() + 31 * 60_000)),
        pay('hnInstitution', order.id, { amount: '500.00', paidAt: new Date().toISOString() }),
      ]);
      // Paid, and (a real-time product) issued at once; never expired.
      expect(payment.confirmPayment).toMatchObject({ order: { status: 'ISSUED' } });
      const final = await read('hnBidder', order.id);
      expect(final?.status).toBe('ISSUED');
      expect(final?.timeline.filter((step) => step.toStatus === 'PAID')).toHaveLength(1);
    }
  });

  it('records one payment and one duplicate when two different confirmations race', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond');
    await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
    const results = await Promise.all([pay('hnInstitution', order.id, { amount: '500.00' }), pay('hnInstitution', order.id, { amount: '500.00' })]);
    const outcomes = results.map((r) => (r.confirmPayment.__typename === 'PaymentConfirmation' ? r.confirmPayment.payment.outcome : r.confirmPayment.__typename));
    expect(outcomes.sort()).toEqual(['APPLIED', 'DUPLICATE']);
    const final = await read('hnBidder', order.id);
    expect(final?.timeline.filter((step) => step.toStatus === 'PAID')).toHaveLength(1);
  });

  it('treats two concurrent confirmations of the same transaction as one', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond');
    await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
    const results = await Promise.all([1, 2, 3].map(() => pay('hnInstitution', order.id, { amount: '500.00', transactionId: 'HN-SAME-TX' })));
    const repeated = results.map((r) => r.confirmPayment.__typename === 'PaymentConfirmation' && r.confirmPayment.repeated);
    expect(repeated.filter((value) => value === false)).toHaveLength(1);
    expect(repeated.filter((value) => value === true)).toHaveLength(2);
    expect((await read('hnBidder', order.id))?.payments).toHaveLength(1);
  });
});

describe('illegal moves and bad input', () => {
  it('refuses every transition the table lacks, naming the current state', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond');
    await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
    expect(await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' })).toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      message: expect.stringContaining('AWAITING_PAYMENT'),
    });
    const underwriting = (await as('hnInstitution').request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: true } })).decideUnderwriting;
    expect(underwriting).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await pay('hnInstitution', order.id, { amount: '500.00' });
    const abandon = (await as('hnBidder').request(AbandonOrderDocument, { input: { orderId: order.id } })).abandonOrder;
    expect(abandon).toMatchObject({ code: 'ILLEGAL_TRANSITION', message: expect.stringContaining('ISSUED') });
  });

  it('lets a bidder abandon an unpaid order and apply again, but not hold two live orders', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond');
    const second = await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId: productIds['hn-demo-insurer-two-bid-bond']! });
    expect(second).toMatchObject({ code: 'ORDER_ALREADY_LIVE', field: 'input.sectionId' });
    const abandoned = (await as('hnBidder').request(AbandonOrderDocument, { input: { orderId: order.id, reason: '改投' } })).abandonOrder;
    expect(abandoned).toMatchObject({ status: 'ABANDONED' });
    expect((await apply('hnBidder', section.id, 'hn-demo-insurer-two-bid-bond')).premium).toBe('700.00');
  });

  it('refuses a testing product with its notice, a section past opening, and malformed fields, writing nothing', async () => {
    const section = await publishSection(server, tokens.xjAdmin!);
    const testing = await createOrder(server, tokens.xjBidder!, { sectionId: section.id, productId: productIds['dajia-bid-bond']! });
    expect(testing).toMatchObject({ __typename: 'ProductUnavailableError', code: 'PRODUCT_UNAVAILABLE', notice: '测试中,请勿使用!' });
    for (const [input, code, field] of [
      [{ handlerMobile: '12345' }, 'MOBILE_MALFORMED', 'input.handlerMobile'],
      [{ handlerName: '  ' }, 'VALIDATION_FAILED', 'input.handlerName'],
      [{ basicAccountNumber: '62-22' }, 'ACCOUNT_NUMBER_MALFORMED', 'input.basicAccountNumber'],
    ] as const) {
      const result = await createOrder(server, tokens.xjBidder!, { sectionId: section.id, productId: productIds['pingan-bid-bond']!, ...input });
      expect(result).toMatchObject({ code, field });
    }
    await as('xjAdmin').request(RecordSectionEventDocument, { input: { sectionId: section.id, kind: 'OPENED' } });
    const closed = await createOrder(server, tokens.xjBidder!, { sectionId: section.id, productId: productIds['pingan-bid-bond']! });
    expect(closed).toMatchObject({ code: 'SECTION_CLOSED', field: 'input.sectionId' });
    expect(await server.database.prisma.guaranteeOrder.count({ where: { section: { code: section.code } } })).toBe(0);
  });

  it('checks the opening permit by content: a disguised or oversized file is refused', async () => {
    const section = await publishSection(server, tokens.xjAdmin!);
    const disguised = await createOrder(
      server,
      tokens.xjBidder!,
      { sectionId: section.id, productId: productIds['pingan-bid-bond']! },
      { bytes: new TextEncoder().encode('%PDF-1.7 not an image'), name: 'permit.png' },
    );
    expect(disguised).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED', field: 'input.openingPermit' });
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set(PNG);
    const oversized = await createOrder(server, tokens.xjBidder!, { sectionId: section.id, productId: productIds['pingan-bid-bond']! }, { bytes: big, name: 'permit.jpg' });
    expect(oversized).toMatchObject({ code: 'FILE_TOO_LARGE', field: 'input.openingPermit' });
  });

  it('hides another bidder’s and another tenant’s orders, and keeps confirmations for institutions', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = await apply('hnBidder', section.id, 'hn-demo-insurer-bid-bond');
    expect(await read('xjBidder', order.id)).toBeNull();
    const byBidder = await pay('hnBidder', order.id, { amount: '500.00' });
    expect(byBidder.confirmPayment).toMatchObject({ code: 'FORBIDDEN' });
    const otherTenant = await pay('xjInstitution', order.id, { amount: '500.00' });
    expect(otherTenant.confirmPayment).toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });
});

describe('the expiry sweep of a running server', () => {
  it('expires overdue unpaid orders on its own', async () => {
    const own = await startTestServer({ sweepIntervalMs: 100 });
    try {
      const admin = await smsLogin(own, 'hunan', DEMO.ADMIN);
      const hunanBidder = await smsLogin(own, 'hunan', DEMO.BIDDER);
      const { tenant } = await own.client().request(TenantCatalogueDocument, { code: 'hunan' });
      const productId = tenant.institutionGroups[0]!.institutions[0]!.products[0]!.id;
      const section = await publishSection(own, admin, { depositAmount: '100000' });
      const order = expectOrder(await createOrder(own, hunanBidder, { sectionId: section.id, productId }, { bytes: PNG, name: 'p.png' }));
      await own.database.prisma.guaranteeOrder.updateMany({ where: { number: order.number }, data: { expiresAt: new Date(Date.now() - 1000) } });
      let status = order.status;
      for (let i = 0; i < 50 && status !== 'EXPIRED'; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await own.database.prisma.guaranteeOrder.findFirstOrThrow({ where: { number: order.number } })).status;
      }
      expect(status).toBe('EXPIRED');
    } finally {
      await own.stop();
    }
  });
});
