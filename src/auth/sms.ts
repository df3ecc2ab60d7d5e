import type { PrismaClient } from '../db/generated/prisma/client.ts';
import type { Logger } from '../http/logger.ts';

/** One text message to send. */
export interface SmsMessage {
  tenantId: string | null;
  mobile: string;
  /** What the message is for, e.g. `LOGIN_CODE`. */
  purpose: string;
  text: string;
}

/** Sends text messages. Plug a real gateway in through ServerOptions.identity.smsSender. */
export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

/**
 * The default sender: never a real gateway. Writes each message to the SmsOutbox table (where tests and GraphiQL
 * users read their codes) and to the log at info level.
 */
export function outboxSmsSender(db: PrismaClient, log: Logger): SmsSender {
  return {
    async send(message) {
      await db.smsOutbox.create({ data: message });
      log.info({ sms: { mobile: message.mobile, purpose: message.purpose, text: message.text } }, 'SMS written to the outbox (no gateway)');
    },
  };
}
