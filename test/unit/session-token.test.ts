import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

  describe('verified before', () => {
    afterEach(() => vi.useRealTimers());

    it('answer as the first verification did, and check the times on every use', async () => {
      const soon = await signSessionToken(key, { ...claims, expiresAt: new Date(Date.now() + 60_000) });
      const first = await verifySessionToken(key, soon);
      expect(first).toMatchObject({ sessionId: claims.sessionId, role: 'BIDDER' });
      expect(await verifySessionToken(key, soon)).toEqual(first);
      // The same token, looked up, past its expiry; and one whose nbf has not come yet, then has.
      vi.useFakeTimers({ now: Date.now() + 61_000 });
      expect(await verifySessionToken(key, soon)).toBe('expired');
      vi.useRealTimers();
      const later = handMade({ alg: 'HS256' }, { ...goodPayload(), nbf: now() + 30 });
      expect(await verifySessionToken(key, later)).toBe('invalid');
      vi.useFakeTimers({ now: Date.now() + 31_000 });
      expect(await verifySessionToken(key, later)).toMatchObject({ sessionId: claims.sessionId });
    });

    it('refuse what differs from a verified token by a character, and a verified token under another key', async () => {
      const token = await signSessionToken(key, claims);
      expect(await verifySessionToken(key, token)).toMatchObject({ sessionId: claims.sessionId });
      // The signature's first character (its last carries unused bits).
      const at = token.lastIndexOf('.') + 1;
      const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
      expect(await verifySessionToken(key, changed)).toBe('invalid');
      expect(await verifySessionToken(sessionKey('y'.repeat(64)), token)).toBe('invalid');
      expect(await verifySessionToken(key, token)).toMatchObject({ sessionId: claims.sessionId });
    });
  });
});
