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

/** A token's verified claims, with the times that are checked on every use. */
interface Verified {
  claims: Omit<SessionClaims, 'expiresAt'>;
  exp: number;
  nbf: number | undefined;
}

/**
 * Tokens whose signature and form this process verified, by key: a request's token is checked against these first
 * (issue 9: every authenticated request verified its token again, HMAC, two base64url decodes and two JSON parses,
 * about a fiftieth of a mutation's CPU). The same string verifies the same way every time, so only the times are
 * checked again. Bounded: emptied when full.
 */
const verified = new WeakMap<KeyObject, Map<string, Verified>>();
const MAX_VERIFIED = 10_000;

function whenUsed({ claims, exp, nbf }: Verified): SessionClaims | 'expired' | 'invalid' {
  const now = Math.floor(Date.now() / 1000);
  if (nbf !== undefined && nbf > now) return 'invalid';
  if (exp <= now) return 'expired';
  return { ...claims, expiresAt: new Date(exp * 1000) };
}

/**
 * The claims of a token this server signed and that has not expired; `expired` or `invalid` otherwise.
 *
 * Every authenticated request verifies one, so this is node:crypto's HMAC, synchronous, rather than jose's WebCrypto
 * verify (about 145 µs of CPU and a thread-pool round trip per call here), and a token verified before is looked up
 * ({@link verified}). It accepts only what `signSessionToken` makes: three base64url parts, the HS256 signature over
 * the first two (checked first, in constant time), a header naming HS256 with no `crit`, this issuer, string claims
 * and a numeric expiry, expired at `exp` as jose has it.
 */
export async function verifySessionToken(key: KeyObject, token: string): Promise<SessionClaims | 'expired' | 'invalid'> {
  let known = verified.get(key);
  const seen = known?.get(token);
  if (seen) return whenUsed(seen);
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
  if (nbf !== undefined && typeof nbf !== 'number') return 'invalid';
  const entry: Verified = { claims: { sessionId: jti, userId: sub, tenantCode: tenant, role: role as Role }, exp, nbf };
  if (!known) verified.set(key, (known = new Map()));
  if (known.size >= MAX_VERIFIED) known.clear();
  known.set(token, entry);
  return whenUsed(entry);
}
