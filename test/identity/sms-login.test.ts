import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginWithSmsDocument, MeDocument, RequestSmsCodeDocument } from '../../schema/generated/graphql.ts';
import { DEFAULT_SMS_LIMITS } from '../../src/auth/config.ts';
import { startTestServer, type TestServer } from '../support/harness.ts';
import { DEMO, latestSmsCode, nextAddress } from '../support/identity.ts';

let server: TestServer;
beforeAll(async () => {
  // The production limits, to prove them; each test uses its own mobile and client address.
  server = await startTestServer({ identity: { smsLimits: DEFAULT_SMS_LIMITS } });
});
afterAll(() => server?.stop());

const client = (tenant = 'xinjiang', address = nextAddress()) => server.client({ tenant, headers: { 'x-forwarded-for': address } });
const request = (mobile: string, tenant = 'xinjiang', address?: string) =>
  client(tenant, address).request(RequestSmsCodeDocument, { input: { mobile } }).then((r) => r.requestSmsCode);
const login = (mobile: string, code: string, tenant = 'xinjiang') =>
  client(tenant).request(LoginWithSmsDocument, { input: { mobile, code } }).then((r) => r.loginWithSms);

/** Row counts of everything a login could write. */
async function counts() {
  const db = server.app.db;
  const [sessions, codes, outbox, audit] = await Promise.all([db.session.count(), db.smsCode.count(), db.smsOutbox.count(), db.authAudit.count()]);
  return { sessions, codes, outbox, audit };
}

describe('SMS login', () => {
  it('sends a 6-digit code to a registered mobile and logs in with it once', async () => {
    expect(await request(DEMO.BIDDER)).toMatchObject({ __typename: 'SmsCodeSent', expiresInSeconds: 300 });
    const code = await latestSmsCode(server, DEMO.BIDDER);
    const stored = await server.app.db.smsCode.findFirstOrThrow({ where: { mobile: DEMO.BIDDER }, orderBy: { createdAt: 'desc' } });
    expect(stored.codeHash).not.toContain(code);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBeCloseTo(300_000, -3);

    const session = await login(DEMO.BIDDER, code);
    expect(session).toMatchObject({ __typename: 'SessionToken', tenantCode: 'xinjiang', activeRole: 'BIDDER', roles: ['BIDDER'] });
    if (session.__typename !== 'SessionToken') throw new Error('no token');
    const { me } = await server.client({ token: session.token }).request(MeDocument, {});
    expect(me).toMatchObject({ user: { mobile: DEMO.BIDDER }, tenant: { code: 'xinjiang' }, activeRole: 'BIDDER' });

    const before = await counts();
    expect(await login(DEMO.BIDDER, code)).toMatchObject({ __typename: 'SmsCodeInvalidError', code: 'SMS_CODE_INVALID' });
    expect(await counts()).toEqual({ ...before, audit: before.audit + 1 });
  });

  it('answers a wrong code and an unknown mobile identically, and writes only the audit row', async () => {
    await request(DEMO.TENDEREE);
    const code = await latestSmsCode(server, DEMO.TENDEREE);
    const wrong = code === '000000' ? '000001' : '000000';
    const before = await counts();
    const wrongCode = await login(DEMO.TENDEREE, wrong);
    const unknownMobile = await login('13999999999', code);
    expect(wrongCode).toMatchObject({ __typename: 'SmsCodeInvalidError', code: 'SMS_CODE_INVALID' });
    expect(unknownMobile).toEqual(wrongCode);
    expect(await counts()).toEqual({ ...before, audit: before.audit + 2 });
    const reasons = await server.app.db.authAudit.findMany({ where: { event: 'SMS_LOGIN', outcome: 'FAILURE', mobile: { in: [DEMO.TENDEREE, '13999999999'] } } });
    expect(reasons.map((row) => row.reason).sort()).toEqual(['NO_CODE', 'WRONG_CODE']);
  });

  it('answers a code request for an unknown mobile like any other, but sends nothing', async () => {
    const before = await counts();
    const answer = await request('13911112222');
    expect(answer).toEqual(await request(DEMO.AGENT));
    const after = await counts();
    expect(after.codes - before.codes).toBe(1);
    expect(after.outbox - before.outbox).toBe(1);
    expect(await server.app.db.smsOutbox.count({ where: { mobile: '13911112222' } })).toBe(0);
  });

  it('refuses a code after too many wrong attempts, even the right one', async () => {
    await request(DEMO.INSTITUTION);
    const code = await latestSmsCode(server, DEMO.INSTITUTION);
    const wrong = code === '111111' ? '222222' : '111111';
    for (let i = 0; i < DEFAULT_SMS_LIMITS.maxAttempts; i += 1) {
      expect((await login(DEMO.INSTITUTION, wrong)).__typename).toBe('SmsCodeInvalidError');
    }
    expect(await login(DEMO.INSTITUTION, code)).toMatchObject({ code: 'SMS_CODE_INVALID' });
  });

  it('refuses an expired code', async () => {
    await request(DEMO.ADMIN);
    const code = await latestSmsCode(server, DEMO.ADMIN);
    await server.app.db.smsCode.updateMany({ where: { mobile: DEMO.ADMIN }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await login(DEMO.ADMIN, code)).toMatchObject({ code: 'SMS_CODE_INVALID' });
    const [audit] = await server.app.db.authAudit.findMany({ where: { event: 'SMS_LOGIN', mobile: DEMO.ADMIN }, orderBy: { createdAt: 'desc' }, take: 1 });
    expect(audit?.reason).toBe('CODE_EXPIRED');
  });

  it('does not let a code sent for one tenant log in to another', async () => {
    await request(DEMO.MULTI_ROLE, 'quzhou');
    const code = await latestSmsCode(server, DEMO.MULTI_ROLE);
    expect(await login(DEMO.MULTI_ROLE, code, 'xinjiang')).toMatchObject({ code: 'SMS_CODE_INVALID' });
    expect(await login(DEMO.MULTI_ROLE, code, 'quzhou')).toMatchObject({ __typename: 'SessionToken', tenantCode: 'quzhou' });
  });

  it('rejects a malformed mobile as bad input, and needs a tenant', async () => {
    expect(await request('12345')).toMatchObject({ __typename: 'ValidationError', code: 'MOBILE_MALFORMED', field: 'input.mobile' });
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { requestSmsCode(input: { mobile: "13800000001" }) { __typename } }' }),
    });
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('TENANT_REQUIRED');
  });
});

describe('SMS rate limits', () => {
  it('makes a mobile wait between two codes', async () => {
    const mobile = '13900000001';
    expect((await request(mobile)).__typename).toBe('SmsCodeSent');
    const second = await request(mobile);
    expect(second).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    if (second.__typename !== 'RateLimitedError') throw new Error('not limited');
    expect(second.retryAfterSeconds).toBeGreaterThan(0);
    expect(second.retryAfterSeconds).toBeLessThanOrEqual(DEFAULT_SMS_LIMITS.mobileIntervalSeconds);
  });

  it('caps the codes per mobile per window, counted from the audit rows', async () => {
    const mobile = '13900000002';
    const earlier = new Date(Date.now() - 10 * 60_000);
    await server.app.db.authAudit.createMany({
      data: Array.from({ length: DEFAULT_SMS_LIMITS.perMobile.max }, () => ({ event: 'SMS_CODE_REQUESTED' as const, outcome: 'SUCCESS' as const, mobile, createdAt: earlier })),
    });
    expect(await request(mobile)).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
  });

  it('caps the codes per client address, whatever the mobile', async () => {
    const address = '10.200.0.1';
    const earlier = new Date(Date.now() - 10 * 60_000);
    await server.app.db.authAudit.createMany({
      data: Array.from({ length: DEFAULT_SMS_LIMITS.perAddress.max }, (_, i) => ({
        event: 'SMS_CODE_REQUESTED' as const,
        outcome: 'SUCCESS' as const,
        mobile: `1390000${String(1000 + i)}`,
        clientAddress: address,
        createdAt: earlier,
      })),
    });
    expect(await request('13900000003', 'xinjiang', address)).toMatchObject({ __typename: 'RateLimitedError' });
    expect((await request('13900000003', 'xinjiang', '10.200.0.2')).__typename).toBe('SmsCodeSent');
  });
});
