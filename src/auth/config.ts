import type { SmsSender } from './sms.ts';

/** A sliding-window limit: at most `max` events per `windowSeconds`. */
export interface RateLimit {
  max: number;
  windowSeconds: number;
}

/** Limits on SMS login codes. Counted from the audit table, so every instance sees the same counts. */
export interface SmsLimits {
  /** Codes sent to one mobile number. */
  perMobile: RateLimit;
  /** Minimum seconds between two codes to one mobile number. */
  mobileIntervalSeconds: number;
  /** Codes requested from one client address, whatever the mobile. */
  perAddress: RateLimit;
  /** Wrong codes tried against one code before it stops working. */
  maxAttempts: number;
  /** Lifetime of a code. */
  codeTtlSeconds: number;
}

export const DEFAULT_SMS_LIMITS: SmsLimits = {
  perMobile: { max: 5, windowSeconds: 3600 },
  mobileIntervalSeconds: 60,
  perAddress: { max: 20, windowSeconds: 3600 },
  maxAttempts: 5,
  codeTtlSeconds: 300,
};

/** Lifetime of a session token and its session (8 hours). */
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 3600;
/**
 * How long the session check may use a session row it read (src/auth/session-cache.ts). Revocations reach every
 * instance at once through pub/sub; this bounds only a revocation message that was lost.
 */
export const DEFAULT_SESSION_CACHE_MS = 5_000;
/** Lifetime of a certificate-login challenge. */
export const CERTIFICATE_CHALLENGE_TTL_SECONDS = 120;
/** Signed requests whose X-Timestamp is further than this from the server's clock are refused. */
export const SIGNED_REQUEST_MAX_SKEW_SECONDS = 300;
/** Largest signed request body the server buffers. */
export const SIGNED_REQUEST_MAX_BODY_BYTES = 1024 * 1024;

/** Identity settings a deployment (or a test) may change. */
export interface IdentityOptions {
  smsLimits?: Partial<SmsLimits>;
  sessionTtlSeconds?: number;
  /** See {@link DEFAULT_SESSION_CACHE_MS}; 0 reads the session row on every request. */
  sessionCacheMs?: number;
  /** Sends login codes; the default writes the SmsOutbox table and the log. */
  smsSender?: SmsSender;
  /**
   * Behind a load balancer: take the client address from the last X-Forwarded-For entry (the one our proxy added)
   * instead of the socket. Off by default, since a client can write that header itself.
   */
  trustProxy?: boolean;
  /** Create the demo accounts at start-up (default true). */
  demoAccounts?: boolean;
}
