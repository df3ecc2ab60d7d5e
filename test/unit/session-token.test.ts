import { createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sessionKey, signSessionToken, verifySessionToken } from '../../src/auth/session-token.ts';

// Session tokens are signed with jose and verified with node:crypto's HMAC (every request verifies one). The verifier
// must accept exactly what the signer makes, and nothing else.
const SECRET = 'k'.repeat(64);
const key = sessionKey(SECRET);
const claims = { sessionId: randomUUID(), userId: randomUUID(), tenantCode: 'hunan', role: 'BIDDER' as const, expiresAt: new Date(Date.now() + 3_600_000) };

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** A token made by hand: any header and payload, signed with `secret` (HS256). */
function handMade(header: unknown, payload: unknown, secret = SECRET) {
  const signingInput = `${b64(header)}.${b64(payload)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const goodPayload = () => ({ tenant: 'hunan', role: 'BIDDER', iss: 'e-guarantee-api', sub: claims.userId, jti: claims.sessionId, iat: now(), exp: now() + 600 });

describe('session tokens', () => {
  it('verify what signSessionToken signs, with every claim', async () => {
    const token = await signSessionToken(key, claims);
    expect(await verifySessionToken(key, token)).toEqual({ ...claims, expiresAt: new Date(Math.floor(claims.expiresAt.getTime() / 1000) * 1000) });
    expect(await verifySessionToken(key, handMade({ alg: 'HS256', typ: 'JWT' }, goodPayload()))).toMatchObject({ sessionId: claims.sessionId });
  });

  it('call a genuine token past its expiry expired, from the second of `exp` on', async () => {
    expect(await verifySessionToken(key, handMade({ alg: 'HS256' }, { ...goodPayload(), exp: now() }))).toBe('expired');
    expect(await verifySessionToken(key, await signSessionToken(key, { ...claims, expiresAt: new Date(Date.now() - 1000) }))).toBe('expired');
  });

  it('refuse a changed payload, another key, another algorithm, another issuer, a future nbf, crit, and malformed tokens', async () => {
    const token = await signSessionToken(key, claims);
    const [header, , signature] = token.split('.');
    const refused = [
      `${header}.${b64({ ...goodPayload(), role: 'ADMIN' })}.${signature}`,
      await signSessionToken(sessionKey('x'.repeat(64)), claims),
      handMade({ alg: 'none' }, goodPayload()),
      `${b64({ alg: 'none' })}.${b64(goodPayload())}.`,
      handMade({ alg: 'HS512' }, goodPayload()),
      handMade({ alg: 'HS256', crit: ['b64'] }, goodPayload()),
      handMade({ alg: 'HS256' }, { ...goodPayload(), iss: 'someone-else' }),
      handMade({ alg: 'HS256' }, { ...goodPayload(), nbf: now() + 600 }),
      handMade({ alg: 'HS256' }, { ...goodPayload(), exp: String(now() + 600) }),
      handMade({ alg: 'HS256' }, { ...goodPayload(), sub: 42 }),
      handMade({ alg: 'HS256' }, [goodPayload()]),
      handMade({ alg: 'HS256' }, 'not json'),
      `${token}.x`,
      `${token}!`,
      token.slice(0, -2),
      '',
      'a.b',
    ];
    for (const candidate of refused) expect(await verifySessionToken(key, candidate), candidate).toBe('invalid');
  });
});
