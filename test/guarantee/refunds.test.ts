import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteRefundDocument,
  ConfirmRefundAccountDocument,
  DecideRefundDocument,
  GuaranteeAfterSaleDocument,
  RecordSectionEventDocument,
  RefundsDocument,
  RequestRefundAccountCodeDocument,
  RequestRefundDocument,
  type RefundReason,
} from '../../schema/generated/graphql.ts';
import { expireGuarantees } from '../../src/domains/guarantee/guarantee.service.ts';
import { requestStatements, startTestServer, type TestServer } from '../support/harness.ts';
import { issuedGuarantee, tenantActors, type TenantActors } from '../support/guarantees.ts';

let server: TestServer;
const queries: string[] = [];
let xj: TenantActors;
let hn: TenantActors;

beforeAll(async () => {
  server = await startTestServer({ sweepIntervalMs: 0, onQuery: (sql) => queries.push(sql) });
  xj = await tenantActors(server, 'xinjiang');
  hn = await tenantActors(server, 'hunan');
});
afterAll(() => server?.stop());

const as = (token: string) => server.client({ token });
const requestRefund = (token: string, guaranteeId: string, reason: RefundReason) =>
  as(token).request(RequestRefundDocument, { input: { guaranteeId, reason, explanation: '因故申请退保' } }).then((r) => r.requestRefund);
const sectionEvent = (actors: TenantActors, sectionId: string, kind: 'SUSPENDED' | 'FAILED' | 'TERMINATED' | 'OPENED') =>
  as(actors.admin).request(RecordSectionEventDocument, { input: { sectionId, kind } });
const afterSale = (token: string, id: string, reason?: RefundReason) => as(token).request(GuaranteeAfterSaleDocument, { id, reason }).then((r) => r.guarantee!);

describe('Xinjiang refund rules through the API', () => {
  it('case 1: withdrawing before opening is refunded without an account step: review, approval, payout', async () => {
    const { guarantee } = await issuedGuarantee(server, xj);
    expect((await afterSale(xj.bidder, guarantee.id, 'WITHDRAWN')).refundability).toMatchObject({ allowed: true, ruleCode: 'XJ_CASE1_WITHDRAWN_BEFORE_OPENING', accountConfirmation: false });
    const refund = await requestRefund(xj.bidder, guarantee.id, 'WITHDRAWN');
    expect(refund).toMatchObject({ status: 'SUBMITTED', ruleCode: 'XJ_CASE1_WITHDRAWN_BEFORE_OPENING', amount: guarantee.premium, guarantee: { status: 'REFUNDING' } });
    const id = refund.__typename === 'Refund' ? refund.id : '';
    const decide = (decision: 'REVIEW' | 'APPROVE' | 'REJECT', reason?: string) =>
      as(xj.institution).request(DecideRefundDocument, { input: { refundId: id, decision, reason } }).then((r) => r.decideRefund);
    expect(await decide('REVIEW')).toMatchObject({ status: 'UNDER_REVIEW' });
    expect(await decide('APPROVE')).toMatchObject({ status: 'APPROVED' });
    const done = (await as(xj.institution).request(CompleteRefundDocument, { input: { refundId: id, refundNumber: 'TF-2026-0001' } })).completeRefund;
    expect(done).toMatchObject({ status: 'PAID_OUT', refundNumber: 'TF-2026-0001', guarantee: { status: 'REFUNDED' } });
    expect(done.__typename === 'Refund' && done.timeline.map((step) => step.label)).toEqual(['提交退保', '退保审核', '退保审核通过', '退保完成']);
    // A refunded guarantee cannot be refunded again.
    expect(await requestRefund(xj.bidder, guarantee.id, 'WITHDRAWN')).toMatchObject({ code: 'REFUND_NOT_ALLOWED' });
  });

  it('case 1 (suspension): the bidder confirms its refund account with an SMS code first', async () => {
    const { guarantee, section } = await issuedGuarantee(server, xj);
    await sectionEvent(xj, section.id, 'SUSPENDED');
    const refund = await requestRefund(xj.bidder, guarantee.id, 'SUSPENDED');
    expect(refund).toMatchObject({ status: 'AWAITING_ACCOUNT', ruleCode: 'XJ_CASE1_SUSPENDED_BEFORE_OPENING' });
    const refundId = refund.__typename === 'Refund' ? refund.id : '';
    const mobile = '13911112222';
    expect((await as(xj.bidder).request(RequestRefundAccountCodeDocument, { input: { refundId, mobile } })).requestRefundAccountCode).toMatchObject({ expiresInSeconds: 300 });
    const sms = await server.app.db.smsOutbox.findFirstOrThrow({ where: { mobile, purpose: 'REFUND_ACCOUNT_CODE' }, orderBy: { createdAt: 'desc' } });
    const code = sms.text.match(/\d{6}/)![0];
    const account = { refundId, accountName: '北京示范建设工程有限公司', accountNumber: '6222020200112233445', bank: '工商银行北京分行' };
    const wrong = (await as(xj.bidder).request(ConfirmRefundAccountDocument, { input: { ...account, code: code === '000000' ? '111111' : '000000' } })).confirmRefundAccount;
    expect(wrong).toMatchObject({ code: 'SMS_CODE_INVALID', field: 'input.code' });
    const confirmed = (await as(xj.bidder).request(ConfirmRefundAccountDocument, { input: { ...account, code } })).confirmRefundAccount;
    expect(confirmed).toMatchObject({ status: 'SUBMITTED', accountNumber: '6222020200112233445' });
    const reused = (await as(xj.bidder).request(ConfirmRefundAccountDocument, { input: { ...account, code } })).confirmRefundAccount;
    expect(reused).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('case 2: a failed or terminated section before opening; case 3: a section failed after opening', async () => {
    for (const kind of ['FAILED', 'TERMINATED'] as const) {
      const { guarantee, section } = await issuedGuarantee(server, xj);
      await sectionEvent(xj, section.id, kind);
      expect(await requestRefund(xj.bidder, guarantee.id, kind)).toMatchObject({ status: 'AWAITING_ACCOUNT', ruleCode: 'XJ_CASE2_FAILED_OR_TERMINATED_BEFORE_OPENING' });
    }
    const { guarantee, section } = await issuedGuarantee(server, xj, { opened: true });
    expect((await afterSale(xj.bidder, guarantee.id)).refundability).toMatchObject({ allowed: false, ruleCode: 'XJ_CASE4_NOT_REFUNDABLE' });
    await sectionEvent(xj, section.id, 'FAILED');
    expect(await requestRefund(xj.bidder, guarantee.id, 'FAILED')).toMatchObject({ status: 'AWAITING_ACCOUNT', ruleCode: 'XJ_CASE3_FAILED_AFTER_OPENING' });
  });

  it('case 4: otherwise not refundable, naming the rule', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const refused = await requestRefund(xj.bidder, guarantee.id, 'WITHDRAWN');
    expect(refused).toMatchObject({ __typename: 'RefundNotAllowedError', code: 'REFUND_NOT_ALLOWED', rule: 'XJ_CASE4_NOT_REFUNDABLE', message: expect.stringContaining('第4条') });
    expect((await afterSale(xj.bidder, guarantee.id)).status).toBe('EFFECTIVE');
  });
});

describe('the end of validity', () => {
  it('expires an effective guarantee once, and then no refund is possible', async () => {
    const { guarantee } = await issuedGuarantee(server, hn);
    const end = Date.parse(guarantee.validUntil!);
    expect(await expireGuarantees(server.database.prisma, new Date(end - 1000))).toBe(0);
    expect(await expireGuarantees(server.database.prisma, new Date(end + 1000))).toBeGreaterThanOrEqual(1);
    expect(await expireGuarantees(server.database.prisma, new Date(end + 1000))).toBe(0);
    const after = await afterSale(hn.bidder, guarantee.id);
    expect(after.status).toBe('EXPIRED');
    expect(after.refundability.allowed).toBe(false);
  });
});

describe('Hunan refund rules', () => {
  it('refuse after opening, and a rejected refund returns the guarantee to EFFECTIVE and tells the bidder by SMS', async () => {
    const opened = await issuedGuarantee(server, hn, { opened: true });
    expect(await requestRefund(hn.bidder, opened.guarantee.id, 'WITHDRAWN')).toMatchObject({ rule: 'HN_OPENED_NOT_REFUNDABLE' });

    const { guarantee } = await issuedGuarantee(server, hn);
    const refund = await requestRefund(hn.bidder, guarantee.id, 'OTHER');
    expect(refund).toMatchObject({ status: 'SUBMITTED', guarantee: { status: 'REFUNDING' } });
    const refundId = refund.__typename === 'Refund' ? refund.id : '';
    const noReason = (await as(hn.institution).request(DecideRefundDocument, { input: { refundId, decision: 'REJECT' } })).decideRefund;
    expect(noReason).toMatchObject({ code: 'REASON_REQUIRED', field: 'input.reason' });
    const rejected = (await as(hn.institution).request(DecideRefundDocument, { input: { refundId, decision: 'REJECT', reason: '材料不全' } })).decideRefund;
    expect(rejected).toMatchObject({ status: 'REJECTED', decisionReason: '材料不全', guarantee: { status: 'EFFECTIVE' } });
    const sms = await server.app.db.smsOutbox.findFirst({ where: { purpose: 'REFUND_REJECTED', text: { contains: guarantee.number } } });
    expect(sms?.text).toContain('材料不全');
  });

  it('keep refunds to their parties', async () => {
    const { guarantee } = await issuedGuarantee(server, hn);
    expect(await requestRefund(xj.bidder, guarantee.id, 'OTHER')).toMatchObject({ code: 'GUARANTEE_NOT_FOUND' });
    expect(await requestRefund(hn.institution, guarantee.id, 'OTHER')).toMatchObject({ code: 'FORBIDDEN' });
    const refund = await requestRefund(hn.bidder, guarantee.id, 'OTHER');
    const refundId = refund.__typename === 'Refund' ? refund.id : '';
    expect((await as(xj.institution).request(DecideRefundDocument, { input: { refundId, decision: 'APPROVE' } })).decideRefund).toMatchObject({ code: 'REFUND_NOT_FOUND' });
    expect((await as(hn.bidder).request(RefundsDocument, { status: ['SUBMITTED'] })).refunds.edges.map((e) => e.node.id)).toContain(refundId);
    expect((await as(xj.bidder).request(RefundsDocument, {})).refunds.edges.map((e) => e.node.id)).not.toContain(refundId);
  });
});

describe('refundability in a list of guarantees', () => {
  const list = (withRefundability: boolean) =>
    `query($first: Int) { guarantees(first: $first) { edges { node { id status ${withRefundability ? 'refundability { allowed ruleCode }' : ''} } } } }`;
  type List = { guarantees: { edges: Array<{ node: { id: string; status: string; refundability?: { allowed: boolean; ruleCode: string } } }> } };

  it('is decided from the section loaded with the guarantees: no statement beyond the list, whatever its size', async () => {
    await issuedGuarantee(server, xj);
    await issuedGuarantee(server, xj);
    const count = (first: number, withRefundability: boolean) =>
      requestStatements(queries, () => as(xj.bidder).request<List>(list(withRefundability), { first }));
    const bare = await count(50, false);
    const one = await count(1, true);
    const many = await count(50, true);
    expect(many.result.guarantees.edges.length).toBeGreaterThanOrEqual(2);
    expect(many.statements).toHaveLength(bare.statements.length);
    expect(one.statements).toHaveLength(bare.statements.length);
    // Each row answers as the guarantee's own page does.
    for (const { node } of many.result.guarantees.edges) {
      const alone = (await afterSale(xj.bidder, node.id)).refundability;
      expect(node.refundability).toEqual({ allowed: alone.allowed, ruleCode: alone.ruleCode });
    }
  });
});
