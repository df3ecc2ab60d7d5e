import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GuaranteeInvoicesDocument,
  InvoiceDocument,
  InvoicesDocument,
  IssueInvoiceDocument,
  RequestInvoiceDocument,
  type RequestInvoiceInput,
  type RequestInvoiceMutation,
} from '../../schema/generated/graphql.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { issuedGuarantee, tenantActors, type TenantActors } from '../support/guarantees.ts';
import { multipart, PNG } from '../support/orders.ts';

let server: TestServer;
let xj: TenantActors;
let hn: TenantActors;

beforeAll(async () => {
  server = await startTestServer({ sweepIntervalMs: 0 });
  // One tenant after the other: the same demo mobiles log in to both, and SMS codes are read per mobile.
  xj = await tenantActors(server, 'xinjiang');
  hn = await tenantActors(server, 'hunan');
});
afterAll(() => server?.stop());

/** The smallest file a PDF reader accepts as PDF 1.4: what an institution's invoice system would send. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

const company = {
  title: '北京示范建设工程有限公司',
  taxNumber: '91110108MA01XK7Q2D',
  address: '北京市海淀区示范路1号',
  phone: '010-62345678',
  bank: '中国工商银行北京海淀支行',
  bankAccount: '0200004509014412345',
};
const recipient = { recipientName: '李经办', recipientPhone: '13912345678', recipientAddress: '北京市海淀区示范路1号 财务部' };

const as = (token: string) => server.client({ token });
type RequestResult = RequestInvoiceMutation['requestInvoice'];
type Invoice = Extract<RequestResult, { __typename: 'Invoice' }>;

async function requestInvoice(actors: TenantActors, guaranteeId: string, input: Partial<RequestInvoiceInput>): Promise<RequestResult> {
  const variables = { input: { guaranteeId, form: 'ELECTRONIC' as const, kind: 'ORDINARY' as const, title: company.title, ...input } };
  return (await as(actors.bidder).request(RequestInvoiceDocument, variables)).requestInvoice;
}

function expectInvoice(result: RequestResult): Invoice {
  if (result.__typename !== 'Invoice') throw new Error(`expected an invoice, got ${JSON.stringify(result)}`);
  return result;
}

async function issueElectronic(actors: TenantActors, invoiceId: string, file: { bytes: Uint8Array; name: string }, invoiceNumber = '25442000000123456789') {
  return (await multipart(server, actors.institution, IssueInvoiceDocument, { input: { invoiceId, invoiceNumber, file: null } }, { 'input.file': file })).issueInvoice;
}

async function download(token: string, url: string) {
  const response = await fetch(new URL(url, server.url), { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

describe('asking for an invoice (Xinjiang: after opening; electronic ordinary only, paper ordinary or special)', () => {
  it('refuses an invoice before the bid opening', async () => {
    const { guarantee } = await issuedGuarantee(server, xj);
    const result = await requestInvoice(xj, guarantee.id, { email: 'finance@example.com' });
    expect(result).toMatchObject({ __typename: 'BaseError', code: 'INVOICE_BEFORE_OPENING', field: 'input.guaranteeId' });
    expect(await server.app.db.invoice.count({ where: { guaranteeId: rawId(guarantee.id) } })).toBe(0);
  });

  it('takes an electronic ordinary invoice after opening: PROCESSING, for the premium, with an event', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const invoice = expectInvoice(await requestInvoice(xj, guarantee.id, { ...company, email: 'finance@example.com', recipientPhone: '13152309458' }));
    expect(invoice).toMatchObject({
      form: 'ELECTRONIC',
      kind: 'ORDINARY',
      status: 'PROCESSING',
      amount: guarantee.premium,
      title: company.title,
      taxNumber: company.taxNumber,
      email: 'finance@example.com',
      downloadUrl: null,
      guarantee: { id: guarantee.id },
    });
    const events = await server.app.db.domainEvent.findMany({ where: { aggregateType: 'Invoice' } });
    expect(events.filter((e) => (e.payload as { to?: string }).to === 'PROCESSING' && e.type === 'INVOICE_STATUS_CHANGED').length).toBeGreaterThanOrEqual(1);
  });

  it('refuses an electronic special invoice: the tenant does not offer that kind', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const result = await requestInvoice(xj, guarantee.id, { ...company, kind: 'SPECIAL', email: 'finance@example.com' });
    expect(result).toMatchObject({ __typename: 'BaseError', code: 'INVOICE_KIND_NOT_OFFERED', field: 'input.kind' });
  });

  it('takes a paper special invoice with every company and recipient field', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const invoice = expectInvoice(await requestInvoice(xj, guarantee.id, { form: 'PAPER', kind: 'SPECIAL', ...company, ...recipient }));
    expect(invoice).toMatchObject({ form: 'PAPER', kind: 'SPECIAL', status: 'PROCESSING', ...company, ...recipient });
  });

  it('names the missing or malformed field, and writes nothing', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const paperSpecial = { form: 'PAPER' as const, kind: 'SPECIAL' as const, ...company, ...recipient };
    const cases: Array<[Partial<RequestInvoiceInput>, string, string]> = [
      [{ ...paperSpecial, taxNumber: null }, 'input.taxNumber', 'VALIDATION_FAILED'],
      [{ ...paperSpecial, bankAccount: '' }, 'input.bankAccount', 'VALIDATION_FAILED'],
      [{ ...paperSpecial, recipientAddress: ' ' }, 'input.recipientAddress', 'VALIDATION_FAILED'],
      [{ ...paperSpecial, title: '' }, 'input.title', 'VALIDATION_FAILED'],
      [{ ...paperSpecial, taxNumber: '9111-0108' }, 'input.taxNumber', 'TAX_NUMBER_MALFORMED'],
      [{ ...paperSpecial, phone: '12345' }, 'input.phone', 'PHONE_MALFORMED'],
      [{ ...paperSpecial, recipientPhone: '2345678901' }, 'input.recipientPhone', 'PHONE_MALFORMED'],
      [{ form: 'ELECTRONIC', kind: 'ORDINARY' }, 'input.email', 'VALIDATION_FAILED'],
      [{ form: 'ELECTRONIC', kind: 'ORDINARY', email: 'not-an-email' }, 'input.email', 'EMAIL_MALFORMED'],
    ];
    for (const [input, field, code] of cases) {
      expect(await requestInvoice(xj, guarantee.id, input), field).toMatchObject({ __typename: 'ValidationError', code, field });
    }
    expect(await server.app.db.invoice.count({ where: { guaranteeId: rawId(guarantee.id) } })).toBe(0);
  });

  it('keeps one invoice per guarantee: a second while processing and one after issuance are refused', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const first = expectInvoice(await requestInvoice(xj, guarantee.id, { email: 'finance@example.com' }));
    expect(await requestInvoice(xj, guarantee.id, { email: 'finance@example.com' })).toMatchObject({ code: 'INVOICE_IN_PROGRESS' });
    expect(await issueElectronic(xj, first.id, { bytes: PDF, name: 'invoice.pdf' })).toMatchObject({ status: 'ISSUED' });
    expect(await requestInvoice(xj, guarantee.id, { email: 'finance@example.com' })).toMatchObject({ code: 'INVOICE_ALREADY_ISSUED' });
  });
});

describe('asking for an invoice (Hunan: right after issuance)', () => {
  it('takes an invoice before the opening, electronic special included', async () => {
    const { guarantee } = await issuedGuarantee(server, hn);
    const invoice = expectInvoice(await requestInvoice(hn, guarantee.id, { kind: 'SPECIAL', ...company, email: 'finance@example.com' }));
    expect(invoice).toMatchObject({ status: 'PROCESSING', form: 'ELECTRONIC', kind: 'SPECIAL', amount: guarantee.premium });
  });
});

describe('issuing and downloading invoices', () => {
  it('lets the institution issue with a pdf and the bidder download exactly that file', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const invoice = expectInvoice(await requestInvoice(xj, guarantee.id, { email: 'finance@example.com' }));
    const issued = await issueElectronic(xj, invoice.id, { bytes: PDF, name: 'invoice.pdf' });
    expect(issued).toMatchObject({ __typename: 'Invoice', status: 'ISSUED', invoiceNumber: '25442000000123456789', downloadUrl: `/invoices/${rawId(invoice.id)}/file` });
    if (issued.__typename !== 'Invoice') return;
    expect(issued.issuedAt).not.toBeNull();

    const file = await download(xj.bidder, issued.downloadUrl!);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(file.bytes).equals(PDF)).toBe(true);
    expect(decodeURIComponent(file.headers.get('content-disposition')!.split("UTF-8''")[1]!)).toBe('发票(25442000000123456789).pdf');
    expect((await download(xj.institution, issued.downloadUrl!)).status).toBe(200);
    expect((await download(xj.admin, issued.downloadUrl!)).status).toBe(200);
    // Other parties and tenants: as if it did not exist.
    for (const token of [xj.tenderee, xj.agent, hn.bidder, hn.institution, hn.admin]) expect((await download(token, issued.downloadUrl!)).status).toBe(404);
    expect((await fetch(new URL(issued.downloadUrl!, server.url))).status).toBe(401);

    const events = await server.app.db.domainEvent.findMany({ where: { aggregateType: 'Invoice', aggregateId: rawId(invoice.id) }, orderBy: { sequence: 'asc' } });
    expect(events.map((e) => (e.payload as { action: string }).action)).toEqual(['REQUEST', 'ISSUE']);
  });

  it('refuses a disguised file, an issue without file or number, and a second issue', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const invoice = expectInvoice(await requestInvoice(xj, guarantee.id, { email: 'finance@example.com' }));
    expect(await issueElectronic(xj, invoice.id, { bytes: PNG, name: 'invoice.pdf' })).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED', field: 'input.file' });
    expect(await issueElectronic(xj, invoice.id, { bytes: new Uint8Array(), name: 'invoice.pdf' })).toMatchObject({ code: 'FILE_EMPTY', field: 'input.file' });
    const withoutFile = await as(xj.institution).request(IssueInvoiceDocument, { input: { invoiceId: invoice.id, invoiceNumber: '25442000000123456789' } });
    expect(withoutFile.issueInvoice).toMatchObject({ code: 'INVOICE_FILE_REQUIRED', field: 'input.file' });
    expect(await issueElectronic(xj, invoice.id, { bytes: PDF, name: 'invoice.pdf' }, '')).toMatchObject({ code: 'INVOICE_NUMBER_REQUIRED' });
    expect((await as(xj.bidder).request(InvoiceDocument, { id: invoice.id })).invoice).toMatchObject({ status: 'PROCESSING', downloadUrl: null });
    expect(await server.app.db.storedFile.count({ where: { kind: 'INVOICE', sha256: createHash('sha256').update(PNG).digest('hex') } })).toBe(0);

    expect(await issueElectronic(xj, invoice.id, { bytes: PDF, name: 'invoice.pdf' })).toMatchObject({ status: 'ISSUED' });
    expect(await issueElectronic(xj, invoice.id, { bytes: PDF, name: 'invoice.pdf' })).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('issues a paper invoice with shipping details, and refuses it without them', async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const invoice = expectInvoice(await requestInvoice(xj, guarantee.id, { form: 'PAPER', kind: 'ORDINARY', ...recipient }));
    const missing = await as(xj.institution).request(IssueInvoiceDocument, { input: { invoiceId: invoice.id, shippingCarrier: '顺丰速运' } });
    expect(missing.issueInvoice).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.shippingNumber' });
    const shipped = await as(xj.institution).request(IssueInvoiceDocument, { input: { invoiceId: invoice.id, shippingCarrier: '顺丰速运', shippingNumber: 'SF1234567890' } });
    expect(shipped.issueInvoice).toMatchObject({ status: 'ISSUED', shippingCarrier: '顺丰速运', shippingNumber: 'SF1234567890', downloadUrl: null });
  });

  it("refuses another institution's or tenant's invoice as not found, and the bidder's attempt to issue as forbidden", async () => {
    const { guarantee } = await issuedGuarantee(server, xj, { opened: true });
    const invoice = expectInvoice(await requestInvoice(xj, guarantee.id, { email: 'finance@example.com' }));
    const byHunan = await multipart(server, hn.institution, IssueInvoiceDocument, { input: { invoiceId: invoice.id, invoiceNumber: '25442000000123456789', file: null } }, { 'input.file': { bytes: PDF, name: 'i.pdf' } });
    expect(byHunan.issueInvoice).toMatchObject({ __typename: 'NotFoundError', code: 'INVOICE_NOT_FOUND' });
    const byBidder = await as(xj.bidder).request(IssueInvoiceDocument, { input: { invoiceId: invoice.id, shippingCarrier: 'x', shippingNumber: 'SF1234567890' } });
    expect(byBidder.issueInvoice).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const hunanBidderAsks = await requestInvoice(hn, guarantee.id, { email: 'finance@example.com' });
    expect(hunanBidderAsks).toMatchObject({ __typename: 'NotFoundError', code: 'GUARANTEE_NOT_FOUND' });
  });
});

describe('my invoices', () => {
  it('lists each party its own, filtered by state in SQL, and hides them from other parties and tenants', async () => {
    const { guarantee: a } = await issuedGuarantee(server, hn);
    const { guarantee: b } = await issuedGuarantee(server, hn);
    const processing = expectInvoice(await requestInvoice(hn, a.id, { email: 'finance@example.com' }));
    const toIssue = expectInvoice(await requestInvoice(hn, b.id, { form: 'PAPER', kind: 'ORDINARY', ...recipient }));
    await as(hn.institution).request(IssueInvoiceDocument, { input: { invoiceId: toIssue.id, shippingCarrier: 'EMS', shippingNumber: 'EMS12345678' } });

    const list = async (token: string, status?: Array<'PROCESSING' | 'ISSUED'>) => (await as(token).request(InvoicesDocument, { status, first: 50 })).invoices;
    const bidderProcessing = await list(hn.bidder, ['PROCESSING']);
    const bidderIssued = await list(hn.bidder, ['ISSUED']);
    expect(bidderProcessing.edges.map((e) => e.node.status)).toEqual(bidderProcessing.edges.map(() => 'PROCESSING'));
    expect(bidderProcessing.edges.map((e) => e.node.id)).toContain(processing.id);
    expect(bidderProcessing.edges.map((e) => e.node.id)).not.toContain(toIssue.id);
    expect(bidderIssued.edges.map((e) => e.node.id)).toEqual([toIssue.id]);
    expect(bidderIssued.totalCount).toBe(1);
    const all = await list(hn.bidder);
    expect(all.totalCount).toBe(bidderProcessing.totalCount + bidderIssued.totalCount);

    const institution = await list(hn.institution);
    const admin = await list(hn.admin);
    for (const seen of [institution, admin]) expect(seen.edges.map((e) => e.node.id)).toEqual(expect.arrayContaining([processing.id, toIssue.id]));

    for (const token of [hn.tenderee, hn.agent]) {
      expect((await list(token)).totalCount).toBe(0);
      expect((await as(token).request(InvoiceDocument, { id: processing.id })).invoice).toBeNull();
    }
    for (const token of [xj.bidder, xj.institution, xj.admin]) {
      const ids = (await list(token)).edges.map((e) => e.node.id);
      expect(ids).not.toContain(processing.id);
      expect((await as(token).request(InvoiceDocument, { id: processing.id })).invoice).toBeNull();
    }
    expect((await as(hn.bidder).request(InvoiceDocument, { id: processing.id })).invoice).toMatchObject({ id: processing.id });
    const onGuarantee = await as(hn.bidder).request(GuaranteeInvoicesDocument, { id: a.id });
    expect(onGuarantee.guarantee?.invoices.map((i) => i.id)).toEqual([processing.id]);
  });
});

function rawId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;
}
