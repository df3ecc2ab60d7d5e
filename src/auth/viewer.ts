import type { Role } from '../db/generated/prisma/enums.ts';

export type { Role };

/**
 * Who is calling, once authenticated: a user's session (bearer token) or an institution's API client (signed
 * request). Undefined for anonymous requests. Everything here comes from the server's own records (the session
 * row, the API client row), never from what the client claims.
 */
export interface Viewer {
  kind: 'user' | 'apiClient';
  /** The user; null for an API client. */
  userId: string | null;
  /** The API client's public id; null for a user. */
  apiClientId: string | null;
  tenantId: string;
  tenantCode: string;
  /** The active role (an API client always acts as INSTITUTION). */
  role: Role;
  /** The session the token names; null for an API client, which has none. */
  sessionId: string | null;
  /** The enterprise the active role acts for (BIDDER, TENDEREE, AGENT). */
  enterpriseId: string | null;
  /** The institution the active role acts for (INSTITUTION). */
  institutionId: string | null;
}
