import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClaimsDocument,
  ConfirmClaimDocument,
  DecideCancellationDocument,
  DecideClaimDocument,
  FileClaimDocument,
  GuaranteeAfterSaleDocument,
  RequestCancellationDocument,
} from '../../schema/generated/graphql.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { institutionLogin, issuedGuarantee, tenantActors, type TenantActors } from '../support/guarantees.ts';
import { multipart } from '../support/orders.ts';

let server: TestServer;
let hn: TenantActors;
let xj: TenantActors;
const PDF = new TextEncoder().encode('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
const PNG_BYTES = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

beforeAll(async () => {
  server = await startTestServer({ sweepIntervalMs: 0 });
  hn = await tenantActors(server, 'hunan');
  xj = await tenantActors(server, 'xinjiang');
});
afterAll(() => server?.stop());

const as = (token: string) => server.client({ token });

async function fileClaim(token: string, guaranteeId: string, amount: string, proof: { bytes: Uint8Array; name: string } = { bytes: PDF, name: 'proof.pdf' }) {
  const input = {
    guaranteeId,
    amount,
    payeeAccountName: '上海示范市政工程有限公司',
    payeeAccountNumber: '6222000011112222333',
    payeeBank: '建设银行上海分行',
    contactName: '赵招标',
    contactPhone: '021-55556666',
    reason: '中标后拒绝签订合同',
    proof: null,
  };
  return (await multipart(server, token, FileClaimDocument, { input }, { 'input.proof': proof })).fileClaim;
}
const confirm = async (token: string, claimId: string) => (await as(token).request(ConfirmClaimDocument, { input: { claimId } })).confirmClaim;
const decide = async (token: string, claimId: string, decision: 'APPROVE_FULL' | 'APPROVE_PART' | 'REJECT', extra: { amount?: string; reason?: string } = {}) =>
  (await as(token).request(DecideClaimDocument, { input: { claimId, decision, ...extra } })).decideClaim;
const claimId = (claim: { __typename: string; id?: string }) => {
  if (claim.__typename !== 'Claim' || !claim.id) throw new Error(JSON.stringify(claim));
  return claim.id;
};

describe('claims (Hunan 6)', () => {
  it('cannot be filed before opening: the tenderee does not even see the guarantee', async () => {
    const { guarantee } = await issuedGuarantee(server, hn);
    expect(await fileClaim(hn.tenderee, guarantee.id, '1000')).toMatchObject({ code: 'GUARANTEE_NOT_FOUND' });
  });

  it('paid in full void the guarantee, after the two-step submit', async () => {
    const { guarantee } = await issuedGuarantee(server, hn, { opened: true });
    const draft = await fileClaim(hn.tenderee, guarantee.id, '100000');
    expect(draft).toMatchObject({ status: 'DRAFT', claimantRole: 'TENDEREE', guarantee: { status: 'EFFECTIVE' } });
    expect(await confirm(hn.tenderee, claimId(draft))).toMatchObject({ status: 'SUBMITTED', guarantee: { status: 'CLAIMING' } });
    // The institution reads the proof before deciding; a party of another tenant cannot.
    const proofUrl = new URL(draft.__typename === 'Claim' ? draft.proofUrl : '', server.url);
    const proof = await fetch(proofUrl, { headers: { authorization: `Bearer ${hn.institution}` } });
    expect(proof.status).toBe(200);
    expect(new Uint8Array(await proof.arrayBuffer())).toEqual(PDF);
    expect((await fetch(proofUrl, { headers: { authorization: `Bearer ${xj.institution}` } })).status).toBe(404);
    expect(await decide(hn.institution, claimId(draft), 'APPROVE_FULL')).toMatchObject({ status: 'APPROVED', approvedAmount: '100000.00', guarantee: { status: 'VOID' } });
    // Claim records are listed for the tenderee, the bidder and the institution.
    for (const token of [hn.tenderee, hn.bidder, hn.institution]) {
      expect((await as(token).request(ClaimsDocument, {})).claims.edges.map((e) => e.node.id)).toContain(claimId(draft));
    }
    expect((await as(xj.tenderee).request(ClaimsDocument, {})).claims.edges.map((e) => e.node.id)).not.toContain(claimId(draft));
  });

  it('paid in part leave the rest claimable, never beyond the guarantee amount', async () => {
    const { guarantee } = await issuedGuarantee(server, hn, { opened: true });
    const first = await fileClaim(hn.agent, guarantee.id, '40000');
    expect(first).toMatchObject({ claimantRole: 'AGENT' });
    await confirm(hn.agent, claimId(first));
    expect(await decide(hn.institution, claimId(first), 'APPROVE_PART')).toMatchObject({ code: 'REASON_REQUIRED' });
    expect(await decide(hn.institution, claimId(first), 'APPROVE_PART', { amount: '30000', reason: '部分损失已由其他方式弥补' })).toMatchObject({
      status: 'APPROVED',
      approvedAmount: '30000.00',
      guarantee: { status: 'CLAIM_PAID' },
    });
    expect(await fileClaim(hn.tenderee, guarantee.id, '70000.01')).toMatchObject({ code: 'CLAIM_EXCEEDS_REMAINING', field: 'input.amount' });
    const rest = await fileClaim(hn.tenderee, guarantee.id, '70000');
    await confirm(hn.tenderee, claimId(rest));
    expect(await decide(hn.institution, claimId(rest), 'APPROVE_FULL')).toMatchObject({ guarantee: { status: 'VOID' } });
  });

  it('decided at the same moment cannot both be paid beyond the amount', async () => {
    const { guarantee } = await issuedGuarantee(server, hn, { opened: true });
    const a = claimId(await fileClaim(hn.tenderee, guarantee.id, '60000'));
    const b = claimId(await fileClaim(hn.agent, guarantee.id, '60000'));
    await confirm(hn.tenderee, a);
    await confirm(hn.agent, b);
    const results = await Promise.all([decide(hn.institution, a, 'APPROVE_FULL'), decide(hn.institution, b, 'APPROVE_FULL')]);
    const outcomes = results.map((r) => (r.__typename === 'Claim' ? r.status : (r as { code: string }).code)).sort();
    expect(outcomes).toEqual(['APPROVED', 'CLAIM_EXCEEDS_REMAINING']);
    const paid = await server.app.db.claim.aggregate({ where: { guarantee: { number: guarantee.number }, status: 'APPROVED' }, _sum: { approvedAmount: true } });
    expect(paid._sum.approvedAmount?.toFixed(2)).toBe('60000.00');
    expect((await as(hn.bidder).request(GuaranteeAfterSaleDocument, { id: guarantee.id })).guarantee?.status).toBe('CLAIMING');
  });

  it('rejected with a reason return the guarantee to EFFECTIVE; bad input is refused', async () => {
    const { guarantee } = await issuedGuarantee(server, hn, { opened: true });
    expect(await fileClaim(hn.tenderee, guarantee.id, '1000', { bytes: PNG_BYTES, name: 'proof.pdf' })).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED', field: 'input.proof' });
    expect(await fileClaim(hn.tenderee, guarantee.id, '100000.01')).toMatchObject({ code: 'CLAIM_EXCEEDS_REMAINING' });
    expect(await fileClaim(hn.bidder, guarantee.id, '1000')).toMatchObject({ code: 'FORBIDDEN' });
    const claim = claimId(await fileClaim(hn.tenderee, guarantee.id, '5000'));
    expect(await decide(hn.institution, claim, 'APPROVE_FULL')).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await confirm(hn.tenderee, claim);
    expect(await confirm(hn.tenderee, claim)).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect(await decide(hn.tenderee, claim, 'APPROVE_FULL')).toMatchObject({ code: 'FORBIDDEN' });
    expect(await decide(hn.institution, claim, 'REJECT', { reason: '不属于保险责任' })).toMatchObject({
      status: 'REJECTED',
      decisionReason: '不属于保险责任',
      guarantee: { status: 'EFFECTIVE' },
    });
  });
});

describe('cancellations (Hunan 5.3.4)', () => {
  it('void a bank guarantee after opening with proof, and are refused for insurers and before opening', async () => {
    const bank = await institutionLogin(server, 'hunan', 'hn-demo-bank');
    const before = await issuedGuarantee(server, hn, { institutionCode: 'hn-demo-bank', institutionToken: bank });
    const request = (guaranteeId: string) =>
      multipart(server, hn.bidder, RequestCancellationDocument, { input: { guaranteeId, reason: '项目已完成，申请注销', proof: null } }, {
        'input.proof': { bytes: PDF, name: '证明.pdf' },
      }).then((r) => r.requestCancellation);
    expect(await request(before.guarantee.id)).toMatchObject({ code: 'CANCELLATION_BEFORE_OPENING' });

    const insured = await issuedGuarantee(server, hn, { opened: true });
    expect(await request(insured.guarantee.id)).toMatchObject({ code: 'CANCELLATION_NOT_ALLOWED' });

    const { guarantee } = await issuedGuarantee(server, hn, { opened: true, institutionCode: 'hn-demo-bank', institutionToken: bank });
    const cancellation = await request(guarantee.id);
    expect(cancellation).toMatchObject({ status: 'PENDING', guarantee: { status: 'CANCELLING' } });
    const id = cancellation.__typename === 'Cancellation' ? cancellation.id : '';
    expect((await as(hn.institution).request(DecideCancellationDocument, { input: { cancellationId: id, approve: true } })).decideCancellation).toMatchObject({
      code: 'CANCELLATION_NOT_FOUND',
    });
    expect((await as(bank).request(DecideCancellationDocument, { input: { cancellationId: id, approve: true } })).decideCancellation).toMatchObject({
      status: 'APPROVED',
      guarantee: { status: 'VOID' },
    });
  });

  it('are not offered where the tenant has none (Xinjiang)', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const result = await multipart(server, xj.bidder, RequestCancellationDocument, { input: { guaranteeId: guarantee.id, reason: '注销', proof: null } }, {
      'input.proof': { bytes: PDF, name: 'p.pdf' },
    });
    expect(result.requestCancellation).toMatchObject({ code: 'CANCELLATION_NOT_ALLOWED' });
  });
});
