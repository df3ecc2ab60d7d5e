/** Fixtures for after-sale tests: issued guarantees made through the real API, per tenant. */
import {
  ConfirmPaymentDocument,
  DecideUnderwritingDocument,
  GuaranteesDocument,
  IssueGuaranteeDocument,
  RecordSectionEventDocument,
} from '../../schema/generated/graphql.ts';
import { DEMO_ENTERPRISES } from '../../src/domains/identity/demo-seed.ts';
import type { TestServer } from './harness.ts';
import { DEMO, smsLogin } from './identity.ts';
import { createOrder, expectOrder, PNG, productIdsOf, publishSection, submit } from './orders.ts';

export const BASIC_ACCOUNT = '6222020200112233445';
const bidder = DEMO_ENTERPRISES.find((e) => e.key === 'bidder')!;

/** Demo logins of one tenant, and its products by code. */
export interface TenantActors {
  tenant: string;
  admin: string;
  bidder: string;
  tenderee: string;
  agent: string;
  institution: string;
  products: Record<string, string>;
}

export async function tenantActors(server: TestServer, tenant: string): Promise<TenantActors> {
  const [admin, bidderToken, tenderee, agent, institution] = await Promise.all(
    [DEMO.ADMIN, DEMO.BIDDER, DEMO.TENDEREE, DEMO.AGENT, DEMO.INSTITUTION].map((mobile) => smsLogin(server, tenant, mobile)),
  );
  const products = await productIdsOf(server, [tenant]);
  // Payments in fixtures come from the bidder's basic account.
  await server.app.db.enterprise.updateMany({ where: { uscc: bidder.uscc }, data: { basicAccountNumber: BASIC_ACCOUNT } });
  return { tenant, admin: admin!, bidder: bidderToken!, tenderee: tenderee!, agent: agent!, institution: institution!, products };
}

const permitSent = new WeakMap<TestServer, Set<string>>();

/**
 * Publishes a section (the demo tenderee's, managed by the demo agent), applies with the tenant's first
 * institution's first product, pays from the basic account and issues. `opened: true` then records the section's
 * opening (which unseals a sealed letter). Returns the guarantee as the bidder sees it, and the section.
 */
export async function issuedGuarantee(
  server: TestServer,
  actors: TenantActors,
  options: { depositAmount?: string; opened?: boolean; openingInDays?: number; institutionCode?: string; institutionToken?: string } = {},
) {
  const { DEMO_ENTERPRISES: enterprises } = await import('../../src/domains/identity/demo-seed.ts');
  const section = await publishSection(server, actors.admin, {
    depositAmount: options.depositAmount ?? '100000',
    agentUscc: enterprises.find((e) => e.key === 'agent')!.uscc,
    openingAt: new Date(Date.now() + (options.openingInDays ?? 10) * 86_400_000).toISOString(),
  });
  const first = await server.app.db.institution.findFirstOrThrow({
    where: {
      tenant: { code: actors.tenant },
      retiredAt: null,
      products: { some: { status: 'ACTIVE' } },
      ...(options.institutionCode ? { code: options.institutionCode } : {}),
    },
    orderBy: { position: 'asc' },
    include: { products: { where: { status: 'ACTIVE' }, orderBy: { position: 'asc' } } },
  });
  const product = first.products[0]!;
  const sent = permitSent.get(server) ?? new Set<string>();
  permitSent.set(server, sent);
  const permit = sent.has(actors.tenant) ? undefined : { bytes: PNG, name: 'permit.png' };
  sent.add(actors.tenant);
  const order = expectOrder(await createOrder(server, actors.bidder, { sectionId: section.id, productId: actors.products[product.code]! }, permit));
  const tenantConfig = server.app.tenants.byCode(actors.tenant)!.config;
  const versions = tenantConfig.documents
    ? { noticeVersion: tenantConfig.documents.notice.version, termsVersion: tenantConfig.documents.terms.version }
    : { noticeVersion: 'n/a', termsVersion: 'n/a' };
  const submitted = await submit(server, actors.bidder, order.id, versions);
  const institution = options.institutionToken ?? actors.institution;
  if (submitted.__typename === 'GuaranteeOrder' && submitted.status === 'UNDER_REVIEW') {
    await server.client({ token: institution }).request(DecideUnderwritingDocument, { input: { orderId: order.id, approve: true } });
  }
  const { confirmPayment } = await server.client({ token: institution }).request(ConfirmPaymentDocument, {
    input: { orderId: order.id, transactionId: `TX-${order.number}`, payerAccountName: bidder.name, payerAccountNumber: BASIC_ACCOUNT, amount: order.premium, paidAt: new Date().toISOString() },
  });
  if (confirmPayment.__typename !== 'PaymentConfirmation') throw new Error(`confirmPayment: ${JSON.stringify(confirmPayment)}`);
  if (confirmPayment.order.status !== 'ISSUED') {
    const issued = await server.client({ token: institution }).request(IssueGuaranteeDocument, { input: { orderId: order.id } });
    if (issued.issueGuarantee.__typename !== 'Guarantee') throw new Error(`issueGuarantee: ${JSON.stringify(issued)}`);
  }
  if (options.opened) {
    await server.client({ token: actors.admin }).request(RecordSectionEventDocument, { input: { sectionId: section.id, kind: 'OPENED' } });
  }
  const { guarantees } = await server.client({ token: actors.bidder }).request(GuaranteesDocument, { search: order.number });
  const guarantee = guarantees.edges[0]?.node;
  if (!guarantee) throw new Error(`no guarantee for ${order.number}`);
  return { guarantee, section, order };
}

let extraUsers = 0;
/**
 * Logs in a console user of another institution of the tenant (the demo INSTITUTION user belongs to the first one):
 * the user, its role and membership are made directly, as an operator's onboarding would.
 */
export async function institutionLogin(server: TestServer, tenant: string, institutionCode: string): Promise<string> {
  const db = server.app.db;
  extraUsers += 1;
  const mobile = `1370${String(process.pid % 1000).padStart(3, '0')}${String(extraUsers).padStart(4, '0')}`;
  const tenantRow = await db.tenant.findUniqueOrThrow({ where: { code: tenant } });
  const institution = await db.institution.findUniqueOrThrow({ where: { tenantId_code: { tenantId: tenantRow.id, code: institutionCode } } });
  const user = await db.user.create({ data: { mobile, name: `${institution.name}经办` } });
  await db.userRole.create({ data: { userId: user.id, tenantId: tenantRow.id, role: 'INSTITUTION' } });
  await db.institutionMembership.create({ data: { userId: user.id, tenantId: tenantRow.id, institutionId: institution.id } });
  return smsLogin(server, tenant, mobile);
}
