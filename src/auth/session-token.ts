import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Role } from './viewer.ts';

const ISSUER = 'e-guarantee-api';
const ALGORITHM = 'HS256';

/** What a session token says. The session row it names is the authority; the token only points at it. */
export interface SessionClaims {
  sessionId: string;
  userId: string;
  tenantCode: string;
  role: Role;
  expiresAt: Date;
}

/** The HMAC key, as a KeyObject: node:crypto's HMAC takes it as is, and jose (which signs) caches the CryptoKey it makes of one. */
export function sessionKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

export async function signSessionToken(key: KeyObject, claims: SessionClaims): Promise<string> {
  return new SignJWT({ tenant: claims.tenantCode, role: claims.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(claims.userId)
    .setJti(claims.sessionId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
    .sign(key);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The claims of a token this server signed and that has not expired; `expired` or `invalid` otherwise.
 *
 * Every authenticated request verifies one, so this is node:crypto's HMAC, synchronous, rather than jose's WebCrypto
 * verify (about 145 µs of CPU and a thread-pool round trip per call here). It accepts only what `signSessionToken`
 * makes: three base64url parts, the HS256 signature over the first two (checked first, in constant time), a header
 * naming HS256 with no `crit`, this issuer, string claims and a numeric expiry, expired at `exp` as jose has it.
 */
export async function verifySessionToken(key: KeyObject, token: string): Promise<SessionClaims | 'expired' | 'invalid'> {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return 'invalid';
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  const head = decodeJson(header);
  const claims = decodeJson(payload);
  if (!head || head.alg !== ALGORITHM || head.crit !== undefined || !claims || claims.iss !== ISSUER) return 'invalid';
  const { sub, jti, exp, nbf, tenant, role } = claims;
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof tenant !== 'string' || typeof role !== 'string') {
    return 'invalid';
  }
  const now = Math.floor(Date.now() / 1000);
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) return 'invalid';
  if (exp <= now) return 'expired';
  return { sessionId: jti, userId: sub, tenantCode: tenant, role: role as Role, expiresAt: new Date(exp * 1000) };
}
