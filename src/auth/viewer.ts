/** Who is calling: set from a valid session token; undefined for anonymous requests. */
export interface Viewer {
  userId: string;
  tenantCode: string;
  role: string;
  sessionId: string;
}
