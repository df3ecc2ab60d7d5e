import { createHmac, type KeyObject } from 'node:crypto';
import type { PrismaClient } from '../db/generated/prisma/client.ts';
import type { EventBus } from '../events/pubsub.ts';
import type { Logger } from '../http/logger.ts';
import type { SessionRow } from './authenticate.ts';
import { DEFAULT_SESSION_CACHE_MS, DEFAULT_SESSION_TTL_SECONDS, DEFAULT_SMS_LIMITS, type IdentityOptions, type SmsLimits } from './config.ts';
import { SessionCache, shareSessionRevocations, type SessionRevocations } from './session-cache.ts';
import { secretBoxKey } from './secret-box.ts';
import { sessionKey } from './session-token.ts';
import { loadServerSecrets } from './settings.ts';
import { outboxSmsSender, type SmsSender } from './sms.ts';

/** Process-wide identity machinery: keys, limits and the SMS sender. Built once at start-up. */
export interface IdentityServices {
  /** HS256 key of session tokens. */
  sessionKey: KeyObject;
  /** AES key of stored API client secrets. */
  secretBoxKey: Buffer;
  /** Keyed hash of an SMS code, bound to its tenant and mobile. */
  hashSmsCode(tenantId: string, mobile: string, code: string): string;
  smsSender: SmsSender;
  smsLimits: SmsLimits;
  sessionTtlSeconds: number;
  trustProxy: boolean;
  /** Session rows the session check read, kept for a moment and forgotten on every instance at revocation. */
  sessions: SessionCache<SessionRow>;
  /** Call after a session's revocation has committed: every instance stops accepting it at once. */
  sessionRevocations: SessionRevocations;
}

/** `events` and `channel` (src/events/channel.ts) carry session revocations to the other instances of the database. */
export async function createIdentityServices(db: PrismaClient, log: Logger, events: EventBus, channel: string, options: IdentityOptions = {}): Promise<IdentityServices> {
  const secrets = await loadServerSecrets(db);
  const sessions = new SessionCache<SessionRow>(options.sessionCacheMs ?? DEFAULT_SESSION_CACHE_MS);
  const sessionRevocations = await shareSessionRevocations(events, sessions, `session-revoked:${channel}`, log);
  const codeKey = createHmac('sha256', secrets.secretKey).update('sms-code-key').digest();
  return {
    sessionKey: sessionKey(secrets.sessionSecret),
    secretBoxKey: secretBoxKey(secrets.secretKey),
    hashSmsCode: (tenantId, mobile, code) => createHmac('sha256', codeKey).update(`${tenantId}\n${mobile}\n${code}`).digest('hex'),
    smsSender: options.smsSender ?? outboxSmsSender(db, log),
    smsLimits: { ...DEFAULT_SMS_LIMITS, ...options.smsLimits },
    sessionTtlSeconds: options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS,
    trustProxy: options.trustProxy ?? false,
    sessions,
    sessionRevocations,
  };
}
