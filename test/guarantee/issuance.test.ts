import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfirmPaymentDocument,
  DecideUnderwritingDocument,
  GuaranteeDocument,
  GuaranteesDocument,
  InstitutionOrderViewDocument,
  IssueGuaranteeDocument,
  RecordSectionEventDocument,
  VerifyGuaranteeDocument,
} from '../../schema/generated/graphql.ts';
import { unsealText } from '../../src/crypto/index.ts';
import { DEMO_ENTERPRISES } from '../../src/domains/identity/demo-seed.ts';
import { currentSealingKey, rotateSealingMasterKey } from '../../src/domains/guarantee/keys.ts';
import { unsealDueLetters } from '../../src/domains/guarantee/guarantee.service.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogins } from '../support/identity.ts';
import { createOrder, expectOrder, PNG, publishSection, submit, productIdsOf } from '../support/orders.ts';

let server: TestServer;
const tokens: Record<string, string> = {};
const productIds: Record<string, string> = {};
const bidder = DEMO_ENTERPRISES.find((e) => e.key === 'bidder')!;
const tenderee = DEMO_ENTERPRISES.find((e) => e.key === 'tenderee')!;
const BASIC_ACCOUNT = '6222020200112233445';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  server = await startTestServer({ sweepIntervalMs: 0 });
  Object.assign(tokens, await smsLogins(server, [
    ['xjAdmin', 'xinjiang', DEMO.ADMIN],
    ['xjBidder', 'xinjiang', DEMO.BIDDER],
    ['xjTenderee', 'xinjiang', DEMO.TENDEREE],
    ['xjInstitution', 'xinjiang', DEMO.INSTITUTION],
    ['hnAdmin', 'hunan', DEMO.ADMIN],
    ['hnBidder', 'hunan', DEMO.BIDDER],
    ['hnInstitution', 'hunan', DEMO.INSTITUTION],
    ['qzBidder', 'quzhou', DEMO.BIDDER],
  ]));
  Object.assign(productIds, await productIdsOf(server, ['xinjiang', 'hunan']));
  await server.app.db.enterprise.updateMany({ where: { uscc: bidder.uscc }, data: { basicAccountNumber: BASIC_ACCOUNT } });
});
afterAll(() => server?.stop());

const as = (key: string) => server.client({ token: tokens[key] });
const uploaded: Record<string, boolean> = {};

/** A Xinjiang order for a reviewed product, taken to PAID through the API. */
async function paidXinjiangOrder(openingInDays = 10) {
  const section = await publishSection(server, tokens.xjAdmin!, { depositAmount: '300000', openingAt: new Date(Date.now() + openingInDays * 86_400_000).toISOString() });
  const permit = uploaded.xj ? undefined : { bytes: PNG, name: 'p.png' };
  uploaded.xj = true;
  const order = expectOrder(await createOrder(server, tokens.xjBidder!, { sectionId: section.id, productId: productIds['pingan-bid-bond']! }, permit));
  await submit(server, tokens.xjBidder!, order.id);
  await as('xjInstitution').request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: true } });
  const paid = await as('xjInstitution').request(ConfirmPaymentDocument, {
    input: { orderId: order.id, transactionId: `TX-${order.number}`, payerAccountName: bidder.name, payerAccountNumber: BASIC_ACCOUNT, amount: '1500.00', paidAt: new Date().toISOString() },
  });
  expect(paid.confirmPayment).toMatchObject({ order: { status: 'PAID' } });
  return { section, order };
}

async function issue(orderId: string, input: { number?: string; validUntil?: string } = {}) {
  return (await as('xjInstitution').request(IssueGuaranteeDocument, { input: { orderId, ...input } })).issueGuarantee;
}

async function download(key: string, url: string) {
  const response = await fetch(new URL(url, server.url), { headers: { authorization: `Bearer ${tokens[key]}` } });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

describe('issuance and sealing (Xinjiang: sealed until opening)', () => {
  it('issues a paid order: ISSUED order, EFFECTIVE guarantee, a sealed letter with its digest and a valid signature', async () => {
    const { order } = await paidXinjiangOrder();
    const guarantee = await issue(order.id, { number: 'PA-2026-000001' });
    expect(guarantee).toMatchObject({
      __typename: 'Guarantee',
      number: 'PA-2026-000001',
      status: 'EFFECTIVE',
      amount: '300000.00',
      premium: '1500.00',
      order: { status: 'ISSUED' },
      letter: { sealed: true, signatureValid: true, plainDownloadUrl: null, fileName: `投标保函凭证【密文】(${order.number}).sealed` },
    });
    if (guarantee.__typename !== 'Guarantee') return;
    expect(guarantee.letter!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(guarantee.validUntil!)).toBeGreaterThan(Date.now() + 10 * 86_400_000);
  });

  it('gives every reader only the sealed file before opening, and the same digest as plain text after', async () => {
    const { section, order } = await paidXinjiangOrder();
    const guarantee = await issue(order.id);
    if (guarantee.__typename !== 'Guarantee') throw new Error(JSON.stringify(guarantee));
    const { letter } = guarantee;

    // Sealed bytes never contain the letter: no PDF header, no names in any encoding the PDF could carry.
    const sealed = await download('xjBidder', letter!.sealedDownloadUrl!);
    expect(sealed.status).toBe(200);
    const sealedText = Buffer.from(sealed.bytes).toString('latin1');
    expect(sealedText).not.toContain('%PDF');
    expect(Buffer.from(sealed.bytes).includes(Buffer.from(bidder.name))).toBe(false);
    expect(sealed.headers.get('x-letter-digest')).toBe(letter!.digest);
    expect(decodeURIComponent(sealed.headers.get('content-disposition')!.split("UTF-8''")[1]!)).toBe(`投标保函凭证【密文】(${order.number}).sealed`);

    // No path returns the plain letter before opening: bidder, institution, admin; tenderee sees nothing at all.
    const plainUrl = letter!.downloadUrl.replace(/sealed$/, 'plain');
    for (const key of ['xjBidder', 'xjInstitution', 'xjAdmin']) expect((await download(key, plainUrl)).status).toBe(409);
    expect((await download('xjTenderee', plainUrl)).status).toBe(404);
    expect((await as('xjTenderee').request(GuaranteeDocument, { id: guarantee.id })).guarantee).toBeNull();

    // The admin opens the section: the letter is unsealed at once.
    await as('xjAdmin').request(RecordSectionEventDocument, { input: { sectionId: section.id, kind: 'OPENED' } });
    const after = (await as('xjBidder').request(GuaranteeDocument, { id: guarantee.id })).guarantee!;
    expect(after.letter).toMatchObject({ sealed: false, digest: letter!.digest, plainDownloadUrl: expect.stringMatching(/\/plain$/) });
    const plain = await download('xjBidder', after.letter!.plainDownloadUrl!);
    expect(plain.status).toBe(200);
    expect(Buffer.from(plain.bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    expect(sha256(plain.bytes)).toBe(letter!.digest);
    expect(plain.headers.get('content-type')).toBe('application/pdf');
    // After opening the tenderee of the section reads it too.
    expect((await download('xjTenderee', after.letter!.plainDownloadUrl!)).status).toBe(200);
    expect((await as('xjTenderee').request(GuaranteesDocument, { search: guarantee.number })).guarantees.totalCount).toBe(1);
  });

  it('unseals by the sweep once the opening time passes, once even when run twice', async () => {
    const { order } = await paidXinjiangOrder(1);
    const guarantee = await issue(order.id);
    if (guarantee.__typename !== 'Guarantee') throw new Error(JSON.stringify(guarantee));
    const deps = { db: server.database.prisma, sealingMasterKey: server.app.sealingMasterKey };
    const later = new Date(Date.now() + 2 * 86_400_000);
    const [first, second] = await Promise.all([unsealDueLetters(deps, { now: later }), unsealDueLetters(deps, { now: later })]);
    expect(first + second).toBeGreaterThanOrEqual(1);
    expect(await unsealDueLetters(deps, { now: later })).toBe(0);
    const row = await server.database.prisma.guarantee.findFirstOrThrow({ where: { number: guarantee.number } });
    expect(row.unsealedAt).not.toBeNull();
    expect(await server.database.prisma.storedFile.count({ where: { id: row.plainLetterId! } })).toBe(1);
  });

  it('detects a tampered sealed file: it stays sealed and no plain letter appears', async () => {
    const { order } = await paidXinjiangOrder(1);
    const guarantee = await issue(order.id);
    if (guarantee.__typename !== 'Guarantee') throw new Error(JSON.stringify(guarantee));
    const db = server.database.prisma;
    const row = await db.guarantee.findFirstOrThrow({ where: { number: guarantee.number } });
    const file = await db.storedFile.findUniqueOrThrow({ where: { id: row.sealedLetterId! } });
    const tampered = Buffer.from(file.content);
    tampered[tampered.length - 10]! ^= 0xff;
    await db.storedFile.update({ where: { id: file.id }, data: { content: new Uint8Array(tampered) } });
    await unsealDueLetters({ db, sealingMasterKey: server.app.sealingMasterKey }, { now: new Date(Date.now() + 2 * 86_400_000), sectionId: row.sectionId! });
    expect((await db.guarantee.findUniqueOrThrow({ where: { id: row.id } })).plainLetterId).toBeNull();
  });

  it('verifies a letter publicly by number and digest, without the section or tenderee, and catches a forged signature', async () => {
    const { order } = await paidXinjiangOrder();
    const guarantee = await issue(order.id);
    if (guarantee.__typename !== 'Guarantee') throw new Error(JSON.stringify(guarantee));
    const anonymous = server.client({ tenant: 'xinjiang' });
    const ok = (await anonymous.request(VerifyGuaranteeDocument, { number: guarantee.number, digest: guarantee.letter!.digest })).verifyGuarantee;
    expect(ok).toMatchObject({ valid: true, reason: 'OK', signatureValid: true, amount: '300000.00', institutionName: expect.stringContaining('平安'), sealed: true });
    expect(JSON.stringify(ok)).not.toContain(tenderee.name);
    const wrong = (await anonymous.request(VerifyGuaranteeDocument, { number: guarantee.number, digest: 'a'.repeat(64) })).verifyGuarantee;
    expect(wrong).toMatchObject({ valid: false, reason: 'DIGEST_MISMATCH', amount: null });
    await server.database.prisma.guarantee.updateMany({ where: { number: guarantee.number }, data: { letterSignature: Buffer.alloc(256, 7).toString('base64') } });
    const forged = (await anonymous.request(VerifyGuaranteeDocument, { number: guarantee.number, digest: guarantee.letter!.digest })).verifyGuarantee;
    expect(forged).toMatchObject({ valid: false, reason: 'SIGNATURE_INVALID', signatureValid: false });
  });

  it('shows the institution the section and tenderee as ciphertext before opening, and the bidder in plain', async () => {
    const { section, order } = await paidXinjiangOrder();
    const institutionView = (await as('xjInstitution').request(InstitutionOrderViewDocument, { id: order.id })).order!;
    expect(institutionView.section.sealed).toBe(true);
    for (const value of [institutionView.section.name, institutionView.section.code, institutionView.section.tendereeName]) {
      expect(value).not.toBe(section.name);
      expect(value).not.toContain(tenderee.name);
      expect(value).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    }
    const key = await currentSealingKey(server.database.prisma, (await server.database.prisma.tenant.findUniqueOrThrow({ where: { code: 'xinjiang' } })).id, server.app.sealingMasterKey);
    expect(unsealText(institutionView.section.name, await key.privateKeyPem())).toBe(section.name);
    const bidderView = (await as('xjBidder').request(InstitutionOrderViewDocument, { id: order.id })).order!;
    expect(bidderView.section).toMatchObject({ name: section.name, code: section.code, tendereeName: tenderee.name, sealed: false });
    await as('xjAdmin').request(RecordSectionEventDocument, { input: { sectionId: section.id, kind: 'OPENED' } });
    const opened = (await as('xjInstitution').request(InstitutionOrderViewDocument, { id: order.id })).order!;
    expect(opened.section).toMatchObject({ name: section.name, sealed: false });
  });
});

describe('bad input', () => {
  it('refuses to issue an unpaid or already issued order, a reused number and a validity ending before opening, leaving nothing behind', async () => {
    const { order } = await paidXinjiangOrder();
    const before = await server.database.prisma.storedFile.count();
    expect(await issue(order.id, { validUntil: new Date(Date.now() + 86_400_000).toISOString() })).toMatchObject({
      code: 'VALIDITY_BEFORE_OPENING',
      field: 'input.validUntil',
    });
    expect(await issue(order.id, { number: 'PA-2026-000001' })).toMatchObject({ code: 'GUARANTEE_NUMBER_TAKEN', field: 'input.number' });
    expect(await server.database.prisma.storedFile.count()).toBe(before);
    expect((await issue(order.id)).__typename).toBe('Guarantee');
    expect(await issue(order.id)).toMatchObject({ code: 'ILLEGAL_TRANSITION', message: expect.stringContaining('ISSUED') });

    const section = await publishSection(server, tokens.xjAdmin!);
    const unpaid = expectOrder(await createOrder(server, tokens.xjBidder!, { sectionId: section.id, productId: productIds['pingan-bid-bond']! }));
    expect(await issue(unpaid.id)).toMatchObject({ code: 'ILLEGAL_TRANSITION', message: expect.stringContaining('DRAFT') });
  });

  it('leaves no guarantee and no letter when the commit fails after the letter was written', async () => {
    const { order } = await paidXinjiangOrder();
    const db = server.database.prisma;
    const files = await db.storedFile.count();
    await db.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION fail_issuance() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`);
    await db.$executeRawUnsafe(`CREATE TRIGGER fail_issuance BEFORE INSERT ON "Guarantee" FOR EACH ROW EXECUTE FUNCTION fail_issuance()`);
    try {
      const result = await as('xjInstitution').request(IssueGuaranteeDocument, { input: { orderId: order.id } }).catch((error: { response?: { errors?: unknown } }) => error.response);
      expect(JSON.stringify(result)).toContain('INTERNAL_SERVER_ERROR');
    } finally {
      await db.$executeRawUnsafe(`DROP TRIGGER fail_issuance ON "Guarantee"`);
    }
    expect(await db.storedFile.count()).toBe(files);
    expect(await db.guarantee.count({ where: { order: { number: order.number } } })).toBe(0);
    expect((await db.guaranteeOrder.findFirstOrThrow({ where: { number: order.number } })).status).toBe('PAID');
  });

  it('hides another party’s letter', async () => {
    const { order } = await paidXinjiangOrder();
    const guarantee = await issue(order.id);
    if (guarantee.__typename !== 'Guarantee') throw new Error(JSON.stringify(guarantee));
    expect((await download('hnBidder', guarantee.letter!.sealedDownloadUrl!)).status).toBe(404);
    expect((await download('hnInstitution', guarantee.letter!.sealedDownloadUrl!)).status).toBe(404);
    expect((await fetch(new URL(guarantee.letter!.sealedDownloadUrl!, server.url))).status).toBe(401);
  });
});

describe('real-time issuance and tenants that do not seal (Hunan)', () => {
  it('issues at payment confirmation without a person, with the plain letter at once', async () => {
    const section = await publishSection(server, tokens.hnAdmin!, { depositAmount: '100000' });
    const order = expectOrder(await createOrder(server, tokens.hnBidder!, { sectionId: section.id, productId: productIds['hn-demo-insurer-bid-bond']! }, { bytes: PNG, name: 'p.png' }));
    await submit(server, tokens.hnBidder!, order.id, { noticeVersion: 'n/a', termsVersion: 'n/a' });
    const { confirmPayment } = await as('hnInstitution').request(ConfirmPaymentDocument, {
      input: { orderId: order.id, transactionId: 'HN-RT-1', payerAccountName: bidder.name, payerAccountNumber: BASIC_ACCOUNT, amount: '500.00', paidAt: new Date().toISOString() },
    });
    expect(confirmPayment).toMatchObject({ order: { status: 'ISSUED' } });
    const { guarantees } = await as('hnBidder').request(GuaranteesDocument, { search: order.number });
    const letter = guarantees.edges[0]!.node.letter!;
    expect(letter).toMatchObject({ sealed: false, signatureValid: true });
    const plain = await download('hnBidder', letter.plainDownloadUrl!);
    expect(sha256(plain.bytes)).toBe(letter.digest);
  });
});

describe('key rotation', () => {
  it('re-encrypts the sealing keys under a new master key: letters unseal with the new key, not the old', async () => {
    const { order } = await paidXinjiangOrder(1);
    const guarantee = await issue(order.id);
    if (guarantee.__typename !== 'Guarantee') throw new Error(JSON.stringify(guarantee));
    const db = server.database.prisma;
    const oldKey = server.app.sealingMasterKey;
    const newKey = 'rotated-master-key-for-the-test-0123456789';
    expect(await rotateSealingMasterKey(db, oldKey, newKey)).toBeGreaterThanOrEqual(2);
    const later = new Date(Date.now() + 2 * 86_400_000);
    const row = await db.guarantee.findFirstOrThrow({ where: { number: guarantee.number } });
    expect(await unsealDueLetters({ db, sealingMasterKey: oldKey }, { now: later, sectionId: row.sectionId! })).toBe(0);
    expect(await unsealDueLetters({ db, sealingMasterKey: newKey }, { now: later, sectionId: row.sectionId! })).toBe(1);
    await rotateSealingMasterKey(db, newKey, oldKey);
  });
});
