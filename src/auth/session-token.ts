import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
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

/** The HMAC key, as a KeyObject: jose caches the CryptoKey it makes of one, where it would import raw bytes per call. */
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

/** The claims of a token this server signed and that has not expired; `expired` or `invalid` otherwise. */
export async function verifySessionToken(key: KeyObject, token: string): Promise<SessionClaims | 'expired' | 'invalid'> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: [ALGORITHM] });
    const { sub, jti, exp, tenant, role } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof tenant !== 'string' || typeof role !== 'string') {
      return 'invalid';
    }
    return { sessionId: jti, userId: sub, tenantCode: tenant, role: role as Role, expiresAt: new Date(exp * 1000) };
  } catch (error) {
    return error instanceof errors.JWTExpired ? 'expired' : 'invalid';
  }
}
