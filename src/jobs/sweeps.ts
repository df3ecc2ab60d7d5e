import type { PrismaClient } from '../db/generated/prisma/client.ts';
import type { Logger } from '../http/logger.ts';
import { expireGuarantees, unsealDueLetters } from '../domains/guarantee/guarantee.service.ts';
import { expireUnpaidOrders } from '../domains/order/order.service.ts';

/**
 * The timed work of one instance, every `intervalMs`: expire unpaid orders past their deadline, unseal the letters of
 * sections that opened, expire guarantees past their validity. Several instances may all run it: each job claims rows with FOR UPDATE SKIP LOCKED, so no
 * row is handled twice. A round never overlaps the previous one here.
 */
export function startSweeps(deps: { db: PrismaClient; log: Logger; sealingMasterKey: string }, intervalMs: number): { stop(): Promise<void> } {
  if (intervalMs <= 0) return { stop: async () => {} };
  const { db, log } = deps;
  const jobs: Array<[string, () => Promise<number>]> = [
    ['expired unpaid orders', () => expireUnpaidOrders(db)],
    ['unsealed letters', () => unsealDueLetters(deps)],
    ['expired guarantees', () => expireGuarantees(db)],
  ];
  let running: Promise<void> | undefined;
  const round = async () => {
    for (const [what, job] of jobs) {
      try {
        const count = await job();
        if (count > 0) log.info({ count }, what);
      } catch (error) {
        log.error({ err: error }, `sweep failed: ${what}`);
      }
    }
  };
  const timer = setInterval(() => {
    running ??= round().finally(() => {
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
