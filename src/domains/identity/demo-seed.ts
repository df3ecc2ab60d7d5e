/**
 * Demo accounts: in every tenant, one user per role, plus one user holding bidder, tenderee and agent (Hunan 4.2),
 * and three demo enterprises whose USCCs match the demo CA's certificates (test/fixtures/demo-ca). Idempotent:
 * inserts what is missing (skipDuplicates) and changes nothing that exists, in a handful of queries.
 */
import { isValidUscc } from '../../crypto/index.ts';
import type { PrismaClient } from '../../db/generated/prisma/client.ts';
import type { Role } from '../../auth/viewer.ts';
import type { TenantRegistry } from '../../tenants/registry.ts';

export interface DemoEnterprise {
  key: 'bidder' | 'tenderee' | 'agent';
  name: string;
  uscc: string;
}

export interface DemoAccount {
  mobile: string;
  name: string;
  roles: Role[];
  /** Which demo enterprise it acts for, if any. */
  enterprise?: DemoEnterprise['key'];
  /** The certificate login of its enterprise signs in as this user. */
  primary?: boolean;
}

export const DEMO_ENTERPRISES: readonly DemoEnterprise[] = [
  { key: 'bidder', name: '北京示范建设工程有限公司', uscc: '91110108MA01XK7Q2D' },
  { key: 'tenderee', name: '上海示范市政工程有限公司', uscc: '91310115MA1H8RTU39' },
  { key: 'agent', name: '深圳示范路桥集团有限公司', uscc: '91440300MA5GXY9K1W' },
];

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { mobile: '13800000001', name: '演示投标人', roles: ['BIDDER'], enterprise: 'bidder', primary: true },
  { mobile: '13800000002', name: '演示招标人', roles: ['TENDEREE'], enterprise: 'tenderee', primary: true },
  { mobile: '13800000003', name: '演示招标代理', roles: ['AGENT'], enterprise: 'agent', primary: true },
  { mobile: '13800000004', name: '演示金融机构', roles: ['INSTITUTION'] },
  { mobile: '13800000005', name: '演示平台管理员', roles: ['ADMIN'] },
  { mobile: '13800000006', name: '演示多角色用户', roles: ['BIDDER', 'TENDEREE', 'AGENT'], enterprise: 'bidder' },
];

for (const enterprise of DEMO_ENTERPRISES) {
  if (!isValidUscc(enterprise.uscc)) throw new Error(`demo enterprise ${enterprise.name} has an invalid USCC`);
}

/**
 * Creates the missing demo rows for every tenant. The INSTITUTION demo user joins the tenant's first institution
 * and holds the role only where the tenant has one.
 *
 * @returns true when the demo users were created by this call (the first start).
 */
export async function seedDemoAccounts(db: PrismaClient, tenants: TenantRegistry): Promise<boolean> {
  const all = tenants.all();
  const created = await db.user.createMany({ data: DEMO_ACCOUNTS.map(({ mobile, name }) => ({ mobile, name })), skipDuplicates: true });
  await db.enterprise.createMany({
    data: all.flatMap((tenant) =>
      DEMO_ENTERPRISES.map((e, i) => ({
        tenantId: tenant.id,
        name: e.name,
        uscc: e.uscc,
        basicAccountName: e.name,
        basicAccountBank: '中国建设银行示范支行',
        basicAccountNumber: `6217000010000000${i + 1}`,
      })),
    ),
    skipDuplicates: true,
  });
  const [users, enterprises, institutions] = await Promise.all([
    db.user.findMany({ where: { mobile: { in: DEMO_ACCOUNTS.map((a) => a.mobile) } }, select: { id: true, mobile: true } }),
    db.enterprise.findMany({ where: { uscc: { in: DEMO_ENTERPRISES.map((e) => e.uscc) } }, select: { id: true, tenantId: true, uscc: true } }),
    db.institution.findMany({ where: { retiredAt: null }, orderBy: { position: 'asc' }, select: { id: true, tenantId: true } }),
  ]);
  const userId = new Map(users.map((u) => [u.mobile, u.id]));
  const enterpriseId = new Map(enterprises.map((e) => [`${e.tenantId}/${e.uscc}`, e.id]));
  const firstInstitution = new Map<string, string>();
  for (const institution of institutions) if (!firstInstitution.has(institution.tenantId)) firstInstitution.set(institution.tenantId, institution.id);

  const roles = [];
  const enterpriseMembers = [];
  const institutionMembers = [];
  for (const tenant of all) {
    const institutionId = firstInstitution.get(tenant.id);
    for (const account of DEMO_ACCOUNTS) {
      const user = userId.get(account.mobile)!;
      for (const role of account.roles) {
        if (role !== 'INSTITUTION' || institutionId) roles.push({ userId: user, tenantId: tenant.id, role });
      }
      const uscc = DEMO_ENTERPRISES.find((e) => e.key === account.enterprise)?.uscc;
      if (uscc) {
        enterpriseMembers.push({ userId: user, tenantId: tenant.id, enterpriseId: enterpriseId.get(`${tenant.id}/${uscc}`)!, primary: account.primary ?? false });
      }
      if (account.roles.includes('INSTITUTION') && institutionId) institutionMembers.push({ userId: user, tenantId: tenant.id, institutionId });
    }
  }
  await db.userRole.createMany({ data: roles, skipDuplicates: true });
  await db.enterpriseMembership.createMany({ data: enterpriseMembers, skipDuplicates: true });
  await db.institutionMembership.createMany({ data: institutionMembers, skipDuplicates: true });
  return created.count > 0;
}

/** The lines `npm start` prints on first run: who to log in as, and how, from GraphiQL. */
export function demoAccountsText(url: string): string {
  const rows = DEMO_ACCOUNTS.map((a) => `  ${a.mobile}  ${a.roles.join(', ').padEnd(25)} ${a.name}`);
  return [
    'Demo accounts, the same in every tenant (DEMO_ACCOUNTS=false skips creating them):',
    ...rows,
    `Log in from GraphiQL (${url}) with the header {"X-Tenant": "xinjiang"}:`,
    '  mutation { requestSmsCode(input: { mobile: "13800000001" }) { __typename } }',
    '  then read the 6-digit code from the log line "SMS written to the outbox" (or table "SmsOutbox"), and',
    '  mutation { loginWithSms(input: { mobile: "13800000001", code: "123456" }) { ... on SessionToken { token activeRole roles } ... on Error { code message } } }',
    '  and send {"Authorization": "Bearer <token>"} from then on. Certificate login: test/fixtures/demo-ca (demo only).',
  ].join('\n');
}
