import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnterprisesDocument, IssueInstitutionApiClientDocument, MeDocument } from '../../schema/generated/graphql.ts';
import { signRequest } from '../../src/crypto/index.ts';
import { getSchema } from '../../src/schema.ts';
import { collect, startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, nextAddress, signedRequest, smsLogin, type ApiClientCredentials } from '../support/identity.ts';

let server: TestServer;
let apiClient: ApiClientCredentials;
beforeAll(async () => {
  server = await startTestServer();
  apiClient = await issueApiClient('xinjiang');
});
afterAll(() => server?.stop());

async function firstInstitutionCode(tenant: string): Promise<string> {
  const row = await server.app.db.institution.findFirstOrThrow({ where: { tenant: { code: tenant }, retiredAt: null }, orderBy: { position: 'asc' } });
  return row.code;
}

async function issueApiClient(tenant: string): Promise<ApiClientCredentials> {
  const token = await smsLogin(server, tenant, DEMO.ADMIN);
  const { issueInstitutionApiClient: issued } = await server
    .client({ token })
    .request(IssueInstitutionApiClientDocument, { input: { institutionCode: await firstInstitutionCode(tenant) } });
  if (issued.__typename !== 'InstitutionApiCredentials') throw new Error(JSON.stringify(issued));
  return issued;
}

// ---------------------------------------------------------------------------------------------------------------
// The permission matrix: every operation of the schema × every kind of caller → allowed or denied. Denied means
// UNAUTHENTICATED or FORBIDDEN; anything else (data, or a domain error such as SMS_CODE_INVALID) means the
// operation ran. Later issues add their operations here: one row each.
// ---------------------------------------------------------------------------------------------------------------
const ACTORS = ['ANONYMOUS', 'BIDDER', 'TENDEREE', 'AGENT', 'INSTITUTION', 'ADMIN', 'API_CLIENT'] as const;
type Actor = (typeof ACTORS)[number];
const USERS: Actor[] = ['BIDDER', 'TENDEREE', 'AGENT', 'INSTITUTION', 'ADMIN'];
const EVERYONE: Actor[] = [...ACTORS];

interface MatrixRow {
  /** Root field, as `Query.x`, `Mutation.x` or `Subscription.x`. */
  operation: string;
  query: string;
  variables?: Record<string, unknown>;
  allowed: Actor[];
  /** The operation ends the caller's session (the next row logs in again). */
  endsSession?: boolean;
}

/** A well-formed global id of a row that does not exist. */
function gid(type: string): string {
  return Buffer.from(`${type}:00000000-0000-4000-8000-000000000000`).toString('base64');
}
const ERROR = '... on Error { code }';

const MATRIX: MatrixRow[] = [
  { operation: 'Query.tenants', query: '{ tenants { code } }', allowed: EVERYONE },
  { operation: 'Query.tenant', query: '{ tenant(code: "xinjiang") { code } }', allowed: EVERYONE },
  { operation: 'Query.node', query: '{ node(id: "VGVuYW50Om5vbmU=") { id } }', allowed: EVERYONE },
  { operation: 'Query.product', query: '{ product(id: "UHJvZHVjdDpub25l") { id } }', allowed: EVERYONE },
  {
    operation: 'Query.quotePremium',
    query: '{ quotePremium(productId: "UHJvZHVjdDpub25l", amount: "100000", projectType: CONSTRUCTION) { __typename } }',
    allowed: EVERYONE,
  },
  { operation: 'Query.me', query: '{ me { activeRole } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.enterprises', query: '{ enterprises { id } }', allowed: ['BIDDER', 'TENDEREE', 'AGENT', 'ADMIN'] },
  { operation: 'Mutation.requestSmsCode', query: 'mutation { requestSmsCode(input: { mobile: "13900000500" }) { __typename } }', allowed: EVERYONE },
  {
    operation: 'Mutation.loginWithSms',
    query: 'mutation { loginWithSms(input: { mobile: "13900000500", code: "000000" }) { __typename } }',
    allowed: EVERYONE,
  },
  { operation: 'Mutation.requestCertificateChallenge', query: 'mutation { requestCertificateChallenge { challengeId } }', allowed: EVERYONE },
  {
    operation: 'Mutation.loginWithCertificate',
    query: 'mutation { loginWithCertificate(input: { challengeId: "none", certificatePem: "x", signature: "x" }) { __typename } }',
    allowed: EVERYONE,
  },
  {
    operation: 'Mutation.issueInstitutionApiClient',
    query: 'mutation { issueInstitutionApiClient(input: { institutionCode: "no-such-institution" }) { __typename } }',
    allowed: ['ADMIN'],
  },
  { operation: 'Mutation.switchRole', query: 'mutation { switchRole(role: BIDDER) { __typename } }', allowed: USERS, endsSession: true },
  { operation: 'Mutation.logout', query: 'mutation { logout }', allowed: USERS, endsSession: true },
  // Sections and orders (issue 5). Ids name nothing: an allowed caller gets NOT_FOUND-style answers, a denied one
  // FORBIDDEN (as a GraphQL error or as the ForbiddenError member of the mutation's result union).
  { operation: 'Query.sections', query: '{ sections(first: 1) { totalCount } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.section', query: `{ section(id: "${gid('BidSection')}") { id } }`, allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.orders', query: '{ orders(first: 1) { totalCount } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.orderCounts', query: '{ orderCounts { status count } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.order', query: `{ order(id: "${gid('GuaranteeOrder')}") { id } }`, allowed: [...USERS, 'API_CLIENT'] },
  {
    operation: 'Mutation.publishSection',
    query: `mutation { publishSection(input: { code: "M-1", name: "x", projectName: "x", projectType: CONSTRUCTION, tendereeUscc: "x",
      depositAmount: "1", openingAt: "2099-01-01T00:00:00Z", bidValidityDays: 90 }) { __typename ${ERROR} } }`,
    allowed: ['ADMIN'],
  },
  {
    operation: 'Mutation.recordSectionEvent',
    query: `mutation { recordSectionEvent(input: { sectionId: "${gid('BidSection')}", kind: FAILED }) { __typename ${ERROR} } }`,
    allowed: ['ADMIN'],
  },
  {
    operation: 'Mutation.registerForSection',
    query: `mutation { registerForSection(input: { sectionId: "${gid('BidSection')}", contactName: "x", contactMobile: "13900000000" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.createOrder',
    query: `mutation { createOrder(input: { sectionId: "${gid('BidSection')}", productId: "${gid('Product')}", handlerName: "x", handlerMobile: "13900000000" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.submitOrder',
    query: `mutation { submitOrder(input: { orderId: "${gid('GuaranteeOrder')}", noticeVersion: "x", termsVersion: "x" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.abandonOrder',
    query: `mutation { abandonOrder(input: { orderId: "${gid('GuaranteeOrder')}" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.signOrderAgreement',
    query: `mutation { signOrderAgreement(input: { orderId: "${gid('GuaranteeOrder')}", certificatePem: "x", signature: "x" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.raisePaymentProblem',
    query: `mutation { raisePaymentProblem(input: { orderId: "${gid('GuaranteeOrder')}", kind: PAID_NOT_ISSUED, description: "x" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.answerPaymentProblem',
    query: `mutation { answerPaymentProblem(input: { problemId: "${gid('PaymentProblem')}", answer: "x" }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  {
    operation: 'Mutation.decideUnderwriting',
    query: `mutation { decideUnderwriting(input: { orderId: "${gid('GuaranteeOrder')}", approve: true }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  {
    operation: 'Mutation.confirmPayment',
    query: `mutation { confirmPayment(input: { orderId: "${gid('GuaranteeOrder')}", transactionId: "TX-1", payerAccountName: "x",
      payerAccountNumber: "6222000011112222", amount: "600", paidAt: "2025-01-01T00:00:00Z" }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  // Guarantees (issue 6).
  { operation: 'Query.guarantees', query: '{ guarantees(first: 1) { totalCount } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.guarantee', query: `{ guarantee(id: "${gid('Guarantee')}") { id } }`, allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.verifyGuarantee', query: `{ verifyGuarantee(number: "BH-1", digest: "${'a'.repeat(64)}") { valid reason } }`, allowed: EVERYONE },
  {
    operation: 'Mutation.issueGuarantee',
    query: `mutation { issueGuarantee(input: { orderId: "${gid('GuaranteeOrder')}" }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  // Invoices, reviews and extensions (issue 7).
  { operation: 'Query.invoices', query: '{ invoices(first: 1, status: [PROCESSING]) { totalCount } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.invoice', query: `{ invoice(id: "${gid('Invoice')}") { id } }`, allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.extensions', query: '{ extensions(first: 1) { totalCount } }', allowed: [...USERS, 'API_CLIENT'] },
  {
    operation: 'Mutation.requestInvoice',
    query: `mutation { requestInvoice(input: { guaranteeId: "${gid('Guarantee')}", form: ELECTRONIC, kind: ORDINARY, title: "x", email: "a@b.cn" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.issueInvoice',
    query: `mutation { issueInvoice(input: { invoiceId: "${gid('Invoice')}", shippingCarrier: "x", shippingNumber: "SF1234567890" }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  {
    operation: 'Mutation.reviewGuarantee',
    query: `mutation { reviewGuarantee(input: { guaranteeId: "${gid('Guarantee')}", rating: 5 }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.requestExtension',
    query: `mutation { requestExtension(input: { guaranteeId: "${gid('Guarantee')}", newValidUntil: "2099-01-01T00:00:00Z", reason: "x" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.decideExtension',
    query: `mutation { decideExtension(input: { extensionId: "${gid('Extension')}", approve: true }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  // Refunds, claims and cancellations (issue 7).
  { operation: 'Query.refunds', query: '{ refunds(first: 1) { totalCount } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.refund', query: `{ refund(id: "${gid('Refund')}") { id } }`, allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.claims', query: '{ claims(first: 1) { totalCount } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Query.claim', query: `{ claim(id: "${gid('Claim')}") { id } }`, allowed: [...USERS, 'API_CLIENT'] },
  {
    operation: 'Mutation.requestRefund',
    query: `mutation { requestRefund(input: { guaranteeId: "${gid('Guarantee')}", reason: WITHDRAWN, explanation: "x" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.requestRefundAccountCode',
    query: `mutation { requestRefundAccountCode(input: { refundId: "${gid('Refund')}", mobile: "13900000000" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.confirmRefundAccount',
    query: `mutation { confirmRefundAccount(input: { refundId: "${gid('Refund')}", accountName: "x", accountNumber: "6222000011112222", bank: "x", code: "000000" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.decideRefund',
    query: `mutation { decideRefund(input: { refundId: "${gid('Refund')}", decision: APPROVE }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  {
    operation: 'Mutation.completeRefund',
    query: `mutation { completeRefund(input: { refundId: "${gid('Refund')}", refundNumber: "TF-0001" }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  {
    operation: 'Mutation.fileClaim',
    query: `mutation { fileClaim(input: { guaranteeId: "${gid('Guarantee')}", amount: "1", payeeAccountName: "x", payeeAccountNumber: "6222000011112222",
      payeeBank: "x", contactName: "x", contactPhone: "13900000000", reason: "x" }) { __typename ${ERROR} } }`,
    allowed: ['TENDEREE', 'AGENT'],
  },
  {
    operation: 'Mutation.confirmClaim',
    query: `mutation { confirmClaim(input: { claimId: "${gid('Claim')}" }) { __typename ${ERROR} } }`,
    allowed: ['TENDEREE', 'AGENT'],
  },
  {
    operation: 'Mutation.decideClaim',
    query: `mutation { decideClaim(input: { claimId: "${gid('Claim')}", decision: APPROVE_FULL }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  {
    operation: 'Mutation.requestCancellation',
    query: `mutation { requestCancellation(input: { guaranteeId: "${gid('Guarantee')}", reason: "x" }) { __typename ${ERROR} } }`,
    allowed: ['BIDDER'],
  },
  {
    operation: 'Mutation.decideCancellation',
    query: `mutation { decideCancellation(input: { cancellationId: "${gid('Cancellation')}", approve: true }) { __typename ${ERROR} } }`,
    allowed: ['INSTITUTION', 'API_CLIENT'],
  },
  { operation: 'Subscription.heartbeat', query: 'subscription { heartbeat(intervalMs: 100, count: 1) { sequence } }', allowed: EVERYONE },
  // Live events (issue 8). A sequence beyond the newest makes an allowed call end at once (SEQUENCE_IN_FUTURE).
  {
    operation: 'Subscription.orderStatusChanged',
    query: 'subscription { orderStatusChanged(after: "9000000000000000000") { sequence } }',
    allowed: ['BIDDER', 'INSTITUTION', 'ADMIN', 'API_CLIENT'],
  },
  { operation: 'Subscription.refundStatusChanged', query: 'subscription { refundStatusChanged(after: "9000000000000000000") { sequence } }', allowed: [...USERS, 'API_CLIENT'] },
  { operation: 'Subscription.claimStatusChanged', query: 'subscription { claimStatusChanged(after: "9000000000000000000") { sequence } }', allowed: [...USERS, 'API_CLIENT'] },
];

const tokens = new Map<Actor, string>();
async function call(actor: Actor, row: MatrixRow): Promise<{ data?: unknown; errors?: Array<{ extensions?: { code?: string } }> }> {
  const subscription = row.operation.startsWith('Subscription.');
  const headers: Record<string, string> = { 'x-tenant': 'xinjiang', 'x-forwarded-for': nextAddress(), ...(subscription ? { accept: 'text/event-stream' } : {}) };
  let response: { status: number; text: string };
  if (actor === 'API_CLIENT') {
    response = await rawSigned(row.query, headers);
  } else {
    if (actor !== 'ANONYMOUS' && !tokens.has(actor)) tokens.set(actor, await smsLogin(server, 'xinjiang', DEMO[actor as keyof typeof DEMO]));
    const token = tokens.get(actor);
    const result = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: row.query }),
    });
    response = { status: result.status, text: await result.text() };
  }
  if (row.endsSession) tokens.delete(actor);
  if (subscription) {
    const event = /^data: (.+)$/m.exec(response.text)?.[1];
    return event ? JSON.parse(event) : JSON.parse(response.text);
  }
  return JSON.parse(response.text);
}

/** A signed request carrying a raw query string (the matrix rows are strings, not typed documents). */
async function rawSigned(query: string, headers: Record<string, string>) {
  const body = JSON.stringify({ query });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomUUID();
  const signature = signRequest(apiClient.secret, { method: 'POST', path: '/graphql', timestamp, nonce, body });
  const result = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers, 'x-client-id': apiClient.clientId, 'x-timestamp': timestamp, 'x-nonce': nonce, 'x-signature': signature },
    body,
  });
  return { status: result.status, text: await result.text() };
}

describe('permission matrix', () => {
  it('covers every root field of the schema', () => {
    const schema = getSchema();
    const fields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
      Object.keys(type?.getFields() ?? {}).map((name) => `${type!.name}.${name}`),
    );
    expect(MATRIX.map((row) => row.operation).sort()).toEqual(fields.sort());
  });

  const cells = MATRIX.flatMap((row) => ACTORS.map((actor) => ({ row, actor, expected: row.allowed.includes(actor) ? 'allow' : 'deny' })));
  it.each(cells.map((cell) => [cell.row.operation, cell.actor, cell.expected, cell] as const))('%s as %s: %s', async (_op, actor, expected, cell) => {
    const result = await call(actor, cell.row);
    const denied =
      (result.errors ?? []).some((error) => ['UNAUTHENTICATED', 'FORBIDDEN'].includes(error.extensions?.code ?? '')) ||
      /"code":"(UNAUTHENTICATED|FORBIDDEN)"/.test(JSON.stringify(result.data ?? {}));
    expect(denied ? 'deny' : 'allow', JSON.stringify(result)).toBe(expected);
  });
});

describe('tenant isolation', () => {
  const enterprises = async (tenant: string, mobile: string, tenantCode?: string) =>
    (await server.client({ token: await smsLogin(server, tenant, mobile) }).request(EnterprisesDocument, { tenantCode })).enterprises;

  it('shows an admin only its own tenant: xinjiang and quzhou never see each other', async () => {
    const xinjiang = await enterprises('xinjiang', DEMO.ADMIN);
    const quzhou = await enterprises('quzhou', DEMO.ADMIN);
    expect(xinjiang.length).toBeGreaterThan(0);
    expect(new Set(xinjiang.map((e) => e.tenantCode))).toEqual(new Set(['xinjiang']));
    expect(new Set(quzhou.map((e) => e.tenantCode))).toEqual(new Set(['quzhou']));
    expect(await enterprises('xinjiang', DEMO.ADMIN, 'quzhou')).toEqual([]);
    expect(await enterprises('quzhou', DEMO.ADMIN, 'xinjiang')).toEqual([]);
  });

  it('lets the hunan province admin read its cities but not xinjiang, and a city admin not its province', async () => {
    const all = await enterprises('hunan', DEMO.ADMIN);
    const codes = new Set(all.map((e) => e.tenantCode));
    expect(codes.has('hunan')).toBe(true);
    expect(codes.has('hunan-changsha')).toBe(true);
    expect([...codes].every((code) => code.startsWith('hunan'))).toBe(true);
    const changsha = await enterprises('hunan', DEMO.ADMIN, 'hunan-changsha');
    expect(changsha.length).toBe(3);
    expect(changsha.every((e) => e.tenantCode === 'hunan-changsha')).toBe(true);
    expect(await enterprises('hunan', DEMO.ADMIN, 'xinjiang')).toEqual([]);
    expect(await enterprises('hunan-changsha', DEMO.ADMIN, 'hunan')).toEqual([]);
  });

  it('shows a bidder only the enterprise it acts for', async () => {
    const own = await enterprises('quzhou', DEMO.BIDDER);
    expect(own).toEqual([expect.objectContaining({ uscc: '91110108MA01XK7Q2D', tenantCode: 'quzhou' })]);
  });

  it('issues API credentials only for institutions of the admin tenant', async () => {
    const token = await smsLogin(server, 'quzhou', DEMO.ADMIN);
    const xinjiangInstitution = await firstInstitutionCode('xinjiang');
    const quzhouCodes = (await server.app.db.institution.findMany({ where: { tenant: { code: 'quzhou' } } })).map((i) => i.code);
    if (quzhouCodes.includes(xinjiangInstitution)) return;
    const { issueInstitutionApiClient } = await server.client({ token }).request(IssueInstitutionApiClientDocument, { input: { institutionCode: xinjiangInstitution } });
    expect(issueInstitutionApiClient).toMatchObject({ __typename: 'NotFoundError', code: 'INSTITUTION_NOT_FOUND' });
  });

  it('carries the session over WebSocket: the tenant is the token tenant, and a revoked token is refused', async () => {
    const token = await smsLogin(server, 'quzhou', DEMO.BIDDER);
    const query = 'subscription { heartbeat(intervalMs: 100, count: 1) { tenantCode } }';
    const [tick] = await collect<{ heartbeat: { tenantCode: string } }>(server.ws({ authorization: `Bearer ${token}` }), query, {}, 1);
    expect(tick!.heartbeat.tenantCode).toBe('quzhou');
    await server.client({ token }).request('mutation { logout }');
    const refused = await collect(server.ws({ authorization: `Bearer ${token}` }), query, {}, 1).catch((error: { errors?: unknown; message?: string }) => error);
    expect(JSON.stringify(refused)).toMatch(/SESSION_INVALID|session token is not valid/);
  });
});

describe('signed institution requests', () => {
  it('act as the INSTITUTION role of the client institution, in its tenant', async () => {
    const { status, body } = await signedRequest(server, apiClient, MeDocument);
    expect(status).toBe(200);
    expect(body.data?.me).toMatchObject({ user: null, apiClientId: apiClient.clientId, activeRole: 'INSTITUTION', roles: ['INSTITUTION'], tenant: { code: 'xinjiang' } });
    expect(body.data?.me.institution?.code).toBe(await firstInstitutionCode('xinjiang'));
    const stored = await server.app.db.institutionApiClient.findUniqueOrThrow({ where: { clientId: apiClient.clientId } });
    expect(stored.secretEncrypted).not.toContain(apiClient.secret);
  });

  it('refuse a replayed nonce', async () => {
    const first = await signedRequest(server, apiClient, MeDocument);
    expect(first.status).toBe(200);
    const replay = await signedRequest(server, apiClient, MeDocument, undefined, { nonce: first.nonce });
    expect(replay.status).toBe(401);
    expect(replay.body.errors?.[0]?.extensions?.code).toBe('SIGNATURE_REPLAYED');
  });

  it('refuse a timestamp more than five minutes away', async () => {
    for (const offset of [-301, 400]) {
      const stale = await signedRequest(server, apiClient, MeDocument, undefined, { timestamp: String(Math.floor(Date.now() / 1000) + offset) });
      expect(stale.status).toBe(401);
      expect(stale.body.errors?.[0]?.extensions?.code).toBe('SIGNATURE_STALE');
    }
  });

  it('refuse a wrong secret, a changed body and an unknown client alike', async () => {
    const wrongSecret = await signedRequest(server, apiClient, MeDocument, undefined, { secret: 'not-the-secret' });
    const changedBody = await signedRequest(server, apiClient, MeDocument, undefined, { sendBody: JSON.stringify({ query: '{ enterprises { id } }' }) });
    const unknown = await signedRequest(server, { clientId: 'ic_nobody', secret: apiClient.secret }, MeDocument);
    for (const refused of [wrongSecret, changedBody, unknown]) {
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual(wrongSecret.body);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('SIGNATURE_INVALID');
    }
  });

  it('refuse another tenant in X-Tenant', async () => {
    const { body } = await signedRequest(server, apiClient, MeDocument, undefined, { headers: { 'x-tenant': 'quzhou' } });
    expect(body.errors?.[0]?.extensions?.code).toBe('TENANT_MISMATCH');
  });
});

