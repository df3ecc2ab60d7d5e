import type { PrismaClient } from '../../db/generated/prisma/client.ts';
import type { Logger } from '../../http/logger.ts';
import { expireUnpaidOrders } from './order.service.ts';

/**
 * Runs the unpaid-order expiry every `intervalMs` on this instance. Several instances may all run it: each sweep
 * claims rows with SKIP LOCKED, so no order is expired twice. A sweep never overlaps the previous one here.
 */
export function startOrderSweeper(db: PrismaClient, log: Logger, intervalMs: number): { stop(): Promise<void> } {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= expireUnpaidOrders(db)
      .then((expired) => {
        if (expired > 0) log.info({ expired }, 'expired unpaid orders');
      })
      .catch((error: unknown) => log.error({ err: error }, 'order expiry sweep failed'))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
