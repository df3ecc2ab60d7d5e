/**
 * Turns what a request carries into a {@link Viewer}: a bearer session token, or an institution API client's
 * signed request (verified in `server.ts` before GraphQL sees the body, with {@link verifySignedRequest}).
 */
import type { AppServices } from '../context.ts';
import type { Role } from '../db/generated/prisma/client.ts';
import { utc } from '../db/sql.ts';
import { verifyRequestSignature } from '../crypto/index.ts';
import { AppError, UnauthenticatedError } from '../errors.ts';
import { SIGNED_REQUEST_MAX_SKEW_SECONDS } from './config.ts';
import { openSecret } from './secret-box.ts';
import { verifySessionToken } from './session-token.ts';
import type { Viewer } from './viewer.ts';
import { UUID } from '../domains/common/formats.ts';

/** A bearer token that is forged, malformed, revoked or names a session that no longer matches. */
export class SessionInvalidError extends UnauthenticatedError {
  override name = 'SessionInvalidError';
  constructor() {
    super('The session token is not valid: log in again', 'SESSION_INVALID');
  }
}

/** A genuine token past its expiry. */
export class SessionExpiredError extends UnauthenticatedError {
  override name = 'SessionExpiredError';
  constructor() {
    super('The session has expired: log in again', 'SESSION_EXPIRED');
  }
}

/**
 * The viewer a session token names. The token's signature and expiry are checked first, then its session row: it
 * must exist, be neither revoked nor expired, and agree with the token on user, tenant and role, so `logout` and
 * `switchRole` end old tokens at once. The row comes through {@link AppServices.identity}'s session cache, which
 * every instance empties of a session when it is revoked (src/auth/session-cache.ts).
 *
 * @throws SessionInvalidError, SessionExpiredError
 */
export async function authenticateToken(app: AppServices, token: string): Promise<Viewer> {
  const claims = await verifySessionToken(app.identity.sessionKey, token);
  if (claims === 'expired') throw new SessionExpiredError();
  if (claims === 'invalid') throw new SessionInvalidError();
  const tenant = app.tenants.byCode(claims.tenantCode);
  const session = tenant ? await readSession(app, claims.sessionId) : undefined;
  if (
    !tenant ||
    !session ||
    session.revokedAt ||
    session.tenantId !== tenant.id ||
    session.userId !== claims.userId ||
    session.role !== claims.role
  ) {
    throw new SessionInvalidError();
  }
  if (session.expiresAt.getTime() <= Date.now()) throw new SessionExpiredError();
  return {
    kind: 'user',
    userId: session.userId,
    apiClientId: null,
    tenantId: tenant.id,
    tenantCode: tenant.code,
    role: session.role,
    sessionId: session.id,
    enterpriseId: session.enterpriseId,
    institutionId: session.institutionId,
  };
}

export interface SessionRow {
  id: string;
  tenantId: string;
  userId: string;
  role: Role;
  enterpriseId: string | null;
  institutionId: string | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

// Every authenticated request makes this read, so it is hand-written SQL (src/db/sql.ts): through Prisma it cost
// about four times the CPU. The id comes from a verified token; a malformed one matches no row.
const SESSION_SQL = `SELECT id, "tenantId", "userId", role, "enterpriseId", "institutionId", ${utc('"expiresAt"', 'expiresAt')}, ${utc('"revokedAt"', 'revokedAt')}
  FROM "Session" WHERE id = $1::uuid`;

async function readSession(app: AppServices, id: string): Promise<SessionRow | undefined> {
  if (!UUID.test(id)) return undefined;
  return app.identity.sessions.read(id, async () => (await app.sql.query<SessionRow>(SESSION_SQL, [id]))[0]);
}

/** What {@link verifySignedRequest} needs of the HTTP request. */
export interface SignedRequest {
  method: string;
  /** Path and query string as sent. */
  path: string;
  header(name: string): string | undefined;
  body: Buffer;
  clientAddress: string | undefined;
}

/** Headers of a signed request. */
export const SIGNATURE_HEADERS = ['x-client-id', 'x-timestamp', 'x-nonce', 'x-signature'] as const;

/**
 * Verifies an institution API client's signed request: known, unrevoked client; HMAC-SHA256 over method, path,
 * timestamp, nonce and body (src/crypto `verifyRequestSignature`); timestamp (Unix seconds) within 5 minutes of the
 * server's clock; nonce never seen for this client (stored only after the signature checks out, so forgeries cannot
 * burn nonces). Refusals are audited. Unknown client and wrong signature answer alike.
 *
 * @returns the viewer: the INSTITUTION role of the client's institution, in the client's tenant.
 * @throws AppError SIGNATURE_INVALID, SIGNATURE_STALE or SIGNATURE_REPLAYED
 */
export async function verifySignedRequest(app: AppServices, request: SignedRequest): Promise<Viewer> {
  const [clientId, timestamp, nonce, signature] = SIGNATURE_HEADERS.map((name) => request.header(name)?.trim() ?? '');
  const refuse = async (code: string, message: string, reason: string, tenantId: string | null = null): Promise<never> => {
    await app.db.authAudit.create({
      data: { event: 'SIGNED_REQUEST', outcome: 'FAILURE', reason, tenantId, apiClientId: clientId?.slice(0, 64) || null, clientAddress: request.clientAddress },
    });
    throw Object.assign(new AppError(code, message), { status: 401 });
  };
  if (!clientId || !timestamp || !nonce || !signature || nonce.length > 128 || !/^\d{1,12}$/.test(timestamp)) {
    return refuse('SIGNATURE_INVALID', 'The request signature is not valid', 'MALFORMED_HEADERS');
  }
  const client = await app.db.institutionApiClient.findUnique({ where: { clientId } });
  const secret = client && !client.revokedAt ? openSecret(app.identity.secretBoxKey, client.secretEncrypted) : null;
  const parts = { method: request.method, path: request.path, timestamp, nonce, body: request.body };
  if (!client || secret === null || !verifyRequestSignature(secret, parts, signature)) {
    return refuse('SIGNATURE_INVALID', 'The request signature is not valid', client ? 'BAD_SIGNATURE' : 'UNKNOWN_CLIENT', client?.tenantId);
  }
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > SIGNED_REQUEST_MAX_SKEW_SECONDS) {
    return refuse('SIGNATURE_STALE', `The request timestamp is more than ${SIGNED_REQUEST_MAX_SKEW_SECONDS / 60} minutes from the server's clock`, 'STALE', client.tenantId);
  }
  const stored = await app.db.apiNonce.createMany({ data: [{ clientId, nonce }], skipDuplicates: true });
  if (stored.count === 0) return refuse('SIGNATURE_REPLAYED', 'This request was already received (nonce reused)', 'REPLAYED', client.tenantId);
  // Nonces only need to outlive the timestamp window; prune them now and then rather than with a job.
  if (Math.random() < 0.01) {
    await app.db.apiNonce.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - 2 * SIGNED_REQUEST_MAX_SKEW_SECONDS * 1000) } } });
  }
  const tenant = app.tenants.byId(client.tenantId);
  if (!tenant) return refuse('SIGNATURE_INVALID', 'The request signature is not valid', 'TENANT_GONE', client.tenantId);
  return {
    kind: 'apiClient',
    userId: null,
    apiClientId: client.clientId,
    tenantId: tenant.id,
    tenantCode: tenant.code,
    role: 'INSTITUTION',
    sessionId: null,
    enterpriseId: null,
    institutionId: client.institutionId,
  };
}
