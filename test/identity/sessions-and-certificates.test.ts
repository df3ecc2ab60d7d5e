import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LoginWithCertificateDocument,
  LogoutDocument,
  MeDocument,
  RequestCertificateChallengeDocument,
  SwitchRoleDocument,
  TenantsDocument,
} from '../../schema/generated/graphql.ts';
import { signSessionToken } from '../../src/auth/session-token.ts';
import { createCa, issueEnterpriseCertificate, signChallenge } from '../../src/crypto/index.ts';
import { loadTenants, TenantConfigError } from '../../src/tenants/load.ts';
import { graphqlErrors, startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, smsLogin } from '../support/identity.ts';
import { expectCode, follow, openSubscriptions } from '../events/live-support.ts';

const FIXTURES = new URL('../fixtures/demo-ca/', import.meta.url);
const fixture = (path: string) => readFileSync(new URL(path, FIXTURES), 'utf8');
const demoCa = { certPem: fixture('ca.cert.pem'), keyPem: fixture('ca.key.pem') };
const BIDDER_USCC = '91110108MA01XK7Q2D';

let server: TestServer;
beforeAll(async () => {
  // Sessions re-checked hourly: a subscription that ends at logout was ended by the revocation, not by a re-check.
  server = await startTestServer({ live: { sessionRecheckMs: 3_600_000 } });
});
afterAll(() => server?.stop());

const codeOf = async (call: Promise<unknown>) => (await graphqlErrors(call))[0]?.extensions?.code;

describe('sessions', () => {
  it('tells the caller who it is: user, tenant, roles held, active role and enterprise', async () => {
    const token = await smsLogin(server, 'xinjiang', DEMO.BIDDER);
    const { me } = await server.client({ token }).request(MeDocument, {});
    expect(me).toMatchObject({
      user: { mobile: DEMO.BIDDER, name: '演示投标人' },
      apiClientId: null,
      tenant: { code: 'xinjiang' },
      activeRole: 'BIDDER',
      roles: ['BIDDER'],
      enterprise: { uscc: BIDDER_USCC, basicAccount: { bank: expect.any(String) } },
      institution: null,
    });
    const institution = await smsLogin(server, 'xinjiang', DEMO.INSTITUTION);
    const { me: console } = await server.client({ token: institution }).request(MeDocument, {});
    expect(console).toMatchObject({ activeRole: 'INSTITUTION', enterprise: null, institution: { code: expect.any(String) } });
  });

  it('switches among the roles held (Hunan 4.2) with a new token, ending the old one', async () => {
    const first = await smsLogin(server, 'hunan', DEMO.MULTI_ROLE);
    const { me } = await server.client({ token: first }).request(MeDocument, {});
    expect(me).toMatchObject({ activeRole: 'BIDDER', roles: ['BIDDER', 'TENDEREE', 'AGENT'] });

    const { switchRole } = await server.client({ token: first }).request(SwitchRoleDocument, { role: 'TENDEREE' });
    if (switchRole.__typename !== 'SessionToken') throw new Error(JSON.stringify(switchRole));
    expect(switchRole).toMatchObject({ activeRole: 'TENDEREE', tenantCode: 'hunan' });
    const { me: after } = await server.client({ token: switchRole.token }).request(MeDocument, {});
    expect(after.activeRole).toBe('TENDEREE');
    expect(await codeOf(server.client({ token: first }).request(MeDocument, {}))).toBe('SESSION_INVALID');

    const refused = await server.client({ token: switchRole.token }).request(SwitchRoleDocument, { role: 'ADMIN' });
    expect(refused.switchRole).toMatchObject({ __typename: 'RoleNotHeldError', code: 'ROLE_NOT_HELD', field: 'role' });
    expect((await server.client({ token: switchRole.token }).request(MeDocument, {})).me.activeRole).toBe('TENDEREE');
  });

  it('revokes the session on logout: the token stops working at once', async () => {
    const token = await smsLogin(server, 'xinjiang', DEMO.AGENT);
    expect((await server.client({ token }).request(LogoutDocument, {})).logout).toBe(true);
    expect(await codeOf(server.client({ token }).request(MeDocument, {}))).toBe('SESSION_INVALID');
    expect(await codeOf(server.client({ token }).request(TenantsDocument, {}))).toBe('SESSION_INVALID');
  });

  it('ends the open subscriptions of a logged-out session at once, not at the next re-check, and only those', async () => {
    expect(server.app.events.live!.options.sessionRecheckMs).toBeGreaterThanOrEqual(15_000);
    const [leaving, staying] = [await smsLogin(server, 'xinjiang', DEMO.INSTITUTION), await smsLogin(server, 'xinjiang', DEMO.BIDDER)];
    const query = 'subscription { orderStatusChanged { sequence } }';
    const ended = follow(server.ws({ authorization: `Bearer ${leaving}` }), query);
    const open = follow(server.ws({ authorization: `Bearer ${staying}` }), query);
    await openSubscriptions(server, 2);
    expect([...ended.errors, ...open.errors]).toEqual([]);
    const loggedOut = Date.now();
    expect((await server.client({ token: leaving }).request(LogoutDocument, {})).logout).toBe(true);
    await ended.ended(2_000);
    expect(Date.now() - loggedOut).toBeLessThan(2_000);
    expectCode(ended.errors, 'SESSION_INVALID');
    await openSubscriptions(server, 1);
    expect(open.completed).toBe(false);
    open.stop();
    await openSubscriptions(server, 0);
  });

  it('refuses forged, tampered and expired tokens, and me without a token', async () => {
    const token = await smsLogin(server, 'xinjiang', DEMO.BIDDER);
    const forged = await new SignJWT({ tenant: 'xinjiang', role: 'ADMIN' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('e-guarantee-api')
      .setSubject('00000000-0000-0000-0000-000000000000')
      .setJti('00000000-0000-0000-0000-000000000000')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not the server secret'));
    expect(await codeOf(server.client({ token: forged }).request(MeDocument, {}))).toBe('SESSION_INVALID');

    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = [header, Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url'), signature].join('.');
    expect(await codeOf(server.client({ token: tampered }).request(MeDocument, {}))).toBe('SESSION_INVALID');

    const expired = await signSessionToken(server.app.identity.sessionKey, {
      sessionId: claims.jti,
      userId: claims.sub,
      tenantCode: 'xinjiang',
      role: 'BIDDER',
      expiresAt: new Date(Date.now() - 60_000),
    });
    expect(await codeOf(server.client({ token: expired }).request(MeDocument, {}))).toBe('SESSION_EXPIRED');
    expect(await codeOf(server.client({ token: 'garbage' }).request(MeDocument, {}))).toBe('SESSION_INVALID');
    expect(await codeOf(server.client({ tenant: 'xinjiang' }).request(MeDocument, {}))).toBe('UNAUTHENTICATED');
  });

  it('lets the session decide the tenant: an X-Tenant header naming another tenant is refused', async () => {
    const token = await smsLogin(server, 'xinjiang', DEMO.BIDDER);
    expect((await server.client({ token, tenant: 'xinjiang' }).request(MeDocument, {})).me.tenant.code).toBe('xinjiang');
    expect(await codeOf(server.client({ token, tenant: 'quzhou' }).request(MeDocument, {}))).toBe('TENANT_MISMATCH');
  });
});

describe('certificate login', () => {
  async function challenge(tenant: string) {
    return (await server.client({ tenant }).request(RequestCertificateChallengeDocument, {})).requestCertificateChallenge;
  }
  async function loginWith(tenant: string, certPem: string, keyPem: string, challengeOverride?: { challengeId: string; challenge: string }) {
    const issued = challengeOverride ?? (await challenge(tenant));
    const input = { challengeId: issued.challengeId, certificatePem: certPem, signature: signChallenge(keyPem, issued.challenge) };
    return (await server.client({ tenant }).request(LoginWithCertificateDocument, { input })).loginWithCertificate;
  }
  const bidderKey = fixture(`enterprises/${BIDDER_USCC}.key.pem`);
  let bidderCert: string;
  beforeAll(async () => {
    // A fresh leaf from the checked-in demo CA, so the test does not depend on when the fixtures were made.
    bidderCert = (await issueEnterpriseCertificate(demoCa, { uscc: BIDDER_USCC, enterpriseName: '北京示范建设工程有限公司', validDays: 30, keyPem: bidderKey })).certPem;
  });

  it('logs in as the enterprise whose trusted certificate signed the challenge', async () => {
    const result = await loginWith('xinjiang', bidderCert, bidderKey);
    expect(result).toMatchObject({ __typename: 'SessionToken', tenantCode: 'xinjiang', activeRole: 'BIDDER' });
    if (result.__typename !== 'SessionToken') throw new Error('no token');
    const { me } = await server.client({ token: result.token }).request(MeDocument, {});
    expect(me).toMatchObject({ user: { mobile: DEMO.BIDDER }, enterprise: { uscc: BIDDER_USCC } });
  });

  it('uses a challenge once', async () => {
    const issued = await challenge('quzhou');
    expect((await loginWith('quzhou', bidderCert, bidderKey, issued)).__typename).toBe('SessionToken');
    expect(await loginWith('quzhou', bidderCert, bidderKey, issued)).toMatchObject({ __typename: 'ChallengeInvalidError', code: 'CHALLENGE_INVALID' });
  });

  it('refuses a certificate from a CA the tenant does not trust, a bad signature and an expired certificate, alike', async () => {
    const rogueCa = await createCa({ commonName: 'Rogue CA', organization: 'Rogue', validDays: 30 });
    const rogue = await issueEnterpriseCertificate(rogueCa, { uscc: BIDDER_USCC, enterpriseName: '北京示范建设工程有限公司', validDays: 30, keyPem: bidderKey });
    const otherKey = fixture('enterprises/91310115MA1H8RTU39.key.pem');
    const expired = fixture(`enterprises/expired-${BIDDER_USCC}.cert.pem`);
    const before = await server.app.db.session.count();
    const untrusted = await loginWith('xinjiang', rogue.certPem, bidderKey);
    const badSignature = await loginWith('xinjiang', bidderCert, otherKey);
    const outOfDate = await loginWith('xinjiang', expired, bidderKey);
    expect(untrusted).toMatchObject({ __typename: 'CertificateRejectedError', code: 'CERTIFICATE_REJECTED' });
    expect(badSignature).toEqual(untrusted);
    expect(outOfDate).toEqual(untrusted);
    expect(await server.app.db.session.count()).toBe(before);
    const reasons = await server.app.db.authAudit.findMany({ where: { event: 'CERTIFICATE_LOGIN', outcome: 'FAILURE' }, orderBy: { createdAt: 'asc' } });
    expect(reasons.map((row) => row.reason)).toEqual(expect.arrayContaining(['UNTRUSTED', 'BAD_SIGNATURE', 'EXPIRED']));
  });

  it('refuses certificates in a tenant that trusts no CA (Hunan logs in through its registration platform)', async () => {
    expect(await loginWith('hunan', bidderCert, bidderKey)).toMatchObject({ code: 'CERTIFICATE_REJECTED' });
  });

  it('refuses a challenge of another tenant', async () => {
    const issued = await challenge('quzhou');
    expect(await loginWith('xinjiang', bidderCert, bidderKey, issued)).toMatchObject({ code: 'CHALLENGE_INVALID' });
  });
});

describe('trusted CA roots in tenant files', () => {
  it('stop start-up when a listed CA file is missing, naming the tenant file and the CA file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-ca-'));
    try {
      await mkdir(join(dir, 'ca'));
      await writeFile(
        join(dir, 'prov.yaml'),
        'code: prov\nname: 示范省\norderNumberPrefix: TBaoHanPV\nprojectTypes:\n  CONSTRUCTION: { name: 建设工程, paymentMethods: [GUARANTEE] }\n' +
          'refunds:\n  otherwise: { code: NOT_REFUNDABLE, description: 不可退保 }\nsealing:\n  trustedCaRoots: ["missing-root.pem"]\n',
      );
      const error = await loadTenants(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TenantConfigError);
      expect((error as Error).message).toMatch(/prov\.yaml: sealing\.trustedCaRoots\[0\]: .*missing-root\.pem.*missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
